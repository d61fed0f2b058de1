"""Tests of the symbolic ET engine: parsing, units, fronts, back-ends, runs and recovery."""

from __future__ import annotations

import json
import sys
import types
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import sympy

from workbench import physics
from workbench.symbolic import (
    BackendNotice,
    ParetoFront,
    SymbolicRegressor,
    check_units,
    choose_backend,
    compile_expression,
    complexity,
    load_run,
    parse_equation,
    pysr_status,
)
from workbench.symbolic import backends
from workbench.symbolic.front import make_equation
from workbench.symbolic.laws import LAWS, check_recovery, sample_law
from workbench.units import UnitError

VARS = ["delta", "gamma", "rn", "g"]


# ----------------------------------------------------------------------------- parsing

@pytest.mark.parametrize(
    "text, expected",
    [
        ("((0.5 * rn) + (delta ^ 2))", "0.5*rn + delta**2"),  # pyoperon infix
        ("add(mul(X0, 0.500), div(X1, X2))", "0.5*delta + gamma/rn"),  # gplearn prefix with aliases
        ("-delta ** 2", "-delta**2"),
        ("2^3^2", "512"),  # right-associative power
        ("exp(-1.5e-3 * rn) - sqrt(abs(g))", "exp(-0.0015*rn) - sqrt(Abs(g))"),
        ("square(rn) / cube(gamma)", "rn**2/gamma**3"),
    ],
)
def test_parse_equation_builds_the_expected_tree(text, expected):
    aliases = {"X0": "delta", "X1": "gamma", "X2": "rn"}
    expr = parse_equation(text, VARS, aliases=aliases)
    symbols = {n: sympy.Symbol(n, real=True) for n in VARS}
    reference = sympy.parse_expr(expected, local_dict=symbols)
    X = np.random.default_rng(0).uniform(0.5, 2.0, (20, 4))
    np.testing.assert_allclose(compile_expression(expr, VARS)(X), compile_expression(reference, VARS)(X), rtol=1e-12)


@pytest.mark.parametrize(
    "text, message",
    [
        ("__import__(os)", "unknown function '__import__'"),
        ("rn.__class__", "unexpected character '.'"),
        ("os.system('rm')", "unexpected character '.'"),
        ("lambda: 1", "unexpected character ':'"),
        ("rn + secret", "unknown name 'secret'"),
        ("exp(rn, g)", "exp() takes 1 argument(s), got 2"),
        ("(rn + g", "expected ')'"),
        ("rn g", "unexpected 'g'"),
        ("", "unexpected 'the end'"),
        ("(" * 300 + "rn" + ")" * 300, "nests deeper"),
    ],
)
def test_parse_equation_refuses_anything_outside_the_grammar(text, message):
    with pytest.raises(ValueError, match=pytest.importorskip("re").escape(message)):
        parse_equation(text, VARS)


def test_parse_equation_never_evaluates_code(monkeypatch):
    monkeypatch.setattr("builtins.eval", lambda *a, **k: pytest.fail("eval was called"))
    monkeypatch.setattr(sympy, "sympify", lambda *a, **k: pytest.fail("sympify was called"))
    assert parse_equation("1.26 * delta * (rn - g) / (delta + gamma)", VARS) is not None


def test_variable_names_must_be_safe_identifiers():
    with pytest.raises(ValueError, match="not an identifier"):
        parse_equation("x", ["x; import os"])
    with pytest.raises(ValueError, match="clashes"):
        parse_equation("exp", ["exp"])


def test_text_round_trip_is_exact():
    expr = parse_equation("0.123456789012 * rn / (delta + 0.0665 * gamma) - 3 + 1/3", VARS)
    eq = make_equation(expr, VARS, 0.0)
    back = make_equation(parse_equation(eq.text, VARS), VARS, 0.0)
    assert back.text == eq.text and back.complexity == eq.complexity
    doubles = sorted(float(f) for f in expr.atoms(sympy.Float))
    assert sorted(float(f) for f in back.expr.atoms(sympy.Float)) == doubles == [0.0665, 0.123456789012]


def test_complexity_counts_a_binary_tree():
    e = parse_equation("1.26 * delta * (rn - g) / (delta + gamma)", VARS)
    # 1.26 * delta * (rn - g) / (delta + gamma): 5 leaves... counted as 1.26,*,delta,*,(rn,-,g),/,(delta,+,gamma)
    assert complexity(e) == 11
    assert complexity(parse_equation("sqrt(rn)", VARS)) == 2
    assert complexity(parse_equation("-rn", VARS)) == 1


