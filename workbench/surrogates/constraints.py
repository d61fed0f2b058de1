"""Physics constraints for surrogates: loss penalties (torch) and violation checks (NumPy).

Each constraint is one physical statement about the canopy process, written
once on an array namespace (via :mod:`workbench.physics.canopy`) and used in
two ways: as a differentiable penalty added to the training loss, and as a
check that counts how often and by how much a model breaks it.

* ``energy``: the leaf energy balance closes,
  :math:`R_{abs} - 2\\epsilon f_c\\sigma T_l^4 - H - LE = 0` [W m-2].
* ``nonneg``: stomatal conductance and evapotranspiration are non-negative.
* ``monotone``: responses the coupled physics guarantees (checked in the tests
  on space-filling samples): net assimilation does not decrease with CO2 and
  latent heat does not decrease with soil water (``water_stress``).
  Assimilation is *not* monotone in light in the coupled model: past light
  saturation, extra radiation warms the leaf and raises respiration and the
  leaf-to-air VPD, so ``an`` falls slightly; the constraint is therefore not
  imposed on ``rs``.
"""

from __future__ import annotations

import numpy as np
import torch

from ..physics.canopy import absorbed_radiation, emitted_longwave

__all__ = ["available_constraints", "build", "close_energy", "closure_index", "energy_residual", "MONOTONE", "NONNEGATIVE", "violations"]

#: (target, feature): target must not decrease when the feature increases.
MONOTONE = (("an", "co2"), ("le", "water_stress"))
#: Targets that physics keeps >= 0 (plus any target whose name starts with "et").
NONNEGATIVE = ("gs",)
_ENERGY_SCALE = 100.0  # W m-2: residual that costs as much as a 1-sigma output error
_ENERGY_FEATURES = ("rs", "tmean", "vpd", "lai")
_ENERGY_TARGETS = ("tleaf", "h", "le")


def available_constraints() -> list[str]:
    """Names accepted in ``SurrogateRegressor(physics={...})``."""
    return ["energy", "nonneg", "monotone"]


def energy_residual(features: dict, targets: dict):
    """Energy-balance residual [W m-2] of (predicted) fluxes, on NumPy arrays or tensors.

    Parameters
    ----------
    features : dict
        ``rs`` [W m-2], ``tmean`` [degC], ``vpd`` [kPa], ``lai`` [m2 m-2].
    targets : dict
        ``tleaf`` [degC], ``h`` [W m-2], ``le`` [W m-2].

    Returns
    -------
    array-like
        :math:`R_{abs} - 2\\epsilon f_c\\sigma T_l^4 - H - LE` [W m-2].
    """
    rabs = absorbed_radiation(features["rs"], features["tmean"], features["vpd"], features["lai"])
    return rabs - emitted_longwave(targets["tleaf"], features["lai"]) - targets["h"] - targets["le"]


def closure_index(features, targets) -> dict:
    """Column indices for :func:`close_energy`; raises ``ValueError`` naming what is missing."""
    _require("energy closure", _ENERGY_FEATURES, features, "features")
    _require("energy closure", _ENERGY_TARGETS, targets, "targets")
    return {**{k: list(features).index(k) for k in _ENERGY_FEATURES},
            **{k: list(targets).index(k) for k in _ENERGY_TARGETS}}


def close_energy(x, y, index: dict):
    """Replace the ``h`` column of ``y`` by the energy-balance remainder (hard constraint, torch).

    :math:`H = R_{abs} - 2\\epsilon f_c\\sigma T_l^4 - LE`, computed in float32
    even when the network runs in float16 (``T^4`` overflows fp16).
    """
    xf, yf = x.float(), y.float()
    feats = {k: xf[:, index[k]] for k in _ENERGY_FEATURES}
    targs = {"tleaf": yf[:, index["tleaf"]], "le": yf[:, index["le"]], "h": 0.0}
    h = energy_residual(feats, targs).to(y.dtype)
    j = index["h"]
    return torch.cat([y[:, :j], h[:, None], y[:, j + 1:]], dim=1)


def _nonneg_targets(targets):
    return [t for t in targets if t in NONNEGATIVE or t.startswith("et")]


def _require(kind, needed, have, what):
    missing = [n for n in needed if n not in have]
    if missing:
        raise ValueError(f"physics constraint {kind!r} needs {what} {list(needed)}; missing {missing} "
                         f"(the model has {list(have)})")


