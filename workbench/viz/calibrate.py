"""Plots for the parameter-optimisation study; each returns a HoloViews object and displays nothing.

Keyword arguments go to the outer ``.opts``, overriding the defaults here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ._base import label
from .surrogates import _hv

__all__ = ["plot_convergence", "plot_recovery", "plot_loss_slice", "plot_posterior", "plot_pareto",
           "plot_site_losses", "plot_fit"]

_SIZE = dict(frame_width=380, frame_height=260)


def plot_convergence(results, *, target: float | None = None, **opts):
    """Best loss so far against model evaluations (log-log), one curve per optimiser.

    Parameters
    ----------
    results : list of CalibrationResult
    target : float, optional
        A horizontal line (e.g. differential evolution's final loss).
    """
    hv = _hv()
    curves = []
    for r in results:
        h = r.history[np.isfinite(r.history["best_loss"])]
        curves.append(hv.Curve(h, ("n_evaluations", "model evaluations"), ("best_loss", "best loss so far"),
                               label=r.method))
    if target is not None:
        curves.append(hv.HLine(target).opts(color="grey", line_dash="dashed"))
    return hv.Overlay(curves).opts(hv.opts.Curve(logx=True, logy=True, tools=["hover"], **_SIZE),
                                   hv.opts.Overlay(**{"title": "convergence", "legend_position": "right", **opts}))


def plot_recovery(table: pd.DataFrame, **opts):
    """Relative error of recovered parameters [%] by method and parameter (bars).

    ``table`` has columns ``method``, ``parameter`` and ``relative_error`` [1].
    """
    hv = _hv()
    frame = table.assign(relative_error_pct=100 * table["relative_error"].abs())
    bars = hv.Bars(frame, ["parameter", "method"], ("relative_error_pct", "|relative error| [%]"))
    return bars.opts(**{"title": "parameter recovery", "tools": ["hover"], "xrotation": 30, "frame_width": 520,
                        "frame_height": 260, "multi_level": False, **opts})


def plot_loss_slice(grid: xr.DataArray, *, truth: dict | None = None, best: dict | None = None, **opts):
    """The loss over two parameters (log colour), with the truth and the best fit marked."""
    hv = _hv()
    y, x = grid.dims
    img = hv.QuadMesh((grid[x].values, grid[y].values, np.log10(grid.values)),
                      kdims=[(x, label(grid[x]) or x), (y, label(grid[y]) or y)], vdims=["log10 loss"])
    layers = [img.opts(cmap="viridis_r", colorbar=True, tools=["hover"], **_SIZE)]
    if truth:
        layers.append(hv.Points([(truth[x], truth[y])], label="truth").opts(marker="x", size=14, color="red"))
    if best:
        layers.append(hv.Points([(best[x], best[y])], label="best fit").opts(marker="circle", size=10,
                                                                              color="white"))
    return hv.Overlay(layers).opts(**{"title": f"loss over {x} and {y}", **opts})


def plot_posterior(post: xr.Dataset, *, truth: dict | None = None, bounds: dict | None = None, **opts):
    """Pairwise scatter of a posterior sample (one panel per pair), the truth marked; axes span the prior."""
    hv = _hv()
    names = [str(p) for p in post["parameter"].values]
    panels = []
    for i in range(len(names)):
        for j in range(i + 1, len(names)):
            a, b = names[i], names[j]
            pts = hv.Points((post["samples"].sel(parameter=a).values, post["samples"].sel(parameter=b).values),
                            kdims=[a, b]).opts(alpha=0.3, size=3, frame_width=220, frame_height=200)
            if bounds:
                pts = pts.redim.range(**{a: bounds[a], b: bounds[b]})
            layer = pts
            if truth:
                layer = layer * hv.Points([(truth[a], truth[b])]).opts(marker="x", size=14, color="red")
            panels.append(layer)
    return hv.Layout(panels).opts(**{"title": "posterior (x: truth)", **opts}).cols(3)


def plot_pareto(table: pd.DataFrame, *, x: str = "loss_et", y: str = "loss_soil_water", pick=None,
                weight_et: float | None = None, **opts):
    """All parameter sets tried (grey) and the Pareto front (line), the chosen member highlighted.

    With ``weight_et``, the line of equal weighted objective through the chosen member is drawn too
    (losses scaled to [0, 1] over the front, as :func:`workbench.calibrate.choose_on_front` does): its
    slope is the trade-off the application accepts, and the chosen member is where it touches the front.
    """
    hv = _hv()
    front = table[table["pareto"]].sort_values(x)
    layers = [hv.Scatter(table, x, y, label="tried").opts(color="lightgrey", size=4),
              hv.Curve(front, x, y, label="Pareto front").opts(color="navy"),
              hv.Scatter(front, x, y).opts(color="navy", size=6)]
    if pick is not None:
        row = table.loc[pick]
        if weight_et is not None:
            layers.append(_iso_objective(front, row, x, y, weight_et).relabel("equal weighted objective"))
        layers.append(hv.Scatter([(row[x], row[y])], x, y, label="chosen").opts(color="orange", size=14,
                                                                                 marker="star"))
    return hv.Overlay(layers).opts(hv.opts.Scatter(tools=["hover"], **_SIZE),
                                   hv.opts.Overlay(**{"title": "ET vs soil-water objective", **opts}))


def _iso_objective(front, row, x, y, weight_et):
    """The line w * x_scaled + (1 - w) * y_scaled = value at ``row``, over the front's x range."""
    hv = _hv()
    x0, dx = front[x].min(), max(front[x].max() - front[x].min(), 1e-12)
    y0, dy = front[y].min(), max(front[y].max() - front[y].min(), 1e-12)
    level = weight_et * (row[x] - x0) / dx + (1 - weight_et) * (row[y] - y0) / dy
    if weight_et >= 1.0:  # only ET counts: a vertical line
        xs, ys = np.array([row[x], row[x]]), np.array([y0, y0 + dy])
    else:
        xs = np.linspace(x0, x0 + dx, 20)
        ys = y0 + dy * (level - weight_et * (xs - x0) / dx) / (1 - weight_et)
        keep = (ys >= y0 - 0.1 * dy) & (ys <= y0 + 1.1 * dy)
        xs, ys = xs[keep], ys[keep]
    return hv.Curve((xs, ys), x, y).opts(color="orange", line_dash="dashed")


def plot_site_losses(frame: pd.DataFrame, *, value: str = "rmse", **opts):
    """Bars of a loss per site, grouped by method (``frame``: columns site, method, ``value``)."""
    hv = _hv()
    return hv.Bars(frame, ["site", "method"], value).opts(
        **{"title": f"{value} per site", "tools": ["hover"], "xrotation": 30, "frame_width": 560,
           "frame_height": 260, "multi_level": False, **opts})


def plot_fit(obs: xr.DataArray, sims: dict, **opts):
    """Observed series (points) and simulated ones (curves) against time."""
    hv = _hv()
    t = pd.DatetimeIndex(obs["time"].values)
    layers = [hv.Scatter((t, obs.values), "time", (obs.name or "obs", label(obs)), label="observed").opts(
        color="black", size=3)]
    for name, da in sims.items():
        layers.append(hv.Curve((t, np.asarray(da.values)), "time", (obs.name or "obs", label(obs)), label=name))
    return hv.Overlay(layers).opts(hv.opts.Curve(tools=["hover"], frame_width=520, frame_height=220),
                                   hv.opts.Overlay(**{"title": "observed and simulated", "legend_position": "right",
                                                      **opts}))
