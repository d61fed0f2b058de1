"""Product intercomparison: metrics, scores, triple collocation, fusion, regridding, aggregation.

xarray-first and lazy: every function takes DataArrays/Datasets, reduces with
``dim=`` and area ``weights=``, and keeps dask-backed inputs lazy
(``xr.apply_ufunc(..., dask="parallelized")`` over private NumPy kernels).

=================  ==========================================================
``metrics``        bias ... KGE, Taylor statistics, trend, seasonal cycle
``scores``         ILAMB-style scores and the products x scores x regions table
``collocation``    classic and extended triple collocation over all triplets
``fusion``         ensembles, performance and TC weights, ML fusion
``regrid``         conservative / bilinear regridding, time steps, product checks
``aggregate``      area-weighted global, regional, zonal and seasonal means
``towers``         products at flux towers, energy-balance closure correction
``tables``         several estimates against one reference, as a pandas table
``overpass``       fusion of real product-vs-tower tables (ECOSTRESS) at unseen sites
=================  ==========================================================
"""

from __future__ import annotations

from . import aggregate, collocation, fusion, metrics, overpass, regrid, scores, tables, towers
from .aggregate import *  # noqa: F401,F403
from .collocation import *  # noqa: F401,F403
from .fusion import *  # noqa: F401,F403
from .metrics import *  # noqa: F401,F403
from .overpass import *  # noqa: F401,F403
from .regrid import *  # noqa: F401,F403
from .scores import *  # noqa: F401,F403
from .tables import *  # noqa: F401,F403
from .towers import *  # noqa: F401,F403

__all__ = [name for module in (metrics, scores, collocation, fusion, regrid, aggregate, towers, tables, overpass) for name in module.__all__]
