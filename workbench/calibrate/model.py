"""The calibrated model: the surrogates study's canopy + soil-water bucket year, in NumPy and in PyTorch.

:func:`run_model` runs :func:`workbench.surrogates.simulate_year` (NumPy, Newton
iterations to convergence) for many parameter sets at once;
:func:`simulate_torch` steps the very same kernels
(:func:`workbench.physics.canopy_fluxes` on torch tensors with a fixed number
of Newton iterations, and the bucket of
:func:`workbench.surrogates.emulator.bucket_update`) so that gradients flow
through the whole year, from every day's fluxes back to the parameters.

Parameters (:data:`PARAMETERS`): the Medlyn slope ``g1``, the carboxylation
capacity ``vcmax25`` and the rooting-zone water-holding capacity ``whc``, each
with default search bounds and hard physical limits.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from ..physics.canopy import CANOPY_PARAMETERS, canopy_fluxes
from ..surrogates.emulator import _CO2, _FORCING, _FORCING_UNITS, bucket_stress, bucket_update, simulate_year
from ..units import convert

__all__ = ["PARAMETERS", "DEFAULTS", "OUTPUTS", "check_bounds", "run_model", "forcing_tensors", "simulate_torch",
           "to_unit", "from_unit"]

#: name -> (default search lower bound, upper bound, physical lower limit, upper limit, units, long name).
PARAMETERS = {
    "vcmax25": (10.0, 150.0, 0.0, 300.0, "umol m-2 s-1", "maximum carboxylation rate at 25 degC"),
    "g1": (0.5, 10.0, 0.0, 20.0, "kPa0.5", "Medlyn stomatal slope"),
    "whc": (20.0, 400.0, 0.0, 2000.0, "mm", "rooting-zone water holding capacity"),
}
#: The model's parameters when nobody calibrates it (simulate_year's defaults).
DEFAULTS = {"vcmax25": 60.0, "g1": float(CANOPY_PARAMETERS["g1"]), "whc": 150.0}
#: Variables an objective can use: model output -> units.
OUTPUTS = {"et": "mm d-1", "soil_water": "mm", "le": "W m-2"}


def check_bounds(bounds: dict | None = None, names=None) -> dict:
    """Search bounds for the named parameters, checked against their physical limits.

    Parameters
    ----------
    bounds : dict, optional
        ``{name: (lo, hi)}`` overriding :data:`PARAMETERS` defaults.
    names : sequence of str, optional
        Parameters to calibrate (default: all of :data:`PARAMETERS`).

    Returns
    -------
    dict
        ``{name: (lo, hi)}`` in the order of ``names``.

    Raises
    ------
    ValueError
        For an unknown parameter, reversed bounds or bounds outside the
        physical limits, naming the parameter and the limits.

    Examples
    --------
    >>> check_bounds({"g1": (1.0, 6.0)}, names=["g1"])
    {'g1': (1.0, 6.0)}
    """
    bounds = dict(bounds or {})
    names = list(names if names is not None else (bounds or PARAMETERS))
    unknown = [k for k in [*names, *bounds] if k not in PARAMETERS]
    if unknown:
        raise ValueError(f"unknown parameter(s) {sorted(set(unknown))}; the model has {list(PARAMETERS)}")
    extra = [k for k in bounds if k not in names]
    if extra:
        raise ValueError(f"bounds given for {extra}, which are not among the calibrated parameters {names}")
    out = {}
    for k in names:
        lo, hi = (float(v) for v in bounds.get(k, PARAMETERS[k][:2]))
        plo, phi, units = PARAMETERS[k][2], PARAMETERS[k][3], PARAMETERS[k][4]
        if not lo < hi:
            raise ValueError(f"bounds of {k!r} are reversed or empty: ({lo}, {hi}); expected lo < hi")
        if lo <= plo or hi > phi:
            raise ValueError(f"bounds of {k!r} ({lo}, {hi}) {units} lie outside its physical limits "
                             f"({plo}, {phi}] {units}")
        out[k] = (lo, hi)
    return out


def to_unit(values, bounds: dict):
    """Map parameter values [their units] to the unit cube (0 at ``lo``, 1 at ``hi``), last axis = parameters."""
    lo, hi = (np.array([b[i] for b in bounds.values()]) for i in (0, 1))
    return (np.asarray(values, dtype=float) - lo) / (hi - lo)


def from_unit(u, bounds: dict):
    """Inverse of :func:`to_unit` (works on NumPy arrays and torch tensors)."""
    lo, hi = (np.array([b[i] for b in bounds.values()]) for i in (0, 1))
    if type(u).__module__.startswith("torch"):
        import torch

        lo, hi = torch.as_tensor(lo, dtype=u.dtype), torch.as_tensor(hi, dtype=u.dtype)
    return lo + u * (hi - lo)


def run_model(forcing: xr.Dataset, params: dict, *, dim: str = "member") -> xr.Dataset:
    """Run :func:`~workbench.surrogates.simulate_year` for ``k`` parameter sets on every site at once.

    Parameters
    ----------
    forcing : xarray.Dataset
        Daily forcing (see :func:`~workbench.surrogates.simulate_year`) on
        ``time`` and optionally ``site``.
    params : dict
        ``{name: array of shape (k,)}`` (or scalars) for any of
        :data:`PARAMETERS`; the others keep :data:`DEFAULTS`.
    dim : str, default "member"
        Name of the parameter-set dimension added to the result.

    Returns
    -------
    xarray.Dataset
        :func:`simulate_year` output with an extra ``dim`` of length ``k``.
    """
    unknown = [k for k in params if k not in PARAMETERS]
    if unknown:
        raise ValueError(f"unknown parameter(s) {unknown}; the model has {list(PARAMETERS)}")
    values = {k: np.atleast_1d(np.asarray(params.get(k, DEFAULTS[k]), dtype=float)) for k in PARAMETERS}
    k = max(v.size for v in values.values())
    values = {n: xr.DataArray(np.broadcast_to(v, (k,)), dims=dim) for n, v in values.items()}
    f = forcing[list(_FORCING)].expand_dims({dim: k}, axis=-1)
    return simulate_year(f, **values)


def forcing_tensors(forcing: xr.Dataset, *, dtype=None, device=None) -> dict:
    """Daily forcing as torch tensors of shape (time, site) in the units :func:`simulate_torch` works in."""
    import torch

    dtype = dtype or torch.float64
    if "time" not in forcing.dims:
        raise ValueError("forcing needs a 'time' dimension of daily steps")
    missing = [k for k in _FORCING if k not in forcing]
    if missing:
        raise ValueError(f"forcing is missing {missing}; the model needs {list(_FORCING)}")
    out = {}
    for k in _FORCING:
        da = convert(forcing[k], _FORCING_UNITS[k], name=k)
        da = da.transpose("time", ...) if da.ndim > 1 else da
        arr = np.asarray(da.values, dtype=float)
        out[k] = torch.as_tensor(arr.reshape(arr.shape[0], -1), dtype=dtype, device=device)
    return out


def simulate_torch(f: dict, vcmax25, g1, whc, *, co2: float = _CO2, n_newton: int = 10,
                   outputs=("et",)) -> dict:
    """The bucket year of :func:`~workbench.surrogates.simulate_year` in PyTorch, differentiable end to end.

    Each day runs :func:`workbench.physics.canopy_fluxes` on tensors with
    ``n_newton`` fixed Newton steps on leaf temperature (no data-dependent
    stopping, so autograd differentiates the iteration itself) and the bucket
    of :func:`~workbench.surrogates.emulator.bucket_update`.

    Parameters
    ----------
    f : dict
        Output of :func:`forcing_tensors`, tensors (time, n).
    vcmax25, g1, whc : torch.Tensor or float
        Parameters, broadcast against the n points [umol m-2 s-1, kPa0.5, mm].
    co2 : float, default 400
        [umol mol-1].
    n_newton : int, default 10
        Newton steps per day (the NumPy model iterates to |residual| < 1e-3 W m-2;
        10 steps agree with it to about 1e-6 mm d-1).
    outputs : sequence of str
        Any of :data:`OUTPUTS`.

    Returns
    -------
    dict
        ``{name: tensor (time, n)}``.
    """
    import torch

    bad = [o for o in outputs if o not in OUTPUTS]
    if bad:
        raise ValueError(f"the model does not output {bad}; it outputs {list(OUTPUTS)}")
    ref = f["rs"]
    shape = ref.shape[1:]
    vc, g1t, cap = (torch.broadcast_to(torch.as_tensor(v, dtype=ref.dtype, device=ref.device), shape)
                    for v in (vcmax25, g1, whc))
    store = 0.7 * cap
    co2t = torch.full(shape, float(co2), dtype=ref.dtype, device=ref.device)
    rec = {o: [] for o in outputs}
    for i in range(ref.shape[0]):
        stress = bucket_stress(store, cap)
        fl = canopy_fluxes(f["rs"][i], f["tmean"][i], f["vpd"][i], co2t, f["wind"][i], f["pressure"][i],
                           f["lai"][i], vc, stress, g1=g1t, fixed_iter=n_newton, warn=False)
        et, le, _, new_store = bucket_update(store, cap, fl["le"], f["tmean"][i], f["precip"][i])
        day = {"et": et, "le": le, "soil_water": store}
        for o in outputs:
            rec[o].append(day[o])
        store = new_store
    return {o: torch.stack(v) for o, v in rec.items()}
