"""The running model: the canopy + soil-water bucket model stepped one day at a time with explicit state.

The same physics as :func:`workbench.surrogates.simulate_year` (the canopy
solve :func:`workbench.physics.canopy_fluxes` and the bucket day
:func:`workbench.surrogates.emulator.bucket_update`), but with the state (the
soil-water store) and the parameters handed in and out every day, so that a
filter or an agent can change them while the model runs. Every function works
on a batch of points at once (scenarios x ensemble members x candidates): one
canopy solve per simulated day, whatever the batch.
"""

from __future__ import annotations

import numpy as np

from ..physics.canopy import canopy_fluxes
from ..surrogates.emulator import EMULATOR_PARAMETERS, bucket_update, bucket_stress

__all__ = ["PARAMETERS", "PARAM_NAMES", "FORCING", "step_day", "clip_parameters", "run_fixed"]

#: Adaptable parameters: name -> (lo, hi, units, long_name). The bounds are
#: the physical limits an adaptation may reach; the calibration searches the
#: emulator's ranges (:data:`workbench.surrogates.EMULATOR_PARAMETERS`).
PARAMETERS = {
    "vcmax25": (5.0, 200.0, EMULATOR_PARAMETERS["vcmax25"][2], EMULATOR_PARAMETERS["vcmax25"][3]),
    "g1": (0.5, 12.0, EMULATOR_PARAMETERS["g1"][2], EMULATOR_PARAMETERS["g1"][3]),
    "whc": (10.0, 500.0, EMULATOR_PARAMETERS["whc"][2], EMULATOR_PARAMETERS["whc"][3]),
}
PARAM_NAMES = tuple(PARAMETERS)
#: Daily forcing the model reads (units as in :data:`workbench.physics.canopy.CANOPY_INPUTS`, precip in mm d-1).
FORCING = ("rs", "tmean", "vpd", "wind", "pressure", "lai", "precip")
_LO = np.array([v[0] for v in PARAMETERS.values()])
_HI = np.array([v[1] for v in PARAMETERS.values()])


def clip_parameters(params) -> tuple[np.ndarray, int]:
    """Clip parameter sets to :data:`PARAMETERS` bounds; return the clipped array and how many values moved.

    Parameters
    ----------
    params : array-like, shape (..., 3)
        ``vcmax25`` [umol m-2 s-1], ``g1`` [kPa0.5], ``whc`` [mm] on the last axis.

    Examples
    --------
    >>> p, n = clip_parameters([[60.0, 4.0, 150.0], [500.0, 4.0, 1.0]])
    >>> p[1].tolist(), n
    ([200.0, 4.0, 10.0], 2)
    """
    p = np.asarray(params, dtype=float)
    if p.shape[-1:] != (len(PARAMETERS),):
        raise ValueError(f"params must have the {len(PARAMETERS)} parameters {PARAM_NAMES} on the last axis; "
                         f"got shape {p.shape}")
    if not np.all(np.isfinite(p)):
        raise ValueError("params contain NaN or infinite values")
    clipped = np.clip(p, _LO, _HI)
    return clipped, int(np.count_nonzero(clipped != p))


def step_day(store, day: dict, params, *, co2=400.0):
    """One day of the canopy + bucket model for a batch of points.

    Parameters
    ----------
    store : numpy.ndarray
        Soil water at the start of the day [mm], shape ``batch``.
    day : dict of numpy.ndarray
        The day's :data:`FORCING` (``rs`` [W m-2], ``tmean`` [degC], ``vpd``
        [kPa], ``wind`` [m s-1], ``pressure`` [kPa], ``lai`` [m2 m-2],
        ``precip`` [mm d-1]), each broadcastable to ``batch``.
    params : numpy.ndarray, shape (batch..., 3)
        ``vcmax25``, ``g1``, ``whc`` (see :data:`PARAMETERS`).
    co2 : float or array-like, default 400
        [umol mol-1].

    Returns
    -------
    et, le, store : numpy.ndarray
        ET [mm d-1], water-limited LE [W m-2] and the next day's store [mm].

    Examples
    --------
    >>> day = dict(rs=250.0, tmean=20.0, vpd=1.2, wind=2.0, pressure=100.0, lai=3.0, precip=0.0)
    >>> et, le, store = step_day(np.array([100.0]), day, np.array([[60.0, 4.0, 150.0]]))
    >>> round(float(et[0]), 2), round(float(store[0]), 2)
    (6.74, 93.26)
    """
    params = np.asarray(params, dtype=float)
    day = {k: np.asarray(v, dtype=float) for k, v in day.items()}  # float32 forcing would round ET at 1e-7
    vc, g1, whc = params[..., 0], params[..., 1], params[..., 2]
    store = np.asarray(store, dtype=float)
    stress = bucket_stress(store, whc)
    out = canopy_fluxes(rs=day["rs"], tmean=day["tmean"], vpd=day["vpd"], co2=co2, wind=day["wind"],
                        pressure=day["pressure"], lai=day["lai"], vcmax25=vc, water_stress=stress,
                        g1=np.broadcast_to(g1, stress.shape), warn=False)
    et, le, _runoff, new_store = bucket_update(store, whc, out["le"], day["tmean"], day["precip"])
    return et, le, new_store


def run_fixed(forcing: dict, params, store, *, start=0, stop=None, co2=400.0, progress=None):
    """Run the model with fixed parameters from day ``start`` to ``stop`` (exclusive).

    Parameters
    ----------
    forcing : dict of numpy.ndarray
        :data:`FORCING` arrays of shape (scenario, time).
    params : numpy.ndarray, shape (scenario, [k,] 3)
        One parameter set per scenario, or ``k`` candidates per scenario.
    store : numpy.ndarray, shape (scenario[, k])
        Start-of-period soil water [mm].
    progress : callable, optional
        Called with the number of days done after each day (e.g. a tqdm ``update``).

    Returns
    -------
    et : numpy.ndarray, shape (time, scenario[, k])
        Daily ET [mm d-1].
    store : numpy.ndarray
        Soil water at the end [mm].
    """
    params = np.asarray(params, dtype=float)
    store = np.asarray(store, dtype=float)
    stop = forcing["rs"].shape[1] if stop is None else stop
    extra = params.ndim - 2
    out = np.empty((stop - start, *store.shape))
    for j, t in enumerate(range(start, stop)):
        day = {k: forcing[k][:, t].reshape(-1, *([1] * extra)) for k in FORCING}
        out[j], _, store = step_day(store, day, params, co2=co2)
        if progress is not None:
            progress(1)
    return out, store
