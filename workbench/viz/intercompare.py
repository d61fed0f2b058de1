"""Plots for the product intercomparison: maps, spread, zonal means, Taylor diagram, score portrait, TC maps.

Each function returns a HoloViews object (it does not display it); keyword
arguments are passed on to hvplot/HoloViews, overriding the defaults here.
Nothing is computed here beyond reshaping for display: the statistics come
from :mod:`workbench.intercompare`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ._base import _hvplot, label, plot_map

__all__ = [
    "plot_product_maps",
    "plot_zonal_means",
    "plot_taylor",
    "plot_portrait",
    "plot_tc_errors",
    "plot_skill_bars",
]


def _as_dataset(products) -> xr.Dataset:
    if isinstance(products, xr.Dataset):
        return products
    if isinstance(products, xr.DataArray) and "product" in products.dims:
        return products.to_dataset("product")
    if isinstance(products, dict):
        return xr.Dataset(products)
    raise TypeError(f"products must be a Dataset, dict or DataArray with a 'product' dim, got {type(products).__name__}")


def plot_product_maps(products, *, reduce: str = "mean", ncols: int = 3, **hv_kwargs):
    """One map per product (time-reduced with ``reduce``), on a shared colour scale.

    Parameters
    ----------
    products : xarray.Dataset (one variable per product), dict or stacked DataArray
    reduce : str
        Reduction over time (``"mean"``, ``"std"``, ...).
    ncols : int
        Columns of the layout.
    """
    ds = _as_dataset(products)
    maps = {n: getattr(v, reduce)("time", keep_attrs=True) if "time" in v.dims else v for n, v in ds.data_vars.items()}
    lo = float(min(np.nanmin(m.values) for m in maps.values()))
    hi = float(max(np.nanmax(m.values) for m in maps.values()))
    options = {"clim": (lo, hi), "frame_width": 260}
    options.update(hv_kwargs)
    plots = [plot_map(m.assign_attrs(long_name=f"{n}: {reduce}"), reduce=None, **options) for n, m in maps.items()]
    import holoviews as hv

    return hv.Layout(plots).cols(ncols)


def plot_zonal_means(zonal: xr.DataArray | xr.Dataset, **hv_kwargs):
    """Zonal-mean curves (one per product) against latitude.

    Parameters
    ----------
    zonal : xarray.Dataset or DataArray with a ``product`` dim
        Output of :func:`workbench.intercompare.zonal_mean` on the time-mean products.
    """
    _hvplot()
    ds = _as_dataset(zonal)
    first = next(iter(ds.data_vars.values()))
    frame = ds.to_dataframe()[list(ds.data_vars)]
    options = {"x": "lat", "y": list(ds.data_vars), "xlabel": "latitude [degrees_north]", "ylabel": label(first), "frame_width": 500, "frame_height": 260, "legend": "top_left", "title": "zonal means"}
    options.update(hv_kwargs)
    return frame.reset_index().hvplot.line(**options)


def _label_positions(x: np.ndarray, y: np.ndarray, *, step: float) -> tuple[np.ndarray, np.ndarray]:
    """Label positions near each point that keep labels at least ``step`` apart.

    Greedy: points are taken from the largest ``y`` down; each label goes to the
    first of eight offsets around its point (above first) that is ``step`` away
    from every label placed so far (else above its point, further out).

    Examples
    --------
    >>> lx, ly = _label_positions(np.array([1.0, 1.01]), np.array([0.5, 0.5]), step=0.1)
    >>> bool(np.hypot(lx[0] - lx[1], ly[0] - ly[1]) >= 0.1)
    True
    """
    offsets = [(0, 1), (0, -1), (1, 0), (-1, 0), (1, 1), (-1, 1), (1, -1), (-1, -1)]
    lx, ly = np.empty(len(x)), np.empty(len(y))
    done: list[tuple[float, float]] = []
    for i in np.argsort(-np.asarray(y, dtype=float), kind="stable"):
        for ring in (1.0, 2.0, 3.0):
            spots = [(x[i] + ring * dx * step, y[i] + ring * dy * step * 0.8) for dx, dy in offsets]
            free = [p for p in spots if all(np.hypot(p[0] - q[0], p[1] - q[1]) >= step for q in done)]
            if free:
                break
        lx[i], ly[i] = free[0] if free else spots[0]
        done.append((lx[i], ly[i]))
    return lx, ly


def plot_taylor(stats: xr.Dataset | pd.DataFrame, *, max_std: float | None = None, **hv_kwargs):
    """Taylor diagram (Taylor 2001) from normalised standard deviations and correlations.

    Parameters
    ----------
    stats : xarray.Dataset or pandas.DataFrame
        ``std_ratio`` and ``pearson_r`` per ``product`` (e.g. the output of
        :func:`workbench.intercompare.taylor_statistics` concatenated along ``product``).
    max_std : float, optional
        Radius of the plot; default 1.25 x the largest std ratio (at least 1.5).

    Returns
    -------
    holoviews.Overlay
        Products as labelled points at (sigma r, sigma sqrt(1 - r^2)); the
        reference at (1, 0); dotted arcs of equal standard deviation and of equal
        centred RMS difference, and grey rays of equal correlation.
    """
    import holoviews as hv

    frame = stats.to_dataframe() if isinstance(stats, xr.Dataset) else stats.copy()
    if "product" in frame.columns:
        frame = frame.set_index("product")
    frame = frame[["std_ratio", "pearson_r"]].astype(float)
    frame["x"] = frame.std_ratio * frame.pearson_r
    frame["y"] = frame.std_ratio * np.sqrt(np.clip(1 - frame.pearson_r**2, 0, None))
    radius = max_std or max(1.5, 1.25 * float(frame.std_ratio.max()))
    theta = np.linspace(0, np.pi / 2, 60)
    elements = []
    for s in np.arange(0.5, radius + 1e-9, 0.5):
        elements.append(hv.Curve((s * np.cos(theta), s * np.sin(theta))).opts(color="lightgrey", line_dash="dotted"))
    for rms in np.arange(0.25, radius, 0.25):
        phi = np.linspace(0, np.pi, 120)
        x, y = 1 + rms * np.cos(phi), rms * np.sin(phi)
        keep = (x**2 + y**2 <= radius**2) & (y >= 0)
        elements.append(hv.Curve((x[keep], y[keep])).opts(color="tan", line_dash="dotted"))
    for r in (0.2, 0.4, 0.6, 0.8, 0.9, 0.95, 0.99):
        elements.append(hv.Curve(([0, radius * r], [0, radius * np.sqrt(1 - r**2)])).opts(color="lightgrey"))
        elements.append(hv.Text(radius * r * 1.03, radius * np.sqrt(1 - r**2) * 1.03, f"{r}", fontsize=7))
    points = hv.Points(frame.reset_index(), kdims=["x", "y"], vdims=[frame.index.name or "index", "std_ratio", "pearson_r"])
    placed = frame.reset_index()
    placed["x"], placed["y"] = _label_positions(frame.x.to_numpy(), frame.y.to_numpy(), step=0.06 * radius)
    labels = hv.Labels(placed, kdims=["x", "y"], vdims=[frame.index.name or "index"]).opts(text_font_size="8pt")
    reference = hv.Points([(1.0, 0.0)]).opts(color="black", marker="star", size=14)
    options = dict(width=420, height=420, xlim=(0, radius * 1.05), ylim=(0, radius * 1.05), xlabel="normalised std x correlation", ylabel="normalised std x sqrt(1 - r^2)", title="Taylor diagram")
    options.update(hv_kwargs)
    return hv.Overlay([*elements, points.opts(size=9, color="firebrick", tools=["hover"]), labels, reference]).opts(**options)


def plot_portrait(table: xr.Dataset, *, region: str | None = None, **hv_kwargs):
    """Score portrait: products x scores (0 to 1) as a heat map, for one region or all.

    Parameters
    ----------
    table : xarray.Dataset
        :func:`workbench.intercompare.score_table` output (dims product, region).
    region : str, optional
        Show this region; default all regions side by side (scores x regions columns).
    """
    import holoviews as hv

    frame = table.to_array("score").to_dataframe("value").reset_index()
    if region is not None:
        frame = frame[frame.region == region]
    frame["column"] = frame.score if region is not None or frame.region.nunique() == 1 else frame.score + " | " + frame.region
    heat = hv.HeatMap(frame, kdims=["column", "product"], vdims=["value"])
    options = dict(cmap="RdYlGn", clim=(0, 1), colorbar=True, xrotation=60, width=160 + 40 * frame.column.nunique(), height=80 + 40 * frame["product"].nunique(), tools=["hover"], xlabel="", ylabel="", title="ILAMB-style scores (1 = perfect)")
    options.update(hv_kwargs)
    values = hv.Labels(frame.assign(value=frame.value.round(2)), kdims=["column", "product"], vdims=["value"]).opts(text_font_size="7pt", text_color="black")
    return heat.opts(**options) * values


def plot_tc_errors(estimated: xr.DataArray, known: xr.DataArray, **hv_kwargs):
    """Maps of TC-estimated and known error standard deviation per product, side by side.

    Parameters
    ----------
    estimated, known : xarray.DataArray
        Error variances with dims (product, lat, lon) [units squared].
        Negative TC estimates (a sign that its assumptions fail in that
        cell) are shown as missing.
    """
    import holoviews as hv

    plots = []
    for p in estimated["product"].values:
        est = np.sqrt(estimated.sel(product=p).where(lambda v: v >= 0)).assign_attrs(long_name=f"{p}: TC error std", units=estimated.attrs.get("units", "").replace("(", "").replace(")2", ""))
        tru = np.sqrt(known.sel(product=p).where(lambda v: v >= 0)).assign_attrs(long_name=f"{p}: known error std", units=est.attrs["units"])
        hi = float(max(np.nanmax(est.values), np.nanmax(tru.values)))
        options = {"clim": (0, hi), "frame_width": 230, "cmap": "magma"}
        options.update(hv_kwargs)
        plots += [plot_map(est, reduce=None, **options), plot_map(tru, reduce=None, **options)]
    return hv.Layout(plots).cols(2)


def plot_skill_bars(frame: pd.DataFrame, metric: str, **hv_kwargs):
    """Bar chart of one metric per product/estimate (rows of ``frame``, a column per metric)."""
    _hvplot()
    options = {"y": metric, "rot": 45, "frame_width": 420, "frame_height": 220, "title": metric}
    options.update(hv_kwargs)
    return frame[[metric]].hvplot.bar(**options)
