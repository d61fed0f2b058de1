"""The static model (calibrated once on year 1) and the online bias corrector (river).

Every method returns a *trajectory*: a Dataset on (scenario, time) over
year 2 with the method's daily ET forecast ``et`` [mm d-1] (made before that
day's observation arrives) and its parameters ``params`` (scenario, time,
param), so :func:`~workbench.adaptive.evaluate.score` treats them alike.
"""

from __future__ import annotations

import time

import numpy as np
import xarray as xr
from scipy.stats import qmc
from tqdm.auto import tqdm

from ..surrogates.emulator import EMULATOR_PARAMETERS
from .model import FORCING, PARAM_NAMES, clip_parameters, run_fixed
from .scenarios import scenario_forcing

__all__ = ["calibrate_static", "run_static", "run_online", "OnlineBiasCorrector"]


def _year2(scen):
    """Forcing, observations, their error sd and the year-2 day indices of a scenario set."""
    for k in ("et_obs", "obs_sd"):
        if k not in scen:
            raise ValueError(f"scenarios are missing {k!r}; build them with make_scenarios()")
    units = scen["et_obs"].attrs.get("units")
    if units != "mm d-1":
        raise ValueError(f"et_obs must be in 'mm d-1'; got {units!r}")
    forcing = scenario_forcing(scen)
    obs = scen["et_obs"].transpose("scenario", "time").values.astype(float)
    sd = scen["obs_sd"].transpose("scenario", "time").values.astype(float)
    start = int(scen.attrs.get("calibration_days", 365))
    return forcing, obs, sd, np.arange(start, scen.sizes["time"])


def _trajectory(scen, days, et, params, *, name):
    out = xr.Dataset(coords={"scenario": scen["scenario"].values, "time": scen["time"].values[days],
                             "param": list(PARAM_NAMES), "kind": ("scenario", scen["kind"].values)})
    out["et"] = (("scenario", "time"), et, {"units": "mm d-1", "long_name": f"ET forecast ({name})"})
    out["params"] = (("scenario", "time", "param"), params, {"long_name": f"model parameters ({name})"})
    out.attrs["method"] = name
    return out


def _nan_rmse(sim, obs, axis=0):
    err = sim - obs
    return np.sqrt(np.nanmean(err * err, axis=axis))


def calibrate_static(scen: xr.Dataset, *, n_candidates: int = 64, rounds: int = 2, seed: int = 0,
                     progress: bool = False) -> dict:
    """Calibrate (vcmax25, g1, whc) once per scenario on year 1 against the tower ET.

    A scrambled Sobol search over the emulator's ranges
    (:data:`workbench.surrogates.EMULATOR_PARAMETERS`), every candidate of every
    scenario in one batch, then ``rounds - 1`` refinements in a box of
    +-20 % (then +-10 %, ...) around the best set.

    Returns
    -------
    dict
        ``params`` (scenario, 3), ``store`` (scenario,) soil water at the end of
        year 1 [mm], ``rmse`` (scenario,) [mm d-1] against the observations, ``wall_s``.
    """
    t0 = time.perf_counter()
    forcing = scenario_forcing(scen)
    obs = scen["et_obs"].transpose("scenario", "time").values.astype(float)
    n_days = int(scen.attrs.get("calibration_days", 365))
    b = obs.shape[0]
    lo = np.log([EMULATOR_PARAMETERS[k][0] for k in PARAM_NAMES])
    hi = np.log([EMULATOR_PARAMETERS[k][1] for k in PARAM_NAMES])
    u = qmc.Sobol(d=len(PARAM_NAMES), scramble=True, seed=seed).random(n_candidates)
    cand = np.exp(lo + u * (hi - lo))[None].repeat(b, 0)  # (scenario, k, 3)
    best, best_store, best_rmse = None, None, None
    bar = tqdm(total=rounds * n_days, desc="calibrate", disable=not progress, leave=False)
    for r in range(rounds):
        if best is not None:
            width = 0.2 / 2**(r - 1)
            cand = best[:, None, :] * np.exp(width * (2 * u - 1))[None]
            cand[:, 0] = best  # keep the best so far
        cand, _ = clip_parameters(cand)
        store0 = 0.7 * cand[..., 2]
        et, store = run_fixed(forcing, cand, store0, start=0, stop=n_days, progress=bar.update)
        rmse = _nan_rmse(et, obs[:, :n_days].T[:, :, None], axis=0)  # (scenario, k)
        k = np.argmin(rmse, axis=1)
        best = cand[np.arange(b), k]
        best_store, best_rmse = store[np.arange(b), k], rmse[np.arange(b), k]
    bar.close()
    return {"params": best, "store": best_store, "rmse": best_rmse, "wall_s": time.perf_counter() - t0}


