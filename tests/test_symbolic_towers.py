"""Tests of the tower study: shape constraints, grouped folds, the shared FAO-56 baseline, water index, CV."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sympy

from workbench import physics
from workbench.physics.reference import fao56_reference, reference_et
from workbench.symbolic import ShapeConstraints, SymbolicRegressor, et_constraints, parse_equation
from workbench.symbolic.crossval import JarvisPenmanMonteith, cross_validate, fit_priestley_taylor, site_folds, summarise
from workbench.symbolic.front import ParetoFront, make_equation
from workbench.symbolic.laws import _clean
from workbench.symbolic.studies import baselines, tower_table
from workbench.symbolic.towers import aridity_class, tower_features, water_index

FEATURES = ["eq", "pm_aero", "vpd", "water"]
DRIVERS = ["rn", "g", "rs", "tmean", "vpd", "wind", "pressure", "water"]


@pytest.fixture(scope="module")
def table():
    return tower_table("virtual", n_sites=6, years=1, seed=2)


@pytest.fixture(scope="module")
def constraints(table):
    return ShapeConstraints(table[DRIVERS], tower_features, et_constraints(), max_rows=300)


def _eq(text, loss=1.0):
    return make_equation(parse_equation(text, FEATURES), FEATURES, loss)


# --------------------------------------------------------------------------- shape constraints

def test_a_satisfying_equation_is_not_flagged(constraints):
    # ET grows with the equilibrium rate and the water index, rises gently with VPD: every constraint holds
    good = _eq("0.6 * eq * (0.5 + water) + 0.1 * pm_aero")
    report = constraints.violations(good)
    assert not report["any"].any()
    assert constraints.share(good) == 0.0


@pytest.mark.parametrize("text, rule", [
    ("0.8 * eq - 1.5", "ET >= 0 where rn - g > 0"),             # negative with energy available
    ("0.8 * eq * (1.5 - water)", "dET/dwater >= 0"),             # falls as the soil wets up
    ("0.9 * eq + 1.0 - 3.0 * vpd ^ 2", "-2 <= dET/dvpd <= 5"),   # the -6 mm d-1 kPa-1 of an unconstrained fit
    ("2.0 - 0.05 * eq * eq", "dET/drn >= 0"),                   # falls with radiation at high energy
])
def test_a_violating_equation_is_caught_by_its_rule(constraints, text, rule):
    report = constraints.violations(_eq(text))
    assert report[rule].any()
    share = constraints.share(_eq(text))
    assert share == pytest.approx(report["any"].mean()) and share > 0


def test_derivative_check_is_exact_for_a_linear_vpd_response(constraints):
    # d ET / d vpd = -2.5 everywhere: below the lower bound -2 at every point, and nothing else is broken
    # on points where 0.9 eq + 20 stays positive
    report = constraints.violations(_eq("0.9 * eq + 20 - 2.5 * vpd"))
    assert report["-2 <= dET/dvpd <= 5"].all()
    assert not report["dET/drn >= 0"].any() and not report["dET/dwater >= 0"].any()
    slight = constraints.violations(_eq("0.9 * eq + 20 - 1.9 * vpd"))
    assert not slight["-2 <= dET/dvpd <= 5"].any()


def test_grid_spans_the_observed_ranges_and_is_feasible(table):
    sc = ShapeConstraints(table[DRIVERS], tower_features, feasible=lambda d: d["vpd"] < 2.0, levels=4)
    grid = sc.points_[sc.points_["source"] == "grid"]
    assert (grid["vpd"] < 2.0).all()
    assert grid["rn"].min() == pytest.approx(table["rn"].quantile(0.01))
    assert grid["rn"].max() == pytest.approx(table["rn"].quantile(0.99))
    assert (sc.points_["source"] == "train").sum() == min(1000, len(table))
    with pytest.raises(ValueError, match=r"driver\(s\) \['swc'\]"):
        ShapeConstraints(table[DRIVERS], tower_features, et_constraints(water=["swc"]))


def test_search_with_constraints_chooses_a_satisfying_equation(table, constraints):
    X = table[FEATURES].iloc[:400]
    y = (0.9 * table["eq"] * (0.3 + 0.7 * table["water"]) + 0.1).to_numpy()[:400]
    sr = SymbolicRegressor(backend="pyoperon", niterations=20, population_size=200, seed=0, progress=False,
                           constraints=constraints).fit(X, y)
    assert all(not np.isnan(e.violation) for e in sr.front_)
    assert sr.equation_.violation == 0.0
    rmse = np.sqrt(np.mean((sr.predict(X) - y) ** 2))
    assert rmse < 0.1 * y.std()


def test_front_ranks_by_the_penalised_loss():
    names = ["x"]
    a = make_equation(parse_equation("2 * x", names), names, 1.0)
    b = make_equation(parse_equation("3 * x", names), names, 0.5)
    a.violation, b.violation, a.penalty, b.penalty = 0.0, 0.1, 100.0, 100.0
    front = ParetoFront([a, b])  # same complexity: b has the lower loss but breaks the constraints
    assert list(front) == [a]
    b.penalty = 0.0
    assert list(ParetoFront([a, b])) == [b]
    with pytest.raises(ValueError, match="satisfying_only=True"):
        ParetoFront([a, b]).select(satisfying_only=True)  # no equation of that front satisfies the constraints


# --------------------------------------------------------------------------- grouped folds

def test_site_folds_hold_every_site_out_once_and_never_train_on_it():
    sites = [f"S{i:02d}" for i in range(24)]
    folds = site_folds(sites * 3, 5, seed=4)
    assert len(folds) == 5
    tested = [s for _, test in folds for s in test]
    assert sorted(tested) == sites  # every site is a test site exactly once
    for train, test in folds:
        assert not set(train) & set(test)
        assert set(train) | set(test) == set(sites)
        assert len(test) in (4, 5)
    assert site_folds(sites, 5, seed=4) == folds and site_folds(sites, 5, seed=5) != folds
    with pytest.raises(ValueError, match="between 2 and the number of sites"):
        site_folds(["A", "B"], 3)


def test_cross_validate_predicts_only_held_out_sites(table):
    res = cross_validate(table, FEATURES, n_folds=3, max_train_rows=300, progress=False, black_boxes=False,
                         search={"backend": "pyoperon", "niterations": 6, "population_size": 100})
    pred = res.predictions
    assert set(pred["method"]) == {"symbolic", "fao56_pm", "priestley_taylor", "pm_jarvis", "hargreaves"}
    for k, (train, test) in enumerate(res.folds):
        fold = pred[pred["fold"] == k]
        assert set(fold["site"]) == set(test) and not set(fold["site"]) & set(train)
    per_site = pred[pred["method"] == "symbolic"].groupby("site").size()
    assert per_site.to_dict() == table.groupby("site").size().to_dict()  # every day of every site predicted once
    alpha = fit_priestley_taylor(table[~table["site"].isin(res.folds[0][1])]["eq"],
                                 table[~table["site"].isin(res.folds[0][1])]["et"])
    assert res.params["alpha"].iloc[0] == pytest.approx(alpha)
    summary = summarise(res)
    assert set(summary["method"]) == set(pred["method"]) and (summary["sites"] == 6).all()
    by_class = summarise(res, by="igbp")
    assert set(by_class["igbp"]) == set(table["igbp"])
    assert {"symbolic", "pm_jarvis"} <= set(res.violations["model"])


def test_jarvis_penman_monteith_recovers_its_own_parameters(table):
    truth = JarvisPenmanMonteith()
    truth.params_ = {"g_max": 0.012, "k_r": 150.0, "k_d": 0.4, "k_w": 0.8, "c_a": 60.0}
    y = truth.predict(table)
    fitted = JarvisPenmanMonteith(max_rows=1500).fit(table, y)
    np.testing.assert_allclose(fitted.predict(table), y, atol=0.02)
    # at 2 m s-1 the aerodynamic resistance is c_a / u
    assert fitted.params_["c_a"] == pytest.approx(60.0, rel=0.1)


# --------------------------------------------------------------------------- shared FAO-56 baseline

def test_shared_fao56_matches_fao56_examples():
    # Example 18 (Uccle, 6 July): es from tmax/tmin (FAO-56 Eq. 12), G = 0
    assert fao56_reference(13.28, 16.9, 2.078, 1.997 - 1.409, tmax=21.5, tmin=12.3, pressure=100.1) == \
        pytest.approx(3.88, abs=0.005)
    # Example 17 (Bangkok, April): monthly G = 0.14 MJ m-2 d-1 is subtracted
    assert fao56_reference(14.33, 30.2, 2.0, 4.42 - 2.85, tmax=34.8, tmin=25.6, g=0.14) == pytest.approx(5.72, abs=0.01)
    # es from tmean alone is lower than from the extremes (convexity of e°(T)), so ET_o is lower
    assert fao56_reference(13.28, 16.9, 2.078, 0.588, pressure=100.1) < 3.88
    # a missing G is FAO-56's daily 0
    np.testing.assert_allclose(fao56_reference(np.array([10.0, 10.0]), 20.0, 2.0, 1.0, g=np.array([np.nan, 0.0])),
                               fao56_reference(10.0, 20.0, 2.0, 1.0))
    with pytest.raises(ValueError, match="both tmax and tmin"):
        fao56_reference(10.0, 20.0, 2.0, 1.0, tmax=25.0)


def test_baselines_and_reference_et_are_the_same_function(table):
    from workbench.data import virtual_land, virtual_towers

    towers = virtual_towers(virtual_land(lat=(40, 44), lon=(0, 4), resolution=2.0, start="2020-06-01",
                                         end="2020-06-10"), n_sites=2)
    ref = reference_et(towers, methods=["fao56_penman_monteith"])["et_fao56_penman_monteith"]
    site = towers.isel(site=0)
    rows = pd.DataFrame({v: site[v].values.astype(float) for v in ("rn", "g", "tmean", "tmax", "tmin", "vpd", "wind",
                                                                   "pressure")})
    rows[["rn", "g"]] *= 0.0864  # W m-2 -> MJ m-2 d-1
    rows["ra"] = 30.0
    np.testing.assert_allclose(baselines(rows)["fao56_pm"], ref.isel(site=0).values, rtol=1e-5)
    # and the study's table uses tmax/tmin and the site's G (virtual towers have both)
    row = table.iloc[50]
    es = physics.mean_saturation_vapour_pressure(row["tmax"], row["tmin"])
    assert baselines(table)["fao56_pm"].iloc[50] == pytest.approx(physics.fao56_penman_monteith(
        row["rn"], row["tmean"], row["wind"], es, es - row["vpd"], g=row["g"], pressure=row["pressure"]))


def test_tower_features_are_the_fao56_terms(table):
    f = tower_features(table)
    pm = fao56_reference(table["rn"].to_numpy(), table["tmean"].to_numpy(), table["wind"].to_numpy(),
                         table["vpd"].to_numpy(), g=table["g"].to_numpy(), pressure=table["pressure"].to_numpy())
    np.testing.assert_allclose(f["pm_rad"] + f["pm_aero"], pm, rtol=1e-10)
    pt = physics.priestley_taylor(table["rn"].to_numpy(), table["tmean"].to_numpy(), g=table["g"].to_numpy(),
                                  pressure=table["pressure"].to_numpy())
    np.testing.assert_allclose(1.26 * f["eq"], pt, rtol=1e-3)  # PT's 0.408 vs 1 / lambda(T)


# --------------------------------------------------------------------------- table, water, display

def test_water_index_bucket_by_hand():
    # capacity 20 mm, demand 5 mm d-1 scaled by fullness: 20 -> 15 -> 11.25 -> 11.25 + 10 - 5 * 11.25 / 20
    np.testing.assert_allclose(water_index([0, 0, 10, 0], [5, 5, 5, 5], capacity=20),
                               [1.0, 0.75, 0.5625, 18.4375 / 20])
    assert water_index([50.0], [0.0], capacity=20, start=0.0).tolist() == [0.0]
    with pytest.raises(ValueError, match="negative"):
        water_index([-1.0], [0.0])


def test_virtual_table_has_water_vegetation_and_site_description(table):
    assert table[["water", "swc", "lai", "tmax", "tmin"]].notna().all().all()
    assert table["water"].between(0, 1).all() and table["swc"].between(0, 1).all()
    sites = table.attrs["sites"].set_index("site")
    assert set(sites.index) == set(table["site"]) and (sites["days"] == table.groupby("site").size()).all()
    np.testing.assert_allclose(sites["aridity_index"], sites["map"] / sites["et0_mm_yr"])
    assert list(aridity_class([0.1, 0.3, 0.6, 1.0, np.nan])) == ["arid", "semi-arid", "dry sub-humid", "humid",
                                                                 "unknown"]


def test_clean_keeps_a_law_that_carries_a_huge_constant():
    x, y = sympy.symbols("x y", real=True)
    # a refit may carry a huge constant on a tiny input: 1e9 x with x ~ 1e-12 next to 1.5 y. Zeroing
    # constants by their size relative to the largest (the old display rule) erased the 1.5 y that makes
    # the law; zeroing by effect on the values keeps both terms
    expr = sympy.Float(1e9) * x + sympy.Float(1.5) * y + sympy.Float(1e-14)
    rng = np.random.default_rng(0)
    X = np.column_stack([rng.uniform(1e-12, 2e-12, 50), rng.uniform(1, 2, 50)])
    cleaned = _clean(expr, X, ["x", "y"])
    assert cleaned.free_symbols == {x, y}
    assert sympy.Float(1e-14) not in cleaned.atoms(sympy.Float)  # an ineffective constant does go
    assert float(cleaned.coeff(y)) == pytest.approx(1.5)


def test_black_boxes_are_scored_and_a_short_mlp_is_recorded_not_warned(table):
    import warnings

    small = table[table["site"].isin(["VL-01", "VL-02", "VL-03"])]
    with warnings.catch_warnings():
        warnings.simplefilter("error", category=Warning)
        res = cross_validate(small, FEATURES, n_folds=3, max_train_rows=200, progress=False, black_box_iter=3,
                             search={"backend": "pyoperon", "niterations": 4, "population_size": 50})
    assert {"gbm", "mlp"} <= set(res.predictions["method"])
    assert not res.params["mlp_converged"].any()  # 3 epochs: stopped at the limit, recorded per fold
    assert np.isfinite(res.predictions.loc[res.predictions["method"] == "gbm", "sim"]).all()


def test_prediction_plot_draws_missing_days_as_gaps():
    from workbench.viz.symbolic import plot_predictions
    from workbench.widgets.symbolic import HeldOutSiteExplorer

    days = pd.to_datetime(["2011-08-30", "2011-08-31", "2011-12-01", "2011-12-02"])  # Sep-Nov removed
    pred = pd.DataFrame({"site": "AU-Rig", "time": days, "method": "symbolic", "obs": [1.0, 2, 3, 4],
                         "sim": [1.5, 2, 3, 4]})
    plot = plot_predictions(pred, "AU-Rig", methods=["symbolic"])
    data = next(iter(plot.data.values())).data  # one curve per series, on the full daily axis
    assert len(data) == 95  # every day from 30 Aug to 2 Dec
    gap = data.loc["2011-09-01":"2011-11-30"]
    assert len(gap) == 91 and gap[["symbolic", "observed"]].isna().all().all()  # NaN: a break in the line
    assert data.loc["2011-08-31", "observed"] == 2.0
    ui = HeldOutSiteExplorer(pred, site="XX-Not")  # a site the predictions lack: the first one instead
    assert ui.settings() == {"site": "AU-Rig", "methods": ["symbolic"]}
