"""The virtual land and its towers: determinism, physical consistency and known truth."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from workbench import physics
from workbench.data import LAND_COVER, virtual_land, virtual_towers
from workbench.physics.reference import reference_et


@pytest.fixture(scope="module")
def land():
    return virtual_land(lat=(36, 52), lon=(-4, 16), resolution=1.0, start="2020-01-01", end="2020-12-31", seed=7)


def test_shape_coordinates_and_cf_attributes(land):
    assert dict(land.sizes) == {"time": 366, "lat": 16, "lon": 20}
    np.testing.assert_allclose(land.lat.values[[0, -1]], [36.5, 51.5])
    for name, var in land.data_vars.items():
        assert "units" in var.attrs and "long_name" in var.attrs, name
    assert land.rn.attrs["units"] == "W m-2" and land.et.attrs["units"] == "mm d-1"
    assert set(np.unique(land.land_cover)) <= set(LAND_COVER["code"])


def test_same_seed_same_world_other_seed_other_world():
    kwargs = dict(lat=(40, 44), lon=(0, 4), start="2020-05-01", end="2020-05-20")
    xr.testing.assert_identical(virtual_land(seed=3, **kwargs), virtual_land(seed=3, **kwargs))
    assert not np.allclose(virtual_land(seed=3, **kwargs).tmean, virtual_land(seed=4, **kwargs).tmean)


def test_lazy_world_equals_eager_world_whatever_the_chunks():
    kwargs = dict(lat=(40, 46), lon=(0, 8), start="2020-03-01", end="2020-04-30", seed=5)
    eager = virtual_land(**kwargs)
    lazy = virtual_land(chunks={"lat": 4, "lon": 3}, **kwargs)
    assert lazy.et.chunks is not None and lazy.et.data.npartitions == 2 * 3
    xr.testing.assert_identical(lazy.compute(), eager)


def test_cells_do_not_depend_on_the_box_they_are_generated_in(land):
    small = virtual_land(lat=(44, 46), lon=(2, 5), resolution=1.0, start="2020-01-01", end="2020-12-31", seed=7)
    xr.testing.assert_allclose(small, land.sel(lat=small.lat, lon=small.lon), rtol=1e-6)


def test_energy_balance_closes_and_et_is_le_in_mm(land):
    residual = land.rn - land.le - land.h - land.g
    assert float(abs(residual).max()) < 1e-3
    et = physics.le_to_et(land.le.astype(float), land.tmean.astype(float))
    np.testing.assert_allclose(et, land.et, rtol=1e-5, atol=1e-6)


def test_true_le_is_penman_monteith_of_its_own_resistances(land):
    pm = physics.penman_monteith(
        land.rn.values.astype(float), land.tmean.values.astype(float), land.vpd.values.astype(float),
        land.r_aero.values.astype(float), land.r_surface.values.astype(float),
        g=land.g.values.astype(float), pressure=land.pressure.values.astype(float),
    )
    # Where the bucket does not run dry and there is no dew, the truth is exactly Penman-Monteith.
    unlimited = (land.water_stress > 0.05).values & (pm > 0)
    assert unlimited.mean() > 0.7
    np.testing.assert_allclose(land.le.values[unlimited], pm[unlimited], rtol=2e-3, atol=0.05)


def test_fluxes_and_states_are_physical(land):
    assert float(land.rh.min()) > 0 and float(land.rh.max()) <= 100
    assert float(land.vpd.min()) >= 0 and float(land.precip.min()) >= 0
    assert float(land.le.min()) >= -1e-6
    assert 0 <= float(land.water_stress.min()) and float(land.water_stress.max()) <= 1
    assert bool((land.soil_water <= land.whc + 1e-3).all())
    assert bool((land.tmin <= land.tmean).all() and (land.tmean <= land.tmax).all())
    # Shortwave never exceeds clear-sky radiation (FAO-56 Eq. 37).
    ra = physics.extraterrestrial_radiation(land.lat, land.time.dt.dayofyear)
    rso = physics.clear_sky_radiation(ra, land.elevation.astype(float)) * 1e6 / 86400
    assert bool((land.rs <= rso * (1 + 1e-5)).all())


def test_bucket_conserves_water(land):
    store, precip, et = (land[v].astype(float) for v in ("soil_water", "precip", "et"))
    change = store.shift(time=-1) - store
    overflow = (store + precip - et - store.shift(time=-1)).isel(time=slice(0, -1))
    # Storage changes by P - ET, minus runoff when the bucket is full; runoff is never negative.
    assert float(overflow.min()) > -1e-3
    full = store.shift(time=-1).isel(time=slice(0, -1)) >= land.whc - 1e-3
    np.testing.assert_allclose(overflow.where(~full, 0.0), 0.0, atol=2e-3)
    assert float(abs(change).max()) > 1  # the bucket does move


def test_summer_evaporates_more_than_winter_in_the_north(land):
    seasonal = land.et.groupby("time.season").mean(...)
    assert float(seasonal.sel(season="JJA")) > 2 * float(seasonal.sel(season="DJF"))
    annual = float(land.et.sum("time").mean())
    assert 200 < annual < 800  # mm per year, a temperate-continental range


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="lat bounds"):
        virtual_land(lat=(50, 40))
    with pytest.raises(ValueError, match="contains no day"):
        virtual_land(start="2020-02-01", end="2020-01-01")
    with pytest.raises(ValueError, match="time axis cannot be chunked"):
        virtual_land(chunks={"time": 10, "lat": 5})


@pytest.fixture(scope="module")
def towers(land):
    return virtual_towers(land, n_sites=6, seed=3, noise=0.1, closure_gap=0.2)


def test_towers_sit_on_land_cells_and_keep_their_truth(land, towers):
    assert list(towers.site.values) == [f"VL-{i:02d}" for i in range(1, 7)]
    assert len(set(towers.igbp.values)) >= min(6, len(np.unique(land.land_cover)))
    for site in towers.site.values:
        tower = towers.sel(site=site)
        cell = land.sel(lat=tower.lat, lon=tower.lon)
        np.testing.assert_allclose(tower.le_true, cell.le, rtol=1e-6)
        np.testing.assert_allclose(tower.rn, cell.rn, rtol=1e-6)


def test_towers_under_close_the_energy_balance_with_flux_dependent_noise(towers):
    ratio = (towers.le.sum("time") + towers.h.sum("time")) / (towers.le_true.sum("time") + towers.h_true.sum("time"))
    np.testing.assert_allclose(ratio, towers.closure, atol=0.03)
    assert 0.7 < float(towers.closure.mean()) < 0.9
    error = towers.le - towers.closure * towers.le_true
    expected_sd = float(np.sqrt(((5 + 0.1 * abs(towers.le_true)) ** 2).mean()))
    assert float(error.std()) == pytest.approx(expected_sd, rel=0.1)


def test_reference_et_matches_the_formulas_and_names_missing_inputs(towers):
    ref = reference_et(towers)
    es = physics.mean_saturation_vapour_pressure(towers.tmax, towers.tmin)
    pm = physics.fao56_penman_monteith(towers.rn, towers.tmean, towers.wind, es, es - towers.vpd, g=towers.g, pressure=towers.pressure)
    xr.testing.assert_allclose(ref.et_fao56_penman_monteith, pm.rename("et_fao56_penman_monteith"))
    assert ref.et_priestley_taylor.attrs["units"] == "mm d-1"
    with pytest.raises(ValueError, match=r"hargreaves_samani needs \['tmax'"):
        reference_et(towers.drop_vars("tmax"), methods=["hargreaves_samani"])
    with pytest.warns(UserWarning, match="skipping hargreaves_samani"):
        partial = reference_et(towers.drop_vars("tmax"), on_missing="skip")
    assert "et_hargreaves_samani" not in partial and "hargreaves_samani" in partial.attrs["skipped"]


@pytest.mark.parametrize("resolution", [0, -0.5, float("nan")])
def test_impossible_resolution_is_refused(resolution):
    with pytest.raises(ValueError, match="resolution must be a positive grid spacing in degrees"):
        virtual_land(resolution=resolution)
