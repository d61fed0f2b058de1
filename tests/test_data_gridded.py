"""workbench.data.gridded: netCDF/zarr round trips, CF checks and their error messages."""

from pathlib import Path

import dask.array as dsa
import numpy as np
import pandas as pd
import pytest
import xarray as xr
from numpy.testing import assert_array_equal

from workbench.data._checks import real_data_dir
from workbench.data.gridded import check_cf_grid, open_gridded
from workbench.units import UnitError

REAL = Path(__file__).parents[1] / ".." / "shared" / "data" / "real"


@pytest.fixture
def raw():
    """A product written the 'wrong' way round: (lon, latitude, time), latitude decreasing."""
    rng = np.random.default_rng(42)
    return xr.Dataset(
        {
            "et": (("longitude", "latitude", "time"), rng.random((4, 3, 6)), {"units": "mm d-1", "long_name": "ET"}),
            "le": (("longitude", "latitude", "time"), rng.random((4, 3, 6)) * 100, {"units": "W m-2"}),
        },
        coords={
            "time": pd.date_range("2001-01-01", periods=6),
            "latitude": ("latitude", [30.0, 20.0, 10.0], {"units": "degrees_north"}),
            "longitude": ("longitude", [0.5, 1.5, 2.5, 3.5], {"units": "degrees_east"}),
        },
    )


def _expected(raw, var):
    """The same values brought to (time, lat, lon) with lat ascending, by hand."""
    return raw[var].values.transpose(2, 1, 0)[:, ::-1, :]


def _assert_round_trip(ds, raw):
    for var in ("et", "le"):
        assert ds[var].dims == ("time", "lat", "lon")
        assert isinstance(ds[var].data, dsa.Array), "open_gridded must stay lazy"
        assert_array_equal(ds[var].values, _expected(raw, var))
        assert ds[var].attrs["units"] == raw[var].attrs["units"]
    assert_array_equal(ds["lat"].values, [10.0, 20.0, 30.0])
    assert_array_equal(ds["lon"].values, [0.5, 1.5, 2.5, 3.5])
    assert_array_equal(ds["time"].values, raw["time"].values)
    assert ds["lat"].attrs["units"] == "degrees_north" and ds["lon"].attrs["units"] == "degrees_east"
    history = ds.attrs["history"]
    assert "reversed lat to increasing order" in history and "renamed" in history and "transposed et" in history


def test_netcdf_single_file_round_trip(tmp_path, raw):
    raw.to_netcdf(tmp_path / "et.nc")
    _assert_round_trip(open_gridded(tmp_path / "et.nc"), raw)


def test_netcdf_many_files_round_trip(tmp_path, raw):
    raw.isel(time=slice(0, 4)).to_netcdf(tmp_path / "part1.nc")
    raw.isel(time=slice(4, None)).to_netcdf(tmp_path / "part2.nc")
    ds = open_gridded(str(tmp_path / "part*.nc"))
    _assert_round_trip(ds, raw)
    assert ds.attrs["source_files"].count("part") == 2
    _assert_round_trip(open_gridded([tmp_path / "part2.nc", tmp_path / "part1.nc"]), raw)


@pytest.mark.filterwarnings("ignore:Consolidated metadata:UserWarning")
def test_zarr_round_trip(tmp_path, raw):
    raw.to_zarr(tmp_path / "et.zarr")
    _assert_round_trip(open_gridded(tmp_path / "et.zarr"), raw)


def test_variable_selection_and_close_matches(tmp_path, raw):
    raw.to_netcdf(tmp_path / "et.nc")
    ds = open_gridded(tmp_path / "et.nc", variable="et")
    assert list(ds.data_vars) == ["et"]
    with pytest.raises(ValueError, match=r"'ET_' \(close matches: \['et'\]\).*et\.nc"):
        open_gridded(tmp_path / "et.nc", variable="ET_")


def test_chunks_none_is_eager(tmp_path, raw):
    raw.to_netcdf(tmp_path / "et.nc")
    ds = open_gridded(tmp_path / "et.nc", chunks=None)
    assert isinstance(ds["et"].data, np.ndarray)
    assert_array_equal(ds["et"].values, _expected(raw, "et"))


