"""Product intercomparison: metrics, scores, triple collocation, fusion, regridding, aggregation.

xarray-first and lazy: every function takes DataArrays/Datasets, reduces with
``dim=`` and area ``weights=``, and keeps dask-backed inputs lazy
(``xr.apply_ufunc(..., dask="parallelized")`` over private NumPy kernels).
"""

from __future__ import annotations

from .aggregate import (
    area_mean,
    area_weights,
    land_cover_regions,
    latitude_band_regions,
    regional_means,
    seasonal_means,
    zonal_mean,
)
from .collocation import covariance_matrix, error_cross_correlation, tc_all_triplets, tc_summary, triple_collocation
from .fusion import (
    FusionRegressor,
    ensemble_mean,
    leave_site_out,
    performance_weights,
    tc_fusion,
    tc_weights,
    weighted_ensemble,
)
from .metrics import (
    available_metrics,
    bias,
    compute_metrics,
    interannual_variability,
    kge,
    kge_components,
    mae,
    nse,
    pearson_r,
    phase_shift,
    r2,
    relative_bias,
    rmse,
    seasonal_cycle,
    taylor_statistics,
    trend,
    ubrmse,
)
from .regrid import align_time, common_mask, conservative_coarsen, regrid_to, stack_products
from .scores import SCORE_WEIGHTS, ilamb_scores, score_table
from .towers import closure_correct, extract_at_sites, match_towers

__all__ = [
    # metrics
    "available_metrics",
    "compute_metrics",
    "bias",
    "relative_bias",
    "rmse",
    "ubrmse",
    "mae",
    "pearson_r",
    "r2",
    "nse",
    "kge",
    "kge_components",
    "taylor_statistics",
    "trend",
    "seasonal_cycle",
    "phase_shift",
    "interannual_variability",
    # scores
    "ilamb_scores",
    "score_table",
    "SCORE_WEIGHTS",
    # errors without truth
    "covariance_matrix",
    "triple_collocation",
    "tc_all_triplets",
    "tc_summary",
    "error_cross_correlation",
    # fusion
    "ensemble_mean",
    "weighted_ensemble",
    "performance_weights",
    "tc_weights",
    "tc_fusion",
    "FusionRegressor",
    "leave_site_out",
    # grids, time steps, masks
    "regrid_to",
    "conservative_coarsen",
    "align_time",
    "stack_products",
    "common_mask",
    # aggregation
    "area_weights",
    "area_mean",
    "zonal_mean",
    "regional_means",
    "land_cover_regions",
    "latitude_band_regions",
    "seasonal_means",
    # towers
    "closure_correct",
    "extract_at_sites",
    "match_towers",
]

from .tables import skill_table  # noqa: E402  (several estimates against one reference, as a table)

__all__ += ["skill_table"]
