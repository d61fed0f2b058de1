"""Score tables: several estimates against one reference, as a tidy pandas table."""

from __future__ import annotations

import pandas as pd
import xarray as xr

from .metrics import compute_metrics

__all__ = ["skill_table"]


def skill_table(obs: xr.DataArray, estimates: xr.Dataset, metrics=None, dim=None, *, skipna: bool = True) -> pd.DataFrame:
    """Score every variable of ``estimates`` against ``obs``.

    Pairs where either side is missing are left out for that estimate only
    (a common mask per pair), and the table says how many pairs each score
    used (column ``n``), so no gap passes unnoticed.

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
        metric, and ``n``.

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
    rows = []
    for name, sim in estimates.data_vars.items():
        scores = compute_metrics(obs, sim, metrics=metrics, dim=dim, skipna=skipna)
        valid = (obs.notnull() & sim.notnull()).sum(dim if dim is not None else ...)
        frame = scores.assign(n=valid).to_dataframe() if scores[list(scores)[0]].dims else scores.assign(n=valid).to_pandas().to_frame().T
        keep = [c for c in frame.columns if c in scores.data_vars or c == "n"]
        frame = frame[keep]
        frame.insert(0, "estimate", name)
        rows.append(frame.reset_index(drop=not scores[list(scores)[0]].dims))
    table = pd.concat(rows, ignore_index=True)
    index = ["estimate", *[d for d in table.columns if d not in scores.data_vars and d not in ("estimate", "n")]]
    table = table.set_index(index)
    table["n"] = table["n"].astype(int)
    return table.round(2)
