"""Known ET laws as ground truth for recovery studies, and the recovery test.

Each :class:`Law` draws plausible driver values, computes the target with the
reference formula in :mod:`workbench.physics` (one implementation of each
formula), and holds the same law as a sympy expression in the search's
inputs, for the symbolic comparison.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import sympy
from scipy.optimize import least_squares

from ._expr import compile_expression, complexity, make_symbols
from .front import Equation, ParetoFront

__all__ = ["Law", "LAWS", "RecoveryResult", "check_recovery", "sample_law"]

_S = make_symbols(["delta", "gamma", "rn", "g", "rn_e", "g_e", "tmean", "trange", "ra", "wind", "vpd", "avail", "ae",
                   "aero"])
_F = sympy.Float


def _pt_truth(d):
    from .. import physics

    return physics.priestley_taylor(d["rn"], d["tmean"], g=d["g"], pressure=d["pressure"])


def _hs_truth(d):
    from .. import physics

    return physics.hargreaves_samani(d["tmean"], d["tmean"] + d["trange"] / 2, d["tmean"] - d["trange"] / 2, d["ra"])


def _pm_truth(d):
    from .. import physics

    es = physics.saturation_vapour_pressure(d["tmean"])
    return physics.fao56_penman_monteith(d["rn"], d["tmean"], d["wind"], es, es - d["vpd"], g=d["g"],
                                         pressure=d["pressure"])


@dataclass(frozen=True)
class Law:
    """A known law: its inputs (with units), truth as sympy, and a reference formula for data.

    Attributes
    ----------
    name : str
    inputs : tuple of str
        The search's input variables.
    units : dict
        CF units of each input.
    target_units : str
    expr : sympy.Expr
        The law in the inputs (checked against ``truth`` in the tests).
    truth : callable
        ``truth(drivers) -> y`` using :mod:`workbench.physics`.
    operators : tuple of str
        Operators a search needs to express the law.
    """

    name: str
    inputs: tuple[str, ...]
    units: dict
    target_units: str
    expr: sympy.Expr
    truth: Callable = field(repr=False)
    operators: tuple[str, ...] = ("+", "-", "*", "/")

    @property
    def complexity(self) -> int:
        return complexity(self.expr)


_d, _gm, _rn, _g = _S["delta"], _S["gamma"], _S["rn"], _S["g"]
_t, _tr, _ra, _u, _vpd = _S["tmean"], _S["trange"], _S["ra"], _S["wind"], _S["vpd"]
_MJ = "MJ m-2 d-1"
_SLOPE = "kPa degC-1"

LAWS: dict[str, Law] = {
    # radiation as equivalent evaporation (R / lambda(T), FAO-56 Eq. 20): the law's constant is alpha
    "priestley_taylor": Law(
        "priestley_taylor", ("delta", "gamma", "rn_e", "g_e"),
        {"delta": _SLOPE, "gamma": _SLOPE, "rn_e": "mm d-1", "g_e": "mm d-1"}, "mm d-1",
        _F(1.26) * _d * (_S["rn_e"] - _S["g_e"]) / (_d + _gm), _pt_truth),
    "hargreaves_samani": Law(
        "hargreaves_samani", ("tmean", "trange", "ra"),
        {"tmean": "degC", "trange": "delta_degC", "ra": _MJ}, "mm d-1",
        _F(0.0023) * _F(0.408) * _ra * (_t + _F(17.8)) * sympy.sqrt(_tr), _hs_truth,
        ("+", "-", "*", "/", "sqrt")),
    "penman_monteith": Law(
        "penman_monteith", ("delta", "gamma", "rn", "g", "tmean", "wind", "vpd"),
        {"delta": _SLOPE, "gamma": _SLOPE, "rn": _MJ, "g": _MJ, "tmean": "degC", "wind": "m s-1", "vpd": "kPa"},
        "mm d-1",
        (_F(0.408) * _d * (_rn - _g) + _gm * _F(900.0) / (_t + _F(273.0)) * _u * _vpd)
        / (_d + _gm * (1 + _F(0.34) * _u)), _pm_truth),
    # the input set: available energy rn - g as one input
    "penman_monteith_avail": Law(
        "penman_monteith_avail", ("delta", "gamma", "avail", "vpd", "wind", "tmean"),
        {"delta": _SLOPE, "gamma": _SLOPE, "avail": _MJ, "vpd": "kPa", "wind": "m s-1", "tmean": "degC"}, "mm d-1",
        (_F(0.408) * _d * _S["avail"] + _gm * _F(900.0) / (_t + _F(273.0)) * _u * _vpd)
        / (_d + _gm * (1 + _F(0.34) * _u)), _pm_truth),
    # the staged search's inputs: the equivalent evaporation 0.408 (rn - g) and the aerodynamic
    # driver 900 / (T + 273) u vpd of FAO-56 Eq. 6, both in mm d-1
    "penman_monteith_terms": Law(
        "penman_monteith_terms", ("delta", "gamma", "ae", "aero", "wind"),
        {"delta": _SLOPE, "gamma": _SLOPE, "ae": "mm d-1", "aero": "mm d-1", "wind": "m s-1"}, "mm d-1",
        (_d * _S["ae"] + _gm * _S["aero"]) / (_d + _gm * (1 + _F(0.34) * _u)), _pm_truth,
        # no subtraction: PM in these terms needs none, and without "-" the search space is smaller
        # (measured on 2 shared cores: 5 of 5 seeds, median 46 s, at load ~2; 4 of 5 within 300 s at load ~5;
        # 2 of 5 within 300 s with "-")
        ("+", "*", "/")),
}


def sample_law(law: str | Law, n: int = 400, *, noise: float = 0.01, seed: int = 0):
    """Draw drivers, compute the law with :mod:`workbench.physics` and add noise.

    Parameters
    ----------
    law : str or Law
        A key of :data:`LAWS` (``"priestley_taylor"``, ``"hargreaves_samani"``,
        ``"penman_monteith"`` and its variants) or a Law.
    n : int
        Number of samples.
    noise : float
        Gaussian noise with standard deviation ``noise * std(y)`` (0.01 = 1 %).
    seed : int

    Returns
    -------
    X : pandas.DataFrame
        The law's inputs; ``X.attrs["units"]`` holds their units.
    y : pandas.Series
        Noisy target [mm d-1] (``y.attrs["units"]``).
    y_true : pandas.Series
        Noise-free target.
    """
    from .. import physics

    law = LAWS[law] if isinstance(law, str) else law
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    rng = np.random.default_rng(seed)
    d = {
        "tmean": rng.uniform(2.0, 35.0, n),
        "elevation": rng.uniform(0.0, 2500.0, n),
        "rn": rng.uniform(1.0, 25.0, n),
        "g": rng.uniform(-1.5, 1.5, n),
        "trange": rng.uniform(4.0, 18.0, n),
        "ra": rng.uniform(5.0, 42.0, n),
        "wind": rng.uniform(0.5, 6.0, n),
    }
    d["pressure"] = physics.atmospheric_pressure(d["elevation"])
    d["delta"] = physics.slope_saturation_vapour_pressure(d["tmean"])
    d["gamma"] = physics.psychrometric_constant(d["pressure"])
    lambda_v = physics.latent_heat_vaporisation(d["tmean"])
    d["rn_e"], d["g_e"] = d["rn"] / lambda_v, d["g"] / lambda_v
    d["vpd"] = rng.uniform(0.05, 0.9, n) * physics.saturation_vapour_pressure(d["tmean"])
    d["avail"] = d["rn"] - d["g"]
    d["ae"] = 0.408 * d["avail"]
    d["aero"] = 900.0 / (d["tmean"] + 273.0) * d["wind"] * d["vpd"]
    y_true = np.asarray(law.truth(d), dtype=float)
    y = y_true + noise * y_true.std() * rng.standard_normal(n)
    X = pd.DataFrame({k: d[k] for k in law.inputs})
    X.attrs["units"] = dict(law.units)
    attrs = {"units": law.target_units, "long_name": f"evapotranspiration ({law.name})"}
    y, y_true = pd.Series(y, name="et"), pd.Series(y_true, name="et_true")
    y.attrs, y_true.attrs = dict(attrs), dict(attrs)
    return X, y, y_true


@dataclass
class RecoveryResult:
    """Outcome of :func:`check_recovery`.

    Attributes
    ----------
    recovered : bool
    equation : Equation or None
        The simplest front equation that contains the law.
    nrmse : float
        RMS difference between that equation (its own constants) and the
        noise-free law, relative to the law's RMS.
    simplified : sympy.Expr or None
        The equation with its constants refitted to the law, simplified.
    reason : str
    """

    recovered: bool
    equation: Equation | None
    nrmse: float
    simplified: sympy.Expr | None
    reason: str


def _template(expr):
    floats = sorted(expr.atoms(sympy.Float), key=sympy.default_sort_key)
    ks = [sympy.Symbol(f"k_{i}", real=True) for i in range(len(floats))]
    return expr.xreplace(dict(zip(floats, ks))), [k.name for k in ks], np.array([float(f) for f in floats])


def _refit(eq: Equation, X: np.ndarray, y_true: np.ndarray):
    """Refit the equation's constants to the noise-free law; max relative error and the refitted expr."""
    tmpl, knames, k0 = _template(eq.expr)
    if not knames:
        pred = eq(X)
        return float(np.max(np.abs(pred - y_true)) / np.max(np.abs(y_true))), eq.expr
    f = compile_expression(tmpl, [*eq.variables, *knames])
    ones = np.ones((len(X), 1))

    def resid(k):
        with np.errstate(all="ignore"):
            r = f(np.hstack([X, ones * k])) - y_true
        return np.where(np.isfinite(r), r, 1e6)

    try:
        sol = least_squares(resid, k0, method="lm", xtol=1e-15, ftol=1e-15, gtol=1e-15, max_nfev=2000 * (len(k0) + 1))
    except Exception:  # noqa: BLE001 - a failing refit means "not recovered"
        return math.inf, None
    err = float(np.max(np.abs(resid(sol.x))) / np.max(np.abs(y_true)))
    refit = tmpl.xreplace({sympy.Symbol(n, real=True): sympy.Float(v, 12) for n, v in zip(knames, sol.x)})
    return err, refit


