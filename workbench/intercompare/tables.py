"""Score tables: several estimates against one reference, as a tidy pandas table."""

from __future__ import annotations

import pandas as pd
import xarray as xr

from .metrics import compare

__all__ = ["skill_table"]


def skill_table(obs: xr.DataArray, estimates: xr.Dataset, metrics=None, dim=None, *, skipna: bool = True) -> pd.DataFrame:
    """Score every variable of ``estimates`` against ``obs``, as a table.

    The table form of :func:`compare`, for reading in a notebook. Pairs where
    either side is missing are left out for that estimate only (a common mask
    per pair), and the table says how many pairs each score used (column
    ``n``), so no gap passes unnoticed.

    Parameters
    ----------
    obs : xarray.DataArray
        The reference (e.g. tower ET) with ``units``.
    estimates : xarray.Dataset
        One variable per estimate, on the same coordinates as ``obs``.
    metrics : list of str, optional
        Names from :func:`available_metrics`; default all.
    dim : str or list of str, optional
        Dimension(s) reduced; the others (e.g. ``site``) become index levels.
    skipna : bool, default True
        Leave out missing pairs (and count the rest in ``n``).

    Returns
    -------
    pandas.DataFrame
        Index ``estimate`` (plus any dimension not reduced), one column per
        metric rounded to 2 decimals, and ``n``.

    Examples
    --------
    >>> import numpy as np
    >>> obs = xr.DataArray([1.0, 2.0, np.nan, 4.0], dims="time", attrs={"units": "mm d-1"})
    >>> est = xr.Dataset({"a": obs + 1, "b": obs * 2})
    >>> skill_table(obs, est, ["bias"], dim="time")
              bias  n
    estimate         
    a         1.00  3
    b         2.33  3
    """
    if not isinstance(estimates, xr.Dataset) or not estimates.data_vars:
        raise TypeError(f"estimates must be a Dataset with at least one variable; got {type(estimates).__name__}")
    scores = compare(obs, estimates, metrics, dim, skipna=skipna)
    reduce = dim if dim is not None else ...
    counts = xr.concat([(obs.notnull() & sim.notnull()).sum(reduce) for sim in estimates.data_vars.values()], dim="product")
    table = scores.assign(n=counts.assign_coords(product=scores["product"])).to_dataframe()
    table = table[[*scores.data_vars, "n"]].rename_axis(index={"product": "estimate"})
    table["n"] = table["n"].astype(int)
    return table.round(2)
