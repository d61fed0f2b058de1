"""Plot wrappers shared by the studies: maps, series and scatter plots of CF-annotated data.

Each returns a HoloViews object (it does not display it); keyword arguments
are passed on to hvplot, overriding the defaults here.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["label", "plot_map", "plot_series", "plot_scatter", "plot_et_comparison"]

_MAP_DEFAULTS = dict(x="lon", y="lat", cmap="viridis", aspect="equal", frame_width=420, colorbar=True)


def _hvplot():
    # Register the .hvplot accessors only if workbench.setup() has not: importing
    # hvplot.xarray again would re-emit the plotting JavaScript in every cell.
    if not hasattr(xr.DataArray, "hvplot"):
        import hvplot.pandas  # noqa: F401
        import hvplot.xarray  # noqa: F401


def label(da: xr.DataArray) -> str:
    """Axis label from CF attributes: ``"long_name [units]"``.

    Examples
    --------
    >>> label(xr.DataArray([1.0], dims="x", name="et", attrs={"long_name": "evapotranspiration", "units": "mm d-1"}))
    'evapotranspiration [mm d-1]'
    """
    name = da.attrs.get("long_name", da.name or "")
    units = da.attrs.get("units")
    return f"{name} [{units}]" if units else str(name)


def plot_map(da: xr.DataArray, *, time=None, reduce: str | None = "mean", **hv_kwargs):
    """A lat/lon map of a variable.

    Parameters
    ----------
    da : xarray.DataArray
        Data with ``lat`` and ``lon`` dimensions (and optionally ``time``).
    time : str or datetime-like, optional
        Select this day; otherwise reduce over time with ``reduce``.
    reduce : {"mean", "sum", "max", "min", None}
        Reduction over ``time`` when ``time`` is not given; ``None`` keeps
        the time axis and hvplot adds a time slider.
    **hv_kwargs
        Passed to ``DataArray.hvplot.quadmesh``.
    """
    _hvplot()
    if "time" in da.dims:
        if time is not None:
            da = da.sel(time=time, method="nearest")
        elif reduce is not None:
            da = getattr(da, reduce)("time", keep_attrs=True)
    options = {**_MAP_DEFAULTS, "clabel": label(da), "title": da.attrs.get("long_name", da.name or "")}
    categories = {}
    if "flag_values" in da.attrs and "flag_meanings" in da.attrs:
        categories = _category_options(da)
        options.update(cmap=categories.pop("cmap"), clim=categories.pop("clim"), clabel=categories.pop("clabel"))
    options.update(hv_kwargs)
    plot = da.hvplot.quadmesh(**options)
    return plot.opts(**categories) if categories else plot


def _category_options(da: xr.DataArray) -> dict:
    """A discrete colour bar labelled with the CF ``flag_meanings`` (class names instead of codes)."""
    from bokeh.models import FixedTicker
    from bokeh.palettes import Category10

    codes = [int(c) for c in np.atleast_1d(da.attrs["flag_values"])]
    names = str(da.attrs["flag_meanings"]).split()
    if len(codes) != len(names):
        raise ValueError(f"{da.name!r}: {len(codes)} flag_values but {len(names)} flag_meanings")
    palette = list(Category10[10]) * (len(codes) // 10 + 1)
    return {
        "cmap": palette[: len(codes)],
        "clim": (min(codes) - 0.5, max(codes) + 0.5),
        "color_levels": len(codes),
        "clabel": da.attrs.get("long_name", da.name or ""),
        "colorbar_opts": {"ticker": FixedTicker(ticks=codes), "major_label_overrides": dict(zip(codes, names))},
    }


def plot_series(ds: xr.Dataset | xr.DataArray, variables=None, *, by=None, **hv_kwargs):
    """Time series of one or several variables (one curve each), labelled from CF attributes."""
    _hvplot()
    if isinstance(ds, xr.DataArray):
        options = {"x": "time", "ylabel": label(ds), "frame_width": 600, "frame_height": 220}
        options.update(hv_kwargs)
        return ds.hvplot.line(by=by, **options)
    variables = list(variables or ds.data_vars)
    units = {ds[v].attrs.get("units") for v in variables}
    ylabel = label(ds[variables[0]]) if len(variables) == 1 else (f"[{units.pop()}]" if len(units) == 1 else "")
    frame = ds[variables].to_dataframe()[variables]
    options = {"y": variables, "ylabel": ylabel, "frame_width": 600, "frame_height": 220, "legend": "top_left"}
    options.update(hv_kwargs)
    return frame.hvplot.line(**options)


def plot_scatter(obs: xr.DataArray, sim: xr.DataArray, **hv_kwargs):
    """Scatter of simulated against observed values with the 1:1 line."""
    _hvplot()
    import holoviews as hv

    pair = xr.Dataset({"observed": obs, "simulated": sim}).to_dataframe()[["observed", "simulated"]].dropna()
    lo = float(np.nanmin(pair.to_numpy())) if len(pair) else 0.0
    hi = float(np.nanmax(pair.to_numpy())) if len(pair) else 1.0
    options = {"xlabel": f"observed {label(obs)}", "ylabel": f"simulated {label(sim)}", "frame_width": 300, "frame_height": 300, "alpha": 0.5, "size": 4}
    options.update(hv_kwargs)
    one_to_one = hv.Curve([(lo, lo), (hi, hi)]).opts(color="black", line_dash="dashed")
    return pair.hvplot.scatter(x="observed", y="simulated", **options) * one_to_one


def plot_et_comparison(estimates: xr.Dataset, observed: xr.DataArray, **hv_kwargs):
    """Observed ET and several estimates (variables of ``estimates``) as time series on one axis."""
    _hvplot()
    frame = estimates.assign(observed=observed).to_dataframe()
    columns = ["observed", *estimates.data_vars]
    options = {"y": columns, "ylabel": label(observed), "frame_width": 650, "frame_height": 250, "legend": "top_left"}
    options.update(hv_kwargs)
    return frame[columns].hvplot.line(**options)
