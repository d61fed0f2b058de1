"""Explainable diagnostics: planted causes attributed exactly, IG completeness, the no-leakage split, bad input."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from workbench import explain as ex
from workbench.data import virtual_land
from workbench.units import UnitError


def _linear_table(n=3000, groups=60, seed=0, noise=0.0):
    rng = np.random.default_rng(seed)
    t = xr.Dataset({name: ("sample", rng.normal(size=n), {"units": u})
                    for name, u in (("a", "1"), ("b", "m s-1"), ("c", "kPa"))},
                   coords={"sample": np.arange(n), "group": ("sample", np.arange(n) % groups)})
    t["residual"] = ("sample", 3.0 * t.a.values - 2.0 * t.b.values + noise * rng.normal(size=n), {"units": "W m-2"})
    return t


@pytest.fixture(scope="module")
def land():
    return virtual_land(lat=(30, 60), lon=(-10, 30), resolution=5.0, seed=1)


def test_planted_linear_cause_is_attributed_exactly_by_shap():
    t = _linear_table()
    em = ex.ErrorModel("linear", seed=0).fit(t)
    X = em.X_explain_
    for explainer in ("linear", "permutation"):
        sv = ex.shap_values(em, explainer=explainer, n_samples=20, n_background=50)
        x = X[np.isin(em.explain_samples_, sv.sample.values)]
        background = ex.attribution._rows(em, 50, 1)[0].mean(0)
        # phi_j = beta_j (x_j - E[x_j]) exactly; the unused driver gets exactly 0
        np.testing.assert_allclose(sv.sel(driver="a"), 3.0 * (x[:, 0] - background[0]), atol=1e-8)
        np.testing.assert_allclose(sv.sel(driver="b"), -2.0 * (x[:, 1] - background[1]), atol=1e-8)
        np.testing.assert_allclose(sv.sel(driver="c"), 0.0, atol=1e-8)
    assert ex.rank_drivers(sv)[:2] == ["a", "b"]


def test_tree_shap_adds_up_and_ranks_planted_linear_cause_first():
    t = _linear_table(noise=0.5)
    em = ex.ErrorModel("gbm", seed=0).fit(t)
    sv = ex.shap_values(em, explainer="tree")
    pred = em.predict_array(em.X_explain_)
    np.testing.assert_allclose(sv.sum("driver") + sv.attrs["base_value"], pred, atol=1e-6)  # local accuracy
    assert ex.rank_drivers(sv) == ["a", "b", "c"]
    assert ex.rank_drivers(ex.permutation_importances(em, n_repeats=3))[:2] == ["a", "b"]
    # the SHAP value of the planted driver follows 3 (a - mean)
    a = em.X_explain_[:, 0]
    assert np.corrcoef(sv.sel(driver="a"), a)[0, 1] > 0.99


def test_integrated_gradients_completeness_and_linear_exactness():
    t = _linear_table(n=1200)
    em = ex.ErrorModel("mlp", seed=0, max_explain=300, params={"epochs": 15}).fit(t)
    attr, err = ex.integrated_gradients(em)
    assert err < 0.01
    f = em.estimator_.predict_array
    base = em.X_explain_.mean(0, keepdims=True)
    np.testing.assert_allclose(attr.sum("driver"), f(em.X_explain_)[:, 0] - f(base)[0, 0], rtol=1e-3, atol=1e-3)
    assert ex.rank_drivers(attr)[:2] == ["a", "b"]


def test_split_has_no_leakage_between_fit_and_explanation():
    t = _linear_table()
    em = ex.ErrorModel("gbm", explain_fraction=0.4, seed=3).fit(t)
    assert np.intersect1d(em.fit_groups_, em.explain_groups_).size == 0
    assert set(em.fit_groups_) | set(em.explain_groups_) == set(range(60))
    assert em.explain_groups_.size == 24
    fit_g = t.group.sel(sample=em.fit_samples_).values
    exp_g = t.group.sel(sample=em.explain_samples_).values
    assert not np.isin(exp_g, em.fit_groups_).any() and not np.isin(fit_g, em.explain_groups_).any()
    np.testing.assert_array_equal(em.X_explain_[:, 0], t.a.sel(sample=em.explain_samples_).values)
    em.check_no_leakage(em.explanation_table(t))  # held-out rows pass
    with pytest.raises(ValueError, match="used to fit the error model"):
        em.check_no_leakage(t.sel(sample=em.fit_samples_[:10]))


def test_planted_mechanism_of_the_virtual_land(land):
    t = ex.planted_residuals(land, "no_water_stress", noise=0.0)
    np.testing.assert_allclose(t.residual, t.error)
    assert float(t.residual.min()) >= 0.0  # no stress: the model only over-estimates
    wet = t.soil_wetness.values >= 0.65 + 1e-6  # beta = 1 there, so no error
    assert np.abs(t.residual.values[wet]).max() < 1e-6
    em = ex.ErrorModel("gbm", max_explain=800).fit(ex.planted_residuals(land, "no_water_stress", seed=1))
    assert ex.rank_drivers(ex.shap_values(em))[0] == "soil_wetness"


def test_planted_cause_study_scores_hits_and_the_hidden_cause(land):
    df = ex.planted_cause_study(["wind_aerodynamic", "lai_and_wind", "rain_interception"], seeds=(1,), land=land,
                                explainers=("tree_shap",), max_explain=600, progress=False)
    hits = dict(zip(df.mechanism, df.hit))
    assert hits == {"wind_aerodynamic": True, "lai_and_wind": True, "rain_interception": False}
    assert ex.hit_rates(df)["tree_shap"] == pytest.approx(2 / 3)


def test_regimes_and_dominant_driver_map(land):
    t = ex.planted_residuals(land, "cloud_radiation", noise=0.0)
    by = ex.errors_by_regime(t, "wetness")
    dry = t.soil_wetness.values < 0.5
    assert by.loc["dry", "bias"] == pytest.approx(float(t.residual.values[dry].mean()), rel=1e-5)
    assert by["n"].sum() == t.sizes["sample"]
    em = ex.ErrorModel("gbm", max_explain=2000).fit(t)
    m = ex.dominant_driver_map(ex.shap_values(em), t)
    explained = np.isfinite(m.dominant.values)
    assert explained.sum() == em.explain_groups_.size
    assert m.attrs["drivers"][int(np.nanmedian(m.dominant.values))] == "cloudiness"


def test_bad_input_is_named():
    t = _linear_table()
    em = ex.ErrorModel("linear").fit(t)
    with pytest.raises(ValueError, match=r"trained on .*lack \['c'\]"):
        em.predict(t.drop_vars("c"))
    wrong = t.copy()
    wrong["b"] = wrong.b.assign_attrs(units="kPa")
    with pytest.raises(UnitError, match="driver 'b'"):
        em.predict(wrong)
    converted = t.copy()
    converted["b"] = (converted.b * 3.6).assign_attrs(units="km h-1")
    np.testing.assert_allclose(em.predict(converted), em.predict(t), atol=1e-9)
    with pytest.warns(UserWarning, match="unstable below about 300"):
        ex.ErrorModel("linear", max_explain=100).fit(t)
    with pytest.raises(ValueError, match="at least 30"):
        ex.ErrorModel("linear", max_explain=10).fit(t)
    with pytest.raises(ValueError, match="tree error model"):
        ex.shap_values(em, explainer="tree")
    with pytest.raises(ValueError, match="unknown mechanism"):
        ex.planted_residuals(virtual_land(lat=(40, 42), lon=(0, 2), start="2020-06-01", end="2020-06-03"), "nope")


def test_residual_equation_recovers_planted_linear_cause():
    t = _linear_table()
    em = ex.ErrorModel("linear").fit(t)
    sr, r2 = ex.residual_equation(em, t, drivers=["a", "b", "c"], niterations=20, population_size=200)
    assert r2 > 0.999
    x = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 0.0]])
    np.testing.assert_allclose(sr.predict(x), [3.0, -2.0, 0.0], atol=1e-3)


def test_real_loaders_fall_back_to_a_visible_virtual_stand_in(monkeypatch, tmp_path):
    monkeypatch.setenv("WORKBENCH_REAL_DATA", str(tmp_path))
    monkeypatch.setenv("WORKBENCH_OFFLINE", "1")
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    with pytest.warns(UserWarning, match="VIRTUAL stand-in"):
        tables, source = ex.real.ecostress_tables()
    assert source == "virtual" and set(tables) == {"VL-nostress", "VL-cloud"}
    assert set(ex.real.ECOSTRESS_DRIVERS) <= set(tables["VL-cloud"].data_vars)
    with pytest.warns(UserWarning, match="VIRTUAL stand-in"):
        table, source = ex.real.fluxnet_pm_table()
    assert source == "virtual" and set(ex.real.FLUXNET_DRIVERS) <= set(table.data_vars)
