"""One-year simulation with the soil-water bucket, its emulator, and calibration against towers."""

import numpy as np
import pytest
import xarray as xr

import workbench.surrogates as S
from workbench.data import virtual_land, virtual_towers


@pytest.fixture(scope="module")
def land():
    return virtual_land(lat=(42, 46), lon=(0, 4), seed=3)


def test_bucket_closes_the_water_balance(land):
    sim = S.simulate_year(land, vcmax25=70.0, g1=4.0, whc=80.0)
    assert sim["et"].dims == ("time", "lat", "lon")
    precip = land["precip"].astype("float64")  # stored as float32
    start = 0.7 * 80.0
    end = sim["soil_water"].isel(time=-1) + precip.isel(time=-1) - sim["et"].isel(time=-1) \
        - sim["runoff"].isel(time=-1)
    balance = start + precip.sum("time") - sim["et"].sum("time") - sim["runoff"].sum("time") - end
    np.testing.assert_allclose(balance.values, 0.0, atol=1e-6)
    assert float(sim["soil_water"].min()) >= 0.0 and float(sim["soil_water"].max()) <= 80.0
    np.testing.assert_allclose(sim["et_annual"].values, sim["et"].sum("time").values)
    np.testing.assert_allclose(sim["et_monthly"].sum("month").values, sim["et_annual"].values, rtol=1e-12)
    assert 100.0 < float(sim["et_annual"].mean()) < 1000.0  # mm per year, a temperate range


def test_parameters_move_et_the_physical_way(land):
    cell = land.isel(lat=[0], lon=[0])
    low, high = (S.simulate_year(cell, whc=w)["et_annual"].item() for w in (40.0, 300.0))
    assert high >= low  # a deeper root zone never transpires less
    shut = S.simulate_year(cell, g1=1.5)["et_annual"].item()
    open_ = S.simulate_year(cell, g1=8.0)["et_annual"].item()
    assert open_ > shut
    # Per-point parameters broadcast over the point dims.
    both = S.simulate_year(cell.isel(lat=0, lon=0).expand_dims(p=2), whc=xr.DataArray([40.0, 300.0], dims="p"))
    np.testing.assert_allclose(both["et_annual"].values, [low, high], rtol=1e-12)


def test_simulate_year_refuses_bad_input(land):
    with pytest.raises(ValueError, match="precip"):
        S.simulate_year(land.drop_vars("precip"))
    with pytest.raises(ValueError, match="whc"):
        S.simulate_year(land, whc=np.ones(7))


def test_emulator_learns_annual_et_and_calibrates(land):
    """A small emulator beats predicting the mean by far, and calibration lowers the re-simulated misfit."""
    X, y = S.emulator_dataset(land, 512, seed=0)
    Xt, yt = S.emulator_dataset(land, 128, seed=1)
    assert list(X.data_vars)[:3] == ["vcmax25", "g1", "whc"] and len(y.data_vars) == 13
    model = S.SurrogateRegressor((64, 64), epochs=120, batch_size=128, lr=5e-3, patience=120,
                                 physics={"nonneg": 1.0}, run_dir=False, progress=False)
    model.fit(X, y, ranges={k: v[:2] for k, v in S.EMULATOR_PARAMETERS.items()})
    ev = S.evaluate(model, Xt, yt, ood=False)
    assert ev.metrics.loc["et_annual", "r2"] > 0.9
    # Calibrate shared parameters to towers whose truth is this model run at known parameters.
    towers = virtual_towers(land, n_sites=4, seed=2)
    truth = {"vcmax25": 90.0, "g1": 3.0, "whc": 120.0}
    obs = S.simulate_year(towers, **truth)["et"]
    fit = S.calibrate(model, towers, obs, n_candidates=512)
    default = S.simulate_year(towers)["et_monthly"]
    calibrated = S.simulate_year(towers, **fit["params"])["et_monthly"]
    obs_m = obs.groupby("time.month").sum()

    def rmse(a):
        return float(np.sqrt(((a - obs_m) ** 2).mean()))

    assert rmse(calibrated) < 0.5 * rmse(default)
    assert fit["n_evaluations"] >= 512


def test_monthly_et_carries_the_monthly_unit(land):
    sim = S.simulate_year(land.isel(lat=[0], lon=[0]))
    assert sim["et_monthly"].attrs["units"] == "mm month-1"
    manual = sim["et"].groupby("time.month").sum()  # the same numbers, the wrong (daily) unit kept
    assert manual.attrs["units"] == "mm d-1"
    np.testing.assert_allclose(S.monthly_et(sim["et"]).values, manual.values, rtol=1e-12)
    with pytest.raises(ValueError, match="monthly obs_et must be in 'mm month-1'"):
        S.calibrate(None, land, manual.rename(lat="site").isel(lon=0))


