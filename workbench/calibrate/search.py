"""Optimisers on a :class:`~workbench.calibrate.problem.CalibrationProblem`, all under the same budget account.

Global search from maintained libraries (SciPy differential evolution, Optuna's
CMA-ES, TPE and Gaussian-process Bayesian optimisation, SPOTPY's SCE-UA) and
gradient descent through the differentiable model (Adam, L-BFGS). Searches work
in the unit cube of the bounds; every result is a
:class:`~workbench.calibrate.problem.CalibrationResult` whose loss is
re-evaluated with the NumPy model.

:func:`calibrate_sites` maps one method over sites with dask, so the same call
runs on a laptop's threads or a cluster's workers.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from .model import from_unit, to_unit
from .problem import CalibrationProblem, CalibrationResult

__all__ = ["METHODS", "differential_evolution", "optuna_search", "sce_ua", "gradient_descent", "search",
           "calibrate_sites", "results_table", "pareto_search", "gradient_sites"]


def _unit_loss(problem, u):
    return problem(from_unit(np.clip(np.atleast_2d(u), 0.0, 1.0), problem.bounds))


def differential_evolution(problem: CalibrationProblem, *, budget: int = 600, popsize: int = 10, seed: int = 0,
                           progress: bool = False) -> CalibrationResult:
    """SciPy's differential evolution (Storn & Price 1997), each generation evaluated as one batch.

    Parameters
    ----------
    problem : CalibrationProblem
    budget : int, default 600
        Model evaluations at most (population ``popsize * dim`` per generation).
    popsize : int, default 10
        Population size multiplier (SciPy's ``popsize``).
    seed : int, default 0
    progress : bool, default False
    """
    from scipy import optimize

    problem.reset()
    pop = popsize * problem.dim
    maxiter = max(budget // (pop * problem.n_sites) - 1, 1)
    bar = tqdm(total=maxiter + 1, desc="differential evolution", disable=not progress, leave=False)

    def batch(u):  # SciPy passes (dim, S) when vectorized
        bar.update()
        return _unit_loss(problem, np.asarray(u).T)

    try:
        optimize.differential_evolution(batch, [(0.0, 1.0)] * problem.dim, maxiter=maxiter, popsize=popsize,
                                        seed=seed, polish=False, vectorized=True, updating="deferred", tol=0.0,
                                        init="sobol" if (pop & (pop - 1)) == 0 else "latinhypercube")
    finally:
        bar.close()
    return problem.result("differential evolution")


def optuna_search(problem: CalibrationProblem, *, sampler: str = "cmaes", budget: int = 600, batch: int = 10,
                  seed: int = 0, progress: bool = False) -> CalibrationResult:
    """Optuna's CMA-ES (Hansen 2016; the ``cmaes`` package), TPE (Bergstra et al. 2011) or GP Bayesian optimisation.

    Trials are asked for in batches of ``batch`` and evaluated in one model
    run (Optuna's ask-and-tell interface).

    Parameters
    ----------
    sampler : {"cmaes", "tpe", "gp"}
        ``"gp"`` is Bayesian optimisation: a Gaussian-process emulator of the
        loss chooses each next parameter set (emulator-assisted calibration).
    budget : int, default 600
        Model evaluations (trials x sites).
    """
    import optuna

    samplers = {"cmaes": lambda: optuna.samplers.CmaEsSampler(seed=seed, popsize=batch),
                "tpe": lambda: optuna.samplers.TPESampler(seed=seed, n_startup_trials=min(2 * batch, 20)),
                "gp": lambda: optuna.samplers.GPSampler(seed=seed, n_startup_trials=batch)}
    if sampler not in samplers:
        raise ValueError(f"sampler must be one of {list(samplers)}; got {sampler!r}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    problem.reset()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=optuna.exceptions.ExperimentalWarning)
        study = optuna.create_study(sampler=samplers[sampler](), direction="minimize")
    n_trials = max(budget // problem.n_sites, 1)
    if sampler == "gp":
        batch = 1  # the GP chooses one point at a time from everything seen so far
    bar = tqdm(total=n_trials, desc=f"optuna {sampler}", disable=not progress, leave=False)
    try:
        done = 0
        while done < n_trials:
            trials = [study.ask() for _ in range(min(batch, n_trials - done))]
            u = np.array([[t.suggest_float(f"u{i}", 0.0, 1.0) for i in range(problem.dim)] for t in trials])
            for t, value in zip(trials, _unit_loss(problem, u)):
                study.tell(t, float(value))
            done += len(trials)
            bar.update(len(trials))
    finally:
        bar.close()
    return problem.result({"cmaes": "CMA-ES (Optuna)", "tpe": "TPE (Optuna)", "gp": "GP Bayesian opt. (Optuna)"}[sampler])


class _SpotpySetup:
    """The SPOTPY set-up class: parameters, simulation, evaluation and the objective (loss, minimised)."""

    def __init__(self, problem):
        import spotpy

        self.problem = problem
        self.params = [spotpy.parameter.Uniform(f"u{i}", 0.0, 1.0) for i in range(problem.dim)]

    def parameters(self):
        import spotpy

        return spotpy.parameter.generate(self.params)

    def simulation(self, vector):
        return [float(_unit_loss(self.problem, np.asarray(vector, dtype=float))[0])]

    def evaluation(self):
        return [0.0]

    def objectivefunction(self, simulation, evaluation, params=None):
        return simulation[0]


def sce_ua(problem: CalibrationProblem, *, budget: int = 600, ngs: int = 4, seed: int = 0,
           progress: bool = False) -> CalibrationResult:
    """SPOTPY's shuffled complex evolution (SCE-UA; Duan et al. 1992), one model run per evaluation."""
    import spotpy

    problem.reset()
    np.random.seed(seed)
    sampler = spotpy.algorithms.sceua(_SpotpySetup(problem), dbname="sceua", dbformat="ram", save_sim=False,
                                      random_state=seed)
    import contextlib
    import io

    with contextlib.redirect_stdout(io.StringIO()):  # SPOTPY prints its progress line by line
        sampler.sample(max(budget // problem.n_sites, 1), ngs=ngs, kstop=1000, peps=1e-9, pcento=1e-9)
    return problem.result("SCE-UA (SPOTPY)")


class _BudgetSpent(Exception):
    """Raised inside an optimiser's callback once the evaluation budget is spent."""


def _start_logits(problem: CalibrationProblem, start) -> np.ndarray:
    """Logits of the starting point: ``start`` or the model's defaults, moved at least 1 % inside the bounds."""
    from .model import DEFAULTS

    start = {**DEFAULTS, **(start or {})}
    u0 = np.clip(to_unit([start[k] for k in problem.names], problem.bounds), 0.01, 0.99)
    return np.log(u0 / (1 - u0))


def smooth_objective(value, objective: str):
    """The loss a gradient method descends: RMSE squared (MSE, same minimiser, smooth at a perfect fit), 1 - KGE as is.

    RMSE behaves like ``|theta - theta_true|`` near a perfect fit (a cone),
    where quasi-Newton methods lose their superlinear convergence; its square
    is smooth there.
    """
    return value ** 2 if objective == "rmse" else value


def gradient_descent(problem: CalibrationProblem, *, method: str = "lbfgs", steps: int = 30, lr: float = 0.1,
                     start=None, n_newton: int = 3, progress: bool = False) -> CalibrationResult:
    """Gradient-based calibration through the differentiable PyTorch year.

    The parameters live on an unbounded logistic scale of the bounds,
    ``theta = lo + (hi - lo) * sigmoid(z)``, and the search starts at the
    model's defaults (:data:`~workbench.calibrate.model.DEFAULTS`, or
    ``start``). Each forward run with its backward pass counts as **one model
    evaluation per site** (its extra cost, about 2-3 forward runs, shows in
    the wall time); line-search trials count too. RMSE is descended as its
    square (:func:`smooth_objective`); the recorded losses are RMSE.

    Parameters
    ----------
    method : {"lbfgs", "adam"}
        SciPy's L-BFGS-B (Byrd et al. 1995; its own line search, no bounds
        needed on the logistic scale), or Adam (torch) with learning rate ``lr``.
    steps : int, default 30
        Model evaluations (forward + gradient) at most, per site.
    start : dict, optional
        Starting parameters (default :data:`~workbench.calibrate.model.DEFAULTS`).
    n_newton : int, default 3
        Newton steps per day in the torch model.
    """
    import torch

    if method not in ("lbfgs", "adam"):
        raise ValueError(f"method must be 'lbfgs' or 'adam'; got {method!r}")
    problem.reset()
    z0 = _start_logits(problem, start)
    bar = tqdm(total=steps, desc=f"gradient ({method})", disable=not progress, leave=False)
    lo, hi = (torch.tensor([b[i] for b in problem.bounds.values()], dtype=torch.float64) for i in (0, 1))
    calls = {"n": 0}

    def value_and_grad(z):
        if calls["n"] >= steps:
            raise _BudgetSpent
        theta = lo + (hi - lo) * torch.sigmoid(z)
        value = problem.torch_loss(dict(zip(problem.names, theta)), n_newton=n_newton)
        smooth_objective(value, problem.objective).backward()
        calls["n"] += 1
        bar.update()
        problem._record(theta.detach().numpy()[None], np.array([float(value.detach())]))
        return value

    try:
        if method == "lbfgs":
            from scipy import optimize

            def fun(x):
                z = torch.tensor(x, dtype=torch.float64, requires_grad=True)
                value = value_and_grad(z)
                return float(smooth_objective(value.detach(), problem.objective)), z.grad.numpy().copy()

            optimize.minimize(fun, z0, jac=True, method="L-BFGS-B",
                              options={"maxfun": steps, "maxiter": steps, "ftol": 0.0, "gtol": 1e-12})
        else:
            z = torch.tensor(z0, dtype=torch.float64, requires_grad=True)
            opt = torch.optim.Adam([z], lr=lr)

            def closure():
                opt.zero_grad()
                return value_and_grad(z)

            while calls["n"] < steps:
                opt.step(closure)
    except _BudgetSpent:  # the line search asked for more than the budget: stop with the best so far
        pass
    finally:
        bar.close()
    return problem.result({"lbfgs": "L-BFGS (gradient)", "adam": "Adam (gradient)"}[method])


#: method name -> optimiser call
METHODS = {
    "de": differential_evolution,
    "cmaes": lambda p, **kw: optuna_search(p, sampler="cmaes", **kw),
    "tpe": lambda p, **kw: optuna_search(p, sampler="tpe", **kw),
    "gp": lambda p, **kw: optuna_search(p, sampler="gp", **kw),
    "sceua": sce_ua,
    "lbfgs": lambda p, **kw: gradient_descent(p, method="lbfgs", **kw),
    "adam": lambda p, **kw: gradient_descent(p, method="adam", **kw),
}


def search(problem: CalibrationProblem, method: str, **options) -> CalibrationResult:
    """Run one of :data:`METHODS` (``"de"``, ``"cmaes"``, ``"tpe"``, ``"gp"``, ``"sceua"``, ``"lbfgs"``, ``"adam"``)."""
    if method not in METHODS:
        raise ValueError(f"unknown method {method!r}; choose one of {list(METHODS)}")
    return METHODS[method](problem, **options)


def _one_site(data, method, problem_kw, options):
    return search(CalibrationProblem(data, **problem_kw), method, **options)


def calibrate_sites(sites: xr.Dataset, method: str = "de", *, problem_kw: dict | None = None,
                    scheduler=None, progress: bool = False, **options) -> xr.Dataset:
    """Calibrate every site on its own, mapped over sites with :func:`dask.delayed`.

    Parameters
    ----------
    sites : xarray.Dataset
        Forcing and ``obs_*`` on (site, time).
    method : str
        One of :data:`METHODS`.
    problem_kw : dict, optional
        Keyword arguments of :class:`CalibrationProblem` (objective, names, bounds, ...);
        ``name`` becomes ``<name>-<site>`` so each site keeps its best on disk.
    scheduler : str, optional
        Dask scheduler; default the active ``distributed`` client if there is
        one, else threads.
    **options
        Passed to the optimiser (``budget``, ``seed``, ...).

    Returns
    -------
    xarray.Dataset
        Per site: the calibrated parameters, ``loss``, ``n_evaluations``,
        ``wall_s`` and ``at_bound`` (the parameters that ended at a bound, comma-separated).
    """
    import dask

    problem_kw = dict(problem_kw or {})
    if "site" not in sites.dims:
        raise ValueError(f"sites needs a 'site' dimension; got {tuple(sites.dims)}")
    tasks = []
    for s in sites["site"].values:
        kw = {**problem_kw, **({"name": f"{problem_kw['name']}-{s}"} if problem_kw.get("name") else {})}
        tasks.append(dask.delayed(_one_site)(sites.sel(site=s), method, kw, options))
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        results = dask.compute(*tasks, scheduler=scheduler)
    out = results_table(results, sites["site"].values)
    out.attrs["wall_s"] = time.perf_counter() - t0
    return out


def results_table(results, site) -> xr.Dataset:
    """Calibration results of several sites as a Dataset on ``site``."""
    from .model import PARAMETERS

    ds = xr.Dataset(coords={"site": ("site", list(site))})
    for k in results[0].params:
        ds[k] = ("site", [r.params[k] for r in results], {"units": PARAMETERS[k][4], "long_name": PARAMETERS[k][5]})
    ds["loss"] = ("site", [r.loss for r in results], {"long_name": "objective after calibration"})
    ds["n_evaluations"] = ("site", [r.n_evaluations for r in results], {"long_name": "model evaluations"})
    ds["n_evaluations_to_final"] = ("site", [r.evaluations_to_reach(r.loss * 1.02) for r in results],
                                    {"long_name": "model evaluations until the best loss came within 2 % of the final"})
    ds["wall_s"] = ("site", [r.wall_s for r in results], {"units": "s", "long_name": "wall time"})
    ds["at_bound"] = ("site", [", ".join(r.at_bound) for r in results],
                      {"long_name": "parameters that ended at a search bound"})
    ds.attrs["method"] = results[0].method
    return ds


def pareto_search(problem: CalibrationProblem, *, budget: int = 400, batch: int = 20, seed: int = 0,
                  progress: bool = False):
    """Multi-objective search (Optuna NSGA-II; Deb et al. 2002) on every variable of ``problem`` at once.

    Returns
    -------
    pandas.DataFrame
        Every parameter set tried, its loss per variable (``loss_<variable>``)
        and ``pareto`` (non-dominated, see :func:`~workbench.calibrate.objectives.pareto_front`);
        ``attrs`` holds ``n_evaluations`` and ``wall_s``.
    """
    import optuna
    import pandas as pd

    from .objectives import pareto_front

    if len(problem.variables) < 2:
        raise ValueError(f"a Pareto search needs at least two variables; the problem has {problem.variables}")
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    problem.reset()
    study = optuna.create_study(directions=["minimize"] * len(problem.variables),
                                sampler=optuna.samplers.NSGAIISampler(seed=seed, population_size=batch))
    rows = []
    n_trials = max(budget // problem.n_sites, 1)
    bar = tqdm(total=n_trials, desc="NSGA-II", disable=not progress, leave=False)
    try:
        while len(rows) < n_trials:
            trials = [study.ask() for _ in range(min(batch, n_trials - len(rows)))]
            u = np.array([[t.suggest_float(f"u{i}", 0.0, 1.0) for i in range(problem.dim)] for t in trials])
            theta = from_unit(u, problem.bounds)
            values = problem.losses(theta)
            for t, v, th in zip(trials, values, theta):
                study.tell(t, [float(x) for x in v])
                rows.append({**dict(zip(problem.names, th)), **{f"loss_{k}": float(x)
                                                               for k, x in zip(problem.variables, v)}})
            bar.update(len(trials))
    finally:
        bar.close()
    table = pd.DataFrame(rows)
    table["pareto"] = pareto_front(table[[f"loss_{k}" for k in problem.variables]].to_numpy())
    table.attrs = {"n_evaluations": problem.n_evaluations, "wall_s": time.perf_counter() - problem._t0}
    return table


def gradient_sites(sites: xr.Dataset, *, steps: int = 40, lr: float = 0.1, method: str = "adam", names=None,
                   bounds=None, objective: str = "rmse", n_newton: int = 3, progress: bool = False) -> xr.Dataset:
    """Gradient calibration of every site: per-site parameters, each site with its own optimiser state.

    ``method="adam"``: one batched torch year per step for all sites. Adam
    updates each parameter on its own, so descending the sum of the sites'
    losses is exactly one independent Adam run per site; batching only shares
    the cost of a model run. ``method="lbfgs"``: :func:`gradient_descent`
    (SciPy L-BFGS-B) site by site, each with its own line search. Both start
    at the model's defaults and count one evaluation per site per forward +
    gradient run.

    Returns
    -------
    xarray.Dataset
        Per site the best parameters evaluated and their ``loss`` (NumPy model), and
        ``history`` (step, site): the site's loss (torch model) at the parameters of
        each evaluation (NaN after an L-BFGS run stopped early).
    """
    import torch

    if method not in ("adam", "lbfgs"):
        raise ValueError(f"method must be 'adam' or 'lbfgs'; got {method!r}")
    if method == "lbfgs":
        results, history = [], np.full((steps, sites.sizes["site"]), np.nan)
        for i in tqdm(range(sites.sizes["site"]), desc="gradient (lbfgs, site by site)", disable=not progress,
                      leave=False):
            problem = CalibrationProblem(sites.isel(site=i), objective=objective, names=names, bounds=bounds)
            res = gradient_descent(problem, method="lbfgs", steps=steps, n_newton=n_newton)
            trials = [h[1] for h in problem._trials]
            history[:len(trials), i] = trials
            results.append(res)
        out = results_table(results, sites["site"].values)
        out["history"] = (("step", "site"), history,
                          {"long_name": "loss at the parameters of each evaluation (torch model)"})
        return out.assign_coords(step=np.arange(1, steps + 1))

    problem = CalibrationProblem(sites, objective=objective, names=names, bounds=bounds)
    f, obs = problem.tensors()
    n = problem.n_sites
    lo, hi = (torch.tensor([b[i] for b in problem.bounds.values()], dtype=torch.float64) for i in (0, 1))
    z = torch.tensor(np.tile(_start_logits(problem, None), (n, 1)), dtype=torch.float64, requires_grad=True)
    opt = torch.optim.Adam([z], lr=lr)
    from .model import simulate_torch
    from .objectives import torch_loss

    history, thetas, t0 = [], [], time.perf_counter()
    bar = tqdm(total=steps, desc="gradient (adam, all sites)", disable=not progress, leave=False)

    def closure():
        opt.zero_grad()
        theta = lo + (hi - lo) * torch.sigmoid(z)
        thetas.append(theta.detach().numpy().copy())
        values = {**problem.fixed, **{k: theta[:, i] for i, k in enumerate(problem.names)}}
        sim = simulate_torch(f, values["vcmax25"], values["g1"], values["whc"], n_newton=n_newton, outputs=("et",))
        per_site = torch_loss(obs["et"], sim["et"], objective)
        total = smooth_objective(per_site, objective).sum()
        total.backward()
        history.append(per_site.detach().numpy().copy())
        bar.update()
        return total

    try:
        while len(history) < steps:
            opt.step(closure)
    finally:
        bar.close()
    steps = len(history)
    history = np.array(history)
    best = np.nanargmin(np.where(np.isfinite(history), history, np.inf), axis=0)  # best evaluated step per site
    theta = np.array(thetas)[best, np.arange(n)]
    results = []
    for i, s in enumerate(sites["site"].values):
        one = CalibrationProblem(sites.isel(site=i), objective=objective, names=problem.names, bounds=problem.bounds)
        one._record(theta[i][None], one(theta[i][None]))
        one.n_evaluations = steps
        results.append(one.result("Adam (gradient, batched)", wall_s=time.perf_counter() - t0))
    out = results_table(results, sites["site"].values)
    out["history"] = (("step", "site"), history, {"long_name": "loss at the parameters of each step (torch model)"})
    out = out.assign_coords(step=np.arange(1, steps + 1))
    return out
