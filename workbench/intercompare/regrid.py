"""Bringing products to a common grid, time step and mask.

* :func:`regrid_to` — conservative (area-weighted block mean with ``cos(lat)``
  weights, lazy via ``coarsen``) when the target is an integer coarsening of a
  regular lat/lon grid; nearest or bilinear interpolation (``xr.interp``)
  otherwise. (``xarray-regrid`` is not a dependency; for general conservative
  regridding between unrelated grids use it or xESMF.)
* :func:`align_time` — daily, 8-day (MODIS composites) or monthly means.
* :func:`stack_products` — checks names, units, grids and periods of several
  products and stacks them along a ``product`` dimension, with a clear error
  naming the product and the mismatch.
* :func:`common_mask` — one missing-value mask for all products (a value is
  used only where every product has one), never filled.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ..units import UnitError, convert

__all__ = ["regrid_to", "conservative_coarsen", "align_time", "stack_products", "common_mask", "grid_spacing"]


def grid_spacing(coord: xr.DataArray) -> float:
    """Spacing of a regular 1-D coordinate; raises if it is not regular."""
    values = np.asarray(coord.values, dtype=float)
    if values.size < 2:
        raise ValueError(f"coordinate {coord.name!r} needs at least two values to have a spacing")
    steps = np.diff(values)
    if not np.allclose(steps, steps[0], rtol=1e-6, atol=1e-9):
        raise ValueError(f"coordinate {coord.name!r} is not regular (steps from {steps.min()} to {steps.max()})")
    return float(steps[0])


def conservative_coarsen(da: xr.DataArray, factor: int | dict, *, skipna: bool = False) -> xr.DataArray:
    """Area-weighted block mean over ``factor`` x ``factor`` cells of a regular lat/lon grid.

    On a regular grid the area of a cell is proportional to ``cos(lat)``, so
    the conservative remapping to a grid that is an integer coarsening is the
    ``cos(lat)``-weighted mean of the fine cells in each coarse cell:

    .. math:: \\bar{x}_J = \\sum_{i \\in J} \\cos\\phi_i x_i / \\sum_{i \\in J} \\cos\\phi_i

    Parameters
    ----------
    da : xarray.DataArray
        Data with ``lat`` and ``lon`` dims (any others are kept); may be dask-backed.
    factor : int or dict
        Coarsening factor, or ``{"lat": n, "lon": m}``. The grid sizes must be
        multiples of it.
    skipna : bool, default False
        If True, a coarse cell is the weighted mean of its valid fine cells
        (NaN only when all are missing); otherwise any missing fine cell gives NaN.

    Returns
    -------
    xarray.DataArray
        On the coarse grid (cell centres are the means of the fine centres), attrs kept.
    """
    f = factor if isinstance(factor, dict) else {"lat": factor, "lon": factor}
    for d, n in f.items():
        if da.sizes[d] % n:
            raise ValueError(
                f"{da.name or 'data'!r}: the {d} size {da.sizes[d]} is not a multiple of the coarsening factor {n}"
            )
    w = np.cos(np.deg2rad(da["lat"])).astype(da.dtype if da.dtype.kind == "f" else float)
    wx = (da * w) if not skipna else (da.fillna(0) * w)
    wsum = w.broadcast_like(da) if not skipna else w.where(da.notnull(), 0.0)
    num = wx.coarsen(f).sum()
    den = wsum.coarsen(f).sum()
    out = num / den
    if skipna:
        out = out.where(den > 0)
    out.attrs = dict(da.attrs)
    out.name = da.name
    return out.transpose(*[d for d in da.dims])


def regrid_to(da: xr.DataArray, target, *, method: str = "auto", skipna: bool = False) -> xr.DataArray:
    """Regrid ``da`` onto the lat/lon grid of ``target``.

    Parameters
    ----------
    da : xarray.DataArray
        Source on a regular lat/lon grid.
    target : xarray.DataArray or xarray.Dataset
        Anything with 1-D ``lat`` and ``lon`` coordinates (the target grid).
    method : {"auto", "conservative", "nearest", "linear"}
        ``auto`` is conservative when the target is an integer coarsening of
        the source (same alignment), identity when the grids are equal, and
        ``linear`` (bilinear) otherwise.
    skipna : bool
        For the conservative method, see :func:`conservative_coarsen`.

    Returns
    -------
    xarray.DataArray
        On the target grid; ``attrs["regrid_method"]`` says what was done.

    Raises
    ------
    ValueError
        If ``method="conservative"`` is asked for grids that are not an
        integer coarsening of each other, or for an unknown method.
    """
    methods = ("auto", "conservative", "nearest", "linear")
    if method not in methods:
        raise ValueError(f"unknown regridding method {method!r}; choose one of {methods}")
    tlat, tlon = target["lat"], target["lon"]
    if da.sizes["lat"] == tlat.size and da.sizes["lon"] == tlon.size and np.allclose(da.lat, tlat) and np.allclose(da.lon, tlon):
        return da.assign_coords(lat=tlat.values, lon=tlon.values).assign_attrs(regrid_method="identity")
    factor = _coarsening_factor(da, tlat, tlon)
    if method == "conservative" and factor is None:
        raise ValueError(
            f"{da.name or 'data'!r}: conservative regridding needs the target grid to be an integer coarsening "
            f"of the source (source spacing {grid_spacing(da.lat)} deg, target {grid_spacing(tlat)} deg); "
            "use method='linear' or 'nearest', or install xarray-regrid for general conservative remapping"
        )
    if method in ("auto", "conservative") and factor is not None:
        out = conservative_coarsen(da, factor, skipna=skipna)
        out = out.assign_coords(lat=tlat.values, lon=tlon.values)
        return out.assign_attrs(regrid_method=f"conservative ({factor['lat']}x{factor['lon']} area-weighted block mean)")
    how = "linear" if method == "auto" else method
    out = da.interp(lat=tlat.values, lon=tlon.values, method=how)
    out.attrs = dict(da.attrs)
    return out.assign_attrs(regrid_method=how)


def _coarsening_factor(da, tlat, tlon):
    try:
        s_lat, s_lon = grid_spacing(da.lat), grid_spacing(da.lon)
        t_lat, t_lon = grid_spacing(tlat), grid_spacing(tlon)
    except ValueError:
        return None
    f = {}
    for d, s, t, tc in (("lat", s_lat, t_lat, tlat), ("lon", s_lon, t_lon, tlon)):
        ratio = t / s
        n = int(round(ratio))
        if n < 1 or abs(ratio - n) > 1e-6 or da.sizes[d] != n * tc.size:
            return None
        centres = da[d].values.reshape(-1, n).mean(axis=1)
        if not np.allclose(centres, tc.values, atol=1e-6 * abs(t)):
            return None
        f[d] = n
    return f


_FREQS = {"daily": "1D", "8-day": "8D", "monthly": "MS"}


def align_time(da: xr.DataArray, freq: str, *, skipna: bool = False, min_count: int | None = None) -> xr.DataArray:
    """Mean over a common time step: ``"daily"``, ``"8-day"`` or ``"monthly"``.

    8-day periods restart on 1 January each year, as MODIS composites do (the
    last period of a year is 5 or 6 days long). Means keep rates in their
    units (mm d-1 stays mm d-1).

    Parameters
    ----------
    da : xarray.DataArray
        Daily (or finer) data with a datetime ``time``.
    freq : {"daily", "8-day", "monthly"}
    skipna : bool, default False
        Ignore missing days in a period (then ``min_count`` valid days are needed).
    min_count : int, optional
        With ``skipna``, periods with fewer valid values are NaN.

    Raises
    ------
    ValueError
        For an unknown ``freq``, or input coarser than the requested step.
    """
    if freq not in _FREQS:
        raise ValueError(f"unknown time step {freq!r}; choose one of {list(_FREQS)}")
    times = pd.DatetimeIndex(da["time"].values)
    if times.size > 1:
        step = (times[1:] - times[:-1]).min()
        if step > pd.Timedelta(days={"daily": 1, "8-day": 8, "monthly": 28}[freq]):
            raise ValueError(
                f"{da.name or 'data'!r} has a time step of {step}, coarser than the requested {freq!r}; "
                "choose a coarser common step"
            )
    if freq == "8-day":
        period = (times.dayofyear - 1) // 8
        key = pd.to_datetime([f"{y}-01-01" for y in times.year]) + pd.to_timedelta(period * 8, unit="D")
        grouped = da.groupby(xr.DataArray(key, dims="time", coords={"time": da.time}, name="period"))
        out = grouped.mean(skipna=skipna) if min_count is None else grouped.sum(skipna=skipna, min_count=min_count) / grouped.count()
        out = out.rename(period="time")
    else:
        res = da.resample(time=_FREQS[freq])
        out = res.mean(skipna=skipna) if min_count is None else res.sum(skipna=skipna, min_count=min_count) / res.count()
    out.attrs = dict(da.attrs)
    out.attrs["time_step"] = freq
    return out


def stack_products(products, *, units: str | None = None, dim: str = "product") -> xr.DataArray:
    """Check several products for compatibility and stack them along ``dim``.

    Parameters
    ----------
    products : xarray.Dataset, dict of DataArray, or DataArray with a ``product`` dim
        One variable per product.
    units : str, optional
        Convert every product to these units; default the first product's units.
    dim : str, default "product"

    Returns
    -------
    xarray.DataArray
        Stacked (lazily for dask input), coordinate ``product`` holding the names.

    Raises
    ------
    ValueError
        Naming the product and the mismatch: different dimensions, grids or
        time stamps (calendars), or periods that do not overlap.
    UnitError
        Naming the product whose units are missing or incompatible.
    """
    if isinstance(products, xr.DataArray):
        if dim not in products.dims:
            raise ValueError(f"a DataArray of products needs a {dim!r} dimension; it has {products.dims}")
        products = {str(k): products.sel({dim: k}, drop=True) for k in products[dim].values}
    elif isinstance(products, xr.Dataset):
        products = dict(products.data_vars)
    elif not isinstance(products, dict):
        raise TypeError(f"products must be a Dataset, dict or DataArray, got {type(products).__name__}")
    if len(products) < 1:
        raise ValueError("no products given")
    names = list(products)
    first = products[names[0]]
    target = units or first.attrs.get("units")
    if target is None:
        raise UnitError(f"product {names[0]!r} has no 'units' attribute")
    out = []
    for name in names:
        x = products[name]
        if not isinstance(x, xr.DataArray):
            raise TypeError(f"product {name!r} must be a DataArray, got {type(x).__name__}")
        if set(x.dims) != set(first.dims):
            raise ValueError(f"product {name!r} has dims {x.dims}, product {names[0]!r} has {first.dims}")
        x = convert(x, target, name=name)
        for d in x.dims:
            if d in first.coords and d in x.coords and not first[d].equals(x[d]):
                _raise_coord_mismatch(name, names[0], d, x[d], first[d])
        out.append(x.transpose(*first.dims).drop_attrs())
    stacked = xr.concat(out, dim=dim, coords="minimal", compat="override", join="override")
    stacked = stacked.assign_coords({dim: names})
    stacked.attrs = {"units": target, "long_name": first.attrs.get("long_name", "product")}
    return stacked


def _raise_coord_mismatch(name, ref, d, a, b):
    if d == "time":
        ca, cb = _calendar(a), _calendar(b)
        if ca != cb:
            raise ValueError(
                f"product {name!r} uses the calendar {ca!r}, {ref!r} uses {cb!r}; convert one with "
                f"DataArray.convert_calendar({cb!r}, align_on='date') before comparing"
            )
        if ca != "datetime64":
            raise ValueError(f"product {name!r} has different time stamps from {ref!r} ({a.size} vs {b.size} steps)")
        ta, tb = pd.DatetimeIndex(a.values), pd.DatetimeIndex(b.values)
        if ta.max() < tb.min() or tb.max() < ta.min():
            raise ValueError(
                f"product {name!r} covers {ta.min().date()}..{ta.max().date()}, which does not overlap "
                f"{ref!r} ({tb.min().date()}..{tb.max().date()})"
            )
        raise ValueError(
            f"product {name!r} has different time stamps from {ref!r} ({ta.size} vs {tb.size} steps, "
            f"{ta[0]} vs {tb[0]} first); bring both to a common step with align_time() and select the common period"
        )
    raise ValueError(
        f"product {name!r} is on a different {d} grid from {ref!r} ({a.size} vs {b.size} values, "
        f"{float(a[0])}..{float(a[-1])} vs {float(b[0])}..{float(b[-1])}); use regrid_to()"
    )


def _calendar(time: xr.DataArray) -> str:
    if np.issubdtype(time.dtype, np.datetime64):
        return "datetime64"
    first = time.values.ravel()[0]
    return str(getattr(first, "calendar", type(first).__name__))


def common_mask(products, dim: str = "product") -> xr.DataArray:
    """True where every product has a value (the mask applied before any metric).

    Parameters
    ----------
    products : xarray.DataArray with a ``product`` dim, or Dataset
    """
    stacked = products if isinstance(products, xr.DataArray) else stack_products(products, dim=dim)
    return stacked.notnull().all(dim).rename("common_mask").assign_attrs(
        long_name="all products have a value", units="1"
    )
