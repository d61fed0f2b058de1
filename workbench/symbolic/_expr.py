"""Equations as sympy trees: a strict parser, complexity, and compiled numpy/torch callables.

Equation strings come from search back-ends (pyoperon's infix form, gplearn's
prefix form, PySR's Julia form) and from saved runs. They are never passed to
``eval``/``sympify``: a small tokenizer accepts numbers, the names of the
search's input variables, a fixed list of functions and the operators
``+ - * / ^ **``; a recursive-descent parser builds the sympy tree directly.
Anything else is a :class:`ValueError` that says what was found and where.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence

import numpy as np
import sympy

__all__ = ["parse_equation", "to_text", "canonical", "complexity", "compile_expression", "FUNCTIONS"]

_MAX_CHARS = 20_000
_MAX_DEPTH = 100
_DIGITS = 17  # significant digits that round-trip a double exactly


def _protected_log(x):
    return sympy.log(sympy.Abs(x))


# Function names a back-end may write, and the sympy expression each stands for.
FUNCTIONS: dict[str, tuple[int, Callable]] = {
    # one argument
    "sqrt": (1, sympy.sqrt),
    "exp": (1, sympy.exp),
    "log": (1, sympy.log),
    "abs": (1, sympy.Abs),
    "Abs": (1, sympy.Abs),
    "sin": (1, sympy.sin),
    "cos": (1, sympy.cos),
    "tan": (1, sympy.tan),
    "tanh": (1, sympy.tanh),
    "square": (1, lambda x: x**2),
    "cube": (1, lambda x: x**3),
    "neg": (1, lambda x: -x),
    "inv": (1, lambda x: 1 / x),
    "sqrtabs": (1, lambda x: sympy.sqrt(sympy.Abs(x))),
    "sqrt_abs": (1, lambda x: sympy.sqrt(sympy.Abs(x))),
    "logabs": (1, _protected_log),
    "log_abs": (1, _protected_log),
    "log1p": (1, lambda x: sympy.log(1 + x)),
    # two arguments (prefix forms used by gplearn and operon)
    "add": (2, lambda a, b: a + b),
    "sub": (2, lambda a, b: a - b),
    "mul": (2, lambda a, b: a * b),
    "div": (2, lambda a, b: a / b),
    "pow": (2, lambda a, b: a**b),
    "max": (2, sympy.Max),
    "Max": (2, sympy.Max),
    "min": (2, sympy.Min),
    "Min": (2, sympy.Min),
}
_NAMED_CONSTANTS = {"pi": sympy.pi, "E": sympy.E}

_TOKEN = re.compile(
    r"\s*(?:(?P<num>(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<op>\*\*|[-+*/^(),]))"
)
_IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z_0-9]*$")


def _tokenize(text: str) -> list[tuple[str, str, int]]:
    if not isinstance(text, str):
        raise TypeError(f"an equation must be a string, not {type(text).__name__}")
    if len(text) > _MAX_CHARS:
        raise ValueError(f"equation is {len(text)} characters long; at most {_MAX_CHARS} are accepted")
    tokens, pos = [], 0
    stripped = text.rstrip()
    while pos < len(stripped):
        match = _TOKEN.match(stripped, pos)
        if match is None:
            raise ValueError(
                f"cannot parse equation {text!r}: unexpected character {stripped[pos:].lstrip()[:1]!r} "
                f"at position {pos}; only numbers, variable names, the functions "
                f"{sorted(FUNCTIONS)} and + - * / ^ ** ( ) , are allowed"
            )
        kind = match.lastgroup
        tokens.append((kind, match.group(kind), match.start(kind)))
        pos = match.end()
    tokens.append(("end", "", len(stripped)))
    return tokens


class _Parser:
    def __init__(self, text: str, symbols: Mapping[str, sympy.Symbol]):
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.symbols = symbols
        self.depth = 0

    # -- helpers --
    def peek(self):
        return self.tokens[self.i]

    def take(self, value: str | None = None):
        kind, tok, pos = self.tokens[self.i]
        if value is not None and tok != value:
            found = tok or "the end"
            raise ValueError(f"cannot parse equation {self.text!r}: expected {value!r} at position {pos}, found {found!r}")
        self.i += 1
        return kind, tok, pos

    def nest(self):
        self.depth += 1
        if self.depth > _MAX_DEPTH:
            raise ValueError(f"equation nests deeper than {_MAX_DEPTH} levels")

    # -- grammar --
    def parse(self):
        expr = self.expr()
        kind, tok, pos = self.peek()
        if kind != "end":
            raise ValueError(f"cannot parse equation {self.text!r}: unexpected {tok!r} at position {pos}")
        return expr

    def expr(self):
        self.nest()
        value = self.term()
        while self.peek()[1] in ("+", "-"):
            _, op, _ = self.take()
            rhs = self.term()
            value = value + rhs if op == "+" else value - rhs
        self.depth -= 1
        return value

    def term(self):
        value = self.unary()
        while self.peek()[1] in ("*", "/"):
            _, op, _ = self.take()
            rhs = self.unary()
            value = value * rhs if op == "*" else value / rhs
        return value

    def unary(self):
        if self.peek()[1] in ("-", "+"):
            _, op, _ = self.take()
            self.nest()
            value = self.unary()
            self.depth -= 1
            return -value if op == "-" else value
        return self.power()

    def power(self):
        base = self.atom()
        if self.peek()[1] in ("^", "**"):
            self.take()
            self.nest()
            exponent = self.unary()  # right-associative, binds tighter than unary minus on the left
            self.depth -= 1
            return base**exponent
        return base

    def atom(self):
        kind, tok, pos = self.take()
        if kind == "num":
            return sympy.Integer(tok) if re.fullmatch(r"\d+", tok) else sympy.Float(tok, _DIGITS)
        if tok == "(":
            value = self.expr()
            self.take(")")
            return value
        if kind == "name":
            if self.peek()[1] == "(":
                return self.call(tok, pos)
            if tok in self.symbols:
                return self.symbols[tok]
            if tok in _NAMED_CONSTANTS:
                return _NAMED_CONSTANTS[tok]
            raise ValueError(
                f"cannot parse equation {self.text!r}: unknown name {tok!r} at position {pos}; "
                f"the variables are {sorted(self.symbols)}"
            )
        found = tok or "the end"
        raise ValueError(f"cannot parse equation {self.text!r}: unexpected {found!r} at position {pos}")

    def call(self, name: str, pos: int):
        if name not in FUNCTIONS:
            raise ValueError(
                f"cannot parse equation {self.text!r}: unknown function {name!r} at position {pos}; "
                f"allowed functions are {sorted(FUNCTIONS)}"
            )
        arity, build = FUNCTIONS[name]
        self.take("(")
        args = [self.expr()]
        while self.peek()[1] == ",":
            self.take()
            args.append(self.expr())
        self.take(")")
        if len(args) != arity:
            raise ValueError(
                f"cannot parse equation {self.text!r}: {name}() takes {arity} argument(s), got {len(args)}"
            )
        return build(*args)


def make_symbols(names: Sequence[str]) -> dict[str, sympy.Symbol]:
    """Real-valued sympy symbols for input variable names, checked to be safe identifiers."""
    symbols = {}
    for name in names:
        if not isinstance(name, str) or not _IDENTIFIER.match(name):
            raise ValueError(f"variable name {name!r} is not an identifier (letters, digits, underscore)")
        if name in FUNCTIONS or name in _NAMED_CONSTANTS:
            raise ValueError(f"variable name {name!r} clashes with a function or constant name; rename it")
        symbols[name] = sympy.Symbol(name, real=True)
    return symbols


def parse_equation(text: str, variables: Sequence[str], *, aliases: Mapping[str, str] | None = None) -> sympy.Expr:
    """Parse an equation string into a sympy expression without evaluating code.

    Parameters
    ----------
    text : str
        Infix (``"0.5 * rn / (delta + gamma)"``, ``^`` or ``**`` for powers) or
        prefix-call (``"add(mul(X0, 0.5), X1)"``) notation.
    variables : sequence of str
        The names that may appear as variables.
    aliases : mapping, optional
        Other spellings of the variables (e.g. ``{"X0": "rn"}`` for gplearn).

    Returns
    -------
    sympy.Expr

    Raises
    ------
    ValueError
        On any character, name or function outside the allowed set.

    Examples
    --------
    >>> parse_equation("2.5 * rn / (delta + gamma)", ["rn", "delta", "gamma"])
    2.5*rn/(delta + gamma)
    >>> parse_equation("__import__(os)", ["rn"])
    Traceback (most recent call last):
    ...
    ValueError: cannot parse equation '__import__(os)': unknown function '__import__' ...
    """
    symbols = make_symbols(variables)
    if aliases:
        for alias, target in aliases.items():
            if target not in symbols:
                raise ValueError(f"alias {alias!r} points to {target!r}, which is not one of the variables")
            symbols[alias] = symbols[target]
    return _Parser(text, symbols).parse()


def to_text(expr: sympy.Expr) -> str:
    """Text of ``expr`` that :func:`parse_equation` reads back to the same tree and the same double constants.

    Examples
    --------
    >>> text = to_text(parse_equation("0.1 * a / (b + 3)", ["a", "b"]))
    >>> text
    '0.10000000000000001*a/(b + 3)'
    >>> to_text(parse_equation(text, ["a", "b"])) == text
    True
    """
    floats = {f: sympy.Float(float(f), _DIGITS) for f in expr.atoms(sympy.Float)}
    return sympy.sstr(expr.xreplace(floats), full_prec=True)


def canonical(expr: sympy.Expr, variables: Sequence[str]) -> sympy.Expr:
    """The tree that ``expr``'s text parses to (sympy regroups some products on re-reading)."""
    return parse_equation(to_text(expr), variables)