def build(weights: dict, features: list[str], targets: list[str]) -> dict:
    """Penalty functions ``fn(model, x, y_phys) -> scalar tensor`` for the weighted constraints.

    Raises ``ValueError`` before training when a constraint cannot apply to
    these features/targets.
    """
    out = {}
    fi = {n: i for i, n in enumerate(features)}
    ti = {n: i for i, n in enumerate(targets)}
    for kind, weight in weights.items():
        if not weight:
            continue
        if kind == "energy":
            _require(kind, _ENERGY_FEATURES, features, "features")
            _require(kind, _ENERGY_TARGETS, targets, "targets")

            def fn(model, x, y, fi=fi, ti=ti):
                res = energy_residual({k: x[:, fi[k]] for k in _ENERGY_FEATURES},
                                      {k: y[:, ti[k]] for k in _ENERGY_TARGETS})
                return torch.mean((res / _ENERGY_SCALE) ** 2)
        elif kind == "nonneg":
            cols = [ti[t] for t in _nonneg_targets(targets)]
            if not cols:
                raise ValueError(f"physics constraint 'nonneg' applies to {list(NONNEGATIVE)} or 'et*' targets; "
                                 f"the model has {targets}")

            def fn(model, x, y, cols=cols):
                return torch.mean((torch.relu(-y[:, cols]) / model.y_std[cols]) ** 2)
        elif kind == "monotone":
            pairs = [(ti[t], fi[f]) for t, f in MONOTONE if t in ti and f in fi]
            if not pairs:
                raise ValueError(f"physics constraint 'monotone' needs one of the (target, feature) pairs "
                                 f"{list(MONOTONE)}; the model has targets {targets} and features {features}")

            def fn(model, x, y, pairs=pairs):
                total = 0.0
                for t, f in pairs:
                    xp = x.clone()
                    xp[:, f] = xp[:, f] + 0.05 * model.x_std[f]
                    drop = torch.relu(y[:, t] - model(xp)[:, t]) / model.y_std[t]
                    total = total + torch.mean(drop**2)
                return total
        else:
            raise ValueError(f"unknown physics constraint {kind!r}; available: {available_constraints()}")
        out[kind] = (float(weight), fn)
    return out


def violations(features: dict, targets: dict, *, predict=None, tol_energy=1.0) -> dict:
    """Rate and size of physical-constraint violations of a set of outputs.

    Parameters
    ----------
    features, targets : dict of numpy.ndarray
        Inputs and (predicted) outputs in the canopy units.
    predict : callable, optional
        ``predict(features) -> targets`` used to probe monotonic responses
        (skipped when absent).
    tol_energy : float, default 1.0
        Residual [W m-2] above which the energy balance counts as violated.

    Returns
    -------
    dict
        ``energy_median_wm2``, ``energy_p95_wm2``, ``energy_rate`` (share above
        ``tol_energy``), ``nonneg_rate``/``nonneg_max`` per target, and
        ``monotone_rate``/``monotone_max`` per (target, feature) pair, where available
        (a drop counts when it exceeds 1e-3 standard deviations of the target,
        above float32 rounding).
    """
    out = {}
    if all(k in features for k in _ENERGY_FEATURES) and all(k in targets for k in _ENERGY_TARGETS):
        res = np.abs(energy_residual(features, targets))
        out.update(energy_median_wm2=float(np.median(res)), energy_p95_wm2=float(np.percentile(res, 95)),
                   energy_rate=float(np.mean(res > tol_energy)))
    for t in _nonneg_targets(targets):
        neg = np.clip(-np.asarray(targets[t]), 0.0, None)
        out[f"nonneg_rate_{t}"] = float(np.mean(neg > 0))
        out[f"nonneg_max_{t}"] = float(neg.max(initial=0.0))
    if predict is not None:
        for t, f in MONOTONE:
            if t in targets and f in features:
                step = 0.05 * float(np.std(features[f]) or 1.0)
                moved = dict(features)
                moved[f] = np.asarray(features[f]) + step
                base = np.asarray(targets[t])
                drop = np.clip(base - np.asarray(predict(moved)[t]), 0.0, None)
                out[f"monotone_rate_{t}_{f}"] = float(np.mean(drop > 1e-3 * (np.std(base) or 1.0)))
                out[f"monotone_max_{t}_{f}"] = float(drop.max(initial=0.0))
    return out
