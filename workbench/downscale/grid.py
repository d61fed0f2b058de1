"""Grids of the downscaling study: coarsening, checks, and the interpolation baselines.

* :func:`coarsen_forcing` makes the coarse input from the fine truth with a
  conservative (area-weighted) block mean, :func:`workbench.intercompare.conservative_coarsen`.
* :func:`check_grids` refuses coarse and static fields that do not match (the
  fine grid must be an exact integer refinement of the coarse one).
* :func:`regrid_bilinear` and :func:`regrid_conservative` bring coarse fields
  to the fine grid with `xarray-regrid <https://github.com/xarray-contrib/xarray-regrid>`_
  (bilinear, and first-order conservative, which from a coarse to a nested
  fine grid is the coarse value repeated in every fine cell).
* :func:`lapse_rate_correction` is the classic elevation correction of
  interpolated temperature.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..intercompare import conservative_coarsen
from ..units import require_units

__all__ = [
    "coarsen_forcing",
    "check_grids",
    "coarsening_factor",
    "regrid_bilinear",
    "regrid_conservative",
    "lapse_rate_correction",
    "bilinear_lapse",
    "STANDARD_LAPSE_RATE",
]

#: Environmental lapse rate of the standard atmosphere [K m-1] (ICAO 1993).
STANDARD_LAPSE_RATE = 0.0065
_TEMPERATURES = ("tmean", "tmin", "tmax")


def coarsening_factor(coarse, fine) -> int:
    """The integer factor by which the fine grid refines the coarse one (same in lat and lon).

    Raises
    ------
    ValueError
        If either grid lacks ``lat``/``lon``, the factor is not an integer, it
        differs between lat and lon, or the fine cells do not nest inside the coarse ones.
    """
    for what, ds in (("coarse", coarse), ("fine (static)", fine)):
        for d in ("lat", "lon"):
            if d not in ds.coords or ds[d].size < 2:
                raise ValueError(f"the {what} grid needs a 1-D {d!r} coordinate with at least two cells")
    factors = {}
    for d in ("lat", "lon"):
        dc = float(np.diff(coarse[d].values).mean())
        df = float(np.diff(fine[d].values).mean())
        ratio = dc / df
        if abs(ratio - round(ratio)) > 1e-6 or round(ratio) < 1:
            raise ValueError(
                f"{d}: the coarse spacing {dc:g} deg is not an integer multiple of the fine spacing {df:g} deg "
                f"(ratio {ratio:.4g}); downscaling here needs an integer coarsening factor"
            )
        factors[d] = int(round(ratio))
    if factors["lat"] != factors["lon"]:
        raise ValueError(f"the coarsening factor must be the same in lat and lon; got {factors}")
    return factors["lat"]


def check_grids(coarse, static, factor: int | None = None) -> int:
    """Check that ``static`` is the fine grid nested in ``coarse``; return the factor.

    Parameters
    ----------
    coarse : xarray.Dataset or xarray.DataArray
        Coarse fields with ``lat``/``lon``.
    static : xarray.Dataset or xarray.DataArray
        Fine static covariates (or any field on the fine grid).
    factor : int, optional
        The factor expected; an error if the grids imply another one.

    Raises
    ------
    ValueError
        Naming the dimension and the sizes or edges that do not match.
    """
    f = coarsening_factor(coarse, static)
    if factor is not None and int(factor) != f:
        raise ValueError(f"expected a coarsening factor of {factor}, but the coarse and static grids differ by {f}")
    for d in ("lat", "lon"):
        nc, nf = coarse[d].size, static[d].size
        if nf != nc * f:
            raise ValueError(
                f"static fields have {nf} {d} cells but the coarse grid has {nc} cells x factor {f} = {nc * f}: "
                "coarse and static fields are on mismatched grids"
            )
        dc = float(np.diff(coarse[d].values).mean())
        df = float(np.diff(static[d].values).mean())
        c_edge = float(coarse[d].values[0]) - 0.5 * dc
        f_edge = float(static[d].values[0]) - 0.5 * df
        if abs(c_edge - f_edge) > 1e-3 * abs(df):
            raise ValueError(
                f"{d}: the coarse grid starts at {c_edge:g} deg but the static (fine) grid at {f_edge:g} deg: "
                "coarse and static fields are on mismatched grids"
            )
    return f


def coarsen_forcing(fine: xr.Dataset, factor: int, variables=None) -> xr.Dataset:
    """Coarsen fine forcing conservatively: ``cos(lat)``-weighted block means of ``factor`` x ``factor`` cells.

    Parameters
    ----------
    fine : xarray.Dataset
        Fine fields on a regular lat/lon grid (e.g. :func:`workbench.data.fine_forcing`).
    factor : int
        Coarsening factor; the grid sizes must be multiples of it.
    variables : list of str, optional
        Variables to coarsen; default every variable with ``lat`` and ``lon``.

    Returns
    -------
    xarray.Dataset
        The coarse fields, attrs kept; ``attrs["coarsening_factor"]``.

    Examples
    --------
    >>> import numpy as np
    >>> fine = xr.Dataset({"t": (("lat", "lon"), np.arange(16.0).reshape(4, 4), {"units": "degC"})},
    ...                   coords={"lat": [0.5, 1.5, 2.5, 3.5], "lon": [0.5, 1.5, 2.5, 3.5]})
    >>> coarsen_forcing(fine, 2).t.values.round(3)
    array([[ 2.5  ,  4.5  ],
           [10.499, 12.499]])
    """
    if isinstance(factor, bool) or not float(factor).is_integer() or int(factor) < 1:
        raise ValueError(f"the coarsening factor must be a positive integer; got {factor!r}")
    factor = int(factor)
    names = list(variables) if variables is not None else [v for v in fine.data_vars if {"lat", "lon"} <= set(fine[v].dims)]
    out = xr.Dataset({v: conservative_coarsen(fine[v].astype("float64"), factor).astype(fine[v].dtype) for v in names if v != "land_cover"})
    for d in ("lat", "lon"):
        out[d].attrs = dict(fine[d].attrs)
    out.attrs = {**fine.attrs, "coarsening_factor": factor}
    return out


def _regridder():
    import xarray_regrid  # noqa: F401  (registers the .regrid accessor)

    return xarray_regrid


def _padded(coarse: xr.Dataset) -> xr.Dataset:
    """Extend the coarse grid by one cell on each side (edge values), so that bilinear covers every fine cell."""
    padded = coarse.pad(lat=1, lon=1, mode="edge")
    coords = {}
    for d in ("lat", "lon"):
        c = coarse[d].values.astype(float)
        step = c[1] - c[0]
        coords[d] = np.r_[c[0] - step, c, c[-1] + step]
    return padded.assign_coords(coords)


def _target(static) -> xr.Dataset:
    return xr.Dataset(coords={"lat": static["lat"].values, "lon": static["lon"].values})


def regrid_bilinear(coarse, static):
    """Bilinear interpolation of coarse fields to the fine grid of ``static`` (xarray-regrid ``linear``).

    Cells beyond the outermost coarse centres take the edge values (the coarse
    grid is extended by one cell of its edge values before interpolating), so
    every fine cell gets a value.

    Parameters
    ----------
    coarse : xarray.Dataset or xarray.DataArray
        Coarse fields with ``lat``/``lon``.
    static : xarray.Dataset or xarray.DataArray
        Anything on the fine grid.

    Returns
    -------
    Same type as ``coarse``, on the fine grid, attrs kept.
    """
    check_grids(coarse, static)
    _regridder()
    is_da = isinstance(coarse, xr.DataArray)
    ds = coarse.to_dataset(name=coarse.name or "data") if is_da else coarse
    out = _padded(ds).regrid.linear(_target(static))
    out = out.assign_coords(lat=static["lat"].values, lon=static["lon"].values)
    for v in out.data_vars:
        out[v].attrs = dict(ds[v].attrs)
        dims = [d for d in ds[v].dims]
        out[v] = out[v].transpose(*dims).astype(ds[v].dtype)
    for d in ("lat", "lon"):
        out[d].attrs = dict(static[d].attrs)
    return out[coarse.name or "data"] if is_da else out


def regrid_conservative(coarse, static):
    """First-order conservative remapping of coarse fields to the fine grid (xarray-regrid ``conservative``).

    From a coarse grid to a fine grid nested in it, every fine cell lies in
    one coarse cell and takes its value: a blocky field whose coarse means are
    exactly the input.
    """
    check_grids(coarse, static)
    _regridder()
    is_da = isinstance(coarse, xr.DataArray)
    ds = coarse.to_dataset(name=coarse.name or "data") if is_da else coarse
    # xarray-regrid takes the source domain to end at the outermost centres: extend it by one edge cell.
    out = _padded(ds.astype("float64")).regrid.conservative(_target(static), latitude_coord="lat", skipna=False)
    out = out.assign_coords(lat=static["lat"].values, lon=static["lon"].values)
    for v in out.data_vars:
        out[v] = out[v].transpose(*ds[v].dims).astype(ds[v].dtype)
        out[v].attrs = dict(ds[v].attrs)
    for d in ("lat", "lon"):
        out[d].attrs = dict(static[d].attrs)
    return out[coarse.name or "data"] if is_da else out


def lapse_rate_correction(t_fine, z_coarse_on_fine, z_fine, lapse_rate: float = STANDARD_LAPSE_RATE):
    r"""Move interpolated temperature from the coarse cells' mean height to the fine cells' height.

    .. math:: T_f = T_{interp} - \Gamma (z_f - z_{c,interp})

    Parameters
    ----------
    t_fine : xarray.DataArray
        Temperature interpolated to the fine grid [degC].
    z_coarse_on_fine : xarray.DataArray
        Coarse-cell mean elevation interpolated the same way [m].
    z_fine : xarray.DataArray
        Fine elevation [m].
    lapse_rate : float, default 0.0065
        Environmental lapse rate Γ [K m-1].

    Returns
    -------
    xarray.DataArray
        Corrected temperature [degC], attrs of ``t_fine``.

    Examples
    --------
    >>> t = xr.DataArray([10.0], dims="x", attrs={"units": "degC"})
    >>> zc = xr.DataArray([500.0], dims="x", attrs={"units": "m"})
    >>> zf = xr.DataArray([1500.0], dims="x", attrs={"units": "m"})
    >>> float(lapse_rate_correction(t, zc, zf)[0])
    3.5
    """
    dz = require_units(z_fine, "m", name="z_fine") - require_units(z_coarse_on_fine, "m", name="z_coarse_on_fine")
    out = require_units(t_fine, "degC", name=t_fine.name or "t_fine") - lapse_rate * dz
    return out.astype(t_fine.dtype).assign_attrs(t_fine.attrs)


def bilinear_lapse(coarse: xr.Dataset, static: xr.Dataset, lapse_rate: float = STANDARD_LAPSE_RATE) -> xr.Dataset:
    """The interpolation baseline: bilinear for every variable, plus the lapse-rate correction of temperatures.

    Parameters
    ----------
    coarse : xarray.Dataset
        Coarse forcing with an ``elevation`` map (the coarse cells' mean height, [m]).
    static : xarray.Dataset
        Fine static covariates with ``elevation`` [m].
    lapse_rate : float
        Γ [K m-1] for :func:`lapse_rate_correction`.
    """
    for what, ds in (("coarse", coarse), ("static", static)):
        if "elevation" not in ds:
            raise ValueError(f"the {what} dataset needs an 'elevation' map [m] for the lapse-rate correction")
    out = regrid_bilinear(coarse, static)
    for v in _TEMPERATURES:
        if v in out:
            out[v] = lapse_rate_correction(out[v], out["elevation"], static["elevation"], lapse_rate)
    return out
