"""Search back-ends behind one interface: PySR (Julia), pyoperon (offline default) and gplearn.

Each back-end is wrapped in a small *runner* with one method, ``step(...)``,
that advances its search by a chunk of generations and returns candidate
equation strings. :class:`workbench.symbolic.SymbolicRegressor` parses those
strings strictly, scores them itself and keeps the Pareto front between
chunks, so an interrupted search keeps what it found.

PySR is never imported to *detect* it: :func:`pysr_status` looks for the
package, juliacall, a Julia executable and an installed SymbolicRegression.jl
on disk, so ``backend="auto"`` decides in milliseconds and never triggers
PySR's download of Julia.
"""

from __future__ import annotations

import glob
import importlib.util
import math
import os
import re
import shutil
import sys
from functools import lru_cache
from pathlib import Path

import numpy as np

from .._warn import warn

__all__ = ["BACKENDS", "OPERATORS", "pysr_status", "choose_backend", "available_backends", "BackendNotice"]

BACKENDS = ("pysr", "pyoperon", "gplearn")

# Operator name -> (pyoperon symbol, gplearn function, (PySR kind, PySR name)). None: not offered.
OPERATORS: dict[str, tuple[str | None, str | None, tuple[str, str]]] = {
    "+": ("add", "add", ("binary", "+")),
    "-": ("sub", "sub", ("binary", "-")),
    "*": ("mul", "mul", ("binary", "*")),
    "/": ("div", "div", ("binary", "/")),
    "^": ("pow", None, ("binary", "^")),
    "sqrt": ("sqrt", "sqrt", ("unary", "sqrt")),
    "square": ("square", None, ("unary", "square")),
    "exp": ("exp", None, ("unary", "exp")),
    "log": ("log", "log", ("unary", "log")),
    "abs": ("abs", "abs", ("unary", "abs")),
    "tanh": ("tanh", None, ("unary", "tanh")),
    "sin": ("sin", "sin", ("unary", "sin")),
    "cos": ("cos", "cos", ("unary", "cos")),
}
_PACKAGE = {"pysr": "pysr", "pyoperon": "pyoperon", "gplearn": "gplearn"}


class BackendNotice(UserWarning):
    """Says which back-end ``backend="auto"`` chose and why."""


def _julia_executables() -> list[str]:
    found = []
    exe = os.environ.get("PYTHON_JULIAPKG_EXE")
    if exe and os.access(exe, os.X_OK):
        found.append(exe)
    which = shutil.which("julia")
    if which:
        found.append(which)
    # juliapkg installs Julia inside the environment when it downloads it
    found += [p for p in glob.glob(os.path.join(sys.prefix, "julia_env", "pyjuliapkg", "install", "bin", "julia"))
              if os.access(p, os.X_OK)]
    return found


def _julia_depots() -> list[Path]:
    depots = [Path(p) for p in os.environ.get("JULIA_DEPOT_PATH", "").split(os.pathsep) if p]
    return depots or [Path.home() / ".julia"]


@lru_cache(maxsize=1)
def pysr_status() -> tuple[bool, str]:
    """Whether PySR can start here without downloading anything, and why (not).

    Checks, without importing pysr: the ``pysr`` and ``juliacall`` packages, a
    Julia executable (``PYTHON_JULIAPKG_EXE``, ``julia`` on PATH, or juliapkg's
    install in this environment) and SymbolicRegression.jl in a Julia depot
    (``JULIA_DEPOT_PATH`` or ``~/.julia``). Cached; call
    ``pysr_status.cache_clear()`` after installing Julia.

    Returns
    -------
    (bool, str)
        Usable or not, and a one-line reason.
    """
    if importlib.util.find_spec("pysr") is None:
        return False, "the pysr package is not installed (optional extra: pip install 'land-ai-workbench[pysr]')"
    if importlib.util.find_spec("juliacall") is None:
        return False, "pysr is installed but juliacall is not, so PySR cannot reach Julia"
    exes = _julia_executables()
    if not exes:
        return False, ("pysr is installed but no Julia executable was found (PYTHON_JULIAPKG_EXE, julia on PATH, "
                       "juliapkg's install); importing pysr would try to download Julia")
    depots = _julia_depots()
    if not any((d / "packages" / "SymbolicRegression").is_dir() for d in depots):
        return False, (f"Julia found at {exes[0]} but SymbolicRegression.jl is not installed in the depot(s) "
                       f"{[str(d) for d in depots]}; importing pysr would download it")
    return True, f"PySR with Julia at {exes[0]}"


