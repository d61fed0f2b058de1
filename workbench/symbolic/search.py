"""The symbolic-regression estimator: one scikit-learn interface over PySR, pyoperon and gplearn."""

from __future__ import annotations

import hashlib
import json
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import sympy
from sklearn.base import BaseEstimator, RegressorMixin

from .._warn import warn
from ..units import UnitError, parse_units
from ._expr import canonical, make_symbols, parse_equation
from .backends import check_operators, choose_backend, make_runner
from .front import ParetoFront, make_equation

__all__ = ["SymbolicRegressor", "load_run", "prepare_data"]

_RUN_ROOT = Path("runs") / "symbolic"
_RUN_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")


def prepare_data(X, y, *, weights=None, feature_names=None, feature_units=None, target_units=None):
    """Validate and unpack inputs for a search.

    ``X`` may be a 2-D array (with ``feature_names``), a pandas DataFrame (units
    from ``df.attrs["units"]``, a dict, when present) or an xarray Dataset of
    1-D variables (units from each variable's attrs). ``y`` may be an array, a
    Series or a DataArray (units from its attrs).

    Returns
    -------
    X, y, weights : numpy.ndarray
    names : list of str
    feature_units : dict or None
    target_units : str or None

    Raises
    ------
    ValueError
        Mismatched lengths, missing values in an input, constant inputs,
        non-finite targets, bad weights or too few rows.
    """
    if hasattr(X, "data_vars"):  # xarray Dataset
        names = list(feature_names or X.data_vars)
        units = {n: X[n].attrs.get("units") for n in names}
        feature_units = feature_units or ({n: u for n, u in units.items()} if all(units.values()) else None)
        X = np.column_stack([np.asarray(X[n].values, dtype=float).ravel() for n in names])
    elif isinstance(X, pd.DataFrame):
        names = list(feature_names or X.columns)
        attr_units = X.attrs.get("units") or {}
        if feature_units is None and all(n in attr_units for n in names):
            feature_units = {n: attr_units[n] for n in names}
        X = X[names].to_numpy(dtype=float)
    else:
        X = np.asarray(X, dtype=float)
        if X.ndim != 2:
            raise ValueError(f"X must be 2-D (samples x features), got shape {X.shape}")
        names = list(feature_names) if feature_names is not None else [f"x{i}" for i in range(X.shape[1])]
    make_symbols(names)  # names must be identifiers
    if len(names) != X.shape[1]:
        raise ValueError(f"{len(names)} feature names {names} for {X.shape[1]} columns of X")
    if target_units is None and hasattr(y, "attrs"):
        target_units = y.attrs.get("units")
    y = np.asarray(y, dtype=float).ravel()
    if len(y) != X.shape[0]:
        raise ValueError(f"X has {X.shape[0]} rows but y has {len(y)} values; they must match")
    if X.shape[0] < 10:
        raise ValueError(f"need at least 10 samples for a search, got {X.shape[0]}")
    for k, name in enumerate(names):
        col = X[:, k]
        bad = int((~np.isfinite(col)).sum())
        if bad:
            raise ValueError(
                f"input {name!r} has {bad} missing or non-finite value(s) of {len(col)}; drop or fill those rows "
                f"first (nothing is dropped silently)"
            )
        if np.ptp(col) == 0:
            raise ValueError(f"input {name!r} is constant (all values {col[0]!r}); remove it from the inputs")
    bad = int((~np.isfinite(y)).sum())
    if bad:
        raise ValueError(f"the target has {bad} non-finite value(s) (NaN or inf) of {len(y)}; drop those rows first")
    if weights is not None:
        weights = np.asarray(weights, dtype=float).ravel()
        if len(weights) != len(y):
            raise ValueError(f"weights has {len(weights)} values but y has {len(y)}; they must match")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or weights.sum() <= 0:
            raise ValueError("weights must be finite, non-negative and not all zero")
    if feature_units is not None:
        missing = [n for n in names if n not in feature_units]
        if missing:
            raise UnitError(f"feature_units lacks the input(s) {missing}")
        feature_units = {n: str(feature_units[n]) for n in names}
        for n, u in feature_units.items():
            try:
                parse_units(u)
            except UnitError as err:
                raise UnitError(f"input {n!r}: {err}") from None
    if target_units is not None:
        parse_units(str(target_units))
    return X, y, weights, names, feature_units, (str(target_units) if target_units is not None else None)