def test_numpy_and_torch_callables_match_the_formula():
    torch = pytest.importorskip("torch")
    e = parse_equation("1.26 * delta * (rn - g) / (delta + gamma) + exp(-g) + abs(rn) ^ 0.5", VARS)
    rng = np.random.default_rng(1)
    X = rng.uniform(0.1, 2.0, (50, 4))
    d, gm, rn, g = X.T
    expected = 1.26 * d * (rn - g) / (d + gm) + np.exp(-g) + np.abs(rn) ** 0.5
    np.testing.assert_allclose(compile_expression(e, VARS)(X), expected, rtol=1e-12)
    t = torch.tensor(X, requires_grad=True)
    out = compile_expression(e, VARS, backend="torch")(t)
    np.testing.assert_allclose(out.detach().numpy(), expected, rtol=1e-12)
    out.sum().backward()  # differentiable
    np.testing.assert_allclose(t.grad[:, 2].numpy(), 1.26 * d / (d + gm) + 0.5 / np.sqrt(rn), rtol=1e-10)


# ----------------------------------------------------------------------------- units

UNITS = {"delta": "kPa degC-1", "gamma": "kPa degC-1", "rn": "MJ m-2 d-1", "g": "MJ m-2 d-1"}


def test_units_consistent_equation_passes():
    e = parse_equation("0.514 * delta * (rn - g) / (delta + gamma)", VARS)
    check = check_units(e, UNITS, "mm d-1")
    assert check.consistent is True
    assert check.reason == ""


@pytest.mark.parametrize(
    "text, fragment",
    [
        ("rn + delta", "adds or compares"),
        ("0.5 * rn - gamma", "target 'mm d-1'"),  # the constant cannot fix gamma's unit
        ("exp(rn)", "exp() of a quantity"),
        ("rn ^ delta", "exponent"),
    ],
)
def test_units_inconsistent_equations_are_marked(text, fragment):
    check = check_units(parse_equation(text, VARS), UNITS, "mm d-1")
    assert check.consistent is False
    assert fragment in check.reason


def test_units_strict_constants_and_target_dimension():
    e = parse_equation("0.408 * rn", VARS)
    assert check_units(e, UNITS, "mm d-1", constants="wildcard").consistent is True
    strict = check_units(e, UNITS, "mm d-1", constants="dimensionless")
    assert strict.consistent is False and "target 'mm d-1'" in strict.reason
    assert check_units(e, UNITS, "MJ m-2 d-1", constants="dimensionless").consistent is True
    assert check_units(e, None, "mm d-1").consistent is None
    with pytest.raises(UnitError, match="no units given"):
        check_units(parse_equation("rn + g", VARS), {"rn": "W m-2"}, "W m-2")


def test_front_marks_and_filters_inconsistent_equations():
    eqs = [make_equation(parse_equation(t, VARS), VARS, loss, UNITS, "mm d-1")
           for t, loss in [("0.4 * rn", 1.0), ("rn + delta + g", 0.5), ("0.5 * delta * rn / (delta + gamma)", 0.1)]]
    front = ParetoFront(eqs)
    assert [e.consistent for e in front] == [True, False, True]
    assert [e.consistent for e in front.consistent()] == [True, True]
    assert front.select("accuracy", max_complexity=5).loss == 0.5
    assert front.select("accuracy", max_complexity=5, consistent_only=True).loss == 1.0
    assert front.select("accuracy").loss == 0.1
    table = front.to_frame()
    assert list(table["consistent"]) == [True, False, True] and table["latex"].str.contains("delta").any()


# ----------------------------------------------------------------------------- back-end choice

def _fake_spec(present):
    real = backends.importlib.util.find_spec

    def find_spec(name, *args):
        if name in present:
            return types.SimpleNamespace(name=name)
        if name in ("pysr", "juliacall"):
            return None
        return real(name, *args)

    return find_spec


