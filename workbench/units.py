"""Units carried in CF attributes: parsing, checking and conversion.

Every quantity in the workbench carries its unit in ``attrs["units"]`` (CF
convention, e.g. ``"W m-2"``, ``"MJ m-2 d-1"``, ``"degC"``, ``"kPa"``). The
functions here read that attribute, convert to what a formula expects, and
raise :class:`UnitError` naming the variable, the expected unit and the one
found when the two cannot be reconciled.

Examples
--------
>>> import xarray as xr
>>> rn = xr.DataArray([100.0], dims="time", attrs={"units": "W m-2"})
>>> round(float(convert(rn, "MJ m-2 d-1", name="rn")[0]), 10)  # pint gives 8.639999999999999
8.64
"""

from __future__ import annotations

import re
from functools import lru_cache

import numpy as np
import pint
import xarray as xr

__all__ = [
    "UnitError",
    "parse_units",
    "convert",
    "require_units",
    "units_of",
    "with_units",
    "ureg",
]

ureg = pint.UnitRegistry(autoconvert_offset_to_baseunit=True)
# CF writes a day as "d", a fraction as "1" and percent as "%".
ureg.define("percent = 0.01 = %")
ureg.define("fraction = 1")


class UnitError(ValueError):
    """A quantity has a missing, unknown or incompatible unit."""


_CF_EXPONENT = re.compile(r"(?<=[A-Za-z])(-?\d+)")
_ALIASES = {
    "": "dimensionless",
    "1": "dimensionless",
    "-": "dimensionless",
    "%": "percent",
    "C": "degC",
    "deg C": "degC",
    "degC": "degC",
    "celsius": "degC",
    "degrees_celsius": "degC",
    "degrees_C": "degC",
    "K": "kelvin",
    "m/s": "m s-1",
    "mm/d": "mm d-1",
    "mm/day": "mm d-1",
    "W/m2": "W m-2",
    "W/m^2": "W m-2",
    "degrees_north": "degree",
    "degrees_east": "degree",
    "m2 m-2": "dimensionless",
    "m2/m2": "dimensionless",
}


@lru_cache(maxsize=256)
def parse_units(units: str) -> pint.Unit:
    """Parse a CF/UDUNITS unit string into a pint unit.

    Parameters
    ----------
    units : str
        A unit string such as ``"W m-2"``, ``"MJ m-2 d-1"``, ``"kg m-2 s-1"``,
        ``"degC"``, ``"%"`` or ``"1"``.

    Returns
    -------
    pint.Unit

    Raises
    ------
    UnitError
        If the string is not a unit pint can read.

    Examples
    --------
    >>> parse_units("MJ m-2 d-1") == parse_units("MJ/m**2/day")
    True
    """
    text = _ALIASES.get(units.strip(), units.strip())
    if text not in ("dimensionless", "degC", "percent"):
        text = _CF_EXPONENT.sub(r"**\1", text)
        text = re.sub(r"\s+", " * ", text.strip())
    try:
        return ureg.Unit(text)
    except Exception as err:  # pint raises several error types for bad strings
        raise UnitError(f"cannot read the unit {units!r}: {err}") from None


def units_of(da: xr.DataArray, name: str | None = None) -> str:
    """Return the ``units`` attribute of ``da``, or raise naming the variable.

    Raises
    ------
    UnitError
        If ``da`` has no ``units`` attribute.
    """
    label = name or da.name or "<unnamed>"
    units = da.attrs.get("units")
    if units is None:
        raise UnitError(
            f"variable {label!r} has no 'units' attribute; set it, e.g. "
            f"da.attrs['units'] = '...' (CF unit strings such as 'W m-2', 'degC', 'kPa')"
        )
    return str(units)


def _factor_and_offset(source: str, target: str, label: str) -> tuple[float, float]:
    src, dst = parse_units(source), parse_units(target)
    try:
        zero = ureg.Quantity(0.0, src).to(dst).magnitude
        one = ureg.Quantity(1.0, src).to(dst).magnitude
    except pint.DimensionalityError:
        raise UnitError(
            f"variable {label!r} has units {source!r}, which cannot be converted to the "
            f"expected {target!r} ({src.dimensionality} vs {dst.dimensionality})"
        ) from None
    return one - zero, zero


def convert(da: xr.DataArray, units: str, *, name: str | None = None) -> xr.DataArray:
    """Convert a DataArray to ``units``, reading its current unit from its attributes.

    Conversion is linear (scale and offset), so it stays lazy on dask arrays.

    Parameters
    ----------
    da : xarray.DataArray
        Data with an ``attrs["units"]`` string.
    units : str
        The target unit.
    name : str, optional
        The variable name used in error messages (defaults to ``da.name``).

    Returns
    -------
    xarray.DataArray
        The converted data; attributes kept, ``units`` updated.

    Raises
    ------
    UnitError
        If the unit is missing or not convertible to ``units``.
    """
    label = name or da.name or "<unnamed>"
    source = units_of(da, label)
    if parse_units(source) == parse_units(units):
        out = da.copy(deep=False)
    else:
        scale, offset = _factor_and_offset(source, units, label)
        out = da * scale + offset if offset else da * scale
        out.attrs = dict(da.attrs)
        out.name = da.name
    out.attrs["units"] = units
    return out


def require_units(x, units: str, *, name: str):
    """Bring a formula argument to ``units``.

    DataArrays are checked and converted from their ``units`` attribute;
    plain numbers and NumPy arrays are taken to be in ``units`` already (the
    unit each formula documents).

    Parameters
    ----------
    x : float, numpy.ndarray or xarray.DataArray
    units : str
        The unit the formula works in.
    name : str
        The argument's name, for error messages.
    """
    if isinstance(x, xr.DataArray):
        return convert(x, units, name=name)
    if isinstance(x, xr.Dataset):
        raise TypeError(f"argument {name!r} must be a DataArray, number or array, not a Dataset")
    return np.asarray(x, dtype=float) if not np.isscalar(x) else float(x)


def with_units(x, units: str, *, name: str, long_name: str):
    """Attach ``units``/``long_name`` to an xarray result; leave NumPy results alone."""
    if isinstance(x, xr.DataArray):
        x = x.rename(name)
        x.attrs = {"units": units, "long_name": long_name}
    return x
