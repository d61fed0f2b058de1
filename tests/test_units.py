"""workbench.units: conversions against hand-computed factors, and the errors' wording."""

import dask.array as dsa
import numpy as np
import pytest
import xarray as xr
from numpy.testing import assert_allclose

from workbench.units import UnitError, convert, parse_units, require_units, units_of, with_units


def _da(values, units, name="x"):
    return xr.DataArray(np.asarray(values, dtype=float), dims="time", name=name, attrs={"units": units, "long_name": "test"})


@pytest.mark.parametrize(
    ("source", "target", "values", "expected"),
    [
        # 1 W m-2 over a day = 86400 J m-2 = 0.0864 MJ m-2
        ("W m-2", "MJ m-2 d-1", [100.0, 250.0], [8.64, 21.6]),
        ("MJ m-2 d-1", "W m-2", [8.64, 1.0], [100.0, 1e6 / 86400]),
        ("degC", "K", [0.0, 25.0, -40.0], [273.15, 298.15, 233.15]),
        ("K", "degC", [273.15, 300.0], [0.0, 26.85]),
        ("hPa", "kPa", [10.0, 1013.25], [1.0, 101.325]),
        ("Pa", "kPa", [101325.0], [101.325]),
        ("%", "1", [50.0, 100.0], [0.5, 1.0]),
        ("1", "%", [0.25], [25.0]),
        ("m2 m-2", "1", [3.5], [3.5]),
        ("W/m2", "W m-2", [7.0], [7.0]),
        ("kg m-2 s-1", "kg m-2 d-1", [1e-5], [0.864]),
        ("umol m-2 s-1", "mol m-2 d-1", [10.0], [0.864]),
    ],
)
def test_convert_known_factors(source, target, values, expected):
    out = convert(_da(values, source), target)
    assert_allclose(out.values, expected, rtol=1e-12)
    assert out.attrs["units"] == target
    assert out.attrs["long_name"] == "test"  # other attributes travel with the data
    assert out.name == "x"


def test_round_trip_w_m2_mj():
    x = _da([0.0, 12.5, 340.0], "W m-2")
    back = convert(convert(x, "MJ m-2 d-1"), "W m-2")
    assert_allclose(back.values, x.values, rtol=1e-12)


def test_same_unit_spelled_differently_is_a_copy_not_a_view():
    x = _da([1.0], "m/s")
    out = convert(x, "m s-1")
    assert out.attrs["units"] == "m s-1"
    out.attrs["units"] = "changed"
    assert x.attrs["units"] == "m/s"


def test_parse_units_cf_exponents_equal_pint_spelling():
    assert parse_units("MJ m-2 d-1") == parse_units("MJ/m**2/day")
    assert parse_units("%") == parse_units("percent")


def test_parse_units_rejects_nonsense():
    with pytest.raises(UnitError, match="cannot read the unit 'furlongs per blorp'"):
        parse_units("furlongs per blorp")


def test_missing_units_attribute_names_the_variable():
    x = xr.DataArray([1.0], dims="time", name="rn")
    with pytest.raises(UnitError, match=r"variable 'rn' has no 'units' attribute"):
        convert(x, "W m-2")
    with pytest.raises(UnitError, match=r"'tmean' has no 'units'"):
        require_units(x, "degC", name="tmean")
    with pytest.raises(UnitError, match="'rn'"):
        units_of(x)


def test_incompatible_units_name_expected_and_found():
    with pytest.raises(UnitError) as err:
        require_units(_da([1.0], "m s-1"), "kPa", name="vpd")
    message = str(err.value)
    assert "'vpd'" in message and "'m s-1'" in message and "'kPa'" in message


def test_require_units_passes_numbers_and_arrays_through():
    assert require_units(3, "kPa", name="vpd") == 3.0
    arr = require_units([1, 2], "kPa", name="vpd")
    assert isinstance(arr, np.ndarray) and arr.dtype == float
    assert_allclose(require_units(_da([2.0], "hPa"), "kPa", name="vpd").values, [0.2])


def test_require_units_refuses_a_dataset():
    with pytest.raises(TypeError, match="'rn' must be a DataArray"):
        require_units(xr.Dataset({"rn": _da([1.0], "W m-2")}), "W m-2", name="rn")


def test_convert_keeps_dask_lazy():
    lazy = xr.DataArray(dsa.from_array(np.array([0.0, 10.0, 20.0, 30.0]), chunks=2), dims="time", attrs={"units": "degC"})
    out = convert(lazy, "K")
    assert isinstance(out.data, dsa.Array)
    assert_allclose(out.compute().values, [273.15, 283.15, 293.15, 303.15])


def test_with_units_sets_name_and_attrs_only_on_xarray():
    da = with_units(_da([1.0], "whatever"), "mm d-1", name="et", long_name="evapotranspiration")
    assert da.name == "et" and da.attrs == {"units": "mm d-1", "long_name": "evapotranspiration"}
    arr = np.array([1.0])
    assert with_units(arr, "mm d-1", name="et", long_name="x") is arr
