"""Surrogates study: PyTorch networks that replace a costly land-surface process and stay physical.

* :mod:`~workbench.surrogates.sampling`: Sobol and virtual-land training samples for the canopy model.
* :mod:`~workbench.surrogates.model`: :class:`SurrogateRegressor` (scikit-learn surface, stored
  normalisation, checked feature names/units, out-of-range flags, ``weights_only`` checkpoints).
* :mod:`~workbench.surrogates.constraints`: energy closure, non-negativity and monotonicity as
  loss penalties and as violation checks.
* :mod:`~workbench.surrogates.evaluate`: accuracy, violations, out-of-distribution decay and
  throughput against the physics in its best form, in one call.
* :mod:`~workbench.surrogates.emulator`: a year of daily canopy fluxes with a soil-water bucket,
  its emulator, and calibration against tower ET.

Importing this subpackage imports torch.
"""

from .constraints import MONOTONE, NONNEGATIVE, available_constraints, energy_residual, violations
from .emulator import (CLIMATE_FEATURES, EMULATOR_PARAMETERS, calibrate, calibration_profile, cell_climate, emulator_dataset,
                       emulator_features, emulator_targets, monthly_et, simulate_year, stack_cells,
                       tower_monthly_et)
from .evaluate import Evaluation, break_even, evaluate, ood_probe, regression_metrics, throughput, time_call
from .model import MLP, SurrogateRegressor, default_run_dir, to_matrix
from .sampling import PROCESS_RANGES, covering_ranges, land_samples, simulate_process, sobol_samples

__all__ = [
    "MONOTONE", "NONNEGATIVE", "available_constraints", "energy_residual", "violations",
    "CLIMATE_FEATURES", "EMULATOR_PARAMETERS", "calibrate", "calibration_profile", "cell_climate", "emulator_dataset",
    "emulator_features", "emulator_targets", "monthly_et", "simulate_year", "stack_cells", "tower_monthly_et",
    "Evaluation", "break_even", "evaluate", "ood_probe", "regression_metrics", "throughput", "time_call",
    "MLP", "SurrogateRegressor", "default_run_dir", "to_matrix",
    "PROCESS_RANGES", "covering_ranges", "land_samples", "simulate_process", "sobol_samples",
]