def test_already_conforming_dataset_is_left_as_it_is(raw):
    good = raw.rename(latitude="lat", longitude="lon").sortby("lat").transpose("time", "lat", "lon")
    out = check_cf_grid(good, name="good")
    xr.testing.assert_identical(out["et"], good["et"].assign_coords(lat=out["lat"], lon=out["lon"]))
    assert "history" not in out.attrs


def test_input_dataset_is_not_modified(raw):
    before = raw.copy(deep=True)
    check_cf_grid(raw, name="p")
    xr.testing.assert_identical(raw, before)


def test_x_y_are_accepted_only_with_degree_units(raw):
    xy = raw.rename(latitude="y", longitude="x")
    out = check_cf_grid(xy, name="xy")
    assert out["et"].dims == ("time", "lat", "lon")
    projected = xy.assign_coords(y=("y", [3e5, 2e5, 1e5], {"units": "m"}), x=("x", [0.0, 1.0, 2.0, 3.0], {"units": "m"}))
    with pytest.raises(ValueError, match=r"'projected'.*cannot find the lat and lon"):
        check_cf_grid(projected, name="projected")


def test_missing_path_names_it(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"nope\.nc"):
        open_gridded(tmp_path / "nope.nc")
    with pytest.raises(FileNotFoundError, match=r"no file matches the pattern .*\*\.nc"):
        open_gridded(str(tmp_path / "*.nc"))


def test_variable_without_units_is_a_unit_error(tmp_path, raw):
    raw["le"].attrs.pop("units")
    raw.to_netcdf(tmp_path / "bad.nc")
    with pytest.raises(UnitError, match=r"bad\.nc.*\['le'\] have no 'units'"):
        open_gridded(tmp_path / "bad.nc")


def test_unreadable_units_name_the_variable(raw):
    raw["le"].attrs["units"] = "watts per blorp"
    with pytest.raises(UnitError, match=r"'p': data variable 'le'"):
        check_cf_grid(raw, name="p")


def test_latitude_in_metres_is_refused(raw):
    raw["latitude"].attrs["units"] = "m"
    with pytest.raises(UnitError, match=r"coordinate 'latitude' has units 'm'; expected 'degree"):
        check_cf_grid(raw, name="p")


def test_duplicated_time_names_file_and_index(tmp_path, raw):
    times = raw["time"].values.copy()
    times[3] = times[2]
    raw.assign_coords(time=times).to_netcdf(tmp_path / "dup.nc")
    with pytest.raises(ValueError, match=r"dup\.nc.*duplicated at index 3"):
        open_gridded(tmp_path / "dup.nc")


def test_decreasing_time_names_index(raw):
    times = raw["time"].values.copy()
    times[[4, 5]] = times[[5, 4]]
    with pytest.raises(ValueError, match=r"'p'.*not increasing at index 5"):
        check_cf_grid(raw.assign_coords(time=times), name="p")


def test_unsorted_latitude_names_index(raw):
    with pytest.raises(ValueError, match=r"'lat' is not monotonic at index 2"):
        check_cf_grid(raw.assign_coords(latitude=[30.0, 10.0, 20.0]), name="p")


def test_missing_time_is_an_error_unless_static(raw):
    static = raw.isel(time=0, drop=True)
    with pytest.raises(ValueError, match=r"cannot find the time coordinate"):
        check_cf_grid(static, name="static")
    out = check_cf_grid(static, name="static", require_time=False)
    assert out["et"].dims == ("lat", "lon")


def test_bounds_and_flags_need_no_units(raw):
    raw["time"].attrs["bounds"] = "time_bnds"
    raw["time_bnds"] = (("time", "nv"), np.zeros((6, 2)))
    raw["qc"] = (("time", "latitude", "longitude"), np.zeros((6, 3, 4), "i1"), {"flag_values": [0, 1]})
    out = check_cf_grid(raw, name="p")
    assert out["qc"].dims == ("time", "lat", "lon")


@pytest.mark.skipif(not REAL.is_dir(), reason=f"real data folder {REAL} is absent")
def test_real_plumber2_point_file_is_sent_to_open_plumber2():
    assert real_data_dir() is not None
    met = REAL / "plumber2_hh" / "DK-Fou_2005-2005_FLUXNET2015_Met.nc"
    with pytest.raises(ValueError, match=r"DK-Fou_2005-2005_FLUXNET2015_Met\.nc.*open_plumber2"):
        open_gridded(met)
