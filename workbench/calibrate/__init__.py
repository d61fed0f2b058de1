"""Parameter optimisation: calibrate the canopy + bucket model per site, by gradient, or with dPL across sites.

* :mod:`.model`: the model in NumPy (:func:`run_model`) and differentiable PyTorch (:func:`simulate_torch`),
  its parameters and their bounds.
* :mod:`.objectives`: RMSE and 1 - KGE losses, the Pareto front.
* :mod:`.problem`: :class:`CalibrationProblem`, the one budget account (model evaluations, wall time) of
  every optimiser, with the best parameters kept on disk.
* :mod:`.search`: differential evolution (SciPy), CMA-ES / TPE / GP-BO (Optuna), SCE-UA (SPOTPY),
  L-BFGS / Adam through the torch model, NSGA-II for Pareto fronts, and :func:`calibrate_sites` over sites with dask.
* :mod:`.identify`: posterior samples (emcee) and loss slices.
* :mod:`.dpl`: differentiable parameter learning across sites (Tsai et al. 2021).
* :mod:`.sites`: twin towers with known parameters, virtual towers, FLUXNET sites, site attributes.
"""

from .dpl import DPLModel, leave_site_out
from .identify import loss_slice, posterior_summary, sample_posterior
from .model import DEFAULTS, OUTPUTS, PARAMETERS, check_bounds, forcing_tensors, run_model, simulate_torch
from .objectives import APPLICATIONS, OBJECTIVES, choose_on_front, loss, pareto_front, torch_loss
from .problem import CalibrationProblem, CalibrationResult, default_run_dir
from .search import (METHODS, calibrate_sites, differential_evolution, gradient_descent, optuna_search,
                     gradient_sites, pareto_search, results_table, sce_ua, search)
from .study import at_bound_report, compare_methods, evaluations_to_match, recovery_table, site_scores
from .sites import TWIN_PARAMETERS, climatological_lai, fluxnet_sites, site_attributes, tower_sites, twin_sites

__all__ = ["PARAMETERS", "DEFAULTS", "OUTPUTS", "check_bounds", "run_model", "forcing_tensors", "simulate_torch",
           "OBJECTIVES", "APPLICATIONS", "choose_on_front", "loss", "torch_loss", "pareto_front", "CalibrationProblem", "CalibrationResult",
           "default_run_dir", "METHODS", "search", "differential_evolution", "optuna_search", "sce_ua",
           "gradient_descent", "gradient_sites", "pareto_search", "calibrate_sites", "results_table", "sample_posterior",
           "posterior_summary", "loss_slice", "DPLModel", "leave_site_out", "TWIN_PARAMETERS", "twin_sites",
           "tower_sites", "fluxnet_sites", "site_attributes", "climatological_lai", "compare_methods",
           "evaluations_to_match", "recovery_table", "site_scores", "at_bound_report"]
