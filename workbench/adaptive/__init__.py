"""Adaptive modelling study: a land model that keeps learning while it runs.

* :mod:`~workbench.adaptive.model`: the canopy + soil-water bucket model stepped one day at a
  time with explicit state, for batches of points.
* :mod:`~workbench.adaptive.scenarios`: worlds with known regime shifts (drought, land-cover change,
  greening, sensor drift), deterministic from a seed.
* :mod:`~workbench.adaptive.methods`: the static model (calibrated on year 1) and an online bias
  corrector (river).
* :mod:`~workbench.adaptive.enkf`: a batched ensemble Kalman filter with joint state-parameter
  estimation (Evensen 2003), optionally bias-aware, optionally with an
  innovation change detector (CUSUM) that re-inflates the parameter ensemble.
* :mod:`~workbench.adaptive.env`: the running model as a Gymnasium environment (and a batched
  Stable-Baselines3 VecEnv).
* :mod:`~workbench.adaptive.rl`: PPO training, ``weights_only`` policy files, running a policy.
* :mod:`~workbench.adaptive.evaluate`: RMSE before/after the shift, recovery time, false adaptation,
  parameter error, cost.

Importing this subpackage imports torch (through the surrogates' bucket model).
"""

from .enkf import CHANGE_DETECTOR, enkf_update, run_enkf
from .evaluate import recovery_days, running_rmse, score, summary
from .env import OBSERVATION_NAMES, AdaptiveModelEnv, ModelBatch, batched_vec_env
from .methods import OnlineBiasCorrector, calibrate_static, run_online, run_static
from .model import FORCING, PARAM_NAMES, PARAMETERS, clip_parameters, run_fixed, step_day
from .rl import PRETRAINED_POLICY, default_run_dir, load_policy, run_policy, save_policy, train_policy
from .scenarios import KINDS, make_scenarios, scenario_forcing

__all__ = [
    "CHANGE_DETECTOR", "enkf_update", "run_enkf",
    "recovery_days", "running_rmse", "score", "summary",
    "OBSERVATION_NAMES", "AdaptiveModelEnv", "ModelBatch", "batched_vec_env",
    "OnlineBiasCorrector", "calibrate_static", "run_online", "run_static",
    "FORCING", "PARAM_NAMES", "PARAMETERS", "clip_parameters", "run_fixed", "step_day",
    "PRETRAINED_POLICY", "default_run_dir", "load_policy", "run_policy", "save_policy", "train_policy",
    "KINDS", "make_scenarios", "scenario_forcing",
]