def complexity(expr: sympy.Expr) -> int:
    """Size of an expression counted as a binary tree (PySR's convention).

    Every variable, constant and operator counts one; ``a - b`` and ``a / b``
    count three like ``a + b`` (sympy stores them as ``a + (-1)*b`` and
    ``a * b**-1``), ``sqrt(a)`` and ``a**2`` count two.

    Examples
    --------
    >>> import sympy
    >>> x, y = sympy.symbols("x y")
    >>> complexity(x - y), complexity(x / y), complexity(2.5 * x / (x + y)), complexity(sympy.sqrt(x))
    (3, 3, 7, 2)
    """
    if expr.is_Atom:
        return 1
    if expr.is_Mul:
        args = list(expr.args)
        if args[0] == -1 and len(args) > 1:
            args = args[1:]
            if len(args) == 1:
                return complexity(args[0])
        return len(args) - 1 + sum(complexity(a) for a in args)
    if expr.is_Add:
        return len(expr.args) - 1 + sum(complexity(a) for a in expr.args)
    if expr.is_Pow:
        base, exponent = expr.args
        if exponent == -1:
            return complexity(base)
        if exponent in (sympy.Rational(1, 2), 2):
            return 1 + complexity(base)
        return 1 + complexity(base) + complexity(exponent)
    return 1 + sum(complexity(a) for a in expr.args)


