"""Objectives of a calibration (RMSE, 1 - KGE), in NumPy via the intercompare metrics and in PyTorch, and the Pareto front.

NumPy losses call :func:`workbench.intercompare.compute_metrics` (the project's
one set of metric kernels); the torch versions are the same formulas on tensors
so that gradients flow through them (the tests check that both agree).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

__all__ = ["OBJECTIVES", "APPLICATIONS", "check_objective", "loss", "torch_loss", "pareto_front", "choose_on_front"]

#: objective -> (long name, the intercompare metric, how the metric becomes a loss to minimise)
OBJECTIVES = {
    "rmse": ("root-mean-square error", "rmse"),
    "kge": ("1 - Kling-Gupta efficiency", "kge"),
}


def check_objective(objective: str) -> str:
    """Return ``objective`` if it is one of :data:`OBJECTIVES`, else raise a ValueError listing them."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of {list(OBJECTIVES)}")
    return objective


def loss(obs: xr.DataArray, sim: xr.DataArray, objective: str = "rmse", dim: str = "time") -> xr.DataArray:
    """Loss of ``sim`` against ``obs`` over ``dim`` (missing obs days skipped): RMSE, or 1 - KGE.

    Parameters
    ----------
    obs, sim : xarray.DataArray
        Same units (``sim`` is converted to those of ``obs``); ``sim`` may carry
        extra dims (e.g. ``member``), reduced only over ``dim``.
    objective : {"rmse", "kge"}

    Returns
    -------
    xarray.DataArray
        RMSE [obs units] or 1 - KGE [1]; 0 is a perfect fit for both.

    Examples
    --------
    >>> obs = xr.DataArray([1.0, 2.0, 3.0, 4.0], dims="time", attrs={"units": "mm d-1"})
    >>> sim = xr.DataArray([1.5, 2.5, 2.5, 4.5], dims="time", attrs={"units": "mm d-1"})
    >>> float(loss(obs, sim, "rmse"))
    0.5
    """
    from ..intercompare import compute_metrics

    metric = OBJECTIVES[check_objective(objective)][1]
    obs_b, sim_b = xr.broadcast(obs, sim)
    value = compute_metrics(obs_b.assign_attrs(obs.attrs), sim_b.assign_attrs(sim.attrs), [metric], dim=dim,
                            skipna=True)[metric]
    return 1.0 - value if objective == "kge" else value


def torch_loss(obs, sim, objective: str = "rmse"):
    """:func:`loss` on tensors along the first axis (time); NaN obs days are skipped. Differentiable in ``sim``."""
    import torch

    check_objective(objective)
    mask = torch.isfinite(obs)
    n = mask.sum(0).clamp(min=1)
    o = torch.where(mask, obs, torch.zeros_like(obs))
    s = torch.where(mask, sim, torch.zeros_like(sim))
    if objective == "rmse":
        return torch.sqrt(((s - o) ** 2).sum(0) / n)
    mo, ms = o.sum(0) / n, s.sum(0) / n
    do, ds = torch.where(mask, o - mo, 0.0 * o), torch.where(mask, s - ms, 0.0 * s)
    so, ss = torch.sqrt((do**2).sum(0) / n), torch.sqrt((ds**2).sum(0) / n + 1e-18)
    r = (do * ds).sum(0) / n / (so * ss)
    kge = 1.0 - torch.sqrt((r - 1) ** 2 + (ss / so - 1) ** 2 + (ms / mo - 1) ** 2)
    return 1.0 - kge


def pareto_front(losses) -> np.ndarray:
    """Mask of the non-dominated rows of ``losses`` (n points x m objectives, all minimised).

    A point is dominated when another is no worse in every objective and
    strictly better in at least one. Duplicate points are all kept.

    Examples
    --------
    >>> pareto_front([[1, 3], [2, 2], [3, 1], [2, 3], [3, 3]]).tolist()
    [True, True, True, False, False]
    """
    y = np.asarray(losses, dtype=float)
    if y.ndim != 2:
        raise ValueError(f"losses must be a 2-D array (points x objectives); got shape {y.shape}")
    no_worse = (y[None, :, :] <= y[:, None, :]).all(-1)  # [i, j]: j no worse than i everywhere
    better = (y[None, :, :] < y[:, None, :]).any(-1)
    return ~(no_worse & better).any(1)


#: Applications and the weight they give ET (the rest goes to soil water) when choosing on an ET / soil-water front.
APPLICATIONS = {
    "irrigation water use (ET matters)": 0.85,
    "balanced water budget": 0.5,
    "drought monitoring (soil water matters)": 0.15,
}


def choose_on_front(front, weight_et: float, columns=("loss_et", "loss_soil_water")) -> int:
    """Index (label) of the front member minimising ``w * et + (1 - w) * soil_water``, each loss scaled to [0, 1].

    Parameters
    ----------
    front : pandas.DataFrame
        Rows of a Pareto front (e.g. ``pareto_search(...)`` where ``pareto``).
    weight_et : float
        In [0, 1]; see :data:`APPLICATIONS`.

    Examples
    --------
    >>> import pandas as pd
    >>> f = pd.DataFrame({"loss_et": [0.1, 0.2, 0.4], "loss_soil_water": [9.0, 4.0, 1.0]})
    >>> choose_on_front(f, 1.0), choose_on_front(f, 0.0)
    (0, 2)
    """
    if not 0.0 <= weight_et <= 1.0:
        raise ValueError(f"weight_et must be in [0, 1]; got {weight_et}")
    missing = [c for c in columns if c not in front]
    if missing:
        raise ValueError(f"the front lacks the columns {missing}; found {list(front.columns)}")
    scaled = [(front[c] - front[c].min()) / max(front[c].max() - front[c].min(), 1e-12) for c in columns]
    score = weight_et * scaled[0] + (1.0 - weight_et) * scaled[1]
    return score.idxmin()