def run_static(scen: xr.Dataset, calibration: dict, *, progress: bool = False) -> xr.Dataset:
    """Year 2 with the year-1 parameters held fixed: the model that never adapts."""
    t0 = time.perf_counter()
    forcing, _, _, days = _year2(scen)
    with tqdm(total=days.size, desc="static", disable=not progress, leave=False) as bar:
        et, _ = run_fixed(forcing, calibration["params"], calibration["store"], start=int(days[0]),
                          progress=bar.update)
    params = np.broadcast_to(calibration["params"][:, None, :], (et.shape[1], days.size, 3))
    out = _trajectory(scen, days, et.T, np.array(params), name="static")
    wall = time.perf_counter() - t0
    out.attrs.update(wall_s=wall, step_ms=1e3 * wall / days.size)
    return out


class OnlineBiasCorrector:
    """An incrementally learned correction of a model's ET: ``et_model + f(x)``, f learned one day at a time.

    ``f`` is a river linear regression learned by SGD on the model ET and the
    day's forcing (scaled to order one), fitted to the residual
    ``obs - et_model`` with ``learn_one`` as each observation arrives; days
    without an observation are skipped. The parameters of the model are not
    touched: this adapts the *output*.

    Parameters
    ----------
    lr : float, default 0.005
        SGD learning rate of the weights.
    intercept_lr : float, default 0.02
        Learning rate of the intercept (the plain bias).

    Examples
    --------
    >>> c = OnlineBiasCorrector()
    >>> for _ in range(500):
    ...     c = c.learn_one({"et_model": 2.0, "rs": 0.6}, 2.0, 2.5)
    >>> round(c.predict_one({"et_model": 2.0, "rs": 0.6}, 2.0), 2)
    2.5
    """

    def __init__(self, lr: float = 0.005, intercept_lr: float = 0.02):
        from river import linear_model, optim

        self.model_ = linear_model.LinearRegression(optimizer=optim.SGD(lr), intercept_lr=intercept_lr)
        self.n_learned_ = 0

    def predict_one(self, x: dict, et_model: float) -> float:
        """Corrected ET [mm d-1] for one day (never negative)."""
        return max(et_model + float(self.model_.predict_one(x)), 0.0)

    def learn_one(self, x: dict, et_model: float, obs: float) -> "OnlineBiasCorrector":
        """Learn from one observed day (``obs`` [mm d-1]); NaN observations are refused."""
        if not np.isfinite(obs):
            raise ValueError("learn_one needs a finite observation; skip the gaps")
        self.model_.learn_one(x, obs - et_model)
        self.n_learned_ += 1
        return self


def run_online(scen: xr.Dataset, static: xr.Dataset, *, progress: bool = False, **kwargs) -> xr.Dataset:
    """The static model with an :class:`OnlineBiasCorrector` per scenario, learning through year 2."""
    t0 = time.perf_counter()
    forcing, obs, _, days = _year2(scen)
    et_static = static["et"].transpose("scenario", "time").values
    b = et_static.shape[0]
    out = np.empty_like(et_static)
    scale = {"rs": 300.0, "vpd": 1.0, "lai": 5.0}  # features of order one for SGD
    for i in tqdm(range(b), desc="online", disable=not progress, leave=False):
        c = OnlineBiasCorrector(**kwargs)
        for j, t in enumerate(days):
            x = {"et_model": et_static[i, j], **{k: forcing[k][i, t] / v for k, v in scale.items()}}
            out[i, j] = c.predict_one(x, et_static[i, j])
            if np.isfinite(obs[i, t]):
                c.learn_one(x, et_static[i, j], obs[i, t])
    res = _trajectory(scen, days, out, static["params"].values, name="online")
    wall = time.perf_counter() - t0 + static.attrs.get("wall_s", 0.0)
    res.attrs.update(wall_s=wall, step_ms=1e3 * wall / days.size)
    return res