def available_backends() -> dict[str, str]:
    """Each back-end and whether it is usable here (``"ok"`` or the reason not)."""
    ok, why = pysr_status()
    out = {"pysr": "ok" if ok else why}
    for name in ("pyoperon", "gplearn"):
        out[name] = "ok" if importlib.util.find_spec(_PACKAGE[name]) is not None else f"the {name} package is not installed"
    return out


_NOTICE_GIVEN = False


def choose_backend(backend: str = "auto") -> str:
    """Resolve ``backend`` ("auto", "pysr", "pyoperon" or "gplearn") to one that can run.

    ``"auto"`` takes PySR only when :func:`pysr_status` says it can start
    without downloads, else pyoperon, and says once (a :class:`BackendNotice`
    warning) why.

    Raises
    ------
    ValueError
        Unknown name.
    ImportError
        A named back-end that is not installed (or PySR without Julia).
    """
    global _NOTICE_GIVEN
    if backend not in ("auto", *BACKENDS):
        raise ValueError(f"unknown backend {backend!r}; choose 'auto' or one of {BACKENDS}")
    status = available_backends()
    if backend == "auto":
        if status["pysr"] == "ok":
            return "pysr"
        if status["pyoperon"] != "ok":
            raise ImportError(f"no symbolic-regression back-end can run: pysr: {status['pysr']}; pyoperon: {status['pyoperon']}")
        if not _NOTICE_GIVEN:
            warn(f"backend='auto' uses pyoperon (offline): {status['pysr']}", BackendNotice)
            _NOTICE_GIVEN = True
        return "pyoperon"
    if status[backend] != "ok":
        raise ImportError(f"backend {backend!r} cannot run: {status[backend]}")
    return backend


def check_operators(operators, backend: str) -> list[str]:
    """Validate operator names for ``backend``; return them as a list."""
    ops = list(operators)
    unknown = [o for o in ops if o not in OPERATORS]
    if unknown:
        raise ValueError(f"unknown operator(s) {unknown}; choose from {list(OPERATORS)}")
    col = {"pyoperon": 0, "gplearn": 1}.get(backend)
    if col is not None:
        missing = [o for o in ops if OPERATORS[o][col] is None]
        if missing:
            offered = [o for o, v in OPERATORS.items() if v[col] is not None]
            raise ValueError(f"operator(s) {missing} are not available in backend {backend!r}; it offers {offered}")
    if not any(OPERATORS[o][2][0] == "binary" for o in ops):
        raise ValueError(f"operators {ops} contain no binary operator; include at least one of + - * /")
    return ops


# --------------------------------------------------------------------------- runners

class _OperonRunner:
    """pyoperon's NSGA-II (objectives r2 and length), advanced in warm-started generation chunks."""

    one_shot = False

    def __init__(self, s, X, y, weights, names):
        from pyoperon.sklearn import SymbolicRegressor

        symbols = ",".join([OPERATORS[o][0] for o in s["operators"]] + ["constant", "variable"])
        if weights is not None:
            # the sklearn wrapper takes no sample weights: draw rows with probability ~ weight
            # (seeded); the front is still ranked by the exactly weighted loss
            rng = np.random.default_rng(s["seed"])
            rows = rng.choice(len(y), size=len(y), p=weights / weights.sum())
            X, y = X[rows], y[rows]
        self.X, self.y, self.names, self.s = X, y, list(names), s
        self.model = SymbolicRegressor(
            allowed_symbols=symbols, objectives=["r2", "length"], max_length=int(s["max_complexity"]),
            population_size=int(s["population_size"]), n_threads=int(s["n_threads"]),
            **{"optimizer_iterations": 10, "max_evaluations": 10**12, "model_selection_criterion": "mean_squared_error",
               **s.get("backend_options", {})},
        )

    def step(self, generations: int, max_time: float | None, k: int) -> list[str]:
        self.model.set_params(
            generations=int(generations), random_state=int(self.s["seed"]) * 1000 + k, warm_start=k > 0,
            max_time=None if max_time is None else max(1, math.ceil(max_time)),
        )
        self.model.fit(self.X, self.y)
        return [self.model.get_model_string(m["tree"], 12, self.names) for m in self.model.pareto_front_]


