"""Gridded products (netCDF or zarr) opened lazily with CF checks.

:func:`open_gridded` opens one or many netCDF files, or a zarr store, as a
dask-backed :class:`xarray.Dataset`, and :func:`check_cf_grid` brings it to the
workbench's grid convention:

* coordinates named ``lat`` [degrees_north], ``lon`` [degrees_east] and
  ``time``, found by name (``latitude``/``lat``, ``longitude``/``lon``,
  ``y``/``x`` only with degree units), ``standard_name`` or ``axis``;
* dimensions ordered ``(time, ..., lat, lon)``;
* ``lat``/``lon`` increasing (a decreasing axis is reversed lazily and the
  reversal recorded in ``attrs["history"]``), ``time`` strictly increasing;
* every data variable with a readable ``units`` attribute.

Anything that cannot be brought to that convention raises an error naming the
file, the variable, what was expected and what was found.
"""

from __future__ import annotations

import glob
import os
from pathlib import Path

import numpy as np
import xarray as xr

from ..units import UnitError, parse_units
from ._checks import check_time_axis, missing_names_error, require_path

__all__ = ["open_gridded", "check_cf_grid"]

_LAT_UNITS = {"degrees_north", "degree_north", "degree_N", "degrees_N", "degreeN", "degreesN"}
_LON_UNITS = {"degrees_east", "degree_east", "degree_E", "degrees_E", "degreeE", "degreesE"}
_AXES = {
    # target: (names accepted whatever their units, names accepted only with degree units, units, standard_name, axis)
    "lat": (("lat", "latitude", "nav_lat"), ("y", "rlat"), _LAT_UNITS, "latitude", "Y"),
    "lon": (("lon", "longitude", "long", "nav_lon"), ("x", "rlon"), _LON_UNITS, "longitude", "X"),
}
_TIME_NAMES = ("time", "t", "Time", "valid_time", "date")


def _is_degrees(var, units) -> bool:
    return str(var.attrs.get("units", "")).strip() in units


def _find_axis(ds: xr.Dataset, target: str) -> str | None:
    names, degree_only, units, standard_name, axis = _AXES[target]
    candidates = list(ds.coords) + [v for v in ds.data_vars if ds[v].ndim <= 2]
    for name in candidates:  # explicit CF metadata first
        var = ds[name]
        if var.attrs.get("standard_name") == standard_name or _is_degrees(var, units):
            return name
    for name in candidates:
        if name in names or (name in degree_only and _is_degrees(ds[name], units)):
            return name
    for name in candidates:
        if ds[name].attrs.get("axis") == axis and _is_degrees(ds[name], units):
            return name
    return None


def _find_time(ds: xr.Dataset) -> str | None:
    for name in list(ds.coords) + list(ds.dims):
        if name in ds.variables and (
            ds[name].attrs.get("standard_name") == "time"
            or ds[name].attrs.get("axis") == "T"
            or np.issubdtype(ds[name].dtype, np.datetime64)
        ):
            return name
    return next((n for n in _TIME_NAMES if n in ds.dims), None)


def _first_bad_step(values, *, decreasing_ok: bool) -> tuple[int | None, bool]:
    """(first offending index, is_decreasing) for a 1-D coordinate."""
    v = np.asarray(values)
    if v.size < 2:
        return None, False
    step = np.diff(v)
    if np.all(step > 0):
        return None, False
    if decreasing_ok and np.all(step < 0):
        return None, True
    sign = step[0] > 0 if step[0] != 0 else True
    bad = np.flatnonzero((step <= 0) if sign else (step >= 0))
    return int(bad[0]) + 1, False


def _exempt_from_units(ds: xr.Dataset) -> set[str]:
    """Variables CF does not give units: bounds, grid mappings, flags, strings."""
    exempt = set()
    for name, var in ds.variables.items():
        for key in ("bounds", "grid_mapping", "climatology"):
            if key in var.attrs:
                exempt.update(str(var.attrs[key]).split())
        if "flag_values" in var.attrs or "flag_masks" in var.attrs or var.dtype.kind in "SUO":
            exempt.add(name)
    return exempt