# --------------------------------------------------------------------------- compiled callables

def _numpy_lib():
    return {
        "exp": np.exp, "log": np.log, "sin": np.sin, "cos": np.cos, "tan": np.tan, "tanh": np.tanh,
        "abs": np.abs, "sqrt": np.sqrt, "max": np.maximum, "min": np.minimum, "pow": np.power,
        "const": lambda value, like: value,
    }


def _torch_lib():
    import torch

    return {
        "exp": torch.exp, "log": torch.log, "sin": torch.sin, "cos": torch.cos, "tan": torch.tan,
        "tanh": torch.tanh, "abs": torch.abs, "sqrt": torch.sqrt, "max": torch.maximum,
        "min": torch.minimum, "pow": torch.pow,
        "const": lambda value, like: torch.as_tensor(value, dtype=like.dtype, device=like.device),
    }


_FUNC_KEYS = {
    sympy.exp: "exp", sympy.log: "log", sympy.sin: "sin", sympy.cos: "cos", sympy.tan: "tan",
    sympy.tanh: "tanh", sympy.Abs: "abs", sympy.Max: "max", sympy.Min: "min",
}


def _build(expr, index: Mapping[sympy.Symbol, int], lib):
    """Turn a sympy tree into nested closures ``f(columns) -> array`` (built once, no code strings)."""
    if expr.is_Symbol:
        if expr not in index:
            raise ValueError(f"the equation uses {expr}, which is not among the inputs {list(index)}")
        k = index[expr]
        return lambda cols: cols[k]
    if expr.is_Number or expr.is_NumberSymbol:
        value = float(expr)
        const = lib["const"]
        return lambda cols: const(value, cols[0])
    args = [_build(a, index, lib) for a in expr.args]
    if expr.is_Add:
        def add(cols):
            out = args[0](cols)
            for f in args[1:]:
                out = out + f(cols)
            return out
        return add
    if expr.is_Mul:
        def mul(cols):
            out = args[0](cols)
            for f in args[1:]:
                out = out * f(cols)
            return out
        return mul
    if expr.is_Pow:
        base, exponent = args
        e = expr.args[1]
        if e == sympy.Rational(1, 2):
            sqrt = lib["sqrt"]
            return lambda cols: sqrt(base(cols))
        if e == -1:
            return lambda cols: 1.0 / base(cols)
        if e.is_Integer:
            n = int(e)
            return lambda cols: base(cols) ** n
        pw = lib["pow"]
        return lambda cols: pw(base(cols), exponent(cols))
    key = _FUNC_KEYS.get(expr.func)
    if key is None:
        raise ValueError(f"cannot compile the function {expr.func.__name__} in {expr}")
    fn = lib[key]
    if len(args) == 1:
        (a,) = args
        return lambda cols: fn(a(cols))
    if len(args) == 2 and key in ("max", "min"):
        a, b = args
        return lambda cols: fn(a(cols), b(cols))
    raise ValueError(f"cannot compile {expr.func.__name__} with {len(args)} arguments")


