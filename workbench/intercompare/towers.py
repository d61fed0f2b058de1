"""Matching gridded products to flux towers, with optional energy-balance closure correction."""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..units import convert
from .regrid import grid_spacing, stack_products

__all__ = ["closure_correct", "extract_at_sites", "match_towers"]


def closure_correct(towers: xr.Dataset, *, window: int = 31, le="le", h="h", rn="rn", g="g", dim: str = "time") -> xr.Dataset:
    """Close the towers' energy balance preserving the Bowen ratio.

    .. math:: LE_{corr} = LE \\, \\frac{\\sum_w (R_n - G)}{\\sum_w (LE + H)}

    with sums over a centred moving window of ``window`` steps (Twine et al.
    2000; FLUXNET2015's ``LE_CORR`` takes its correction factor from a window of
    +-15 days, Pastorello et al. 2020). Only steps where all four fluxes are
    present enter the sums; a factor whose window sum of ``LE + H`` is not
    positive is left missing.

    Parameters
    ----------
    towers : xarray.Dataset
        With ``le``, ``h``, ``rn``, ``g`` [W m-2] along ``dim``.
    window : int, default 31
        Window length in time steps (31 days for daily data). ``window=1`` is
        the per-step ratio, whose denominator ``LE + H`` passes near zero on
        cloudy winter days: there the random error of the measured fluxes is
        amplified without bound (a factor of 50 or more), which is why the
        moving window is the default.

    Returns
    -------
    xarray.Dataset
        A copy with ``le`` and ``h`` corrected (and ``et`` rescaled by the same
        factor when present), the factor as ``closure_factor``, and
        ``attrs["closure_correction"]`` recording the method.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> t = xr.Dataset({k: ("time", np.array(v, float)) for k, v in
    ...      {"le": [40, 1, 50], "h": [20, -0.5, 30], "rn": [100, 10, 120], "g": [10, 5, 10]}.items()})
    >>> closure_correct(t, window=1).le.values.round(1).tolist()  # per step: 5 W m-2 of available energy on 0.5 W m-2 of turbulent flux
    [60.0, 10.0, 68.8]
    >>> closure_correct(t, window=3).closure_factor.values.round(3).tolist()  # (90 + 5) / (60 + 0.5), ...; edges use what the window holds
    [1.57, 1.459, 1.429]
    """
    for v in (le, h, rn, g):
        if v not in towers:
            raise ValueError(f"closure correction needs {v!r} in the tower dataset; found {list(towers.data_vars)}")
    if int(window) != window or window < 1:
        raise ValueError(f"window must be a positive whole number of time steps; got {window!r}")
    if dim not in towers[le].dims:
        raise ValueError(f"closure correction works along {dim!r}, which {le!r} does not have (dims {towers[le].dims})")
    ok = towers[le].notnull() & towers[h].notnull() & towers[rn].notnull() & towers[g].notnull()
    turb = (towers[le] + towers[h]).where(ok)
    avail = (towers[rn] - towers[g]).where(ok)
    if window > 1:
        roll = {dim: int(window)}
        turb = turb.rolling(roll, center=True, min_periods=1).sum()
        avail = avail.where(ok).rolling(roll, center=True, min_periods=1).sum()
    factor = (avail / turb).where(turb > 0)
    out = towers.copy()
    for v in (le, h) + (("et",) if "et" in towers else ()):
        out[v] = (towers[v] * factor).assign_attrs(towers[v].attrs)
    out["closure_factor"] = factor.assign_attrs(units="1", long_name=f"energy-balance closure correction factor ({window}-step window)")
    out.attrs["closure_correction"] = f"Bowen-ratio preserving: x * sum(rn - g) / sum(le + h) over a centred {window}-step window"
    return out


def extract_at_sites(grid: xr.DataArray | xr.Dataset, lat, lon, *, site=None):
    """Values of the grid cell that contains each site (nearest cell centre).

    Raises
    ------
    ValueError
        Naming the sites that fall outside the grid (further than half a cell
        from any centre).
    """
    lat = np.atleast_1d(np.asarray(lat, dtype=float))
    lon = np.atleast_1d(np.asarray(lon, dtype=float))
    site = np.arange(lat.size) if site is None else np.atleast_1d(np.asarray(site))
    dlat, dlon = abs(grid_spacing(grid["lat"])), abs(grid_spacing(grid["lon"]))
    ilat = np.abs(grid["lat"].values[None, :] - lat[:, None]).argmin(1)
    ilon = np.abs(grid["lon"].values[None, :] - lon[:, None]).argmin(1)
    outside = (np.abs(grid["lat"].values[ilat] - lat) > dlat / 2 + 1e-9) | (np.abs(grid["lon"].values[ilon] - lon) > dlon / 2 + 1e-9)
    if outside.any():
        raise ValueError(f"sites {list(site[outside])} lie outside the product grid")
    sel = grid.isel(lat=xr.DataArray(ilat, dims="site"), lon=xr.DataArray(ilon, dims="site"))
    return sel.assign_coords(site=("site", site))


def match_towers(products, towers: xr.Dataset, *, var: str = "et", closure: bool = False, window: int = 31, as_dataset: bool = False):
    """A table of product values at the tower cells next to the tower observation.

    Parameters
    ----------
    products : xarray.Dataset (one variable per product) or stacked DataArray
        On a lat/lon grid with a ``time`` axis.
    towers : xarray.Dataset
        Dims (site, time) with ``lat``/``lon`` coordinates per site and the
        observed ``var`` (e.g. :func:`workbench.data.virtual_towers`).
    var : str, default "et"
        The tower variable compared (converted to the products' units).
    closure : bool, default False
        Apply :func:`closure_correct` to the towers first.
    window : int, default 31
        Window of the closure correction [time steps] (see :func:`closure_correct`).
    as_dataset : bool, default False
        Return an xarray.Dataset with dims (site, time), ``obs`` and one
        variable per product, each with ``units``, instead of the table.

    Returns
    -------
    pandas.DataFrame
        Columns ``site``, ``time``, ``obs`` and one per product; rows where the
        tower or any product is missing are kept (metrics mask them
        consistently) and ``attrs`` records the units.
    """
    stacked = stack_products(products)
    if closure:
        towers = closure_correct(towers, window=window)
    if var not in towers:
        raise ValueError(f"towers have no variable {var!r}; found {list(towers.data_vars)}")
    obs = convert(towers[var], stacked.attrs["units"], name=f"towers.{var}")
    at = extract_at_sites(stacked, towers["lat"].values, towers["lon"].values, site=towers["site"].values)
    common = np.intersect1d(at["time"].values, obs["time"].values)
    if common.size == 0:
        raise ValueError("the towers' period does not overlap the products' period")
    at = at.sel(time=common)
    obs = obs.sel(time=common)
    names = [str(p) for p in stacked["product"].values]
    ds = at.reset_coords(drop=True).to_dataset("product")
    ds["obs"] = obs.reset_coords(drop=True).transpose("site", "time")
    if as_dataset:
        for v in ds.data_vars:
            ds[v].attrs = {"units": stacked.attrs["units"], "long_name": "tower ET" if v == "obs" else f"product {v!r} at the tower cell"}
        ds.attrs = {"closure_corrected": int(closure)}
        return ds
    frame = ds.to_dataframe().reset_index()[["site", "time", "obs", *names]]
    frame.attrs = {"units": stacked.attrs["units"], "closure_corrected": closure}
    return frame
