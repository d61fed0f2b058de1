"""Equations and Pareto fronts (complexity vs loss) found by a symbolic search."""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import sympy

from ._dims import UnitCheck, check_units
from ._expr import compile_expression, complexity, parse_equation, to_text

__all__ = ["Equation", "ParetoFront"]


@dataclass(eq=False)
class Equation:
    """One equation of a front.

    Attributes
    ----------
    expr : sympy.Expr
        The equation; its free symbols are (a subset of) ``variables``.
    variables : tuple of str
        All input variables of the search, in column order.
    loss : float
        Mean squared error on the training data [target units squared].
    complexity : int
        Binary-tree size (see :func:`workbench.symbolic.complexity`).
    units : UnitCheck
        Dimensional check against the target's units.
    violation : float
        Share of the check points [0-1] where the equation breaks the search's
        shape constraints (:class:`workbench.symbolic.ShapeConstraints`);
        NaN when not checked.
    penalty : float
        Weight of ``violation`` in the ranking :attr:`objective`.
    """

    expr: sympy.Expr
    variables: tuple[str, ...]
    loss: float
    complexity: int
    units: UnitCheck = field(default_factory=lambda: UnitCheck(None))
    violation: float = math.nan
    penalty: float = 0.0

    @property
    def objective(self) -> float:
        """The loss the front ranks by: ``loss * (1 + penalty * violation)`` (the loss when not checked)."""
        if math.isnan(self.violation) or not self.penalty:
            return self.loss
        return self.loss * (1.0 + self.penalty * self.violation)

    @property
    def satisfies(self) -> bool | None:
        """Whether the equation breaks no shape constraint (None: not checked)."""
        return None if math.isnan(self.violation) else self.violation == 0.0

    @property
    def consistent(self) -> bool | None:
        """Whether the equation is dimensionally consistent (None: not checked)."""
        return self.units.consistent

    @property
    def latex(self) -> str:
        """LaTeX of the equation, constants with 4 significant digits."""
        return sympy.latex(_round_floats(self.expr, 4))

    @property
    def text(self) -> str:
        """Full-precision text, re-readable by :func:`workbench.symbolic.parse_equation`."""
        return to_text(self.expr)

    @cached_property
    def _numpy(self):
        return compile_expression(self.expr, self.variables)

    def __call__(self, X) -> np.ndarray:
        """Evaluate on a 2-D array (columns = ``variables``) or a mapping/DataFrame of columns."""
        return self._numpy(_as_matrix(X, self.variables))

    def torch(self):
        """A differentiable torch function of a 2-D tensor (columns = ``variables``)."""
        return compile_expression(self.expr, self.variables, backend="torch")

    def derivative(self, name: str) -> "Equation":
        """The exact partial derivative with respect to input ``name``, as an Equation."""
        if name not in self.variables:
            raise ValueError(f"{name!r} is not an input; inputs are {list(self.variables)}")
        d = sympy.diff(self.expr, sympy.Symbol(name, real=True))
        return Equation(d, self.variables, math.nan, complexity(d))

    def to_dict(self) -> dict:
        return {
            "complexity": self.complexity,
            "loss": self.loss,
            "equation": self.text,
            "consistent": self.units.consistent,
            "dimensionality": self.units.dimensionality,
            "units_reason": self.units.reason,
            "violation": self.violation,
        }

    def __repr__(self) -> str:
        return f"Equation({_round_floats(self.expr, 4)}, complexity={self.complexity}, loss={self.loss:.4g})"


def _round_floats(expr, digits: int):
    return expr.xreplace({f: sympy.Float(float(f"{float(f):.{digits}g}"), digits) for f in expr.atoms(sympy.Float)})


def _as_matrix(X, variables: Sequence[str]) -> np.ndarray:
    if isinstance(X, (pd.DataFrame, Mapping)) or hasattr(X, "data_vars"):
        missing = [v for v in variables if v not in X]
        if missing:
            raise ValueError(f"inputs {missing} are missing; the equation needs {list(variables)}")
        return np.column_stack([np.asarray(X[v], dtype=float).ravel() for v in variables])
    return np.asarray(X, dtype=float)


