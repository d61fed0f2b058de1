"""Shape constraints: prior knowledge of how ET must respond to its drivers.

Shape-constrained symbolic regression (Kronberger et al. 2022) asks that a
model is not only accurate but also has the right *shape*: ET is not
negative when energy is available, it does not fall when net radiation or
soil water rise, and its response to the vapour pressure deficit stays
bounded. Here a constraint is checked on a set of points (the training rows
and a grid over the drivers' observed ranges) by evaluating the model and its
partial derivatives (central differences through the feature map, so an
equation of derived features such as the equilibrium rate is judged in the
raw drivers). The share of points that violate any constraint is what the
search penalises and what the selection requires to be zero.

References
----------
Kronberger, G., de França, F. O., Burlacu, B., Haider, C. and Kommenda, M.
(2022) Shape-constrained symbolic regression: improving extrapolation with
prior knowledge. Evolutionary Computation 30(1), 75-98.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

__all__ = ["Constraint", "ShapeConstraints", "et_constraints"]


@dataclass(frozen=True)
class Constraint:
    """One shape constraint: bounds on the model's value or on a partial derivative.

    Attributes
    ----------
    name : str
        Label in reports (e.g. ``"dET/drn >= 0"``).
    wrt : str or None
        The driver to differentiate with respect to; ``None`` bounds the value itself.
    lower, upper : float or None
        Bounds [target units, or target units per driver unit].
    where : str or None
        A driver or feature that must be positive at a point for the
        constraint to apply there (e.g. ``"avail"``: only where available
        energy is positive).
    step : float
        Central-difference half-step in the driver's units.
    """

    name: str
    wrt: str | None = None
    lower: float | None = None
    upper: float | None = None
    where: str | None = None
    step: float = 0.01

    def violated(self, values: np.ndarray) -> np.ndarray:
        """Boolean array: which values break the bounds (NaN and inf count as broken)."""
        with np.errstate(invalid="ignore"):
            bad = ~np.isfinite(values)
            if self.lower is not None:
                bad |= values < self.lower
            if self.upper is not None:
                bad |= values > self.upper
        return bad


def et_constraints(*, water: Sequence[str] = ("water",), vpd_bounds: tuple[float, float] = (-2.0, 5.0),
                   tol: float = 1e-6) -> list[Constraint]:
    """The ET shape constraints of the tower study.

    - ET >= 0 wherever available energy ``rn - g`` is positive (negative ET,
      dew, needs an energy deficit);
    - dET/drn >= 0 [mm d-1 per MJ m-2 d-1]: more energy never lowers ET;
    - dET/dw >= 0 for each water driver ``w`` (water index, scaled soil
      water) where energy is available (with an energy deficit, more water
      may condense more);
    - ``vpd_bounds[0] <= dET/dvpd <= vpd_bounds[1]`` [mm d-1 kPa-1]: a bounded
      response to the air's dryness. The default brackets Penman-Monteith with
      a fixed surface resistance over grass to forest (about 0.5-5) and allows
      moderate stomatal closure (negative slopes), not the -6 of an
      unconstrained fit.

    ``tol`` absorbs round-off of the finite differences.
    """
    rules = [Constraint("ET >= 0 where rn - g > 0", None, lower=-tol, where="avail"),
             Constraint("dET/drn >= 0", "rn", lower=-tol, step=0.05)]
    rules += [Constraint(f"dET/d{w} >= 0", w, lower=-tol, where="avail", step=0.005) for w in water]
    rules.append(Constraint(f"{vpd_bounds[0]:g} <= dET/dvpd <= {vpd_bounds[1]:g}", "vpd", lower=vpd_bounds[0],
                            upper=vpd_bounds[1], step=0.01))
    return rules


class ShapeConstraints:
    """Check models against shape constraints on the training rows and a grid of the drivers.

    Parameters
    ----------
    drivers : DataFrame
        Training rows in the raw drivers (the columns ``features`` needs).
    features : callable
        ``features(drivers) -> DataFrame``: the model inputs computed from the
        drivers (e.g. :func:`workbench.symbolic.studies.tower_features`).
    rules : sequence of Constraint
        Default :func:`et_constraints`.
    grid : sequence of str, optional
        Drivers spanned by a regular grid (``levels`` values between their
        1st and 99th percentiles); the others are held at their median.
        Default: the drivers the rules name that are columns of ``drivers``.
    levels : int
        Grid values per driver.
    feasible : callable, optional
        ``feasible(grid_drivers) -> bool array``: grid points to keep
        (e.g. VPD below saturation vapour pressure).
    max_rows : int
        Training rows used (a seeded random subset).
    seed : int

    Attributes
    ----------
    points_ : DataFrame
        The driver values where the constraints are checked
        (column ``source``: "train" or "grid").

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> rng = np.random.default_rng(0)
    >>> d = pd.DataFrame({"rn": rng.uniform(0, 20, 200), "vpd": rng.uniform(0, 3, 200),
    ...                   "water": rng.uniform(0, 1, 200), "avail": 1.0})
    >>> sc = ShapeConstraints(d, lambda d: d[["rn", "vpd", "water", "avail"]])
    >>> sc.share(lambda f: 0.3 * f["rn"] * f["water"])
    0.0
    >>> sc.share(lambda f: 0.3 * f["rn"] - 2.0 * f["vpd"] ** 2) > 0.2  # falls too steeply with VPD
    True
    """

    def __init__(self, drivers: pd.DataFrame, features: Callable[[pd.DataFrame], pd.DataFrame],
                 rules: Sequence[Constraint] | None = None, *, grid: Sequence[str] | None = None, levels: int = 5,
                 feasible: Callable | None = None, max_rows: int = 1000, seed: int = 0):
        if not isinstance(drivers, pd.DataFrame):
            raise TypeError(f"drivers must be a pandas DataFrame of the raw drivers, not {type(drivers).__name__}")
        self.rules = list(rules if rules is not None else et_constraints())
        self.features = features
        missing = sorted({r.wrt for r in self.rules if r.wrt and r.wrt not in drivers})
        if missing:
            raise ValueError(f"the constraints need the driver(s) {missing}, which are not columns of drivers "
                             f"{list(drivers.columns)}")
        numeric = drivers.select_dtypes("number")
        rng = np.random.default_rng(seed)
        rows = numeric.iloc[np.sort(rng.choice(len(numeric), size=min(max_rows, len(numeric)), replace=False))]
        grid = [g for g in (grid if grid is not None else dict.fromkeys(r.wrt for r in self.rules if r.wrt))
                if g in numeric]
        lo, hi = numeric[grid].quantile(0.01), numeric[grid].quantile(0.99)
        values = [np.linspace(lo[g], hi[g], levels) for g in grid]
        mesh = pd.DataFrame(list(itertools.product(*values)), columns=grid)
        for col in numeric.columns.difference(grid):
            mesh[col] = float(numeric[col].median())
        if feasible is not None:
            mesh = mesh[np.asarray(feasible(mesh), dtype=bool)]
        self.points_ = pd.concat([rows.assign(source="train"), mesh[numeric.columns].assign(source="grid")],
                                 ignore_index=True)
        base = self.points_.drop(columns="source")
        self._sets = {None: base}
        for r in self.rules:
            if r.wrt is not None:
                for sign in (1, -1):
                    self._sets[(r.wrt, sign, r.step)] = base.assign(**{r.wrt: base[r.wrt] + sign * r.step})
        self._features: dict = {}
        frame = self._feature_frame(None)
        absent = sorted({r.where for r in self.rules if r.where and r.where not in frame})
        if absent:
            raise ValueError(f"the constraints apply where {absent} > 0, but the features have no such column "
                             f"({list(frame.columns)})")

    def _feature_frame(self, key) -> pd.DataFrame:
        if key not in self._features:
            self._features[key] = self.features(self._sets[key])
        return self._features[key]

    def _evaluate(self, model, key) -> np.ndarray:
        frame = self._feature_frame(key)
        with np.errstate(all="ignore"):
            return np.broadcast_to(np.asarray(model(frame), dtype=float), (len(frame),))

    def violations(self, model) -> pd.DataFrame:
        """Which points violate which constraint.

        Parameters
        ----------
        model : callable
            ``model(features_frame) -> array`` (an :class:`~workbench.symbolic.Equation`
            works: it picks its inputs from the frame).

        Returns
        -------
        pandas.DataFrame
            One boolean column per constraint and ``any``, one row per point
            (index aligned with :attr:`points_`).
        """
        out = {}
        for r in self.rules:
            if r.wrt is None:
                values = self._evaluate(model, None)
            else:
                up, down = self._evaluate(model, (r.wrt, 1, r.step)), self._evaluate(model, (r.wrt, -1, r.step))
                values = (up - down) / (2 * r.step)
            bad = r.violated(values)
            if r.where is not None:
                bad &= self._feature_frame(None)[r.where].to_numpy() > 0
            out[r.name] = bad
        table = pd.DataFrame(out, index=self.points_.index)
        table["any"] = table.any(axis=1)
        return table

    def share(self, model) -> float:
        """Share of the points [0-1] where the model violates any constraint."""
        return float(self.violations(model)["any"].mean())

    def report(self, models: Mapping[str, Callable]) -> pd.DataFrame:
        """Share of violating points per constraint (columns) for each model (rows), on train rows and grid."""
        rows = {}
        for name, model in models.items():
            v = self.violations(model)
            rows[name] = {**v.mean().to_dict(), "train": float(v.loc[self.points_["source"] == "train", "any"].mean()),
                          "grid": float(v.loc[self.points_["source"] == "grid", "any"].mean())}
        return pd.DataFrame.from_dict(rows, orient="index").rename(columns={"any": "any constraint"})
