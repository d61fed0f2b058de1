"""Evaluate a surrogate in one call: accuracy, physics violations, out-of-distribution decay, speed.

Speed is measured honestly: the physics in its best form on the same device and
batch (vectorised NumPy with active-point compaction on CPU; the fixed-iteration
solver fused with ``torch.compile`` on CUDA) against the surrogate's forward pass.

R2, RMSE and bias come from :mod:`workbench.intercompare.metrics`; ``r2`` here
is the coefficient of determination, which is its ``nse`` (not its ``r2``, the
squared Pearson correlation).
"""

from __future__ import annotations

import copy
import time
import warnings
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import torch
import xarray as xr

from ..intercompare import compute_metrics
from ..physics.canopy import CANOPY_INPUTS, CANOPY_OUTPUTS, canopy_fluxes, compiled_canopy_solver
from .constraints import violations
from .model import MLP, to_matrix
from .sampling import simulate_process

__all__ = ["Evaluation", "evaluate", "regression_metrics", "ood_probe", "throughput", "break_even",
           "time_call"]


def regression_metrics(obs, sim) -> dict:
    """R2 (coefficient of determination), RMSE and mean bias (sim - obs) of two 1-D arrays.

    .. math:: R^2 = 1 - \\sum (s - o)^2 / \\sum (o - \\bar{o})^2

    (the Nash-Sutcliffe efficiency, :func:`workbench.intercompare.metrics.nse`).

    Examples
    --------
    >>> {k: round(v, 12) for k, v in regression_metrics([1.0, 2.0, 3.0], [1.0, 2.0, 4.0]).items()}
    {'r2': 0.5, 'rmse': 0.57735026919, 'bias': 0.333333333333}
    """
    obs = xr.DataArray(np.asarray(obs, dtype=float).ravel(), dims="sample")
    sim = xr.DataArray(np.asarray(sim, dtype=float).ravel(), dims="sample")
    scores = compute_metrics(obs, sim, ["nse", "rmse", "bias"])
    return {"r2": float(scores["nse"]), "rmse": float(scores["rmse"]), "bias": float(scores["bias"])}


@dataclass
class Evaluation:
    """What :func:`evaluate` found; each part is a pandas object ready to print or plot."""

    metrics: pd.DataFrame
    violations: pd.Series
    ood: pd.DataFrame | None = None
    speed: pd.DataFrame | None = None
    extra: dict = field(default_factory=dict)

    def summary(self) -> dict:
        """Flat dict of the headline numbers."""
        out = {f"r2_{k}": v for k, v in self.metrics["r2"].items()}
        out.update(self.violations.to_dict())
        return out


def _columns(ds, names, units):
    mat, _ = to_matrix(ds, names, units)
    return {n: mat[:, i] for i, n in enumerate(names)}


def evaluate(model, X: xr.Dataset, y: xr.Dataset, *, ood: bool = True, speed: bool = False,
             ranges: dict | None = None, simulate=simulate_process, batches=(1_000, 10_000)) -> Evaluation:
    """Evaluate a fitted :class:`~workbench.surrogates.SurrogateRegressor` in one call.

    Parameters
    ----------
    model : SurrogateRegressor
    X, y : xarray.Dataset
        Held-out inputs and true outputs (e.g. from :func:`simulate_process`).
    ood : bool, default True
        Run :func:`ood_probe` (needs ``simulate``).
    speed : bool, default False
        Run :func:`throughput` at ``batches`` on the model's device.
    ranges : dict, optional
        Training ranges for the OOD probe (default: the model's ``ranges_``).
    simulate : callable
        ``simulate(X) -> Dataset`` of true outputs, for OOD and monotonicity probes.

    Returns
    -------
    Evaluation
        ``metrics`` (per output: r2, rmse, bias, units), ``violations`` (rates
        and sizes), ``ood`` and ``speed`` tables.
    """
    pred = model.predict(X, on_out_of_range="warn")
    rows = {}
    for name, units in zip(model.target_names_, model.target_units_):
        truth = to_matrix(y, [name], [units], role="target")[0][:, 0]
        rows[name] = {**regression_metrics(truth, pred[name].values.ravel()), "units": units}
    metrics = pd.DataFrame.from_dict(rows, orient="index")
    feats = _columns(X, model.feature_names_, model.feature_units_)
    targs = {n: pred[n].values.ravel() for n in model.target_names_}

    def predict(f):
        xm = np.stack([np.asarray(f[n], dtype=float) for n in model.feature_names_], axis=1)
        return dict(zip(model.target_names_, model.predict_array(xm).T))

    viol = pd.Series(violations(feats, targs, predict=predict), dtype=float, name="surrogate")
    if ranges is None:
        ranges = {n: tuple(model.ranges_[i]) for i, n in enumerate(model.feature_names_)}
    ood_table = ood_probe(model, X, ranges, simulate=simulate) if ood else None
    speed_table = throughput(model, X, batches=batches) if speed else None
    return Evaluation(metrics, viol, ood_table, speed_table)