def _mse(pred, y, weights):
    with np.errstate(all="ignore"):
        r2 = (pred - y) ** 2
    if not np.all(np.isfinite(r2)):
        return math.inf
    return float(np.average(r2, weights=weights))


def _fingerprint(*arrays) -> str:
    h = hashlib.sha256()
    for a in arrays:
        if a is not None:
            h.update(np.ascontiguousarray(a, dtype=float).tobytes())
    return h.hexdigest()[:16]


class SymbolicRegressor(RegressorMixin, BaseEstimator):
    """Symbolic regression with a Pareto front of equations, over PySR, pyoperon or gplearn.

    Parameters
    ----------
    backend : {"auto", "pysr", "pyoperon", "gplearn"}
        ``"auto"`` takes PySR only when it can start without downloads
        (:func:`workbench.symbolic.pysr_status`), else pyoperon, and says why.
    operators : sequence of str
        From ``+ - * / ^ sqrt square exp log abs tanh sin cos``
        (:data:`workbench.symbolic.OPERATORS`; gplearn lacks ``^ square exp tanh``).
    max_complexity : int
        Largest equation size the back-end may build (tree nodes).
    niterations : int
        Budget in generations (PySR: iterations). Reproducible.
    time_budget : float or None
        Wall-clock budget [s]; the search stops at whichever comes first.
        A run stopped by time is not reproducible; one stopped by
        ``niterations`` is.
    n_threads : int
        Threads (pyoperon), procs (PySR); gplearn runs on one.
    seed : int
        Random seed; the same seed and settings give the same front.
    population_size : int
    chunk : int
        Generations per chunk: the front is merged, saved and reported after
        each chunk.
    constants : {"wildcard", "dimensionless"}
        Whether fitted constants may carry units in the dimensional check.
    run_name : str or None
        Save the run under ``runs/symbolic/<run_name>/`` (relative to the
        working directory): ``settings.json`` at the start, ``front.json`` and
        ``front.csv`` after every chunk.
    progress : bool
        Show a tqdm progress bar.
    constraints : ShapeConstraints or None
        Shape constraints (:class:`workbench.symbolic.ShapeConstraints`, built
        on the training drivers): every candidate's share of violating points
        is computed, the front ranks equations by ``loss * (1 + penalty *
        share)``, and :attr:`equation_` is chosen among the equations that
        break none (with a warning when there is none). pyoperon and gplearn
        take no custom loss, so the constraints act on the front and the
        selection, not inside their evolution.
    penalty : float
        Weight of the violating share in the front's ranking.
    backend_options : dict or None
        Extra keyword arguments of the back-end's own estimator (e.g.
        pyoperon's ``initialization_max_length``, ``optimizer_iterations``);
        unknown names are refused by the back-end.

    Attributes
    ----------
    front_ : ParetoFront
    backend_ : str
    equation_ : Equation
        The equation chosen by ``selection`` (``"best"`` or ``"accuracy"``).
    history_ : pandas.DataFrame
        Per chunk: seconds, generations done, front size, lowest loss.
    interrupted_ : bool
        True when the search was stopped by KeyboardInterrupt (front kept).
    run_dir_ : pathlib.Path or None

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(1, 2, (200, 2))
    >>> y = 3.0 * X[:, 0] * X[:, 1]
    >>> sr = SymbolicRegressor(backend="pyoperon", niterations=10, population_size=100, progress=False)
    >>> sr.fit(X, y, feature_names=["a", "b"]).front_.select("accuracy").loss < 1e-8
    True
    """

    def __init__(self, *, backend="auto", operators=("+", "-", "*", "/"), max_complexity=20, niterations=100,
                 time_budget=None, n_threads=1, seed=0, population_size=500, chunk=10, constants="wildcard",
                 selection="best", run_name=None, progress=True, constraints=None, penalty=100.0,
                 backend_options=None):
        self.backend = backend
        self.operators = operators
        self.max_complexity = max_complexity
        self.niterations = niterations
        self.time_budget = time_budget
        self.n_threads = n_threads
        self.seed = seed
        self.population_size = population_size
        self.chunk = chunk
        self.constants = constants
        self.selection = selection
        self.run_name = run_name
        self.progress = progress
        self.constraints = constraints
        self.penalty = penalty
        self.backend_options = backend_options

    # ----------------------------------------------------------------- checks
    def _settings(self, backend: str) -> dict:
        checks = [
            (isinstance(self.max_complexity, (int, np.integer)) and self.max_complexity >= 3, "max_complexity", "an integer >= 3"),
            (isinstance(self.niterations, (int, np.integer)) and self.niterations >= 1, "niterations", "an integer >= 1"),
            (self.time_budget is None or (isinstance(self.time_budget, (int, float)) and self.time_budget > 0), "time_budget", "None or seconds > 0"),
            (isinstance(self.n_threads, (int, np.integer)) and self.n_threads >= 1, "n_threads", "an integer >= 1"),
            (isinstance(self.seed, (int, np.integer)), "seed", "an integer"),
            (isinstance(self.population_size, (int, np.integer)) and self.population_size >= 10, "population_size", "an integer >= 10"),
            (isinstance(self.chunk, (int, np.integer)) and self.chunk >= 1, "chunk", "an integer >= 1"),
            (self.constants in ("wildcard", "dimensionless"), "constants", "'wildcard' or 'dimensionless'"),
            (self.selection in ("best", "accuracy"), "selection", "'best' or 'accuracy'"),
            (isinstance(self.penalty, (int, float)) and self.penalty >= 0, "penalty", "a number >= 0"),
            (self.constraints is None or hasattr(self.constraints, "share"), "constraints",
             "None or a ShapeConstraints (with a share(model) method)"),
            (self.run_name is None or (isinstance(self.run_name, str) and _RUN_NAME.match(self.run_name)),
             "run_name", "None or a folder name of letters, digits, '.', '_' and '-' (not starting with '.')"),
        ]
        for ok, name, expected in checks:
            if not ok:
                raise ValueError(f"{name} must be {expected}, got {getattr(self, name)!r}")
        return {
            "backend": backend, "operators": check_operators(self.operators, backend),
            "max_complexity": int(self.max_complexity), "niterations": int(self.niterations),
            "time_budget": self.time_budget, "n_threads": int(self.n_threads), "seed": int(self.seed),
            "population_size": int(self.population_size), "chunk": int(self.chunk), "constants": self.constants,
            "backend_options": dict(self.backend_options or {}),
        }

    # ----------------------------------------------------------------- fit
    def fit(self, X, y, *, weights=None, feature_names=None, feature_units=None, target_units=None,
            callback: Callable | None = None):
        """Search for equations ``y ~ f(X)``.

        Parameters
        ----------
        X : array, DataFrame or Dataset
            Inputs; see :func:`prepare_data` for where names and units come from.
        y : array, Series or DataArray
            Target.
        weights : array, optional
            Sample weights (PySR and gplearn use them directly; pyoperon via a
            seeded weighted resample). The front's loss is the weighted MSE.
        feature_names, feature_units, target_units : optional
            Names and CF unit strings, when ``X``/``y`` do not carry them.
        callback : callable, optional
            ``callback(front, info)`` after each chunk (e.g. to redraw a plot);
            returning True stops the search (e.g. a target reached).

        Returns
        -------
        self
        """
        backend = choose_backend(self.backend)
        settings = self._settings(backend)
        X, y, w, names, f_units, t_units = prepare_data(
            X, y, weights=weights, feature_names=feature_names, feature_units=feature_units, target_units=target_units)
        self.feature_names_in_ = np.array(names, dtype=object)
        self.n_features_in_ = len(names)
        self.feature_units_, self.target_units_ = f_units, t_units
        self.backend_ = backend
        self.run_dir_ = None
        meta = {"variables": names, "feature_units": f_units, "target_units": t_units, "constants": self.constants,
                "penalty": float(self.penalty) if self.constraints is not None else 0.0}
        if self.run_name is not None:
            self.run_dir_ = _RUN_ROOT / str(self.run_name)
            self.run_dir_.mkdir(parents=True, exist_ok=True)
            settings["pysr_output_directory"] = str(self.run_dir_)
            record = {**settings, **meta, "selection": self.selection, "data_fingerprint": _fingerprint(X, y, w), "n_samples": len(y),
                      "started": datetime.now(timezone.utc).isoformat(timespec="seconds")}
            (self.run_dir_ / "settings.json").write_text(json.dumps(record, indent=1))

        runner = make_runner(backend, settings, X, y, w, names)
        aliases = getattr(runner, "aliases", None)
        self.front_ = ParetoFront()
        self.interrupted_ = False
        history = []
        start = time.perf_counter()
        total = settings["niterations"]
        step = total if runner.one_shot else settings["chunk"]
        from tqdm.auto import tqdm

        bar = tqdm(total=total, desc=f"symbolic search ({backend})", unit="gen", disable=not self.progress, leave=False)
        done, k = 0, 0
        try:
            while done < total:
                elapsed = time.perf_counter() - start
                remaining = None if self.time_budget is None else self.time_budget - elapsed
                if remaining is not None and remaining <= 0:
                    break
                n = min(step, total - done)
                candidates = runner.step(n, remaining, k)
                self.front_ = self.front_.merged(self._score(candidates, names, aliases, X, y, w, f_units, t_units))
                done, k = done + n, k + 1
                info = {"chunk": k, "generations": done, "seconds": time.perf_counter() - start,
                        "front_size": len(self.front_),
                        "best_loss": min((e.loss for e in self.front_), default=math.nan)}
                history.append(info)
                if self.run_dir_ is not None:
                    self._save(meta, history)
                bar.update(n)
                bar.set_postfix(loss=f"{info['best_loss']:.4g}", front=len(self.front_))
                if callback is not None and callback(self.front_, info):
                    break  # the callback asked to stop (e.g. the target was reached)
        except KeyboardInterrupt:
            self.interrupted_ = True
            if not len(self.front_):
                raise
            warn(f"search interrupted after {done} generations; keeping the front of {len(self.front_)} "
                      f"equations" + (f" (saved in {self.run_dir_})" if self.run_dir_ else ""))
        finally:
            bar.close()
        self.history_ = pd.DataFrame(history)
        if not len(self.front_):
            raise RuntimeError(f"the {backend} search produced no equation with a finite loss")
        self.equation_ = self._choose()
        return self

    def _choose(self):
        if self.constraints is None:
            return self.front_.select(self.selection)
        try:
            return self.front_.select(self.selection, satisfying_only=True)
        except ValueError:
            eq = min(self.front_, key=lambda e: e.violation)
            warn(f"no equation on the front satisfies the shape constraints; chose the least violating "
                      f"({eq.violation:.1%} of the check points)")
            return eq

    def _score(self, candidates, names, aliases, X, y, w, f_units, t_units):
        eqs, seen = [], set()
        for text in candidates:
            if text in seen:
                continue
            seen.add(text)
            expr = parse_equation(text, names, aliases=aliases)
            if expr.has(sympy.zoo, sympy.oo, -sympy.oo, sympy.nan):
                continue  # e.g. gplearn's protected x/0.000, which sympy reads as infinite: not a usable equation
            expr = canonical(expr, names)
            eq = make_equation(expr, names, math.nan, f_units, t_units, self.constants)
            eq.loss = _mse(eq(X), y, w)
            if self.constraints is not None and math.isfinite(eq.loss):
                eq.violation, eq.penalty = self.constraints.share(eq), float(self.penalty)
            eqs.append(eq)
        return eqs

    def _save(self, meta, history):
        self.front_.to_json(self.run_dir_ / "front.json", **meta)
        self.front_.to_csv(self.run_dir_ / "front.csv")
        pd.DataFrame(history).to_csv(self.run_dir_ / "history.csv", index=False)

    # ----------------------------------------------------------------- use
    def _check_fitted(self):
        if not hasattr(self, "front_"):
            from sklearn.exceptions import NotFittedError

            raise NotFittedError("this SymbolicRegressor is not fitted yet; call fit() or load_run() first")

    def predict(self, X, *, equation=None):
        """Predict with the chosen equation (or ``equation``, an :class:`Equation` of the front)."""
        self._check_fitted()
        names = list(self.feature_names_in_)
        if hasattr(X, "data_vars") or isinstance(X, (pd.DataFrame, Mapping)):
            X = np.column_stack([np.asarray(X[n], dtype=float).ravel() for n in names])
        X = np.asarray(X, dtype=float)
        if X.ndim != 2 or X.shape[1] != len(names):
            raise ValueError(f"X must have {len(names)} columns {names}, got shape {X.shape}")
        return (equation or self.equation_)(X)

    def sympy(self):
        """The chosen equation as a sympy expression."""
        self._check_fitted()
        return self.equation_.expr

    def latex(self) -> str:
        """The chosen equation in LaTeX."""
        self._check_fitted()
        return self.equation_.latex


