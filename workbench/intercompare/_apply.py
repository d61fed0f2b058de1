"""``xr.apply_ufunc`` for reductions over core dimensions, without dask's block copies (private).

``xr.apply_ufunc(..., dask="parallelized")`` goes through ``dask.array.apply_gufunc``,
whose blockwise call concatenates the blocks of every core dimension and so
copies each input block once per call, even when the core dimension is a
single chunk. For reductions over a single-chunk core dimension (time, in a
``(time, lat, lon)`` dataset) :func:`apply_reduction` maps the kernel over the
blocks directly (``dask.array.map_blocks``), which reads them in place.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import xarray as xr


def _map_reduce_blocks(*arrays, func, ncore: int, out_sizes: tuple):
    if not any(hasattr(a, "dask") for a in arrays):
        return func(*arrays)
    import dask.array as dsa

    nd = arrays[0].ndim
    arrays = [dsa.asarray(a).rechunk({ax: -1 for ax in range(nd - ncore, nd)}) for a in arrays]
    loop_chunks = arrays[0].chunks[: nd - ncore]
    arrays = [a.rechunk(loop_chunks + a.chunks[nd - ncore :]) for a in arrays]
    nout = len(out_sizes)
    out_chunks = loop_chunks + tuple((n,) for n in out_sizes)
    if nout == ncore:
        return dsa.map_blocks(func, *arrays, chunks=out_chunks, dtype=np.float64)
    if nout > ncore:
        return dsa.map_blocks(func, *arrays, new_axis=list(range(nd, nd - ncore + nout)), chunks=out_chunks, dtype=np.float64)
    extra = ncore - nout  # pad the output with size-1 axes to the input rank, then drop them
    padded = dsa.map_blocks(partial(_padded, kernel=func, extra=extra), *arrays, chunks=out_chunks + ((1,),) * extra, dtype=np.float64)
    return padded[(Ellipsis,) + (0,) * extra]


def _padded(*xs, kernel, extra):
    out = kernel(*xs)
    return out.reshape(out.shape + (1,) * extra)


def apply_reduction(func, *args, input_core_dims, output_core_dims, output_sizes):
    """Apply ``func`` (a NumPy kernel reducing the trailing core axes) to DataArrays.

    Parameters
    ----------
    func : callable
        Takes the arrays with their core dimensions last and returns an array
        whose trailing axes are ``output_core_dims``.
    *args : xarray.DataArray
        Inputs with the same core dimensions.
    input_core_dims : list of str
        The reduced dimensions (the same for every input).
    output_core_dims : list of str
        New trailing dimensions of the result.
    output_sizes : dict
        Their sizes.
    """
    ncore = len(input_core_dims)
    sizes = tuple(output_sizes[d] for d in output_core_dims)
    if not any(a.chunks is not None for a in args):
        return xr.apply_ufunc(func, *args, input_core_dims=[input_core_dims] * len(args), output_core_dims=[output_core_dims])
    if len(args) > 1:
        args = xr.broadcast(*args)
    return xr.apply_ufunc(
        _map_reduce_blocks,
        *args,
        kwargs={"func": func, "ncore": ncore, "out_sizes": sizes},
        input_core_dims=[input_core_dims] * len(args),
        output_core_dims=[output_core_dims],
        dask="allowed",
    )
