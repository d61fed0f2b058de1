"""Fusion of product-vs-tower overpass tables at unseen sites: the virtual stand-in, the real ECOSTRESS table, TC."""

import numpy as np
import pytest

from workbench import intercompare as ic
from workbench.data import RealDataUnavailable, fetch_real

MODELS = ["STIC", "BESS", "MOD16", "PTJPLSM", "JET"]
COVS = [v[0] for v in ic.ECOSTRESS_COVARIATES.values()]


@pytest.fixture(scope="module")
def virtual():
    eco = ic.virtual_overpasses(n_sites=30, per_site=15)
    return ic.overpass_table(eco, MODELS, covariates=COVS)


def test_virtual_fusion_at_unseen_sites(virtual):
    cv = ic.fuse_at_unseen_sites(virtual, MODELS, covariates=COVS, categorical=["vegetation", "climate"], n_splits=5, max_iter=100)
    # every site sits in exactly one test fold, all its overpasses together
    assert cv.groupby("site").fold.nunique().max() == 1 and sorted(cv.fold.unique()) == [0, 1, 2, 3, 4]
    skill = ic.skill_by_group(cv, ["PTJPLSM", "JET", "ensemble", "performance", "tc_fusion", "ml_fusion"])
    assert skill.rmse["ml_fusion"] < 0.85 * skill.rmse["PTJPLSM"] < skill.rmse["JET"]
    assert skill.kge["ml_fusion"] > max(skill.kge["PTJPLSM"], skill.kge["JET"])
    # JET is the mean of the four models: the equal-weight ensemble of the five moves little from it
    assert abs(skill.rmse["ensemble"] - skill.rmse["JET"]) < 0.1 * skill.rmse["JET"]
    by_cover = ic.skill_by_group(cv, ["ml_fusion", "PTJPLSM"], by="vegetation")
    assert set(by_cover.index.get_level_values("vegetation")) == set(virtual.vegetation)
    assert int(by_cover.xs("ml_fusion", level="estimate").n.sum()) == len(virtual)


def test_tc_against_towers_on_the_virtual_table(virtual):
    tc = ic.tc_against_towers(virtual, MODELS)
    # independent errors: TC's error estimate is close to the one measured against the towers
    for m in ("PTJPLSM", "MOD16", "STIC"):
        assert tc.tc_err_std[m] == pytest.approx(tc.tower_err_std[m], rel=0.15), m
    # JET's error is shared with the four models it averages: TC's assumption fails and it
    # credits JET with far too small an error
    assert tc.tc_err_std["JET"] < 0.7 * tc.tower_err_std["JET"]


def test_grouped_folds_and_bad_input(virtual):
    model = ic.FusionRegressor(max_iter=20, seasonal=False, covariates=["ndvi"], categorical=["vegetation"])
    with pytest.raises(ValueError, match="n_splits must be between 2"):
        ic.leave_site_out(model, virtual, n_splits=1000)
    with pytest.raises(ValueError, match=r"X has no columns \['ndvi'\]"):
        model.fit(virtual.drop(columns="ndvi"), virtual.obs)
    fitted = model.fit(virtual, virtual.obs, products=MODELS)
    with pytest.raises(ValueError, match="predict_grid takes product maps only"):
        fitted.predict_grid({m: None for m in MODELS})
    # a land cover never seen in training becomes missing, not an error
    unseen = virtual.head(3).assign(vegetation="XXX")
    assert np.isfinite(fitted.predict(unseen)).all()
    with pytest.raises(ValueError, match="has no"):
        ic.overpass_table(ic.virtual_overpasses(n_sites=6, per_site=2), ["STIC", "nope"])


def _real_table():
    try:
        fetch_real("ecostress_calval_ameriflux/combined_eco_flux_EC_filtered.csv")
    except RealDataUnavailable:
        pytest.skip("the real ECOSTRESS table is not available here")
    eco = ic.load_overpasses(fallback=False)
    return ic.overpass_table(eco, MODELS, covariates=COVS)


def test_real_ecostress_fusion_beats_best_model_and_jet_at_unseen_sites():
    table = _real_table()
    assert len(table) == 1065 and table.site.nunique() == 63
    cv = ic.fuse_at_unseen_sites(table, MODELS, covariates=COVS, categorical=["vegetation", "climate"], n_splits=5, max_iter=100)
    skill = ic.skill_by_group(cv, ["PTJPLSM", "JET", "ml_fusion"])
    # the reference numbers for the single models (W m-2, against LEcorr50)
    assert skill.rmse["PTJPLSM"] == pytest.approx(99.4, abs=0.05) and skill.kge["PTJPLSM"] == pytest.approx(0.68, abs=0.005)
    assert skill.rmse["JET"] == pytest.approx(105.6, abs=0.05) and skill.kge["JET"] == pytest.approx(0.56, abs=0.005)
    assert skill.rmse["ml_fusion"] < 0.93 * skill.rmse["PTJPLSM"]
    assert skill.kge["ml_fusion"] > skill.kge["PTJPLSM"] + 0.03


def test_load_overpasses_falls_back_with_a_visible_message(tmp_path, monkeypatch, capsys):
    import workbench.data as data

    def unavailable(name):
        raise RealDataUnavailable(f"{name} is not in the real-data folder {tmp_path}")

    monkeypatch.setattr(data, "fetch_real", unavailable)
    with pytest.warns(UserWarning, match="virtual stand-in") as record:
        eco = ic.load_overpasses()
    assert record[0].filename == __file__  # the warning points at the caller, not the library
    assert eco.attrs["virtual"] == 1 and "VIRTUAL" in capsys.readouterr().out
    assert set(MODELS + COVS + ["le_corr"]) <= set(eco.data_vars)
    with pytest.raises(RealDataUnavailable):
        ic.load_overpasses(fallback=False)