def test_auto_backend_without_julia_uses_pyoperon_and_says_why(monkeypatch):
    monkeypatch.setattr(backends.importlib.util, "find_spec", _fake_spec({"pysr", "juliacall"}))
    monkeypatch.setenv("PATH", "/nonexistent")
    monkeypatch.delenv("PYTHON_JULIAPKG_EXE", raising=False)
    monkeypatch.setattr(backends, "_NOTICE_GIVEN", False)
    pysr_status.cache_clear()
    try:
        ok, why = pysr_status()
        assert not ok and "no Julia executable" in why
        with pytest.warns(BackendNotice, match="uses pyoperon.*no Julia executable"):
            assert choose_backend("auto") == "pyoperon"
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert choose_backend("auto") == "pyoperon"  # said once only
        with pytest.raises(ImportError, match="backend 'pysr' cannot run"):
            choose_backend("pysr")
    finally:
        pysr_status.cache_clear()
    assert "pysr" not in sys.modules


def test_pysr_detected_with_julia_and_depot(monkeypatch, tmp_path):
    julia = tmp_path / "bin" / "julia"
    julia.parent.mkdir()
    julia.write_text("#!/bin/sh\n")
    julia.chmod(0o755)
    (tmp_path / "depot" / "packages" / "SymbolicRegression").mkdir(parents=True)
    monkeypatch.setattr(backends.importlib.util, "find_spec", _fake_spec({"pysr", "juliacall"}))
    monkeypatch.setenv("PATH", str(julia.parent))
    monkeypatch.setenv("JULIA_DEPOT_PATH", str(tmp_path / "depot"))
    pysr_status.cache_clear()
    try:
        assert pysr_status() == (True, f"PySR with Julia at {julia}")
        assert choose_backend("auto") == "pysr"
    finally:
        pysr_status.cache_clear()


def test_import_workbench_does_not_import_pysr():
    import subprocess

    code = "import workbench, workbench.symbolic, sys; print('pysr' in sys.modules, 'juliacall' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    assert out.stdout.strip() == "False False"


def test_pysr_backend_maps_settings_to_pysrregressor(monkeypatch, tmp_path):
    calls = {}

    class FakePySRRegressor:
        def __init__(self, **kwargs):
            calls["init"] = kwargs

        def fit(self, X, y, weights=None, variable_names=None):
            calls["fit"] = {"shape": X.shape, "weights": weights, "variable_names": variable_names}
            self.equations_ = pd.DataFrame({"equation": ["(a * 2.0)", "(a * 2.0) + (b * 0.5)", "sqrt(b) * a"]})
            return self

    monkeypatch.setitem(sys.modules, "pysr", types.SimpleNamespace(PySRRegressor=FakePySRRegressor))
    monkeypatch.setattr(backends, "available_backends", lambda: {"pysr": "ok", "pyoperon": "ok", "gplearn": "ok"})
    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, (40, 2))
    y = 2 * X[:, 0] + 0.5 * X[:, 1]
    w = np.linspace(1, 2, 40)
    sr = SymbolicRegressor(backend="pysr", operators=["+", "*", "/", "sqrt", "^"], max_complexity=17, niterations=7,
                           time_budget=30, n_threads=1, seed=5, population_size=40, run_name="fake", progress=False)
    sr.fit(X, y, weights=w, feature_names=["a", "b"])
    init = calls["init"]
    assert init["binary_operators"] == ["+", "*", "/", "^"]
    assert init["unary_operators"] == ["sqrt"]
    assert (init["maxsize"], init["niterations"], init["timeout_in_seconds"]) == (17, 7, 30)
    assert (init["parallelism"], init["procs"], init["random_state"], init["deterministic"]) == ("serial", 1, 5, True)
    assert (init["populations"], init["population_size"]) == (15, 20)
    assert Path(init["output_directory"]) == Path("runs/symbolic/fake")
    assert calls["fit"]["variable_names"] == ["a", "b"]
    np.testing.assert_array_equal(calls["fit"]["weights"], w)
    assert sr.backend_ == "pysr"
    assert sr.front_.select("accuracy").loss == pytest.approx(0.0, abs=1e-20)
    assert str(sr.front_.select("accuracy").expr) == "2.0*a + 0.5*b"
    # several threads: not deterministic, multithreading
    SymbolicRegressor(backend="pysr", n_threads=2, niterations=3, progress=False).fit(X, y, feature_names=["a", "b"])
    assert (calls["init"]["parallelism"], calls["init"]["deterministic"]) == ("multithreading", False)


# ----------------------------------------------------------------------------- bad input

