"""A calibration problem: data, objective and bounds, with one budget account for every optimiser.

Every optimiser in :mod:`workbench.calibrate.search` evaluates the model only
through :class:`CalibrationProblem`, which counts **model evaluations** (one
parameter set run for one year at one site; a forward run with its gradient
counts as one evaluation and its extra cost shows in the wall time), keeps the
best parameters found so far and writes them to ``runs/calibrate/<name>.json``
each time they improve, so an interrupted search keeps its result.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .model import DEFAULTS, OUTPUTS, check_bounds, forcing_tensors, run_model, simulate_torch
from .objectives import check_objective, loss, torch_loss

__all__ = ["CalibrationProblem", "CalibrationResult", "default_run_dir"]


def default_run_dir() -> Path:
    """``runs/calibrate/`` under the working directory (beside the notebook; git-ignored)."""
    return Path("runs") / "calibrate"


@dataclass
class CalibrationResult:
    """What an optimiser found and what it cost.

    Attributes
    ----------
    method : str
    params : dict
        Best parameters [their units].
    loss : float
        Objective at ``params``, evaluated with the NumPy model.
    n_evaluations : int
        Model evaluations spent (parameter sets x sites x years).
    wall_s : float
        Wall time of the search [s].
    history : pandas.DataFrame
        ``n_evaluations``, ``wall_s`` and ``best_loss`` after each batch.
    at_bound : list of str
        Parameters that ended within 1 % of the search range from a bound.
    """

    method: str
    params: dict
    loss: float
    n_evaluations: int
    wall_s: float
    history: pd.DataFrame = field(repr=False)
    at_bound: list = field(default_factory=list)
    bounds: dict = field(default_factory=dict, repr=False)

    def summary(self) -> dict:
        """One row for a results table."""
        return {"method": self.method, **self.params, "loss": self.loss, "n_evaluations": self.n_evaluations,
                "wall_s": self.wall_s, "at_bound": ", ".join(self.at_bound) or "-"}

    def evaluations_to_reach(self, target: float) -> float:
        """Model evaluations after which the best loss was first <= ``target`` (NaN if never)."""
        hit = self.history[self.history["best_loss"] <= target]
        return float(hit["n_evaluations"].iloc[0]) if len(hit) else float("nan")


class CalibrationProblem:
    """Fit model parameters to observations at one or more sites.

    Parameters
    ----------
    data : xarray.Dataset
        Daily forcing (``rs``, ``tmean``, ``vpd``, ``wind``, ``pressure``,
        ``lai``, ``precip``) and observations ``obs_<variable>`` on ``time``
        (and ``site``; the loss is the mean over sites).
    objective : {"rmse", "kge"}, default "rmse"
        RMSE or 1 - KGE of each variable (see :mod:`.objectives`).
    variables : sequence of str, default ("et",)
        Model outputs compared (:data:`~workbench.calibrate.model.OUTPUTS`); with
        several, :meth:`losses` returns one column each and the scalar loss is
        their ``weights``-weighted sum.
    weights : sequence of float, optional
        Default equal weights.
    names : sequence of str, optional
        Parameters calibrated (default all of :data:`PARAMETERS`); the others
        stay at ``fixed`` or :data:`DEFAULTS`.
    bounds : dict, optional
        ``{name: (lo, hi)}`` search bounds (checked by :func:`check_bounds`).
    fixed : dict, optional
        Values of the parameters not calibrated.
    name : str, optional
        Run name; when given, the best parameters so far go to
        ``run_dir/<name>.json``.
    run_dir : path, optional
        Default :func:`default_run_dir`.

    Examples
    --------
    >>> import numpy as np, pandas as pd, xarray as xr
    >>> t = pd.date_range("2020-06-01", periods=5)
    >>> data = xr.Dataset({k: ("time", np.full(5, v), {"units": u}) for k, v, u in [
    ...     ("rs", 250.0, "W m-2"), ("tmean", 20.0, "degC"), ("vpd", 1.0, "kPa"), ("wind", 2.0, "m s-1"),
    ...     ("pressure", 100.0, "kPa"), ("lai", 3.0, "m2 m-2"), ("precip", 2.0, "mm d-1"),
    ...     ("obs_et", 2.5, "mm d-1")]}, coords={"time": t})
    >>> problem = CalibrationProblem(data, names=["g1"])
    >>> losses = problem(np.array([[2.0], [4.0]]))
    >>> problem.n_evaluations
    2
    """

    def __init__(self, data: xr.Dataset, *, objective: str = "rmse", variables=("et",), weights=None, names=None,
                 bounds=None, fixed=None, name: str | None = None, run_dir=None):
        self.objective = check_objective(objective)
        self.variables = [variables] if isinstance(variables, str) else list(variables)
        bad = [v for v in self.variables if v not in OUTPUTS]
        if bad:
            raise ValueError(f"the objective uses {bad}, which the model does not output; it outputs "
                             f"{list(OUTPUTS)}")
        missing = [f"obs_{v}" for v in self.variables if f"obs_{v}" not in data]
        if missing:
            raise ValueError(f"the observations lack {missing}, which the objective on {self.variables} needs; "
                             f"found {sorted(data.data_vars)}")
        for v in self.variables:
            if not np.isfinite(data[f"obs_{v}"].values).any():
                raise ValueError(f"obs_{v} has no finite value: nothing to calibrate against")
        self.weights = np.ones(len(self.variables)) if weights is None else np.asarray(weights, dtype=float)
        if self.weights.shape != (len(self.variables),) or (self.weights < 0).any():
            raise ValueError(f"weights must be {len(self.variables)} non-negative numbers; got {weights}")
        self.data = data
        self.bounds = check_bounds(bounds, names if names is not None else (list(bounds) if bounds else None))
        self.names = list(self.bounds)
        self.fixed = {**{k: v for k, v in DEFAULTS.items() if k not in self.names}, **(fixed or {})}
        overlap = [k for k in (fixed or {}) if k in self.names]
        if overlap:
            raise ValueError(f"{overlap} are both calibrated and fixed")
        self.n_sites = int(data.sizes.get("site", 1))
        self.name = name
        self.run_dir = Path(run_dir) if run_dir is not None else default_run_dir()
        self._tensors = None
        self.reset()

    # -- bookkeeping -------------------------------------------------------------------------
    def reset(self) -> None:
        """Zero the evaluation count, the clock and the best-so-far (call before each optimiser)."""
        self.n_evaluations = 0
        self.best_loss = np.inf
        self.best_theta = None
        self._t0 = time.perf_counter()
        self._history = []
        self._trials = []  # (n_evaluations, lowest loss of the batch) for every recorded batch

    @property
    def dim(self) -> int:
        return len(self.names)

    def params(self, theta) -> dict:
        """Parameter dict of one vector ``theta`` [physical units], fixed ones included."""
        theta = np.asarray(theta, dtype=float).reshape(-1)
        return {**{k: float(v) for k, v in zip(self.names, theta)}, **{k: float(v) for k, v in self.fixed.items()}}

    def _record(self, theta: np.ndarray, values: np.ndarray) -> None:
        self._trials.append((self.n_evaluations, float(np.nanmin(values)) if np.isfinite(values).any() else np.inf))
        i = int(np.nanargmin(values)) if np.isfinite(values).any() else None
        if i is not None and values[i] < self.best_loss:
            self.best_loss, self.best_theta = float(values[i]), np.array(theta[i], dtype=float)
            if self.name:
                self.run_dir.mkdir(parents=True, exist_ok=True)
                (self.run_dir / f"{self.name}.json").write_text(json.dumps(
                    {"name": self.name, "params": self.params(self.best_theta), "loss": self.best_loss,
                     "n_evaluations": self.n_evaluations, "objective": self.objective,
                     "variables": self.variables}, indent=1))
        self._history.append((self.n_evaluations, time.perf_counter() - self._t0, self.best_loss))

    def _theta(self, theta) -> np.ndarray:
        theta = np.atleast_2d(np.asarray(theta, dtype=float))
        if theta.shape[1] != self.dim:
            raise ValueError(f"theta must have {self.dim} columns ({self.names}); got shape {theta.shape}")
        return theta

    # -- evaluation ---------------------------------------------------------------------------
    def simulate(self, theta) -> xr.Dataset:
        """The NumPy model for the parameter sets ``theta`` (k x dim) at every site (dims ..., member)."""
        theta = self._theta(theta)
        params = {k: theta[:, i] for i, k in enumerate(self.names)}
        params.update({k: np.full(len(theta), v) for k, v in self.fixed.items()})
        return run_model(self.data, params)

    def losses(self, theta) -> np.ndarray:
        """Loss of each variable for each parameter set: array (k, n_variables), mean over sites; counted."""
        theta = self._theta(theta)
        sim = self.simulate(theta)
        cols = []
        for v in self.variables:
            obs = self.data[f"obs_{v}"]
            value = loss(obs, sim[v].assign_attrs(units=OUTPUTS[v]), self.objective, dim="time")
            value = value.mean("site") if "site" in value.dims else value
            cols.append(value.transpose("member").values)
        self.n_evaluations += len(theta) * self.n_sites
        return np.stack(cols, axis=1)

    def __call__(self, theta) -> np.ndarray:
        """Scalar loss of each parameter set (k,): weighted sum over variables; counted and recorded."""
        theta = self._theta(theta)
        values = self.losses(theta) @ self.weights
        values = np.where(np.isfinite(values), values, np.inf)
        self._record(theta, values)
        return values

    def tensors(self):
        """Forcing and observations as torch tensors (time, site), cached."""
        if self._tensors is None:
            import torch

            data = self.data if "site" in self.data.dims else self.data.expand_dims(site=1)
            data = data.transpose("time", "site", ...)
            f = forcing_tensors(data)
            obs = {v: torch.as_tensor(np.asarray(data[f"obs_{v}"].values, dtype=float), dtype=torch.float64)
                   for v in self.variables}
            self._tensors = (f, obs)
        return self._tensors

    def torch_loss(self, params: dict, *, n_newton: int = 10, count: bool = True):
        """Differentiable scalar loss (mean over sites) for tensors ``params`` of shape () or (site,)."""
        f, obs = self.tensors()
        values = {**{k: v for k, v in self.fixed.items()}, **params}
        sim = simulate_torch(f, values["vcmax25"], values["g1"], values["whc"], n_newton=n_newton,
                             outputs=self.variables)
        total = 0.0
        for w, v in zip(self.weights, self.variables):
            total = total + float(w) * torch_loss(obs[v], sim[v], self.objective).mean()
        if count:
            self.n_evaluations += self.n_sites
        return total

    def result(self, method: str, theta=None, wall_s: float | None = None) -> CalibrationResult:
        """Package the best parameters (or ``theta``) with the budget spent; the loss is re-evaluated (NumPy)."""
        theta = self.best_theta if theta is None else np.asarray(theta, dtype=float).reshape(-1)
        if theta is None:
            raise RuntimeError("nothing was evaluated yet")
        wall = time.perf_counter() - self._t0 if wall_s is None else wall_s
        n_eval = self.n_evaluations
        final = float(self(theta[None])[0])
        self.n_evaluations = n_eval  # the check run is not part of the search's budget
        if self._history:
            self._history.pop()
            self._trials.pop()
        history = pd.DataFrame(self._history, columns=["n_evaluations", "wall_s", "best_loss"])
        at_bound = [k for k, v in zip(self.names, theta)
                    if min(v - self.bounds[k][0], self.bounds[k][1] - v) <= 0.01 * (self.bounds[k][1] - self.bounds[k][0])]
        return CalibrationResult(method, self.params(theta), final, n_eval, wall, history, at_bound, dict(self.bounds))