def check_cf_grid(ds: xr.Dataset, *, name: str | None = None, require_time: bool = True) -> xr.Dataset:
    """Check a gridded dataset against CF and bring it to ``(time, lat, lon)`` with ascending axes.

    Parameters
    ----------
    ds : xarray.Dataset
        A regular latitude-longitude grid (1-D ``lat`` and ``lon``).
    name : str, optional
        The file or product name used in error messages.
    require_time : bool, default True
        Whether a time axis must be present (False for static maps).

    Returns
    -------
    xarray.Dataset
        Coordinates renamed to ``lat``/``lon``/``time`` with CF ``units`` and
        ``standard_name``; data variables transposed to ``(time, ..., lat,
        lon)``; a decreasing ``lat`` or ``lon`` reversed (lazily), each change
        appended to ``attrs["history"]``. Longitudes are not wrapped (0-360
        stays 0-360). The input dataset is not modified.

    Raises
    ------
    ValueError
        If lat, lon or time cannot be found, lat/lon are 2-D (curvilinear or
        point data), a coordinate is neither increasing nor decreasing, or
        time has duplicated or decreasing stamps (naming the first offending index).
    UnitError
        Naming every data variable without a readable ``units`` attribute.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> raw = xr.Dataset(
    ...     {"et": (("latitude", "longitude"), np.arange(4.0).reshape(2, 2), {"units": "mm d-1"})},
    ...     coords={"latitude": [10.0, 0.0], "longitude": [0.0, 1.0]})
    >>> ds = check_cf_grid(raw, name="demo", require_time=False)
    >>> ds["lat"].values.tolist(), ds["et"].values[0].tolist()
    ([0.0, 10.0], [2.0, 3.0])
    """
    label = name or ds.encoding.get("source") or "<dataset>"
    ds = ds.copy()  # shallow: the caller's dataset and attributes are left untouched
    history = []
    found = {t: _find_axis(ds, t) for t in ("lat", "lon")}
    time = _find_time(ds)
    missing = [t for t, n in found.items() if n is None] + (["time"] if require_time and time is None else [])
    if missing:
        raise ValueError(
            f"{label!r}: cannot find the {' and '.join(missing)} coordinate(s); expected names such as "
            f"lat/latitude, lon/longitude, time, or units degrees_north/degrees_east, or standard_name; "
            f"found dims {dict(ds.sizes)} and coords {list(ds.coords)}"
        )
    for target, src in found.items():
        var = ds[src]
        if var.ndim != 1 or var.dims[0] != src:
            hint = (
                " (size-1 x/y with latitude/longitude variables: site data - use workbench.data.open_plumber2)"
                if all(ds.sizes.get(d, 0) == 1 for d in var.dims)
                else " (a curvilinear grid: regrid it to a regular lat-lon grid first)"
            )
            raise ValueError(
                f"{label!r}: {target} variable {src!r} has dims {var.dims}; expected a 1-D dimension "
                f"coordinate {target}{hint}"
            )
        units = str(var.attrs.get("units", "")).strip()
        if units and units not in _AXES[target][2] and units not in ("degree", "degrees"):
            raise UnitError(f"{label!r}: coordinate {src!r} has units {units!r}; expected {sorted(_AXES[target][2])[0]!r}")
    rename = {src: t for t, src in {**found, "time": time}.items() if src is not None and src != t}
    if rename:
        ds = ds.rename(rename)
        history.append(f"renamed {rename}")
    ds["lat"].attrs.update(units="degrees_north", standard_name="latitude")
    ds["lon"].attrs.update(units="degrees_east", standard_name="longitude")

    for coord in ("lat", "lon"):
        bad, decreasing = _first_bad_step(ds[coord].values, decreasing_ok=True)
        if bad is not None:
            raise ValueError(
                f"{label!r}: coordinate {coord!r} is not monotonic at index {bad} "
                f"({ds[coord].values[bad - 1]} then {ds[coord].values[bad]}); expected strictly increasing or decreasing"
            )
        if decreasing:
            ds = ds.isel({coord: slice(None, None, -1)})
            history.append(f"reversed {coord} to increasing order")
    if "time" in ds.dims:
        check_time_axis(ds["time"].values, source=label)

    order = [d for d in ("time",) if d in ds.dims]
    for var in list(ds.data_vars):
        dims = ds[var].dims
        wanted = [d for d in order if d in dims] + [d for d in dims if d not in ("time", "lat", "lon")]
        wanted += [d for d in ("lat", "lon") if d in dims]
        if list(dims) != wanted:
            ds[var] = ds[var].transpose(*wanted)
            history.append(f"transposed {var} from {dims} to {tuple(wanted)}")

    exempt = _exempt_from_units(ds)
    no_units = [v for v in ds.data_vars if v not in exempt and "units" not in ds[v].attrs]
    if no_units:
        raise UnitError(f"{label!r}: data variable(s) {no_units} have no 'units' attribute; expected CF units such as 'mm d-1' or 'W m-2'")
    for v in ds.data_vars:
        if v not in exempt:
            try:
                parse_units(str(ds[v].attrs["units"]))
            except UnitError as err:
                raise UnitError(f"{label!r}: data variable {v!r}: {err}") from None
    if history:
        stamp = "workbench.data.check_cf_grid: " + "; ".join(history)
        ds.attrs["history"] = (ds.attrs.get("history", "") + "\n" + stamp).strip()
    return ds


