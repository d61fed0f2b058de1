"""The candidate error drivers of the virtual land and sample tables for error models.

An error model learns the residual (model - observation) from a table of
drivers: one row per sample (cell-day), one column per driver, each with CF
``units`` and ``long_name``. :func:`land_drivers` derives the drivers from a
:func:`workbench.data.virtual_land` world; :func:`stack_samples` turns any
``(time, lat, lon)`` or ``(site, time)`` Dataset into such a table and keeps
the group (cell or site) of every row, which the error-model split needs.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .. import physics

__all__ = ["DRIVERS", "DRIVER_ATTRS", "land_drivers", "stack_samples"]

#: The drivers derived from the virtual land (name -> CF attributes).
DRIVER_ATTRS: dict[str, dict[str, str]] = {
    "soil_wetness": {"units": "1", "long_name": "relative root-zone soil water (soil_water / whc)"},
    "lai": {"units": "m2 m-2", "long_name": "leaf area index"},
    "land_cover": {"units": "1", "long_name": "land-cover class code"},
    "cloudiness": {"units": "1", "long_name": "cloudiness 1 - Rs/Rso (FAO-56 Eq. 39 ratio)"},
    "wind": {"units": "m s-1", "long_name": "wind speed at 2 m"},
    "vpd": {"units": "kPa", "long_name": "vapour pressure deficit"},
    "tmean": {"units": "degC", "long_name": "daily mean air temperature"},
    "rn": {"units": "W m-2", "long_name": "net radiation"},
    "rn_change": {"units": "W m-2", "long_name": "day-to-day change of net radiation rn(t) - rn(t-1)"},
}
DRIVERS: tuple[str, ...] = tuple(DRIVER_ATTRS)
_W_PER_MJ_DAY = 1e6 / 86400.0


def land_drivers(land: xr.Dataset) -> xr.Dataset:
    """Derive the candidate error drivers from a virtual land.

    Parameters
    ----------
    land : xarray.Dataset
        Output of :func:`workbench.data.virtual_land` (``rs``, ``rn``,
        ``soil_water``, ``whc``, ``lai``, ``land_cover``, ``wind``, ``vpd``,
        ``tmean``, ``elevation``).

    Returns
    -------
    xarray.Dataset
        The variables of :data:`DRIVERS` on the grid of ``land``, float64, each
        with ``units`` and ``long_name``. ``cloudiness`` is ``1 - Rs/Rso`` with
        the clear-sky radiation Rso of FAO-56 Eq. 37 (0 clear, ~0.67 overcast);
        ``rn_change`` is 0 on the first day.

    Raises
    ------
    ValueError
        If ``land`` lacks a variable the drivers need.

    Examples
    --------
    >>> from workbench.data import virtual_land
    >>> land = virtual_land(lat=(40, 42), lon=(0, 2), start="2020-06-01", end="2020-06-05")
    >>> d = land_drivers(land)
    >>> list(d.data_vars) == list(DRIVERS), bool((d.cloudiness >= 0).all())
    (True, True)
    """
    needed = ("rs", "rn", "soil_water", "whc", "lai", "land_cover", "wind", "vpd", "tmean", "elevation")
    missing = [v for v in needed if v not in land]
    if missing:
        raise ValueError(f"land is missing {missing}; pass the output of workbench.data.virtual_land()")
    doy = land["time"].dt.dayofyear
    lat = land["lat"].broadcast_like(land["rs"])
    ra = physics.extraterrestrial_radiation.kernel(lat.values, doy.values[:, None, None])
    rso = physics.clear_sky_radiation.kernel(ra, land["elevation"].values) * _W_PER_MJ_DAY
    cloudiness = np.clip(1.0 - land["rs"].values / np.maximum(rso, 1e-6), 0.0, 1.0)
    rn = land["rn"].astype(float)
    values = {
        "soil_wetness": land["soil_water"] / land["whc"],
        "lai": land["lai"],
        "land_cover": land["land_cover"].broadcast_like(land["rs"]),
        "cloudiness": land["rs"].copy(data=cloudiness),
        "wind": land["wind"],
        "vpd": land["vpd"],
        "tmean": land["tmean"],
        "rn": rn,
        "rn_change": (rn - rn.shift(time=1)).fillna(0.0),
    }
    out = xr.Dataset(coords=land["rs"].coords)
    for name, da in values.items():
        out[name] = da.astype(float).transpose(*land["rs"].dims).assign_attrs(DRIVER_ATTRS[name])
    return out


def stack_samples(ds: xr.Dataset, *, group_dims=("lat", "lon"), sample_dims=None) -> xr.Dataset:
    """Stack a gridded or per-site Dataset into a table with one ``sample`` per row.

    Parameters
    ----------
    ds : xarray.Dataset
        Variables on ``(time, lat, lon)``, ``(site, time)`` or already ``(sample,)``.
    group_dims : tuple of str, default ("lat", "lon")
        The dims that make a group (a cell, a site): rows of one group stay
        on one side of the error-model split. Only those present are used.
    sample_dims : tuple of str, optional
        The dims to stack (default: every dim of ``ds``).

    Returns
    -------
    xarray.Dataset
        Dim ``sample`` (an integer index), attributes kept, plus a coordinate
        ``group`` (integer id of the cell/site of each row) and, when present,
        ``time``, ``lat``, ``lon`` and ``site``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> ds = xr.Dataset({"x": (("time", "lat", "lon"), np.zeros((3, 2, 2)), {"units": "1"})},
    ...                 coords={"time": np.arange(3), "lat": [0.5, 1.5], "lon": [0.5, 1.5]})
    >>> t = stack_samples(ds)
    >>> t.sizes["sample"], sorted(set(t.group.values.tolist())), t.x.attrs["units"]
    (12, [0, 1, 2, 3], '1')
    """
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray.Dataset, got {type(ds).__name__}")
    if "sample" in ds.dims:
        if "group" not in ds.coords:
            ds = ds.assign_coords(group=("sample", np.arange(ds.sizes["sample"])))
        return ds
    dims = tuple(sample_dims or ds.dims)
    groups = [d for d in group_dims if d in dims] or [dims[0]]
    sizes = [ds.sizes[d] for d in groups]
    gid = xr.DataArray(np.arange(int(np.prod(sizes))).reshape(sizes), dims=groups)
    ds = ds.assign_coords(group=gid)
    stacked = ds.stack(sample=dims, create_index=False)
    keep = {"group": ("sample", np.asarray(stacked["group"].values))}
    for name in ("time", "lat", "lon", "site"):
        if name in stacked.coords:
            keep[name] = ("sample", np.asarray(stacked[name].values), ds[name].attrs)
    out = xr.Dataset({k: ("sample", np.asarray(v.values), v.attrs) for k, v in stacked.data_vars.items()},
                     coords={"sample": np.arange(stacked.sizes["sample"]), **keep}, attrs=ds.attrs)
    return out