def _xy(n=50):
    rng = np.random.default_rng(0)
    X = rng.uniform(1, 2, (n, 2))
    return X, X[:, 0] * 2.0


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda X, y: (np.where(np.arange(50)[:, None] == 3, np.nan, X), y), "input 'a' has 1 missing"),
        (lambda X, y: (np.column_stack([X[:, 0], np.full(50, 7.0)]), y), "input 'b' is constant"),
        (lambda X, y: (X, y[:40]), "X has 50 rows but y has 40"),
        (lambda X, y: (X, np.where(np.arange(50) == 0, np.inf, y)), "target has 1 non-finite"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(mutate, message):
    X, y = mutate(*_xy())
    with pytest.raises(ValueError, match=message):
        SymbolicRegressor(backend="pyoperon", progress=False).fit(X, y, feature_names=["a", "b"])


def test_bad_settings_and_backends_are_refused(monkeypatch):
    X, y = _xy()
    with pytest.raises(ValueError, match="unknown backend 'julia'"):
        SymbolicRegressor(backend="julia").fit(X, y)
    with pytest.raises(ValueError, match=r"operator\(s\) \['exp'\] are not available in backend 'gplearn'"):
        SymbolicRegressor(backend="gplearn", operators=["+", "exp"]).fit(X, y)
    with pytest.raises(ValueError, match="unknown operator"):
        SymbolicRegressor(backend="pyoperon", operators=["+", "gamma"]).fit(X, y)
    with pytest.raises(ValueError, match="max_complexity must be an integer >= 3"):
        SymbolicRegressor(backend="pyoperon", max_complexity=1).fit(X, y)
    with pytest.raises(ValueError, match="run_name must be None or a folder name"):
        SymbolicRegressor(backend="pyoperon", run_name="../outside").fit(X, y)
    with pytest.raises(ValueError, match="weights has 3 values but y has 50"):
        SymbolicRegressor(backend="pyoperon").fit(X, y, weights=[1, 2, 3])
    real = backends.importlib.util.find_spec
    monkeypatch.setattr(backends.importlib.util, "find_spec", lambda n, *a: None if n == "gplearn" else real(n, *a))
    with pytest.raises(ImportError, match="the gplearn package is not installed"):
        SymbolicRegressor(backend="gplearn").fit(X, y)


# ----------------------------------------------------------------------------- searches

def test_recovers_priestley_taylor_with_a_fixed_seed():
    law = LAWS["priestley_taylor"]
    X, y, y_true = sample_law(law, 200, noise=0.01, seed=1)
    sr = SymbolicRegressor(backend="pyoperon", operators=law.operators, max_complexity=20, niterations=30, chunk=10,
                           population_size=300, seed=1, progress=False)
    sr.fit(X, y)
    result = check_recovery(sr.front_, law, X, y_true)
    assert result.recovered, result.reason
    assert result.nrmse < 0.01
    # the simplified equation is alpha * delta * (rn_e - g_e) / (delta + gamma) with alpha = 1.26
    assert sympy.simplify(result.simplified / law.expr).equals(sympy.Float(1.0)) or \
        abs(float(sympy.simplify(result.simplified / law.expr)) - 1) < 1e-3
    assert result.equation.consistent is True  # units from X.attrs / y.attrs


def test_recovery_check_rejects_a_wrong_law():
    law = LAWS["priestley_taylor"]
    X, y, y_true = sample_law(law, 100, noise=0.0, seed=0)
    names = list(law.inputs)
    wrong = make_equation(parse_equation("0.5 * delta * rn_e / (delta + 1.2 * gamma)", names), names, 0.1)
    right = make_equation(parse_equation("1.2 * delta * (rn_e - g_e) / (delta + gamma)", names), names, 0.2)
    assert not check_recovery([wrong], law, X, y_true).recovered
    res = check_recovery([wrong, right], law, X, y_true)
    assert not res.recovered and "constants off" in res.reason  # structure right, alpha 1.2 not 1.26
    assert check_recovery([right], law, X, y_true, rtol=0.05).recovered


@pytest.mark.parametrize("name", list(LAWS))
def test_law_expressions_equal_the_physics_reference(name):
    law = LAWS[name]
    X, y, y_true = sample_law(law, 50, noise=0.0, seed=3)
    f = compile_expression(law.expr, law.inputs)
    np.testing.assert_allclose(f(X[list(law.inputs)].to_numpy()), y_true, rtol=1e-10)
    np.testing.assert_array_equal(y, y_true)  # no noise asked, none added


def _operators_needed(expr) -> set[str]:
    """Operators a binary expression tree needs to write ``expr`` (sympy's n-ary Add/Mul counted as binary)."""
    import sympy

    ops = set()
    for node in sympy.preorder_traversal(expr):
        if isinstance(node, sympy.Add):
            ops.add("+")
            if any(a.could_extract_minus_sign() for a in node.args):
                ops.add("-")
        elif isinstance(node, sympy.Mul):
            ops.add("*")
        elif isinstance(node, sympy.Pow):
            ops.add({-1: "/", sympy.Rational(1, 2): "sqrt"}.get(node.exp, "^"))
    return ops


@pytest.mark.parametrize("name", list(LAWS))
def test_each_law_can_be_written_with_its_operators(name):
    law = LAWS[name]
    assert _operators_needed(law.expr) <= set(law.operators), (name, _operators_needed(law.expr), law.operators)


def test_penman_monteith_terms_searched_without_subtraction():
    # the operator set that recovers PM from its FAO-56 terms (5 of 5 seeds, benchmarks/sr_recovery.py)
    assert set(LAWS["penman_monteith_terms"].operators) == {"+", "*", "/"}
    assert "-" not in _operators_needed(LAWS["penman_monteith_terms"].expr)
    assert "-" in _operators_needed(LAWS["priestley_taylor"].expr)  # rn_e - g_e: the check sees a subtraction


def test_same_seed_same_front_and_run_save_reload(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y, _ = sample_law("priestley_taylor", 100, noise=0.05, seed=0)
    kw = dict(backend="pyoperon", niterations=10, chunk=5, population_size=100, seed=7, progress=False)
    a = SymbolicRegressor(**kw, run_name="a").fit(X, y)
    b = SymbolicRegressor(**kw).fit(X, y)
    assert [e.text for e in a.front_] == [e.text for e in b.front_]
    run = tmp_path / "runs" / "symbolic" / "a"
    assert {p.name for p in run.iterdir()} >= {"settings.json", "front.json", "front.csv", "history.csv"}
    settings = json.loads((run / "settings.json").read_text())
    assert settings["seed"] == 7 and settings["feature_units"]["rn_e"] == "mm d-1"
    again = load_run("a")
    assert [e.text for e in again.front_] == [e.text for e in a.front_]
    assert [e.loss for e in again.front_] == pytest.approx([e.loss for e in a.front_], rel=1e-12)
    np.testing.assert_allclose(again.predict(X), a.predict(X), rtol=1e-12)
    assert list(pd.read_csv(run / "front.csv")["complexity"]) == [e.complexity for e in a.front_]


def test_interrupted_search_keeps_and_saves_its_front(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    X, y, _ = sample_law("priestley_taylor", 100, noise=0.05, seed=0)

    def interrupt(front, info):
        if info["chunk"] == 2:
            raise KeyboardInterrupt

    sr = SymbolicRegressor(backend="pyoperon", niterations=50, chunk=5, population_size=100, progress=False,
                           run_name="stopped")
    with pytest.warns(UserWarning, match="interrupted after 10 generations"):
        sr.fit(X, y, callback=interrupt)
    assert sr.interrupted_ and len(sr.front_) > 0
    assert list(sr.history_["generations"]) == [5, 10]
    assert [e.text for e in load_run(tmp_path / "runs" / "symbolic" / "stopped").front_] == [e.text for e in sr.front_]


def test_gplearn_backend_returns_a_front_with_protected_operators():
    X, y = _xy(80)
    sr = SymbolicRegressor(backend="gplearn", operators=["+", "-", "*", "/", "sqrt"], niterations=4, chunk=2,
                           population_size=200, seed=1, progress=False).fit(X, y, feature_names=["a", "b"])
    assert sr.backend_ == "gplearn" and len(sr.front_) >= 1
    best = sr.front_.select("accuracy")
    np.testing.assert_allclose(best(X), sr.predict(X))
    assert best.loss == pytest.approx(np.mean((sr.predict(X) - y) ** 2))
    assert all("sqrt(" not in e.text or "Abs" in e.text for e in sr.front_)


def test_candidates_with_infinite_constants_are_skipped():
    sr = SymbolicRegressor(backend="pyoperon")
    X, y = _xy()
    eqs = sr._score(["div(X0, 0.000)", "mul(X0, 2.000)"], ["a", "b"], {"X0": "a", "X1": "b"}, X, y, None, None, None)
    assert [str(e.expr) for e in eqs] == ["2.0*a"] and eqs[0].loss == pytest.approx(0.0, abs=1e-20)
