"""Psychrometrics against FAO-56 tables and worked examples, plus the units and xarray plumbing."""

from __future__ import annotations

import dask.array as da
import numpy as np
import pytest
import xarray as xr
from numpy.testing import assert_allclose

from workbench import physics
from workbench.units import UnitError


# e°(T) and Δ(T) as printed in the FAO-56 worked examples 17, 18 and 19 (MANIFEST.md, "FAO-56 worked examples").
@pytest.mark.parametrize(
    ("t", "es", "atol"),
    [(21.5, 2.564, 5e-4), (12.3, 1.431, 5e-4), (34.8, 5.56, 5e-3), (25.6, 3.28, 5e-3), (38.0, 6.625, 5e-4)],
)
def test_saturation_vapour_pressure_matches_fao56_examples(t, es, atol):
    assert_allclose(physics.saturation_vapour_pressure(t), es, atol=atol)


@pytest.mark.parametrize(("t", "delta"), [(30.2, 0.246), (16.9, 0.122)])
def test_slope_matches_fao56_examples(t, delta):
    assert_allclose(physics.slope_saturation_vapour_pressure(t), delta, atol=5e-4)


def test_slope_is_the_derivative_of_saturation_vapour_pressure():
    t = np.linspace(-10.0, 45.0, 12)
    h = 1e-4
    numeric = (physics.saturation_vapour_pressure(t + h) - physics.saturation_vapour_pressure(t - h)) / (2 * h)
    # FAO-56 Eq. 13 is the derivative of Eq. 11 with 17.27 * 237.3 = 4098.17 rounded to 4098
    assert_allclose(physics.slope_saturation_vapour_pressure(t), numeric * 4098.0 / (17.27 * 237.3), rtol=1e-7)
    assert_allclose(physics.slope_saturation_vapour_pressure(t), numeric, rtol=1e-4)


def test_pressure_and_psychrometric_constant_fao56_example_2():
    # FAO-56 Example 2: z = 1800 m -> P = 81.8 kPa, gamma = 0.054 kPa/degC
    pressure = physics.atmospheric_pressure(1800.0)
    assert_allclose(pressure, 81.8, atol=0.05)
    assert_allclose(physics.psychrometric_constant(pressure), 0.054, atol=5e-4)
    # Example 17: gamma at 101.3 kPa is 0.0674; Example 18: 0.0666 at 100.1 kPa
    assert_allclose(physics.psychrometric_constant(101.3), 0.0674, atol=5e-5)
    assert_allclose(physics.psychrometric_constant(100.1), 0.0666, atol=5e-5)


def test_vapour_pressures_fao56_example_18():
    assert_allclose(physics.mean_saturation_vapour_pressure(21.5, 12.3), 1.997, atol=5e-4)
    assert_allclose(physics.actual_vapour_pressure_from_rh(21.5, 12.3, 84.0, 63.0), 1.409, atol=5e-4)


def test_vapour_pressures_fao56_examples_5_and_19():
    # Example 5: Tmax 25, Tmin 18, RHmean 68 % -> ea = 1.78 kPa
    assert_allclose(physics.actual_vapour_pressure_from_rhmean(25.0, 18.0, 68.0), 1.78, atol=5e-3)
    # Example 19: T 38 degC, RH 52 % -> e° = 6.625, ea = 3.445, deficit 3.180 kPa
    assert_allclose(physics.vapour_pressure_deficit(38.0, 52.0), 6.625 - 3.445, atol=1e-3)


def test_latent_heat_and_air_density():
    assert_allclose(physics.latent_heat_vaporisation(20.0), 2.45, atol=5e-3)
    assert_allclose(physics.latent_heat_vaporisation(np.array([0.0, 100.0])), [2.501, 2.2649])
    # Dry air at 20 degC, 101.3 kPa: P / (R T) = 101.3 / (0.287 * 293.16)
    assert_allclose(physics.air_density(20.0, 101.3), 101.3 / (0.287 * 293.16), rtol=1e-12)
    # Moist air is lighter than dry air at the same temperature and pressure
    assert physics.air_density(20.0, 101.3, ea=2.0) < physics.air_density(20.0, 101.3)


def test_dataarray_in_kelvin_gives_the_numpy_result_in_celsius():
    t_c = np.array([-5.0, 12.3, 21.5, 38.0])
    t_k = xr.DataArray(t_c + 273.15, dims="time", attrs={"units": "K"})
    out = physics.saturation_vapour_pressure(t_k)
    assert isinstance(out, xr.DataArray)
    assert out.name == "es"
    assert out.attrs == {"units": "kPa", "long_name": "saturation vapour pressure"}
    assert_allclose(out.values, physics.saturation_vapour_pressure(t_c), rtol=1e-12)


def test_relative_humidity_as_fraction_dataarray_is_converted():
    rh = xr.DataArray([0.84], dims="time", attrs={"units": "1"})
    out = physics.actual_vapour_pressure_from_rhmean(21.5, 12.3, rh)
    assert_allclose(out.values, [0.84 * 1.997], atol=5e-4)


def test_missing_units_attribute_names_the_argument():
    t = xr.DataArray([20.0], dims="time")
    with pytest.raises(UnitError, match="'t'"):
        physics.saturation_vapour_pressure(t)


def test_wrong_units_names_the_argument_expected_and_found():
    pressure = xr.DataArray([101.3], dims="time", attrs={"units": "m"})
    with pytest.raises(UnitError, match=r"'pressure'.*'m'.*'kPa'"):
        physics.psychrometric_constant(pressure)


def test_plain_arrays_that_look_like_fractions_or_kelvin_are_refused():
    with pytest.raises(ValueError, match=r"'rhmax'.*fraction.*multiply by 100"):
        physics.actual_vapour_pressure_from_rh(21.5, 12.3, np.array([0.84]), np.array([0.63]))
    with pytest.raises(ValueError, match=r"'t'.*kelvin"):
        physics.saturation_vapour_pressure(np.array([293.15]))


def test_dask_input_stays_lazy_and_computes_the_same():
    t = np.linspace(-10.0, 40.0, 100)
    lazy = xr.DataArray(da.from_array(t, chunks=25), dims="x", attrs={"units": "degC"})
    out = physics.slope_saturation_vapour_pressure(lazy)
    assert isinstance(out.data, da.Array)
    assert_allclose(out.compute().values, physics.slope_saturation_vapour_pressure(t), rtol=1e-12)


def test_misaligned_coordinates_raise_instead_of_dropping_data():
    t = xr.DataArray([20.0, 21.0], dims="time", coords={"time": [0, 1]}, attrs={"units": "degC"})
    p = xr.DataArray([101.0, 100.0], dims="time", coords={"time": [1, 2]}, attrs={"units": "kPa"})
    with pytest.raises(ValueError, match="exact"):
        physics.air_density(t, p)


def test_unlabelled_array_next_to_a_dataarray_is_refused():
    t = xr.DataArray([20.0, 21.0], dims="time", attrs={"units": "degC"})
    with pytest.raises(TypeError, match="'pressure'"):
        physics.air_density(t, np.array([101.0, 100.0]))
