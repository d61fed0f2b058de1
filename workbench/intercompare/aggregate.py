"""Aggregations: area-weighted global and regional means, zonal means, by land cover and by season.

On a regular lat/lon grid the cell area is proportional to ``cos(lat)``;
:func:`area_weights` gives these weights and every mean here uses them.
An all-missing region raises (naming the region) rather than returning a
silent NaN.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = [
    "area_weights",
    "area_mean",
    "zonal_mean",
    "regional_means",
    "land_cover_regions",
    "latitude_band_regions",
    "climate_zone_regions",
    "seasonal_means",
]

_SEASON_ORDER = ["DJF", "MAM", "JJA", "SON"]


def area_weights(obj) -> xr.DataArray:
    """Cell-area weights ``cos(lat)`` [1] for a regular lat/lon grid.

    Examples
    --------
    >>> import xarray as xr
    >>> w = area_weights(xr.DataArray([0.0, 60.0], dims="lat", coords={"lat": [0.0, 60.0]}))
    >>> [round(float(v), 3) for v in w]
    [1.0, 0.5]
    """
    lat = obj["lat"] if "lat" in getattr(obj, "coords", {}) else obj
    w = np.cos(np.deg2rad(lat)).clip(min=0.0)
    return w.rename("area_weight").assign_attrs(units="1", long_name="relative cell area cos(lat)")


def area_mean(da, *, mask: xr.DataArray | None = None, skipna: bool = True, region: str = "domain") -> xr.DataArray:
    """Area-weighted mean over lat and lon.

    Parameters
    ----------
    da : xarray.DataArray or xarray.Dataset
        Data with ``lat`` and ``lon`` dims (a Dataset: each variable).
    mask : xarray.DataArray of bool, optional
        Cells of the region (True = in).
    skipna : bool, default True
        Average valid cells only (the weights of missing cells are dropped).
    region : str
        The region's name for error messages.

    Raises
    ------
    ValueError
        If the region holds no valid cell at all (checked eagerly only for
        in-memory data; lazily the result is NaN).
    """
    if isinstance(da, xr.Dataset):
        return da.map(area_mean, mask=mask, skipna=skipna, region=region)
    w = area_weights(da)
    x = da if mask is None else da.where(mask)
    if mask is not None and not bool(np.asarray(mask).any()):
        raise ValueError(f"region {region!r} contains no grid cell")
    if x.chunks is None and not bool(x.notnull().any()):
        raise ValueError(f"region {region!r} has no valid value in {da.name or 'the data'!r} (all missing)")
    out = x.weighted(w.fillna(0)).mean(["lat", "lon"], skipna=skipna)
    out.attrs = dict(da.attrs)
    return out.rename(da.name)


def zonal_mean(da: xr.DataArray, skipna: bool = True) -> xr.DataArray:
    """Mean over longitude (equal-area along a latitude circle)."""
    out = da.mean("lon", skipna=skipna, keep_attrs=True)
    return out


def land_cover_regions(land_cover: xr.DataArray) -> dict[str, xr.DataArray]:
    """Boolean masks per land-cover class, named from ``flag_values``/``flag_meanings``."""
    values = land_cover.attrs.get("flag_values")
    meanings = land_cover.attrs.get("flag_meanings")
    codes = np.unique(np.asarray(land_cover.values)[np.isfinite(np.asarray(land_cover.values, dtype=float))]).astype(int)
    names = {}
    if values is not None and meanings is not None:
        names = dict(zip([int(v) for v in np.atleast_1d(values)], str(meanings).split()))
    return {names.get(int(c), f"class_{int(c)}"): land_cover == c for c in codes}


def latitude_band_regions(obj, edges=(-90, -23.5, 23.5, 50, 90)) -> dict[str, xr.DataArray]:
    """Boolean masks of latitude bands, e.g. tropics and mid-latitudes (only non-empty bands)."""
    lat = obj["lat"]
    out = {}
    for lo, hi in zip(edges[:-1], edges[1:]):
        m = (lat >= lo) & (lat < hi)
        if bool(m.any()):
            out[f"{lo}..{hi}N"] = m
    return out


#: UNEP aridity classes of the index P / PET (Middleton and Thomas 1997).
ARIDITY_CLASSES = ((0.0, 0.05, "hyper-arid"), (0.05, 0.2, "arid"), (0.2, 0.5, "semi-arid"), (0.5, 0.65, "dry sub-humid"), (0.65, np.inf, "humid"))


def climate_zone_regions(aridity_index: xr.DataArray, classes=ARIDITY_CLASSES) -> dict[str, xr.DataArray]:
    """Boolean masks of climate zones from an aridity index map (only non-empty zones).

    Parameters
    ----------
    aridity_index : xarray.DataArray
        P / PET on the lat/lon grid (or any moisture index on the same scale,
        e.g. the virtual land's ``moisture_index``).
    classes : sequence of (low, high, name)
        Zones ``low <= index < high``; default the UNEP aridity classes.
    """
    out = {}
    for lo, hi, name in classes:
        m = (aridity_index >= lo) & (aridity_index < hi)
        if bool(m.any()):
            out[name] = m
    return out


def regional_means(da: xr.DataArray, regions: dict, *, skipna: bool = True) -> xr.DataArray:
    """Area-weighted means over named regions, stacked along a ``region`` dim.

    Parameters
    ----------
    da : xarray.DataArray
    regions : dict of str -> bool DataArray on the lat/lon grid
        E.g. :func:`land_cover_regions` or :func:`latitude_band_regions`;
        ``{"global": True}``-like masks are fine.
    """
    if not regions:
        raise ValueError("no regions given")
    parts = [area_mean(da, mask=m, skipna=skipna, region=name) for name, m in regions.items()]
    return xr.concat(parts, dim="region").assign_coords(region=list(regions)).assign_attrs(da.attrs)


def seasonal_means(da: xr.DataArray, skipna: bool = True) -> xr.DataArray:
    """Means by meteorological season (DJF, MAM, JJA, SON), along a ``season`` dim."""
    out = da.groupby("time.season").mean(skipna=skipna, keep_attrs=True)
    present = [s for s in _SEASON_ORDER if s in out.season.values]
    return out.sel(season=present)
