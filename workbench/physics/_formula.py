"""Private plumbing shared by the physics formulas: units in, DataArray out.

Every public formula in :mod:`workbench.physics` is a plain NumPy kernel
wrapped by :func:`formula`. The wrapper

1. checks and converts each data argument with
   :func:`workbench.units.require_units` (a DataArray is converted from its
   ``units`` attribute; a number or NumPy array is taken to be in the unit the
   docstring states),
2. runs cheap plausibility checks on plain-array arguments (radiation given in
   W m-2 where MJ m-2 d-1 is expected, humidity given as a fraction),
3. calls the kernel directly when no argument is a DataArray, and otherwise
   through :func:`xarray.apply_ufunc` with ``dask="parallelized"`` (so dask
   inputs stay lazy and coordinates must match exactly: nothing is dropped by
   an inner join), naming the result and setting ``units``/``long_name``.

The undecorated kernel stays available as ``<formula>.kernel`` so that
composed formulas (e.g. net radiation) call each other without re-checking.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Mapping

import numpy as np
import xarray as xr

from ..units import require_units, with_units

UnitSpec = str | None | Callable[[Mapping[str, object]], str]


def _resolve(spec: UnitSpec, arguments: Mapping[str, object]) -> str | None:
    return spec(arguments) if callable(spec) else spec


def formula(
    *,
    name: str,
    long_name: str,
    units: UnitSpec,
    inputs: Mapping[str, UnitSpec],
    checks: Mapping[str, Callable[[np.ndarray | float, str, Mapping[str, object]], None]] | None = None,
):
    """Decorate a NumPy kernel as a units-checked, xarray-aware formula.

    Parameters
    ----------
    name, long_name : str
        Name and ``long_name`` of a DataArray result.
    units : str or callable
        Unit of the result (a callable receives the bound arguments).
    inputs : mapping
        Data arguments and the unit the kernel works in. ``None`` marks a data
        argument without a unit (day of year, a coefficient): it may be a
        DataArray but is not unit-checked.
    checks : mapping, optional
        Plausibility checks ``check(value, arg_name, arguments)`` run on
        arguments given as plain numbers or arrays (a DataArray's unit is
        already known from its attributes).
    """
    checks = dict(checks or {})

    def decorate(kernel):
        signature = inspect.signature(kernel)
        unknown = set(inputs) - set(signature.parameters)
        if unknown:
            raise TypeError(f"{kernel.__name__}: inputs {sorted(unknown)} are not parameters")

        @functools.wraps(kernel)
        def wrapper(*args, **kwargs):
            bound = signature.bind(*args, **kwargs)
            bound.apply_defaults()
            arguments = bound.arguments
            data = {}
            for arg, spec in inputs.items():
                value = arguments[arg]
                if value is None:
                    continue
                if not isinstance(value, xr.DataArray) and arg in checks:
                    checks[arg](value, arg, arguments)
                target = _resolve(spec, arguments)
                if target is not None:
                    value = require_units(value, target, name=arg)
                elif isinstance(value, xr.Dataset):
                    raise TypeError(f"argument {arg!r} must be a DataArray, number or array, not a Dataset")
                data[arg] = value
            options = {k: v for k, v in arguments.items() if k not in data}
            labelled = [arg for arg, v in data.items() if isinstance(v, xr.DataArray)]
            if not labelled:
                return kernel(**data, **options)
            for arg, value in data.items():
                if not isinstance(value, xr.DataArray) and np.ndim(value) > 0:
                    raise TypeError(
                        f"argument {arg!r} is an unlabelled array of shape {np.shape(value)} while "
                        f"{labelled[0]!r} is a DataArray; pass {arg!r} as a DataArray with dims "
                        f"(or as a scalar) so that it can be aligned"
                    )
            names = list(data)

            def call(*values):
                return kernel(**dict(zip(names, values)), **options)

            result = xr.apply_ufunc(
                call,
                *data.values(),
                dask="parallelized",
                join="exact",
                dataset_join="exact",
                output_dtypes=[float],
            )
            return with_units(result, _resolve(units, arguments), name=name, long_name=long_name)

        wrapper.kernel = kernel
        return wrapper

    return decorate


def _finite_max(value) -> float | None:
    array = np.asarray(value, dtype=float).ravel()
    if array.size == 0:
        return None
    top = float(np.fmax.reduce(array))  # fmax skips NaN without a warning
    return None if np.isnan(top) else top


def check_percent(value, arg: str, arguments=None) -> None:
    """Refuse relative humidity that looks like a fraction (0..1) where % is expected."""
    top = _finite_max(value)
    if top is not None and top <= 1.0:
        raise ValueError(
            f"{arg!r} must be relative humidity in %, but its largest value is {top:g}, which looks "
            f"like a fraction (0..1); multiply by 100, or pass a DataArray with attrs['units'] = '1'"
        )


def check_celsius(value, arg: str, arguments=None) -> None:
    """Refuse air temperature that looks like kelvin where degC is expected."""
    top = _finite_max(value)
    if top is not None and top > 100.0:
        raise ValueError(
            f"{arg!r} must be in degC, but its largest value is {top:g}, which looks like kelvin; "
            f"subtract 273.15, or pass a DataArray with attrs['units'] = 'K'"
        )


def _radiation_check(limit: float, unit: str, factor: float, per: str):
    def check(value, arg: str, arguments=None) -> None:
        top = _finite_max(value)
        if top is not None and top > limit:
            raise ValueError(
                f"{arg!r} must be in {unit}, but its largest value is {top:g}, above {limit:g} {unit}: "
                f"it looks like W m-2 given as a plain array; multiply by {factor} to get {unit} "
                f"({per} mean), or pass a DataArray with attrs['units'] = 'W m-2'"
            )

    return check


# The solar constant is 118 MJ m-2 d-1 at the top of the atmosphere and 4.9 MJ m-2 h-1.
check_mj_day = _radiation_check(100.0, "MJ m-2 d-1", 0.0864, "daily")
check_mj_hour = _radiation_check(6.0, "MJ m-2 h-1", 0.0036, "hourly")