def check_recovery(front: ParetoFront | Sequence[Equation], law: str | Law, X, y_true, *, rtol: float = 0.01,
                   identity_tol: float = 1e-6) -> RecoveryResult:
    """Whether a front holds the exact law.

    The test has two parts. *Structure*: the equation's constants are refitted
    to the noise-free law; if it then reproduces the law to ``identity_tol``
    (relative, at every sample point: a probabilistic identity test) its
    symbolic form contains the law. *Constants*: with its own fitted
    constants the equation must be within ``rtol`` (relative RMS) of the law.
    The simplest front equation passing the structure test is judged.

    Parameters
    ----------
    front : ParetoFront or sequence of Equation
    law : str or Law
    X : DataFrame or 2-D array
        The law's inputs (columns in the law's input order).
    y_true : array
        Noise-free law values at ``X``.
    rtol : float
        Tolerance on the equation's own constants (relative RMS).
    """
    law = LAWS[law] if isinstance(law, str) else law
    X = np.column_stack([np.asarray(X[c], dtype=float) for c in law.inputs]) if isinstance(X, pd.DataFrame) else np.asarray(X, float)
    y_true = np.asarray(y_true, dtype=float)
    needed = {s.name for s in law.expr.free_symbols}
    for eq in sorted(front, key=lambda e: e.complexity):
        if tuple(eq.variables) != tuple(law.inputs):
            raise ValueError(f"equation inputs {eq.variables} differ from the law's {law.inputs}")
        if not needed <= {s.name for s in eq.expr.free_symbols}:
            continue  # lacks a variable the law depends on: cannot contain it (and skips a costly refit)
        err, refit = _refit(eq, X, y_true)
        if err > identity_tol:
            continue
        with np.errstate(all="ignore"):
            nrmse = float(np.sqrt(np.mean((eq(X) - y_true) ** 2)) / np.sqrt(np.mean(y_true**2)))
        simplified = _clean(sympy.simplify(refit), X, eq.variables, identity_tol)
        ok = nrmse <= rtol
        reason = "" if ok else f"structure found but constants off by {nrmse:.3%} (tolerance {rtol:.1%})"
        return RecoveryResult(ok, eq, nrmse, simplified, reason)
    return RecoveryResult(False, None, math.nan, None, "no equation on the front contains the law")