def compile_expression(expr: sympy.Expr, variables: Sequence[str], *, backend: str = "numpy") -> Callable:
    """A fast callable ``f(X)`` for a 2-D array (rows = samples, columns = ``variables``).

    Parameters
    ----------
    expr : sympy.Expr
    variables : sequence of str
        Column order of ``X``.
    backend : {"numpy", "torch"}
        ``"torch"`` gives a differentiable function of a 2-D tensor.

    Examples
    --------
    >>> import numpy as np
    >>> e = parse_equation("2 * a + b ^ 2", ["a", "b"])
    >>> compile_expression(e, ["a", "b"])(np.array([[1.0, 3.0], [0.5, 1.0]]))
    array([11.,  2.])
    """
    symbols = make_symbols(variables)
    index = {symbols[name]: k for k, name in enumerate(variables)}
    # symbols built with real=True compare equal only to real symbols: map plain ones too
    index.update({sympy.Symbol(name): k for k, name in enumerate(variables)})
    lib = _numpy_lib() if backend == "numpy" else _torch_lib() if backend == "torch" else None
    if lib is None:
        raise ValueError(f"backend must be 'numpy' or 'torch', not {backend!r}")
    kernel = _build(expr, index, lib)
    n = len(variables)

    if backend == "numpy":
        def f(X):
            X = np.asarray(X, dtype=float)
            if X.ndim != 2 or X.shape[1] != n:
                raise ValueError(f"X must be 2-D with {n} columns {list(variables)}, got shape {X.shape}")
            with np.errstate(all="ignore"):
                out = kernel([X[:, k] for k in range(n)] if n else [np.zeros(len(X))])
            return np.broadcast_to(np.asarray(out, dtype=float), (X.shape[0],)).copy()
    else:
        import torch

        def f(X):
            if X.ndim != 2 or X.shape[1] != n:
                raise ValueError(f"X must be 2-D with {n} columns {list(variables)}, got shape {tuple(X.shape)}")
            out = kernel([X[:, k] for k in range(n)] if n else [torch.zeros(X.shape[0], dtype=X.dtype)])
            return out.expand(X.shape[0]) if out.ndim == 0 else out

    f.__doc__ = f"{expr}  (columns: {', '.join(variables)})"
    return f
