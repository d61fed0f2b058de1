"""Explainable diagnostics study: attribute model and product errors to their physical causes.

An error model (:class:`ErrorModel`) learns the residual (model - observation)
from candidate drivers (soil wetness, LAI, land cover, cloudiness, wind, VPD,
temperature, net radiation and its change) on one set of cells or towers;
explainers (:mod:`~workbench.explain.attribution`: SHAP, permutation
importance, partial dependence, ALE, Integrated Gradients) attribute it on
the others. Planted error mechanisms on the virtual land
(:data:`MECHANISMS`) have known causes, so each explanation is scored
(:func:`planted_cause_study`). Real diagnostics: ECOSTRESS models against
AmeriFlux towers and FAO-56 Penman-Monteith against FLUXNET towers
(:mod:`~workbench.explain.real`).
"""

from .attribution import (EXPLAINERS, ale_curve, explain, importance, integrated_gradients, partial_dependence_curve,
                          permutation_importances, planted_hit, rank_drivers, shap_values)
from .drivers import DRIVER_ATTRS, DRIVERS, land_drivers, stack_samples
from .errormodel import ESTIMATORS, MIN_EXPLAIN_SAMPLES, ErrorModel
from .mechanisms import MECHANISMS, Mechanism, planted_residuals
from . import real, regimes
from .regimes import REGIMES, dominant_driver_map, errors_by_regime, regime_labels
from .study import STUDY_LAND, hit_rates, planted_cause_study
from .symbolic import residual_equation

__all__ = [
    "DRIVERS", "DRIVER_ATTRS", "ESTIMATORS", "EXPLAINERS", "MECHANISMS", "MIN_EXPLAIN_SAMPLES", "ErrorModel",
    "Mechanism", "ale_curve", "explain", "importance", "integrated_gradients", "land_drivers",
    "partial_dependence_curve", "permutation_importances", "planted_hit", "planted_residuals", "rank_drivers",
    "shap_values", "stack_samples", "STUDY_LAND", "hit_rates", "planted_cause_study", "residual_equation", "real", "regimes", "REGIMES", "dominant_driver_map", "errors_by_regime", "regime_labels",
]
