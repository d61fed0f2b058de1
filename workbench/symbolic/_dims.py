"""Dimensional consistency of an equation against its inputs' and target's units.

A walk over the sympy tree carries each sub-expression's pint dimensionality.
Fitted constants (sympy ``Float``) are *wildcards* by default, as in PySR's
dimensional analysis: a constant may carry whatever unit makes its product
consistent, so ``0.51 * delta * rn / (delta + gamma)`` is consistent with a
target in mm d-1 (the constant carries alpha/lambda). Exact numbers
(integers, rationals such as the ``-1`` of a subtraction) are dimensionless.
With ``constants="dimensionless"`` every constant is a pure number (strict).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import sympy

from ..units import UnitError, parse_units, ureg

__all__ = ["UnitCheck", "check_units"]

_WILD = None  # a sub-expression whose unit a free constant can still set
_TRANSCENDENTAL = (sympy.exp, sympy.log, sympy.sin, sympy.cos, sympy.tan, sympy.tanh)


class _Mismatch(Exception):
    pass


@dataclass(frozen=True)
class UnitCheck:
    """Outcome of a dimensional check.

    Attributes
    ----------
    consistent : bool or None
        True/False, or None when units were not given (not checked).
    dimensionality : str
        The equation's dimensionality (``"any (free constant)"`` for a wildcard).
    reason : str
        Why it is inconsistent ("" when consistent).
    """

    consistent: bool | None
    dimensionality: str = ""
    reason: str = ""


def _dimensionless():
    return ureg.dimensionless.dimensionality


def _dim(expr, dims: Mapping[sympy.Symbol, object], wild_constants: bool):
    if expr.is_Symbol:
        return dims[expr]
    if isinstance(expr, sympy.Float):
        return _WILD if wild_constants else _dimensionless()
    if expr.is_Number or expr.is_NumberSymbol:
        return _dimensionless()
    if expr.is_Add or isinstance(expr, (sympy.Max, sympy.Min)):
        parts = [_dim(a, dims, wild_constants) for a in expr.args]
        concrete = [p for p in parts if p is not _WILD]
        for p in concrete[1:]:
            if p != concrete[0]:
                raise _Mismatch(f"adds or compares {concrete[0]} with {p} in {expr}")
        return concrete[0] if concrete else _WILD
    if expr.is_Mul:
        parts = [_dim(a, dims, wild_constants) for a in expr.args]
        if any(p is _WILD for p in parts):
            return _WILD
        out = _dimensionless()
        for p in parts:
            out = out * p
        return out
    if expr.is_Pow:
        base, exponent = expr.args
        base_dim = _dim(base, dims, wild_constants)
        if exponent.is_Number:
            if base_dim is _WILD:
                return _WILD
            return base_dim ** float(exponent) if not exponent.is_Integer else base_dim ** int(exponent)
        exp_dim = _dim(exponent, dims, wild_constants)
        for what, d in (("exponent", exp_dim), ("base of a variable power", base_dim)):
            if d is not _WILD and d != _dimensionless():
                raise _Mismatch(f"the {what} in {expr} has dimension {d}, not dimensionless")
        return _dimensionless() if base_dim is not _WILD else _WILD
    if isinstance(expr, sympy.Abs):
        return _dim(expr.args[0], dims, wild_constants)
    if isinstance(expr, _TRANSCENDENTAL):
        d = _dim(expr.args[0], dims, wild_constants)
        if d is not _WILD and d != _dimensionless():
            raise _Mismatch(f"{expr.func.__name__}() of a quantity with dimension {d} in {expr}")
        return _dimensionless()
    raise _Mismatch(f"no dimensional rule for {expr.func.__name__} in {expr}")


def check_units(
    expr: sympy.Expr,
    feature_units: Mapping[str, str] | None,
    target_units: str | None,
    *,
    constants: str = "wildcard",
) -> UnitCheck:
    """Check an equation's dimensional consistency against the target's units.

    Parameters
    ----------
    expr : sympy.Expr
        The equation; its symbols are the input variables.
    feature_units : mapping of str to str, or None
        CF unit string of each input variable (e.g. ``{"rn": "MJ m-2 d-1"}``).
    target_units : str or None
        The target's unit (e.g. ``"mm d-1"``).
    constants : {"wildcard", "dimensionless"}
        Whether fitted constants may carry units (default) or are pure numbers.

    Returns
    -------
    UnitCheck
        ``consistent=None`` when units were not given.

    Examples
    --------
    >>> from workbench.symbolic._expr import parse_equation
    >>> units = {"rn": "MJ m-2 d-1", "tmean": "degC"}
    >>> check_units(parse_equation("0.408 * rn", ["rn", "tmean"]), units, "mm d-1").consistent
    True
    >>> check_units(parse_equation("rn + tmean", ["rn", "tmean"]), units, "mm d-1").consistent
    False
    """
    if constants not in ("wildcard", "dimensionless"):
        raise ValueError(f"constants must be 'wildcard' or 'dimensionless', not {constants!r}")
    if feature_units is None or target_units is None:
        return UnitCheck(None, "", "units not given")
    dims = {}
    for name, units in feature_units.items():
        try:
            d = parse_units(units).dimensionality
        except UnitError as err:
            raise UnitError(f"input {name!r}: {err}") from None
        dims[sympy.Symbol(name, real=True)] = d
        dims[sympy.Symbol(name)] = d
    missing = [str(s) for s in expr.free_symbols if s not in dims]
    if missing:
        raise UnitError(f"no units given for the input(s) {missing} used by {expr}")
    target = parse_units(target_units).dimensionality
    try:
        found = _dim(expr, dims, constants == "wildcard")
    except _Mismatch as err:
        return UnitCheck(False, "inconsistent", str(err))
    if found is _WILD:
        return UnitCheck(True, "any (free constant)", "")
    if found != target:
        return UnitCheck(False, str(found), f"equation has dimension {found}, target {target_units!r} has {target}")
    return UnitCheck(True, str(found), "")