_GPLEARN_PROTECTED = [(re.compile(r"\bsqrt\("), "sqrtabs("), (re.compile(r"\blog\("), "logabs(")]


class _GplearnRunner:
    """gplearn's single-objective GP (parsimony pressure), warm-started; best program of each length kept."""

    one_shot = False

    def __init__(self, s, X, y, weights, names):
        from gplearn.genetic import SymbolicRegressor

        self.X, self.y, self.w, self.names, self.s = X, y, weights, list(names), s
        self.model = SymbolicRegressor(
            population_size=int(s["population_size"]), generations=0, tournament_size=20,
            function_set=tuple(OPERATORS[o][1] for o in s["operators"]), metric="mse",
            parsimony_coefficient=0.001, init_depth=(2, 5), const_range=(-5.0, 5.0),
            p_crossover=0.7, p_subtree_mutation=0.1, p_hoist_mutation=0.05, p_point_mutation=0.1,
            max_samples=1.0, warm_start=True, n_jobs=1, random_state=int(s["seed"]), **s.get("backend_options", {}),
        )

    def step(self, generations: int, max_time: float | None, k: int) -> list[str]:
        self.model.set_params(generations=self.model.generations + int(generations))
        self.model.fit(self.X, self.y, sample_weight=self.w)
        best: dict[int, object] = {}
        for prog in self.model._programs[-1]:
            if prog is None or prog.length_ > 2 * self.s["max_complexity"]:
                continue
            if prog.length_ not in best or prog.raw_fitness_ < best[prog.length_].raw_fitness_:
                best[prog.length_] = prog
        out = []
        for prog in best.values():
            text = str(prog)
            for pattern, repl in _GPLEARN_PROTECTED:  # gplearn's sqrt/log act on |x|
                text = pattern.sub(repl, text)
            out.append(text)
        return out

    @property
    def aliases(self):
        return {f"X{i}": n for i, n in enumerate(self.names)}


_PYSR_ISLANDS = 15


class _PySRRunner:
    """PySR's PySRRegressor, run once for the whole budget (it stops cleanly on Ctrl-C itself)."""

    one_shot = True

    def __init__(self, s, X, y, weights, names):
        from pysr import PySRRegressor  # imported only here, when PySR was chosen

        ops = s["operators"]
        deterministic = s["n_threads"] == 1
        self.X, self.y, self.w, self.names = X, y, weights, list(names)
        self.model = PySRRegressor(
            binary_operators=[OPERATORS[o][2][1] for o in ops if OPERATORS[o][2][0] == "binary"],
            unary_operators=[OPERATORS[o][2][1] for o in ops if OPERATORS[o][2][0] == "unary"],
            maxsize=int(s["max_complexity"]),
            niterations=int(s["niterations"]),
            # our population is the total; PySR splits it into islands ("populations")
            populations=_PYSR_ISLANDS,
            population_size=max(20, round(s["population_size"] / _PYSR_ISLANDS)),
            timeout_in_seconds=s["time_budget"],
            parallelism="serial" if deterministic else "multithreading",
            procs=int(s["n_threads"]),
            random_state=int(s["seed"]),
            deterministic=deterministic,
            output_directory=s.get("pysr_output_directory"),
            run_id="pysr",
            model_selection="best",
            progress=False,
            **s.get("backend_options", {}),
        )

    def step(self, generations: int, max_time: float | None, k: int) -> list[str]:
        self.model.fit(self.X, self.y, weights=self.w, variable_names=self.names)
        return [str(e) for e in self.model.equations_["equation"]]


_RUNNERS = {"pyoperon": _OperonRunner, "gplearn": _GplearnRunner, "pysr": _PySRRunner}


def make_runner(backend: str, settings: dict, X, y, weights, names):
    """The runner of ``backend`` set up on the data."""
    return _RUNNERS[backend](settings, X, y, weights, names)
