"""Strict outputs: a table or plot that shows no data becomes an error output (tests set WORKBENCH_STRICT_OUTPUTS=1).

A cell that displays an empty plot or a table of NaN "succeeds" under nbval and in the browser; a reader sees a
section with nothing in it. With strict outputs on, :func:`workbench.setup` registers an IPython hook that looks at
each cell's displayed result and raises :class:`EmptyOutputError` in the cell when it holds no data, so nbval and the
browser tests fail there, naming the cell's object and what is empty.
"""

from __future__ import annotations

import os

import numpy as np

from ._config import _TRUE

__all__ = ["EmptyOutputError", "empty_output_reason", "strict_outputs", "install"]

STRICT_ENV = "WORKBENCH_STRICT_OUTPUTS"


class EmptyOutputError(ValueError):
    """A displayed table or plot holds no data."""


def strict_outputs() -> bool:
    """Whether strict outputs are on (``WORKBENCH_STRICT_OUTPUTS=1``)."""
    return os.environ.get(STRICT_ENV, "").strip().lower() in _TRUE


def _all_missing(values) -> bool:
    values = np.asarray(values)
    if values.size == 0:
        return True
    if values.dtype.kind in "fc":
        return bool(np.isnan(values).all())
    if values.dtype.kind == "O":
        numeric = [v for v in values.ravel() if isinstance(v, (int, float, np.number)) and not isinstance(v, bool)]
        return bool(numeric) and len(numeric) == values.size and bool(np.isnan(np.asarray(numeric, float)).all())
    return False


def _holoviews_reason(obj) -> str | None:
    import holoviews as hv

    data_elements = (hv.element.Chart, hv.element.Raster, hv.element.Image, hv.element.QuadMesh, hv.element.Points,
                     hv.element.Bars, hv.element.HeatMap, hv.element.Table)
    for element in obj.traverse(lambda x: x, [hv.Element]):
        if not isinstance(element, data_elements):
            continue
        label = f"{type(element).__name__} {element.label or element.group!r}"
        if len(element) == 0:
            return f"{label} has no data points"
        vdims = element.vdims or element.kdims
        if vdims and all(_all_missing(element.dimension_values(d)) for d in vdims):
            return f"{label} has only missing values in {[d.name for d in vdims]}"
    return None


def empty_output_reason(obj) -> str | None:
    """Why ``obj`` would display no data, or None when it shows some.

    Parameters
    ----------
    obj : object
        A cell's result: pandas DataFrame/Series, xarray DataArray/Dataset, or a HoloViews object.

    Returns
    -------
    str or None

    Examples
    --------
    >>> import pandas as pd
    >>> empty_output_reason(pd.DataFrame({"rmse": [float("nan")] * 3}))
    'DataFrame: every numeric value is missing (3 rows)'
    >>> empty_output_reason(pd.Series([1.0, float("nan")])) is None
    True
    """
    import pandas as pd

    if isinstance(obj, pd.DataFrame):
        if obj.shape[0] == 0:
            return "DataFrame has no rows"
        numeric = obj.select_dtypes(include="number")
        if numeric.shape[1] and numeric.isna().all().all():
            return f"DataFrame: every numeric value is missing ({obj.shape[0]} rows)"
        return None
    if isinstance(obj, pd.Series):
        if obj.size == 0:
            return "Series is empty"
        return "Series: every value is missing" if obj.dtype.kind in "fc" and obj.isna().all() else None
    module = type(obj).__module__
    if module.startswith("xarray"):
        import xarray as xr

        if isinstance(obj, xr.DataArray):
            if obj.size == 0:
                return f"DataArray {obj.name!r} has no values (sizes {dict(obj.sizes)})"
            if obj.dtype.kind in "fc" and obj.chunks is None and bool(obj.isnull().all()):
                return f"DataArray {obj.name!r}: every value is missing"
        elif isinstance(obj, xr.Dataset) and obj.data_vars and all(v.size == 0 for v in obj.data_vars.values()):
            return f"Dataset has no values (sizes {dict(obj.sizes)})"
        return None
    if module.startswith("holoviews"):
        return _holoviews_reason(obj)
    return None


def _check_result(result) -> None:
    value = getattr(result, "result", None)
    if value is None:
        return
    reason = empty_output_reason(value)
    if reason:
        from IPython import get_ipython

        err = EmptyOutputError(f"this cell displays no data: {reason} ({STRICT_ENV}=1 makes that an error; "
                               "a section must show data, real or from the virtual land)")
        result.error_in_exec = err
        get_ipython().showtraceback(exc_tuple=(EmptyOutputError, err, None))


def install() -> bool:
    """Register the strict-output hook in the running IPython shell (once); True if it is active."""
    if not strict_outputs():
        return False
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    if shell is None:
        return False
    callbacks = shell.events.callbacks["post_run_cell"]
    if not any(getattr(cb, "__name__", "") == "_check_result" for cb in callbacks):
        shell.events.register("post_run_cell", _check_result)
    return True
