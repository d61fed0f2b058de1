"""Plots of the explainable-diagnostics study: importances, dependence, effects, hit tables and driver maps."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ._base import label, plot_map
from .surrogates import _hv

__all__ = ["plot_importance", "plot_dependence", "plot_effects", "plot_hits", "plot_dominant_map", "plot_regimes"]

_SIZE = dict(frame_width=360, frame_height=240)


def plot_importance(scores: xr.DataArray, *, title: str | None = None, **opts):
    """Horizontal bars of the global importance of each driver (mean |attribution| or an importance)."""
    hv = _hv()
    if "sample" in scores.dims:
        scores = abs(scores).mean("sample").assign_attrs(scores.attrs)
    frame = pd.DataFrame({"driver": scores["driver"].values, "importance": scores.values}).sort_values("importance")
    units = scores.attrs.get("units", "")
    method = scores.attrs.get("method", "attribution")
    ylabel = f"mean |{method}| [{units}]" if "sample" not in scores.dims else method
    bars = hv.Bars(frame, "driver", "importance")
    return bars.opts(invert_axes=True, title=title or method, ylabel=ylabel, color="#4c78a8", **(_SIZE | opts))


def plot_dependence(attributions: xr.DataArray, table: xr.Dataset, driver: str, *, color: str | None = None,
                    max_points: int = 3000, **opts):
    """SHAP dependence plot: the attribution of ``driver`` against its value (coloured by another driver)."""
    hv = _hv()
    sub = table.sel(sample=attributions["sample"].values)
    frame = pd.DataFrame({driver: sub[driver].values, "attribution": attributions.sel(driver=driver).values})
    vdims = ["attribution"]
    if color:
        frame[color] = sub[color].values
        vdims.append(color)
    frame = frame.iloc[: max_points]
    pts = hv.Points(frame, [driver, "attribution"], vdims[1:])
    style = dict(color=color, cmap="viridis", colorbar=True) if color else dict(color="#4c78a8")
    return pts.opts(xlabel=label(sub[driver]), ylabel=f"{attributions.attrs.get('method', '')} of {driver} "
                    f"[{attributions.attrs.get('units', '')}]", size=3, alpha=0.5, title=f"dependence on {driver}",
                    tools=["hover"], **style, **(_SIZE | opts))


def plot_effects(curves: dict, **opts):
    """Effect curves of one driver (e.g. ``{"partial dependence": pd, "ALE": ale}``), overlaid; each centred."""
    hv = _hv()
    items = []
    for name, da in curves.items():
        dim = da.dims[0]
        y = np.asarray(da.values, float)
        items.append(hv.Curve((da[dim].values, y - y.mean()), dim, "effect", label=name))
    first = next(iter(curves.values()))
    return hv.Overlay(items).opts(xlabel=first.dims[0], ylabel=f"centred effect [{first.attrs.get('units', '')}]",
                                  legend_position="top_left", title=f"effect of {first.dims[0]}", **(_SIZE | opts))


def plot_hits(results: pd.DataFrame, **opts):
    """Heat map of the planted-cause study: share of seeds in which each explainer ranked the planted driver(s) first."""
    hv = _hv()
    table = results.groupby(["mechanism", "explainer"], sort=False)["hit"].mean().reset_index()
    heat = hv.HeatMap(table, ["explainer", "mechanism"], "hit")
    return heat.opts(cmap="RdYlGn", clim=(0, 1), colorbar=True, tools=["hover"], title="planted cause ranked first",
                     frame_width=260, frame_height=360, xrotation=30, **opts)


def plot_dominant_map(dominant: xr.Dataset, **opts):
    """Map of the dominant error driver per cell (classes named after the drivers)."""
    return plot_map(dominant["dominant"], **({"title": "dominant error driver (held-out cells)"} | opts))


def plot_regimes(frame: pd.DataFrame, metric: str = "bias", **opts):
    """Bars of an error statistic by regime (output of :func:`workbench.explain.errors_by_regime`)."""
    hv = _hv()
    regime = frame.index.name or "regime"
    data = frame.reset_index()
    units = frame.attrs.get("units", "")
    return hv.Bars(data, regime, metric).opts(ylabel=f"{metric} [{units}]", title=f"{metric} by {regime}",
                                              color="#e45756", tools=["hover"], **(_SIZE | opts))