def ood_probe(model, X: xr.Dataset, ranges: dict, *, simulate=simulate_process,
              variables=("tmean", "vpd", "rs", "lai"), factors=(0.0, 0.1, 0.25, 0.5),
              target: str = "le") -> pd.DataFrame:
    """Accuracy as inputs move beyond the training ranges, one variable at a time.

    Each probed variable is set, for every sample, to ``hi + factor * (hi - lo)``
    (``factor = 0`` is the upper edge, still inside); the physics and the
    surrogate are run on the same points.

    Returns
    -------
    pandas.DataFrame
        Rows (variable, factor, value) with the ``target``'s r2/rmse/bias and
        the share of points the model flagged as out of range.
    """
    rows = []
    for var in variables:
        if var not in ranges or var not in X:
            continue
        lo, hi = ranges[var]
        for fac in factors:
            probe = X.copy(deep=True)
            probe[var] = xr.full_like(X[var], hi + fac * (hi - lo))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                truth = simulate(probe)
                pred = model.predict(probe)
            m = regression_metrics(truth[target].values, pred[target].values)
            rows.append({"variable": var, "factor": fac, "value": hi + fac * (hi - lo), **m,
                         "flagged": float(pred["out_of_range"].mean())})
    return pd.DataFrame(rows)


def time_call(fn, *, repeats: int = 3, device=None) -> float:
    """Best-of-``repeats`` wall time [s] of ``fn()`` (after one warm-up call), synchronising CUDA."""
    sync = (lambda: torch.cuda.synchronize()) if (device is not None and torch.device(device).type == "cuda") \
        else (lambda: None)
    fn()
    sync()
    best = np.inf
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - t0)
    return float(best)


def _inputs_matrix(X: xr.Dataset, n: int, seed: int = 0) -> np.ndarray:
    mat, _ = to_matrix(X, list(CANOPY_INPUTS), [u for u, _ in CANOPY_INPUTS.values()])
    idx = np.random.default_rng(seed).integers(0, mat.shape[0], n)
    return mat[idx]


def _physics_fn(xm, device, n_iter=None, compiled=None):
    """The physics in its best form on ``device``: NumPy (CPU) or a compiled torch solver (CUDA)."""
    if torch.device(device).type == "cpu":
        cols = dict(zip(CANOPY_INPUTS, xm.T))
        return (lambda: canopy_fluxes(**cols, fixed_iter=n_iter, warn=False)), "numpy (vectorised, float64)"
    xt = torch.as_tensor(xm, dtype=torch.float32, device=device)
    solver = compiled or compiled_canopy_solver(n_iter or 25)
    return (lambda: solver(xt)), f"torch.compile, {n_iter or 25} iterations, float32"


def _surrogate_fn(net, xm, device, half=False):
    net = net.to(device).eval()
    dtype = torch.float16 if half else torch.float32
    net_d = net.to(dtype)
    xt = torch.as_tensor(xm, dtype=dtype, device=device)

    def run():
        with torch.inference_mode():
            return net_d(xt)
    return run


