"""Plots of the forcing-downscaling study: maps side by side, power spectra, score bars, learning curve, ET.

Each function returns a HoloViews object and does not display it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ._base import _hvplot, label
from .surrogates import _hv

__all__ = ["plot_method_maps", "plot_spectra", "plot_scores", "plot_training", "plot_et_errors", "plot_terrain"]

_MAP = dict(x="lon", y="lat", aspect="equal", frame_width=230, colorbar=True, rasterize=False)
_CMAPS = {"tmean": "RdYlBu_r", "tmin": "RdYlBu_r", "tmax": "RdYlBu_r", "rs": "inferno", "precip": "Blues",
          "wind": "viridis", "ea": "YlGnBu", "et": "YlGn"}


def plot_method_maps(fields: dict, variable: str, *, day=None, cols: int = 3, **opts):
    """One map per method (truth first) of ``variable`` on one day, on a shared colour scale.

    Parameters
    ----------
    fields : dict
        Name -> Dataset (``"truth"`` and each method's downscaled forcing).
    variable : str
        Variable to show.
    day : str or datetime-like, optional
        Day shown (nearest); default the first.
    """
    _hvplot()
    hv = _hv()
    maps = []
    arrays = {}
    for name, ds in fields.items():
        if variable not in ds:
            raise ValueError(f"{name!r} has no variable {variable!r}; it has {sorted(ds.data_vars)}")
        da = ds[variable]
        da = da.sel(time=day, method="nearest") if day is not None else da.isel(time=0)
        arrays[name] = da
    lo = min(float(a.min()) for a in arrays.values())
    hi = max(float(a.max()) for a in arrays.values())
    for name, da in arrays.items():
        options = {**_MAP, "cmap": _CMAPS.get(variable, "viridis"), "clim": (lo, hi), "clabel": label(da), "title": name}
        maps.append(da.hvplot.quadmesh(**options))
    day_label = str(np.datetime_as_string(next(iter(arrays.values()))["time"].values, unit="D"))
    return hv.Layout(maps).cols(cols).opts(title=f"{variable} on {day_label}", **opts)


def plot_spectra(spectra: dict, variable: str = "", **opts):
    """Radially averaged power spectra (log-log) against wavelength, one curve per method.

    Parameters
    ----------
    spectra : dict
        Name -> output of :func:`workbench.downscale.radial_spectrum`.
    """
    hv = _hv()
    curves = []
    for name, spec in spectra.items():
        frame = pd.DataFrame({"wavelength_km": spec["wavelength_km"].values, "power": spec.values})
        frame = frame[np.isfinite(frame.power) & (frame.power > 0)]
        curves.append(hv.Curve(frame, ("wavelength_km", "wavelength [km]"), ("power", "power"), label=name))
    return hv.Overlay(curves).opts(
        hv.opts.Curve(logx=True, logy=True, invert_xaxis=True, frame_width=420, frame_height=260, tools=["hover"]),
        hv.opts.Overlay(title=f"power spectrum {variable}".strip(), legend_position="bottom_left", **opts))


def plot_scores(table: pd.DataFrame, metric: str = "rmse", **opts):
    """Bars of one column of :func:`workbench.downscale.score_table`, methods side by side for each variable."""
    hv = _hv()
    if metric not in table.columns:
        raise ValueError(f"unknown metric {metric!r}; the table has {list(table.columns)}")
    frame = table[[metric]].reset_index().dropna()
    frame = frame[frame.variable.isin(frame.variable.unique())]
    # One panel per variable: units differ.
    panels = [hv.Bars(frame[frame.variable == v], ["method"], metric).opts(
        title=f"{v} [{table.loc[(slice(None), v), 'units'].iloc[0]}]", frame_width=190, frame_height=160,
        xrotation=45, tools=["hover"], color="method", cmap="Category10") for v in frame.variable.unique()]
    return hv.Layout(panels).cols(4).opts(title=metric, **opts)


def plot_training(history: dict, **opts):
    """Training and validation loss (normalised MSE, log scale) against epoch."""
    hv = _hv()
    epoch = history["epoch"]
    curves = [hv.Curve((epoch, history[k]), "epoch", ("loss", "loss (normalised MSE)"), label=k.replace("_loss", ""))
              for k in ("train_loss", "val_loss")]
    return hv.Overlay(curves).opts(hv.opts.Curve(logy=True, frame_width=420, frame_height=220, tools=["hover"]),
                                   hv.opts.Overlay(title="U-Net learning curve", **opts))


def plot_et_errors(et: dict, **opts):
    """Maps of the time-mean ET error of each method against ET from the fine truth (shared, symmetric scale)."""
    _hvplot()
    hv = _hv()
    truth = et["truth"]
    errs = {k: (v - truth).mean("time").assign_attrs(units="mm d-1", long_name="mean ET error") for k, v in et.items() if k != "truth"}
    lim = max(float(abs(e).max()) for e in errs.values())
    maps = [e.hvplot.quadmesh(**{**_MAP, "cmap": "RdBu_r", "clim": (-lim, lim), "clabel": "ET error [mm d-1]", "title": k})
            for k, e in errs.items()]
    return hv.Layout(maps).cols(3).opts(title="reference ET from downscaled forcing minus ET from the truth (time mean)", **opts)


def plot_terrain(static: xr.Dataset, **opts):
    """Elevation, slope and land cover of the fine static covariates."""
    _hvplot()
    hv = _hv()
    panels = [static["elevation"].hvplot.quadmesh(**{**_MAP, "cmap": "terrain", "title": "elevation", "clabel": label(static["elevation"])}),
              static["slope"].hvplot.quadmesh(**{**_MAP, "cmap": "magma", "title": "slope", "clabel": label(static["slope"])}),
              static["land_cover"].hvplot.quadmesh(**{**_MAP, "cmap": "Category10", "title": "land cover (0 water)", "clabel": "class"})]
    return hv.Layout(panels).cols(3).opts(**opts)