def test_tower_closure_correction_recovers_the_true_monthly_et(land):
    """Known truth: towers measure ~15 % low; the monthly Bowen-ratio correction removes most of that bias."""
    towers = virtual_towers(land, n_sites=4, seed=0)
    truth = S.monthly_et(towers["et_true"])
    measured = S.tower_monthly_et(towers, closure=False)
    corrected = S.tower_monthly_et(towers)
    assert corrected.attrs["units"] == "mm month-1" and corrected.attrs["closure_corrected"] == 1
    np.testing.assert_allclose(measured.values, S.monthly_et(towers["et"]).values, rtol=1e-6)
    bias = {k: float((v - truth).sum("month").mean()) / float(truth.sum("month").mean())
            for k, v in (("measured", measured), ("corrected", corrected))}
    assert bias["measured"] < -0.08 and abs(bias["corrected"]) < 0.03, bias
    with pytest.raises(ValueError, match=r"towers lack \['rn'\]"):
        S.tower_monthly_et(towers.drop_vars("rn"))


class _AnalyticEmulator:
    """ET of months 1-4 = 10 g1, of months 5-8 = vcmax25 / 5, of months 9-12 = whc / 10 [mm month-1]: separable."""

    feature_names_ = list(S.EMULATOR_PARAMETERS) + list(S.CLIMATE_FEATURES)
    target_names_ = ["et_annual"] + [f"et_m{m:02d}" for m in range(1, 13)]

    @staticmethod
    def months(g1, vcmax25, whc):
        g1, vcmax25, whc = np.broadcast_arrays(g1, vcmax25, whc)
        return np.column_stack([10 * g1] * 4 + [vcmax25 / 5] * 4 + [whc / 10] * 4)

    def predict_array(self, xm):
        col = {n: xm[:, i] for i, n in enumerate(self.feature_names_)}
        month = self.months(col["g1"], col["vcmax25"], col["whc"])
        return np.column_stack([month.sum(1), month])


def _monthly_obs(towers, g1, vcmax25=70.0, whc=170.0):
    template = S.tower_monthly_et(towers, closure=False)
    values = np.broadcast_to(_AnalyticEmulator.months(g1, vcmax25, whc), template.shape)
    return template.copy(data=values).assign_attrs(units="mm month-1")


def test_calibrate_flags_a_parameter_left_at_its_bound(land):
    towers = virtual_towers(land, n_sites=2, seed=0)
    lo = S.EMULATOR_PARAMETERS["g1"][0]
    inside = S.calibrate(_AnalyticEmulator(), towers, _monthly_obs(towers, lo + 1.0), n_candidates=256)
    assert inside["at_bound"] == {}
    np.testing.assert_allclose([inside["params"][k] for k in ("g1", "vcmax25", "whc")], [lo + 1.0, 70, 170],
                               rtol=0.02)
    with pytest.warns(UserWarning, match=r"g1 = .* at its lower bound") as record:
        low = S.calibrate(_AnalyticEmulator(), towers, _monthly_obs(towers, lo - 0.5), n_candidates=256)
    assert record[0].filename == __file__
    assert low["at_bound"] == {"g1": "lower"} and low["params"]["g1"] == pytest.approx(lo)
    assert low["bounds"]["g1"] == S.EMULATOR_PARAMETERS["g1"][:2]


def test_calibration_profile_refits_the_others_at_each_value(land):
    """Analytic emulator: with g1 held, the best misfit is |10 (g1 - 4)| / sqrt(3) (the others at their optimum)."""
    towers = virtual_towers(land, n_sites=2, seed=0)
    profile = S.calibration_profile(_AnalyticEmulator(), towers, _monthly_obs(towers, 4.0), "g1", [2.0, 4.0, 6.0])
    np.testing.assert_allclose(profile.values, np.array([20.0, 0.0, 20.0]) / np.sqrt(3.0), atol=0.05)
    np.testing.assert_allclose(profile["vcmax25"].values, 70.0, rtol=0.02)
    assert profile.attrs["units"] == "mm month-1" and profile["g1"].attrs["units"] == "kPa0.5"
    with pytest.raises(ValueError, match="unknown parameter 'lai'"):
        S.calibration_profile(_AnalyticEmulator(), towers, _monthly_obs(towers, 4.0), "lai", [1.0])