def throughput(model, X: xr.Dataset, *, batches=(1_000, 10_000, 100_000), device=None, repeats: int = 3,
               half: bool | None = None, seed: int = 0) -> pd.DataFrame:
    """Time the physics and the surrogate on the same batch and device.

    Parameters
    ----------
    model : SurrogateRegressor
        Trained on the canopy inputs (columns in :data:`CANOPY_INPUTS` order).
    X : xarray.Dataset
        A pool of inputs; batches are drawn from it with replacement.
    batches : sequence of int
    device : str, optional
        Default: the model's device. On CUDA the physics is the compiled
        fixed-iteration solver and the surrogate runs in fp16 (``half``).
    repeats : int, default 3
        Best of ``repeats`` timed runs after a warm-up.

    Returns
    -------
    pandas.DataFrame
        One row per batch: device, physics form, physics_s, surrogate_s,
        speedup (physics_s / surrogate_s), points per second of each.
    """
    if list(model.feature_names_) != list(CANOPY_INPUTS):
        raise ValueError(f"throughput compares against the canopy physics; the model's features "
                         f"{model.feature_names_} must be {list(CANOPY_INPUTS)}")
    device = str(device or next(model.model_.parameters()).device)
    half = (torch.device(device).type == "cuda") if half is None else half
    net = copy.deepcopy(model.model_)
    rows, compiled = [], None
    if torch.device(device).type == "cuda":
        compiled = compiled_canopy_solver(25)
    for n in batches:
        xm = _inputs_matrix(X, int(n), seed)
        phys, form = _physics_fn(xm, device, compiled=compiled)
        t_phys = time_call(phys, repeats=repeats, device=device)
        t_sur = time_call(_surrogate_fn(net, xm, device, half), repeats=repeats, device=device)
        rows.append({"batch": int(n), "device": device, "physics": form,
                     "surrogate": f"MLP {'x'.join(map(str, model.hidden))} {'fp16' if half else 'fp32'}",
                     "physics_s": t_phys, "surrogate_s": t_sur, "speedup": t_phys / t_sur,
                     "physics_pts_per_s": n / t_phys, "surrogate_pts_per_s": n / t_sur})
    return pd.DataFrame(rows)


def break_even(X: xr.Dataset, *, iterations=(5, 10, 25, 50), networks=((64, 64), (128, 128, 128), (256,) * 4),
               batch: int = 100_000, device: str = "cpu", repeats: int = 3, seed: int = 0) -> pd.DataFrame:
    """Physics cost against solver iterations vs untrained MLPs of several sizes, same batch and device.

    Speed does not depend on the weights, so networks are timed untrained. The
    physics runs exactly ``k`` Newton steps on every point (``fixed_iter``).

    Returns
    -------
    pandas.DataFrame
        One row per network: its forward time, the physics time at each
        iteration count (columns ``physics_<k>_s``) and ``break_even_iter``,
        the number of solver iterations at which physics and network cost the
        same (linear fit of physics time against iterations; below it the
        physics is cheaper). 0 means the network is cheaper than the
        physics at any iteration count (its fixed cost alone is higher).
    """
    xm = _inputs_matrix(X, batch, seed)
    t_phys = {}
    for k in iterations:
        fn, _ = _physics_fn(xm, device, n_iter=k)
        t_phys[k] = time_call(fn, repeats=repeats, device=device)
    slope, intercept = np.polyfit(list(t_phys), list(t_phys.values()), 1)
    half = torch.device(device).type == "cuda"
    rows = []
    for hidden in networks:
        torch.manual_seed(seed)
        net = MLP(len(CANOPY_INPUTS), len(CANOPY_OUTPUTS) - 1, hidden)
        t_net = time_call(_surrogate_fn(net, xm, device, half), repeats=repeats, device=device)
        row = {"network": "x".join(map(str, hidden)), "batch": batch, "device": device, "network_s": t_net}
        row.update({f"physics_{k}_s": v for k, v in t_phys.items()})
        row["break_even_iter"] = max(0.0, float((t_net - intercept) / slope)) if slope > 0 else float("nan")
        rows.append(row)
    return pd.DataFrame(rows)
