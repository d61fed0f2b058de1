"""Plots for the data quality control study: flagged series, precision-recall, per-type F1, explanations, gap-filling.

Each function returns a HoloViews object (it does not display it); keyword
arguments are passed on to hvplot/HoloViews, overriding the defaults here.
The numbers come from :mod:`workbench.qc`; nothing is computed here beyond
reshaping for display.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ._base import _hvplot, label

__all__ = ["TYPE_COLOURS", "plot_flagged_series", "plot_pr_curve", "plot_type_table", "plot_gapfill_rmse", "plot_agreement"]

#: One colour per planted anomaly type (and per test when flags are coloured by the test that fired).
TYPE_COLOURS = {
    "spike": "#d62728", "level_shift": "#ff7f0e", "drift": "#bcbd22", "stuck": "#9467bd", "sign_flip": "#e377c2",
    "scale_error": "#8c564b", "time_shift": "#17becf", "eb_break": "#2ca02c", "night_le": "#1f77b4",
    "range": "#8c564b", "persistence": "#9467bd", "rate_of_change": "#ff7f0e", "mad_spike": "#d62728",
    "energy_balance": "#2ca02c", "ecod": "#7f7f7f", "iforest": "#393b79", "model": "#bcbd22", "flagged": "#d62728",
}


def plot_flagged_series(series: xr.DataArray, kinds: xr.DataArray | None = None, *, title: str = "", **hv_kwargs):
    """A series with its flagged steps as points coloured by kind (planted type or the test that fired).

    Parameters
    ----------
    series : xarray.DataArray
        One site's series along ``time``.
    kinds : xarray.DataArray of str, optional
        Along ``time``: the kind of each flagged step, ``""`` where not flagged.
    title : str
    **hv_kwargs
        Passed to the line plot.
    """
    _hvplot()
    import holoviews as hv

    options = {"x": "time", "ylabel": label(series), "frame_width": 680, "frame_height": 220, "color": "#4d4d4d", "line_width": 1, "title": title}
    options.update(hv_kwargs)
    line = series.rename(series.name or "value").hvplot.line(**options)
    if kinds is None:
        return line
    frame = pd.DataFrame({"time": series["time"].values, "value": np.asarray(series.values, float), "kind": np.asarray(kinds.values, dtype=str)})
    frame = frame[frame["kind"] != ""]
    if frame.empty:
        return line * hv.Scatter([], "time", "value")
    present = [k for k in TYPE_COLOURS if k in set(frame["kind"])] + sorted(set(frame["kind"]) - set(TYPE_COLOURS))
    points = frame.hvplot.scatter(x="time", y="value", by="kind", color=[TYPE_COLOURS.get(k, "#000000") for k in present], size=12, legend="top_left")
    return line * points


def plot_pr_curve(curve: pd.DataFrame, *, current: tuple[float, float] | None = None, title: str = "precision-recall", **hv_kwargs):
    """Precision against recall over thresholds, with the current threshold's point.

    Parameters
    ----------
    curve : pandas.DataFrame
        Output of :func:`workbench.qc.precision_recall_curve`.
    current : (recall, precision), optional
        The point of the threshold in use.
    """
    import holoviews as hv

    data = curve.dropna(subset=["precision", "recall"]).sort_values("recall")
    options = {"xlabel": "recall", "ylabel": "precision", "xlim": (0, 1.02), "ylim": (0, 1.02), "frame_width": 260, "frame_height": 260, "title": title, "color": "#1f77b4"}
    options.update(hv_kwargs)
    plot = hv.Curve(data, "recall", "precision").opts(**options)
    if current is not None and all(np.isfinite(current)):
        plot = plot * hv.Scatter([current], "recall", "precision").opts(color="#d62728", size=10)
    return plot


def plot_type_table(table: pd.DataFrame, *, title: str = "", cmap: str = "viridis", clim=(0, 1), **hv_kwargs):
    """A heat map of a (rows x columns) table of shares or scores in [0, 1], e.g. F1 per type and detector set.

    Parameters
    ----------
    table : pandas.DataFrame
        Rows (e.g. anomaly types) by columns (e.g. detector sets); numeric.
    """
    import holoviews as hv

    long = table.reset_index().melt(id_vars=table.index.name or "index", var_name="column", value_name="value")
    long = long.rename(columns={table.index.name or "index": "row"})
    long["value"] = long["value"].astype(float)
    options = {"cmap": cmap, "clim": clim, "colorbar": True, "frame_width": 60 * max(3, len(table.columns)), "frame_height": 24 * max(4, len(table)),
               "xrotation": 45, "tools": ["hover"], "title": title, "invert_yaxis": True, "xlabel": "", "ylabel": ""}
    options.update(hv_kwargs)
    heat = hv.HeatMap(long, ["column", "row"], "value").opts(**options)
    labels = hv.Labels(long.assign(text=long["value"].map(lambda v: "" if not np.isfinite(v) else f"{v:.2f}")), ["column", "row"], "text").opts(text_font_size="8pt", text_color="white")
    return heat * labels


def plot_gapfill_rmse(table: pd.DataFrame, *, units: str = "W m-2", **hv_kwargs):
    """RMSE of MDS and of the learned filler against the gap length.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`workbench.qc.score_gapfill`.
    """
    import holoviews as hv

    frame = table.reset_index()
    options = {"xlabel": "gap length [days]", "ylabel": f"RMSE [{units}]", "frame_width": 360, "frame_height": 240, "title": "gap-filling error", "logx": True}
    options.update(hv_kwargs)
    mds = hv.Curve(frame, "gap_days", "rmse_mds", label="MDS (Reichstein et al. 2005)").opts(color="#ff7f0e")
    learned = hv.Curve(frame, "gap_days", "rmse_learned", label="learned (gradient boosting)").opts(color="#1f77b4")
    dots = hv.Scatter(frame, "gap_days", "rmse_mds").opts(color="#ff7f0e", size=6) * hv.Scatter(frame, "gap_days", "rmse_learned").opts(color="#1f77b4", size=6)
    return (mds * learned * dots).opts(hv.opts.Overlay(legend_position="top_left", **options))


def plot_agreement(frame: pd.DataFrame, **hv_kwargs):
    """Per site: the share of steps we flag where ONEFlux marks the data poor, and where it marks them good.

    Parameters
    ----------
    frame : pandas.DataFrame
        Index site; columns ``flagged_if_poor`` and ``flagged_if_good`` (from
        :func:`workbench.qc.oneflux_agreement`).
    """
    _hvplot()
    long = frame[["flagged_if_poor", "flagged_if_good"]].rename(columns={"flagged_if_poor": "ONEFlux poor", "flagged_if_good": "ONEFlux good"})
    long = long.reset_index().melt(id_vars=long.index.name or "index", var_name="ONEFlux QC", value_name="share flagged")
    options = {"x": long.columns[0], "y": "share flagged", "by": "ONEFlux QC", "ylim": (0, 1), "frame_width": 420, "frame_height": 220, "rot": 0,
               "title": "our flags against the ONEFlux quality flags", "ylabel": "share of steps we flag", "xlabel": ""}
    options.update(hv_kwargs)
    return long.hvplot.bar(**options)