def _expand(paths) -> list[Path]:
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    if not isinstance(paths, (list, tuple)) or not paths:
        raise TypeError(f"expected a path, a glob pattern or a non-empty list of paths, got {paths!r}")
    out = []
    for p in paths:
        text = os.fspath(p)
        if any(ch in text for ch in "*?["):
            hits = sorted(glob.glob(text))
            if not hits:
                raise FileNotFoundError(f"no file matches the pattern {text!r}")
            out += [Path(h) for h in hits]
        else:
            out.append(require_path(p, what="gridded file"))
    return out


def open_gridded(paths, *, variable=None, chunks="auto", engine=None, require_time: bool = True) -> xr.Dataset:
    """Open a gridded product lazily (netCDF or zarr) and check it with :func:`check_cf_grid`.

    Parameters
    ----------
    paths : str, os.PathLike, glob pattern or list of them
        One netCDF file, several (combined by coordinates with
        :func:`xarray.open_mfdataset`), or one zarr store (a folder or
        ``*.zarr``).
    variable : str or list of str, optional
        Keep only these data variables.
    chunks : "auto", dict or None, default "auto"
        Dask chunks; the result stays lazy unless ``chunks=None``.
    engine : str, optional
        The xarray engine (``"netcdf4"``, ``"h5netcdf"``, ``"zarr"``); guessed
        from the path when None.
    require_time : bool, default True
        See :func:`check_cf_grid`.

    Returns
    -------
    xarray.Dataset
        Dask-backed, on ``(time, lat, lon)`` with ascending lat/lon;
        ``attrs["source_files"]`` lists the files (``"; "``-separated).

    Raises
    ------
    FileNotFoundError
        Naming a path (or pattern) that does not exist.
    ValueError, UnitError
        From :func:`check_cf_grid`, or for a requested variable that is not
        in the files (with close matches).
    """
    files = _expand(paths)
    label = str(files[0]) if len(files) == 1 else f"{files[0]} ... {files[-1]} ({len(files)} files)"
    is_zarr = engine == "zarr" or any(p.is_dir() or p.suffix == ".zarr" for p in files)
    if is_zarr:
        if len(files) != 1:
            raise ValueError(f"expected one zarr store, got {len(files)} paths: {[str(p) for p in files]}")
        ds = xr.open_zarr(files[0], chunks=chunks)
    elif len(files) == 1:
        ds = xr.open_dataset(files[0], engine=engine, chunks=chunks)
    else:
        ds = xr.open_mfdataset(files, engine=engine, chunks=chunks, combine="by_coords")
    if variable is not None:
        wanted = [variable] if isinstance(variable, str) else list(variable)
        absent = [v for v in wanted if v not in ds.data_vars]
        if absent:
            raise missing_names_error(absent, ds.data_vars, source=label, kind="variable")
        ds = ds[wanted]
    ds = check_cf_grid(ds, name=label, require_time=require_time)
    ds.attrs["source_files"] = "; ".join(str(p) for p in files)
    return ds
