"""Training data for the canopy surrogate: space-filling samples and the virtual land's forcing.

Samples are Datasets along a ``sample`` dimension whose variables carry CF
``units``/``long_name``, named as :data:`workbench.physics.canopy.CANOPY_INPUTS`.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from scipy.stats import qmc

from ..physics import saturation_vapour_pressure
from ..physics.canopy import CANOPY_INPUTS, CANOPY_OUTPUTS, canopy_fluxes
from ..units import convert

__all__ = ["PROCESS_RANGES", "covering_ranges", "sobol_samples", "land_samples", "simulate_process"]

#: Stated physical ranges of the process inputs (lo, hi) in :data:`CANOPY_INPUTS` units.
#: Daytime and night-time, cold to hot, humid to dry, sparse to dense canopies.
PROCESS_RANGES: dict[str, tuple[float, float]] = {
    "rs": (0.0, 1000.0),
    "tmean": (-5.0, 40.0),
    "vpd": (0.05, 4.0),
    "co2": (300.0, 800.0),
    "wind": (0.5, 8.0),
    "pressure": (70.0, 105.0),
    "lai": (0.2, 6.0),
    "vcmax25": (20.0, 120.0),
    "water_stress": (0.0, 1.0),
}


def covering_ranges(X: xr.Dataset, stated: dict | None = None) -> dict[str, tuple[float, float]]:
    """Ranges that cover both the stated box and every training sample, per input.

    Pass the result to ``SurrogateRegressor.fit(..., ranges=...)``: inputs
    inside the stated box (where Sobol samples fill the space, right up to its
    edges) or inside what the samples reached (the virtual land's colder days)
    are then not flagged as out of range, everything beyond is.

    Parameters
    ----------
    X : xarray.Dataset
        Training inputs (``sample`` dim), in :data:`CANOPY_INPUTS` units.
    stated : dict, optional
        ``{name: (lo, hi)}``, default :data:`PROCESS_RANGES`.

    Returns
    -------
    dict
        ``{name: (lo, hi)}`` for every variable of ``X`` that ``stated`` names.

    Examples
    --------
    >>> X = sobol_samples(8, seed=0)
    >>> X["tmean"][0] = -20.0
    >>> covering_ranges(X)["tmean"], covering_ranges(X)["rs"]
    ((-20.0, 40.0), (0.0, 1000.0))
    """
    stated = PROCESS_RANGES if stated is None else stated
    out = {}
    for name, (lo, hi) in stated.items():
        if name in X:
            values = convert(X[name], CANOPY_INPUTS[name][0], name=name) if name in CANOPY_INPUTS else X[name]
            out[name] = (float(min(lo, values.min())), float(max(hi, values.max())))
    return out


def _dataset(columns: dict, **attrs) -> xr.Dataset:
    ds = xr.Dataset({k: ("sample", np.asarray(v, dtype=float)) for k, v in columns.items()})
    for k in ds.data_vars:
        units, long_name = CANOPY_INPUTS.get(k, CANOPY_OUTPUTS.get(k, ("1", k)))
        ds[k].attrs = {"units": units, "long_name": long_name}
    ds.attrs.update(attrs)
    return ds


def sobol_samples(n: int, ranges: dict | None = None, *, seed: int = 0) -> xr.Dataset:
    """Scrambled Sobol samples over the process input ranges.

    Parameters
    ----------
    n : int
        Number of samples (a power of two keeps the Sobol balance properties).
    ranges : dict, optional
        ``{name: (lo, hi)}``; defaults to :data:`PROCESS_RANGES`. Every input of
        the canopy model must be present.
    seed : int, default 0

    Notes
    -----
    ``vpd`` is drawn between its lower bound and ``min(hi, 0.95 es(tmean))``
    (FAO-56 eq. 11), so no sample has air drier than physically possible.

    Returns
    -------
    xarray.Dataset
        Dims ``sample``; one variable per input with ``units``/``long_name``.

    Examples
    --------
    >>> ds = sobol_samples(8, seed=1)
    >>> ds.sizes["sample"], bool((ds.rs >= 0).all() & (ds.rs <= 1000).all())
    (8, True)
    """
    ranges = dict(PROCESS_RANGES if ranges is None else ranges)
    missing = [k for k in CANOPY_INPUTS if k not in ranges]
    if missing:
        raise ValueError(f"ranges must cover every canopy input; missing {missing}")
    names = list(CANOPY_INPUTS)
    lo = np.array([ranges[k][0] for k in names], dtype=float)
    hi = np.array([ranges[k][1] for k in names], dtype=float)
    if np.any(hi < lo):
        raise ValueError(f"each range must be (lo, hi) with lo <= hi; got {ranges}")
    u = qmc.Sobol(d=len(names), scramble=True, seed=seed).random(n)
    x = lo + u * (hi - lo)
    # Air cannot be drier than dry: vpd spans [lo, min(hi, 0.95 es(tmean))].
    iv, it = names.index("vpd"), names.index("tmean")
    es = saturation_vapour_pressure(x[:, it])
    vpd_hi = np.maximum(np.minimum(hi[iv], 0.95 * es), lo[iv])
    x[:, iv] = lo[iv] + u[:, iv] * (vpd_hi - lo[iv])
    return _dataset(dict(zip(names, x.T)), sampling="scrambled Sobol", seed=seed)


def land_samples(land: xr.Dataset, n: int, *, seed: int = 0, co2: float | tuple = 400.0,
                 vcmax25: float | tuple = (20.0, 120.0)) -> xr.Dataset:
    """Draw ``n`` canopy inputs from the virtual land's daily forcing.

    Random (time, lat, lon) points of ``rs``, ``tmean``, ``vpd``, ``wind``,
    ``pressure``, ``lai`` and ``water_stress``; ``co2`` and ``vcmax25`` are a
    constant or drawn uniformly from a (lo, hi) range.

    Parameters
    ----------
    land : xarray.Dataset
        e.g. from :func:`workbench.data.virtual_land` (units converted from attrs).
    n : int
    seed : int, default 0
    co2, vcmax25 : float or (lo, hi)

    Returns
    -------
    xarray.Dataset
        Dims ``sample``, variables named and unit-tagged as :data:`CANOPY_INPUTS`.
    """
    rng = np.random.default_rng(seed)
    forcing = ["rs", "tmean", "vpd", "wind", "pressure", "lai", "water_stress"]
    missing = [k for k in forcing if k not in land]
    if missing:
        raise ValueError(f"land is missing forcing variables {missing}")
    stacked = {k: convert(land[k], CANOPY_INPUTS[k][0], name=k) for k in forcing}
    size = stacked["rs"].size
    idx = rng.choice(size, size=n, replace=size < n)
    cols = {}
    for k, da in stacked.items():
        da = da.broadcast_like(stacked["rs"]).transpose(*stacked["rs"].dims)
        cols[k] = np.asarray(da.values).reshape(-1)[idx]
    for k, val in (("co2", co2), ("vcmax25", vcmax25)):
        cols[k] = rng.uniform(*val, n) if isinstance(val, tuple) else np.full(n, float(val))
    cols = {k: cols[k] for k in CANOPY_INPUTS}
    bad = ~np.all([np.isfinite(v) for v in cols.values()], axis=0)
    if bad.any():
        raise ValueError(f"{int(bad.sum())} drawn forcing points contain NaN; the land forcing has gaps")
    return _dataset(cols, sampling="virtual land forcing", seed=seed)


def simulate_process(inputs: xr.Dataset, **kwargs) -> xr.Dataset:
    """Run :func:`workbench.physics.canopy.canopy_fluxes` on a Dataset of inputs.

    Returns the outputs (``an``, ``gs``, ``tleaf``, ``le``, ``h``,
    ``residual``, ``n_iter``) as a Dataset on the same dims.
    """
    return canopy_fluxes(**{k: inputs[k] for k in CANOPY_INPUTS}, **kwargs)