class ParetoFront(Sequence):
    """Non-dominated equations, sorted by complexity (loss falls as complexity grows).

    Parameters
    ----------
    equations : iterable of Equation
        Candidates; dominated ones (another is no more complex and has a lower
        :attr:`Equation.objective`, the loss penalised for shape-constraint
        violations) and duplicates are removed, equations with non-finite loss
        kept out.
    """

    def __init__(self, equations: Iterable[Equation] = ()):
        best: dict[int, Equation] = {}
        for eq in equations:
            if not math.isfinite(eq.loss):
                continue
            if eq.complexity not in best or eq.objective < best[eq.complexity].objective:
                best[eq.complexity] = eq
        front, lowest = [], math.inf
        for c in sorted(best):
            if best[c].objective < lowest:
                front.append(best[c])
                lowest = best[c].objective
        self._eqs = front

    def __getitem__(self, i):
        return self._eqs[i]

    def __len__(self):
        return len(self._eqs)

    def __repr__(self):
        return f"ParetoFront({len(self)} equations)\n" + self.to_frame()[["complexity", "loss", "equation", "consistent"]].to_string()

    def merged(self, equations: Iterable[Equation]) -> "ParetoFront":
        """A new front from this one's equations and ``equations``."""
        return ParetoFront([*self._eqs, *equations])

    def scores(self) -> np.ndarray:
        """PySR's score: ``-d log(loss) / d complexity`` between neighbours (first is 0)."""
        out = np.zeros(len(self))
        for i in range(1, len(self)):
            a, b = self._eqs[i - 1], self._eqs[i]
            la, lb = max(a.loss, 1e-300), max(b.loss, 1e-300)
            out[i] = -(math.log(lb) - math.log(la)) / (b.complexity - a.complexity)
        return out

    def consistent(self) -> "ParetoFront":
        """The front of the dimensionally consistent equations only."""
        kept = ParetoFront.__new__(ParetoFront)
        kept._eqs = [e for e in self._eqs if e.consistent is not False]
        return kept

    def satisfying(self, max_violation: float = 0.0) -> "ParetoFront":
        """The front of the equations that break the shape constraints at no more than ``max_violation`` of the points."""
        kept = ParetoFront.__new__(ParetoFront)
        kept._eqs = [e for e in self._eqs if math.isnan(e.violation) or e.violation <= max_violation]
        return kept

    def select(self, by: str = "best", *, max_complexity: int | None = None, consistent_only: bool = False,
               satisfying_only: bool = False) -> Equation:
        """Choose one equation.

        Parameters
        ----------
        by : {"best", "accuracy"}
            ``"accuracy"``: lowest loss. ``"best"``: highest score among the
            equations whose loss is within 1.5 times the lowest (PySR's rule).
        max_complexity : int, optional
            Only equations at most this complex.
        consistent_only : bool
            Only dimensionally consistent equations.
        satisfying_only : bool
            Only equations that break no shape constraint (:meth:`satisfying`).
        """
        if by not in ("best", "accuracy"):
            raise ValueError(f"by must be 'best' or 'accuracy', not {by!r}")
        front = self.consistent() if consistent_only else self
        front = front.satisfying() if satisfying_only else front
        scores = front.scores()
        pool = [(e, s) for e, s in zip(front, scores) if max_complexity is None or e.complexity <= max_complexity]
        if not pool:
            raise ValueError(
                f"no equation satisfies max_complexity={max_complexity}, consistent_only={consistent_only}, "
                f"satisfying_only={satisfying_only} "
                f"(front complexities: {[e.complexity for e in self]})"
            )
        if by == "accuracy":
            return min(pool, key=lambda p: p[0].loss)[0]
        lowest = min(e.loss for e, _ in pool)
        return max(((e, s) for e, s in pool if e.loss <= 1.5 * lowest), key=lambda p: p[1])[0]

    def to_frame(self) -> pd.DataFrame:
        """Table: complexity, loss, score, equation, latex, consistent, dimensionality, units_reason, violation."""
        rows = [e.to_dict() | {"score": s, "latex": e.latex} for e, s in zip(self._eqs, self.scores())]
        cols = ["complexity", "loss", "score", "equation", "latex", "consistent", "dimensionality", "units_reason",
                "violation"]
        return pd.DataFrame(rows, columns=cols)

    # ---------------------------------------------------------------- persistence
    def to_json(self, path: str | Path, **meta) -> None:
        """Write the front (and ``meta``, e.g. variables and units) as JSON, atomically."""
        variables = self._eqs[0].variables if self._eqs else meta.pop("variables", ())
        payload = {"variables": list(variables), **meta, "equations": [e.to_dict() for e in self._eqs]}
        _atomic_write(Path(path), json.dumps(payload, indent=1, default=_json_default))

    @classmethod
    def from_json(cls, path: str | Path, *, feature_units=None, target_units=None, constants="wildcard") -> "ParetoFront":
        """Read a front written by :meth:`to_json`; equations are re-parsed strictly and re-checked."""
        payload = json.loads(Path(path).read_text())
        variables = tuple(payload["variables"])
        feature_units = feature_units if feature_units is not None else payload.get("feature_units")
        target_units = target_units if target_units is not None else payload.get("target_units")
        constants = payload.get("constants", constants)
        eqs = []
        for row in payload["equations"]:
            eq = make_equation(parse_equation(row["equation"], variables), variables, float(row["loss"]),
                               feature_units, target_units, constants)
            violation = row.get("violation")
            eq.violation = math.nan if violation is None else float(violation)
            eq.penalty = float(payload.get("penalty", 0.0))
            eqs.append(eq)
        return cls(eqs)

    def to_csv(self, path: str | Path) -> None:
        """Write the table of :meth:`to_frame` as CSV, atomically."""
        _atomic_write(Path(path), self.to_frame().to_csv(index=False))


def make_equation(expr, variables, loss, feature_units=None, target_units=None, constants="wildcard") -> Equation:
    """Build an Equation: complexity and unit check computed from ``expr``."""
    return Equation(expr, tuple(variables), float(loss), complexity(expr),
                    check_units(expr, feature_units, target_units, constants=constants))


def _atomic_write(path: Path, text: str) -> None:
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def _json_default(obj):
    if isinstance(obj, (np.integer,)):
        return int(obj)
    if isinstance(obj, (np.floating,)):
        return float(obj)
    if isinstance(obj, (np.ndarray, tuple, set)):
        return list(obj)
    if isinstance(obj, Path):
        return str(obj)
    raise TypeError(f"cannot write {type(obj).__name__} to JSON")
