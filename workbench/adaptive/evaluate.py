"""Scores of adaptation methods on scenarios with known truth.

For every (scheme, scenario): RMSE of the ET forecast against the *true* ET
before and after the shift (with :func:`workbench.intercompare.compute_metrics`),
days to recover pre-shift skill, false adaptation to a drifting sensor, the
parameter error against the true trajectory, and the compute cost.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ..intercompare import compute_metrics
from ..physics import le_to_et

__all__ = ["score", "summary", "recovery_days", "running_rmse"]

_REAL_CHANGE = ("drought", "land_cover", "greening")


def running_rmse(sim: xr.DataArray, obs: xr.DataArray, window: int = 14) -> xr.DataArray:
    """RMSE over a trailing ``window`` of days [units of obs], NaN-aware (at least half the window present)."""
    sq = ((sim - obs) ** 2).rolling(time=window, min_periods=window // 2).mean()
    return np.sqrt(sq).assign_attrs(units=obs.attrs.get("units", ""), long_name=f"{window}-day running RMSE")


def recovery_days(err: np.ndarray, truth: np.ndarray, shift: int, *, window: int = 14, factor: float = 1.5,
                  floor: float = 0.1, hold: int = 28, pre: int = 60, reference: np.ndarray | None = None) -> float:
    """Days after ``shift`` until the relative error is back to pre-shift skill and stays there.

    Skill is the ``window``-day RMSE divided by the window's mean true ET
    (``+ 0.1 mm d-1``), so that the seasonal rise of ET is not read as a loss
    of skill. Pre-shift skill is that ratio over the ``pre`` days before the
    shift; the model has recovered on the first day from which the windows
    stay within ``max(factor * pre-shift skill, floor)`` for ``hold`` days.
    NaN when it never recovers.

    Parameters
    ----------
    err : numpy.ndarray
        Daily error against the truth (time,) [mm d-1].
    truth : numpy.ndarray
        True ET (time,) [mm d-1].
    shift : int
        Index of the shift in ``err``.

    Examples
    --------
    >>> truth = np.full(170, 2.0)
    >>> err = np.r_[np.full(50, 0.05), np.full(20, 1.0), np.full(100, 0.05)]
    >>> recovery_days(err, truth, 50, window=7)
    20.0
    """
    kernel = np.ones(window) / window
    denom = np.convolve(truth, kernel, mode="valid") + 0.1
    rel = np.sqrt(np.convolve(err**2, kernel, mode="valid")) / denom
    ref = rel if reference is None else np.sqrt(np.convolve(np.asarray(reference)**2, kernel, mode="valid")) / denom
    lo = max(shift - pre, 0)
    before = ref[lo:max(shift - window + 1, lo + 1)]
    threshold = max(factor * float(np.mean(before)), floor)
    ok = rel[shift:] <= threshold
    for d in range(ok.size - hold + 1):
        if ok[d:d + hold].all():
            return float(d)
    return float("nan")


def score(scen: xr.Dataset, trajectories: dict) -> xr.Dataset:
    """Score trajectories (``{method: Dataset}`` from the run functions) on the scenarios' truth.

    Returns
    -------
    xarray.Dataset
        On (scheme, scenario): ``rmse_pre`` and ``rmse_post`` [mm d-1] (year-2
        days before / from the shift), ``recovery_days`` [d], ``false_adaptation``
        [1] (sensor-drift scenarios only: the share of the drift's ET offset
        that the forecast took on, ``mean(et - et_true) / mean(drift)``),
        ``param_error`` [1] (RMSE of log(params / true params) after the
        shift), ``step_ms`` [ms] per simulated day for all scenarios; coords ``kind``.
    """
    names = list(trajectories)
    if not names:
        raise ValueError("trajectories is empty; pass {'method': trajectory, ...}")
    first = trajectories[names[0]]
    truth = scen["et_true"].sel(time=first["time"])
    days = np.arange(truth.sizes["time"])
    shift = scen["shift_day"].values - int(scen.attrs.get("calibration_days", 365))
    after = xr.DataArray(days[None, :] >= shift[:, None], dims=("scenario", "time"),
                         coords={"scenario": truth["scenario"], "time": truth["time"]})
    before = ~after
    drift = le_to_et(scen["sensor_offset"].sel(time=first["time"]), scen["tmean"].sel(time=first["time"]))
    rows = []
    for name in names:
        tr = trajectories[name]
        if tr.sizes.get("scenario") != truth.sizes["scenario"] or tr.sizes.get("time") != truth.sizes["time"]:
            raise ValueError(f"trajectory {name!r} covers {dict(tr.sizes)}; the scenarios' year 2 is "
                             f"{dict(truth.sizes)}")
        et = tr["et"].transpose("scenario", "time")
        pre = compute_metrics(truth.where(before), et, metrics=["rmse"], dim="time", skipna=True)["rmse"]
        post = compute_metrics(truth.where(after), et, metrics=["rmse"], dim="time", skipna=True)["rmse"]
        err = (et - truth).values
        tv = truth.values
        rec = [recovery_days(err[i], tv[i], int(shift[i])) for i in range(err.shape[0])]
        bias = (et - truth).where(after).mean("time")
        fa = (bias / drift.where(after).mean("time")).where(scen["kind"] == "sensor_drift")
        ptrue = scen["params_true"].sel(time=first["time"]).transpose("scenario", "time", "param")
        logerr = np.log(tr["params"].transpose("scenario", "time", "param").values / ptrue.values)
        perr = np.sqrt(np.nanmean(np.where(after.values[..., None], logerr**2, np.nan), axis=(1, 2)))
        rows.append(xr.Dataset({
            "rmse_pre": pre.assign_attrs(units="mm d-1", long_name="RMSE of ET before the shift"),
            "rmse_post": post.assign_attrs(units="mm d-1", long_name="RMSE of ET after the shift"),
            "recovery_days": (("scenario",), np.array(rec), {"units": "d",
                                                             "long_name": "days to recover pre-shift skill"}),
            "false_adaptation": fa.assign_attrs(units="1", long_name="share of the sensor drift learned"),
            "param_error": (("scenario",), perr, {"units": "1", "long_name": "RMSE of log parameters after shift"}),
            "step_ms": ((), float(tr.attrs.get("step_ms", np.nan)), {"units": "ms",
                                                                     "long_name": "cost per simulated day"}),
        }, coords={"scenario": truth["scenario"].values}))
    out = xr.concat(rows, dim=pd.Index(names, name="scheme"))
    return out.assign_coords(kind=("scenario", scen["kind"].values))


def summary(scores: xr.Dataset) -> pd.DataFrame:
    """Scheme (method) x scenario-kind table: mean RMSE before/after, median recovery days, false adaptation."""
    frame = scores.drop_vars("step_ms").to_dataframe().reset_index()
    table = frame.groupby(["scheme", "kind"]).agg(
        rmse_pre=("rmse_pre", "mean"), rmse_post=("rmse_post", "mean"),
        recovery_days=("recovery_days", "median"), recovered=("recovery_days", lambda s: s.notna().mean()),
        false_adaptation=("false_adaptation", "mean"), param_error=("param_error", "mean"))
    return table.round(3)
