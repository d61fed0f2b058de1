"""Lazy screening of many sites: the same per-site screening mapped over dask chunks of the ``site`` dimension.

:func:`screen_lazy` returns a dask-backed flag dataset at once; nothing runs
until it is computed, and then each chunk of sites is screened independently,
so a ``dask.distributed`` cluster screens hundreds of sites (or the cells of a
gridded product, stacked into a ``site`` dimension) in parallel.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .detectors import DETECTORS
from .flags import flag_attrs, flags_from_scores, qc_name, score_all

__all__ = ["screen_lazy"]


def _screen_block(block: xr.Dataset, variables, detectors, thresholds, seed) -> xr.Dataset:
    scores = score_all(block, variables, detectors, seed=seed)
    return flags_from_scores(scores, variables, thresholds=thresholds)


def screen_lazy(ds: xr.Dataset, variables=("le", "h", "rn", "tmean"), detectors=None, *, sites_per_chunk: int = 1, thresholds=None, seed: int = 0) -> xr.Dataset:
    """Screen every site lazily: ``xarray.map_blocks`` of :func:`~workbench.qc.screen` over chunks of sites.

    Parameters
    ----------
    ds : xarray.Dataset
        ``(site, time)`` towers, in memory or dask-backed.
    variables, detectors, thresholds, seed
        As for :func:`~workbench.qc.screen`.
    sites_per_chunk : int, default 1
        Sites screened together in one task.

    Returns
    -------
    xarray.Dataset
        Dask-backed ``<v>_qc`` and ``<v>_suspect`` flags, identical to
        :func:`~workbench.qc.screen` once computed.

    Examples
    --------
    >>> import pandas as pd
    >>> x = np.cos(np.arange(60) / 4.0) + 0.1 * np.random.default_rng(0).standard_normal((3, 60)); x[1, 30] = 9.0
    >>> ds = xr.Dataset({"tmean": (("site", "time"), x, {"units": "degC"})},
    ...                 coords={"site": ["A", "B", "C"], "time": pd.date_range("2020-01-01", periods=60)})
    >>> lazy = screen_lazy(ds, "tmean", detectors=["range", "mad_spike"])
    >>> lazy.tmean_suspect.chunks[0], lazy.tmean_suspect.sum("time").values.tolist()
    ((1, 1, 1), [0, 1, 0])
    """
    variables = [variables] if isinstance(variables, str) else list(variables)
    detectors = list(detectors or DETECTORS)
    if "site" not in ds.dims or "time" not in ds.dims:
        raise ValueError(f"screen_lazy needs dimensions ('site', 'time'); got {tuple(ds.dims)}")
    needed = sorted({*variables, "rn", "g", "h", "le", "sw_in_pot", "rs", "tmean", "vpd", "wind", "lai", "rh"} & set(ds.data_vars))
    chunked = ds[needed].transpose("site", "time").reset_coords(drop=True).chunk({"site": sites_per_chunk, "time": -1})
    import dask.array as da

    template = xr.Dataset(coords={"site": chunked["site"], "time": chunked["time"]})
    shape = (chunked.sizes["site"], chunked.sizes["time"])
    chunks = (chunked.chunks["site"], (shape[1],))
    for v in variables:
        qc_attrs, suspect_attrs = flag_attrs(v, detectors, thresholds)
        template[qc_name(v)] = (("site", "time"), da.zeros(shape, chunks=chunks, dtype=np.int32), qc_attrs)
        template[f"{v}_suspect"] = (("site", "time"), da.zeros(shape, chunks=chunks, dtype=np.int8), suspect_attrs)
    flags = xr.map_blocks(_screen_block, chunked, kwargs={"variables": variables, "detectors": detectors, "thresholds": thresholds, "seed": seed}, template=template)
    return flags.assign_coords({c: ds[c] for c in ds.coords if ds[c].dims == ("site",) and c != "site"})
