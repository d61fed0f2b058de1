"""Product intercomparison: metrics, scores, triple collocation, fusion, regridding, aggregation.

xarray-first and lazy: every function takes DataArrays/Datasets, reduces with
``dim=`` and area ``weights=``, and keeps dask-backed inputs lazy
(``xr.apply_ufunc(..., dask="parallelized")`` over private NumPy kernels).
"""

from __future__ import annotations

from .metrics import (
    available_metrics,
    bias,
    compute_metrics,
    interannual_variability,
    kge,
    kge_components,
    mae,
    nse,
    pearson_r,
    phase_shift,
    r2,
    relative_bias,
    rmse,
    seasonal_cycle,
    taylor_statistics,
    trend,
    ubrmse,
)

__all__ = [
    "available_metrics",
    "bias",
    "compute_metrics",
    "interannual_variability",
    "kge",
    "kge_components",
    "mae",
    "nse",
    "pearson_r",
    "phase_shift",
    "r2",
    "relative_bias",
    "rmse",
    "seasonal_cycle",
    "taylor_statistics",
    "trend",
    "ubrmse",
]
