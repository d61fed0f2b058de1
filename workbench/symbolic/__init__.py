"""Symbolic ET study: discover evapotranspiration equations from data.

One scikit-learn estimator, :class:`SymbolicRegressor`, over three back-ends:
PySR (when a Julia runtime is present; never imported at import time),
pyoperon (the offline default) and gplearn (a slow reference). A search
returns a :class:`ParetoFront` of :class:`Equation` objects (sympy, LaTeX,
numpy and torch callables, a dimensional check against the target's units),
saved as it goes under ``runs/symbolic/<run_name>/`` and reloadable with
:func:`load_run`.

Shape constraints (:class:`ShapeConstraints`, Kronberger et al. 2022) rank and
select equations by how they respond to their drivers, not only by accuracy.
The studies (:mod:`workbench.symbolic.studies`) recover known laws from
synthetic data, cross-validate equations by site on towers against calibrated
physical baselines and black boxes, and compare sensitivities with Penman-Monteith.
"""

from ._dims import UnitCheck, check_units
from ._expr import FUNCTIONS, compile_expression, complexity, parse_equation
from .constraints import Constraint, ShapeConstraints, et_constraints
from .backends import BACKENDS, OPERATORS, BackendNotice, available_backends, choose_backend, pysr_status
from . import studies
from .front import Equation, ParetoFront
from .laws import LAWS, Law, RecoveryResult, check_recovery, sample_law
from .search import SymbolicRegressor, load_run, prepare_data

__all__ = [
    "BACKENDS", "OPERATORS", "FUNCTIONS", "LAWS", "BackendNotice", "Constraint", "Equation", "Law", "ParetoFront",
    "ShapeConstraints", "et_constraints",
    "RecoveryResult", "SymbolicRegressor", "UnitCheck", "available_backends", "check_recovery", "check_units",
    "choose_backend", "compile_expression", "complexity", "load_run", "parse_equation", "prepare_data",
    "pysr_status", "sample_law", "studies",
]
