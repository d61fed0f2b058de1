"""Plots for the adaptive-modelling study; each returns a HoloViews object and displays nothing.

Keyword arguments are passed on to ``.opts`` of the returned object, overriding the defaults here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .surrogates import _hv

__all__ = ["plot_scenarios", "plot_run", "plot_scores", "plot_training_curve", "plot_false_adaptation"]

_SIZE = dict(frame_width=420, frame_height=220)
_COLORS = {"static": "#7f7f7f", "online": "#9467bd", "enkf": "#1f77b4", "enkf_bias": "#17becf", "enkf_detect": "#2ca02c",
           "rl": "#d62728",
           "truth": "black", "obs": "#bbbbbb"}


def _shift_line(hv, scen, i):
    return hv.VLine(pd.Timestamp(scen["time"].values[int(scen["shift_day"].values[i])])).opts(
        color="orange", line_dash="dashed", line_width=2)


def plot_scenarios(scen: xr.Dataset, scenarios=None, **opts):
    """True and observed ET of a few scenarios over both years, the shift day marked."""
    hv = _hv()
    idx = list(range(min(4, scen.sizes["scenario"]))) if scenarios is None else list(scenarios)
    panels = []
    for i in idx:
        s = scen.isel(scenario=i)
        t = pd.DatetimeIndex(s["time"].values)
        obs = hv.Scatter((t, s["et_obs"].values), "time", ("et", "ET (mm d-1)"), label="tower").opts(
            color=_COLORS["obs"], size=2)
        true = hv.Curve((t, s["et_true"].values), "time", ("et", "ET (mm d-1)"), label="truth").opts(
            color=_COLORS["truth"], line_width=1)
        panels.append((obs * true * _shift_line(hv, scen, i)).opts(title=f"{i}: {str(s['kind'].values)}", **_SIZE))
    return hv.Layout(panels).cols(2).opts(**opts)


def plot_run(scen: xr.Dataset, trajectories: dict, scenario: int = 0, *, upto: int | None = None, **opts):
    """One scenario played forward: ET forecasts against tower and truth, the running error, the parameters.

    Parameters
    ----------
    scen : xarray.Dataset
    trajectories : dict
        ``{scheme: trajectory}`` (year 2).
    scenario : int
    upto : int, optional
        Show year 2 up to this day (for playing the year forward).
    """
    hv = _hv()
    from ..adaptive.evaluate import running_rmse

    first = next(iter(trajectories.values()))
    n = first.sizes["time"] if upto is None else max(int(upto), 2)
    times = pd.DatetimeIndex(first["time"].values[:n])
    s = scen.isel(scenario=scenario).sel(time=times)
    et_curves = [hv.Scatter((times, s["et_obs"].values), "time", ("et", "ET (mm d-1)"), label="tower").opts(
        color=_COLORS["obs"], size=3),
        hv.Curve((times, s["et_true"].values), "time", ("et", "ET (mm d-1)"), label="truth").opts(
        color=_COLORS["truth"], line_width=1)]
    err_curves, par_curves = [], {p: [] for p in first["param"].values}
    for name, tr in trajectories.items():
        et = tr["et"].isel(scenario=scenario, time=slice(0, n))
        color = _COLORS.get(name, None)
        et_curves.append(hv.Curve((times, et.values), "time", ("et", "ET (mm d-1)"), label=name).opts(color=color))
        rr = running_rmse(et, s["et_true"].assign_coords(time=et["time"]))
        err_curves.append(hv.Curve((times, rr.values), "time", ("rmse", "14-day RMSE vs truth (mm d-1)"),
                                   label=name).opts(color=color))
        for p in par_curves:
            par_curves[p].append(hv.Curve((times, tr["params"].isel(scenario=scenario, time=slice(0, n))
                                           .sel(param=p).values), "time", (p, p), label=name).opts(color=color))
    for p in par_curves:
        par_curves[p].append(hv.Curve((times, s["params_true"].sel(param=p).values), "time", (p, p),
                                      label="truth").opts(color="black", line_dash="dotted"))
    shift_in_view = int(s.shift_day) - int(scen.attrs.get("calibration_days", 365)) < n
    mark = [_shift_line(hv, scen, scenario)] if shift_in_view else []
    kind = str(scen["kind"].values[scenario])
    panels = [hv.Overlay(et_curves + mark).opts(title=f"scenario {scenario} ({kind}): ET", legend_position="right",
                                                **_SIZE),
              hv.Overlay(err_curves + mark).opts(title="running error", show_legend=False, **_SIZE)]
    panels += [hv.Overlay(c + mark).opts(title=f"parameter {p}", show_legend=False, frame_width=260,
                                         frame_height=160) for p, c in par_curves.items()]
    return hv.Layout(panels).cols(2).opts(shared_axes=False, **opts)


def plot_scores(scores: xr.Dataset, variable: str = "rmse_post", **opts):
    """Mean of a score per scheme and scenario kind, as grouped bars."""
    hv = _hv()
    frame = scores[variable].to_dataframe().reset_index().groupby(["kind", "scheme"], as_index=False)[variable].mean()
    attrs = scores[variable].attrs
    ylabel = f"{attrs.get('long_name', variable)} ({attrs.get('units', '')})"
    return hv.Bars(frame, ["kind", "scheme"], (variable, ylabel)).opts(
        **{"frame_width": 560, "frame_height": 260, "xrotation": 30, "tools": ["hover"],
           "title": attrs.get("long_name", variable), **opts})


def plot_false_adaptation(scen: xr.Dataset, trajectories: dict, scenario: int, **opts):
    """Sensor-drift scenario: each scheme's ET minus the truth against the drift's ET offset."""
    hv = _hv()
    from ..physics import le_to_et

    first = next(iter(trajectories.values()))
    t = pd.DatetimeIndex(first["time"].values)
    s = scen.isel(scenario=scenario).sel(time=t)
    drift = np.asarray(le_to_et(s["sensor_offset"], s["tmean"]))
    curves = [hv.Curve((t, drift), "time", ("d", "ET offset (mm d-1)"), label="sensor drift").opts(
        color="orange", line_width=3)]
    for name, tr in trajectories.items():
        bias = (tr["et"].isel(scenario=scenario) - s["et_true"].values).rolling(time=28, min_periods=7).mean()
        curves.append(hv.Curve((t, bias.values), "time", ("d", "ET offset (mm d-1)"), label=name).opts(
            color=_COLORS.get(name)))
    return hv.Overlay(curves).opts(title="what each scheme learned from the drift (28-day mean of ET - truth)",
                                   legend_position="right", **{**_SIZE, "frame_width": 520}, **opts)


def plot_training_curve(history, **opts):
    """PPO mean episode return against timesteps (``train_policy`` info ``history``)."""
    hv = _hv()
    frame = pd.DataFrame(list(history), columns=["timesteps", "mean_return"])
    return hv.Curve(frame, "timesteps", ("mean_return", "mean return (RMSE gain over static, summed)")).opts(
        **{**_SIZE, "title": "PPO training", "tools": ["hover"], **opts})
