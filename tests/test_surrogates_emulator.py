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