def load_run(run: str | Path) -> SymbolicRegressor:
    """Reload a saved run as a fitted :class:`SymbolicRegressor`.

    Parameters
    ----------
    run : str or path
        A run folder (``runs/symbolic/<name>``) or just the name.

    Examples
    --------
    >>> sr = load_run("runs/symbolic/my-run")  # doctest: +SKIP
    >>> sr.front_.to_frame()  # doctest: +SKIP
    """
    folder = Path(run)
    if not (folder / "settings.json").exists() and (_RUN_ROOT / str(run) / "settings.json").exists():
        folder = _RUN_ROOT / str(run)
    if not (folder / "settings.json").exists():
        raise FileNotFoundError(f"no saved run at {folder} (expected settings.json inside)")
    settings = json.loads((folder / "settings.json").read_text())
    if not (folder / "front.json").exists():
        raise FileNotFoundError(f"run {folder} has settings but no front.json yet (no chunk finished)")
    params = {k: settings[k] for k in SymbolicRegressor().get_params() if k in settings}
    sr = SymbolicRegressor(**params, run_name=folder.name, progress=False)
    sr.front_ = ParetoFront.from_json(folder / "front.json")
    sr.backend_ = settings["backend"]
    sr.feature_names_in_ = np.array(settings["variables"], dtype=object)
    sr.n_features_in_ = len(settings["variables"])
    sr.feature_units_, sr.target_units_ = settings.get("feature_units"), settings.get("target_units")
    sr.run_dir_ = folder
    sr.interrupted_ = False
    history = folder / "history.csv"
    sr.history_ = pd.read_csv(history) if history.exists() else pd.DataFrame()
    checked = any(e.satisfies for e in sr.front_)  # saved with shape constraints, and one satisfies them
    sr.equation_ = sr.front_.select(sr.selection, satisfying_only=checked)
    return sr