def _clean(expr, X=None, variables=(), tol: float = 1e-6, digits: int = 4):
    """The expression for display: constants that do not matter dropped, the rest rounded.

    A constant is set to zero only when that changes the expression's values at
    the sample points ``X`` by at most ``tol`` relative to their largest
    magnitude (a constant's *effect* decides, never its size next to the other
    constants: a refit may carry one huge constant that the others balance).
    Without ``X`` only rounding is done. The result is rounded to ``digits``
    significant digits.
    """
    floats = sorted(expr.atoms(sympy.Float), key=lambda f: abs(float(f)))
    if X is not None and floats:
        X = np.asarray(X, dtype=float)
        f0 = compile_expression(expr, variables)
        with np.errstate(all="ignore"):
            ref = np.asarray(f0(X), dtype=float) * np.ones(len(X))
        scale = float(np.nanmax(np.abs(ref))) if np.isfinite(ref).any() else 0.0
        for f in floats:
            trial = expr.xreplace({f: sympy.Integer(0)})
            if trial.has(sympy.zoo, sympy.nan) or not trial.free_symbols:
                continue
            with np.errstate(all="ignore"):
                vals = np.asarray(compile_expression(trial, variables)(X), dtype=float) * np.ones(len(X))
            if scale > 0 and np.all(np.isfinite(vals)) and np.max(np.abs(vals - ref)) <= tol * scale:
                expr = sympy.simplify(trial)
    rep = {f: sympy.Float(float(f"{float(f):.{digits}g}"), digits) for f in expr.atoms(sympy.Float)}
    return expr.xreplace(rep)
