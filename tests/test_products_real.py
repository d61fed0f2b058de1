"""Real product readers (ECOSTRESS cal/val, MOD16A2 points) and the gridded product recipes."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.data import products as P
from workbench.intercompare import metrics as M
from workbench.units import UnitError

REAL = Path(__file__).parents[1] / ".." / "shared" / "data" / "real"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"real data folder {REAL} is absent")


@needs_real
def test_ecostress_table_matches_csv_and_scores():
    path = REAL / "ecostress_calval_ameriflux" / "combined_eco_flux_EC_filtered.csv"
    raw = pd.read_csv(path)
    ds = P.read_ecostress_calval(path.parent)
    assert ds.sizes["overpass"] == 1065 and len(np.unique(ds.site)) == raw.ID.nunique()
    np.testing.assert_array_equal(ds.JET.values, raw.JET.values)
    np.testing.assert_array_equal(ds.le.values, raw.LE_filt.values)
    assert ds.le.attrs["units"] == "W m-2" and np.isfinite(ds.lat).all()
    # RMSE of each model against the tower, independently from the raw columns
    for col, name in P.ECOSTRESS_MODELS.items():
        ok = raw[[col, "LE_filt"]].dropna()
        expected = np.sqrt(np.mean((ok[col] - ok.LE_filt) ** 2))
        np.testing.assert_allclose(float(M.rmse(ds.le, ds[name], skipna=True)), expected, rtol=1e-12)
    assert float(M.bias(ds.le, ds.MOD16, skipna=True)) > 100  # MOD16 (PM-JPL) is known to run high at overpass


@needs_real
def test_mod16a2_points_fill_values_and_period_lengths():
    path = REAL / "modis_mod16a2_appeears" / "ET-Periodically-Repeating-Data-MOD16A2-006-results.csv"
    raw = pd.read_csv(path)
    ds = P.read_mod16a2_points(path)
    assert ds.sizes == {"site": 3, "time": 321}
    assert int(ds.fill.sum()) == int((raw.MOD16A2_006_ET_500m > 3270).sum())
    assert int(ds.et.isnull().sum()) == int(ds.fill.sum())
    row = raw[(raw.ID == "IT-CA1") & (raw.Date == "2015-07-04")].MOD16A2_006_ET_500m.item()
    np.testing.assert_allclose(float(ds.et.sel(site="IT-CA1", time="2015-07-04")), row / 8, rtol=1e-6)
    last = raw[(raw.ID == "IT-CA1") & (raw.Date == "2015-12-27")].MOD16A2_006_ET_500m.item()
    np.testing.assert_allclose(float(ds.et.sel(site="IT-CA1", time="2015-12-27")), last / 5, rtol=1e-6)  # 27-31 Dec
    assert ds.et.attrs["units"] == "mm d-1"


def _grid(name, values, units, time, **attrs):
    return xr.Dataset(
        {name: (("time", "lat", "lon"), np.asarray(values, dtype=float), {"units": units, **attrs})},
        coords={"time": time, "lat": [10.0, 11.0], "lon": [20.0, 21.0]},
    )


def test_recipes_convert_to_mm_per_day(tmp_path):
    t = pd.date_range("2020-01-01", periods=3, freq="D")
    ones = np.ones((3, 2, 2))
    np.testing.assert_allclose(P.apply_recipe(_grid("Evap_tavg", ones / 86400, "kg m-2 s-1", t), "GLDAS").values, 1.0)
    np.testing.assert_allclose(P.apply_recipe(_grid("LE", ones * 2.45, "MJ m-2 d-1", t), "FLUXCOM").values, 1.0)
    np.testing.assert_allclose(P.apply_recipe(_grid("E", ones * 2.0, "mm/day", t), "GLEAM").values, 2.0)
    era = P.apply_recipe(_grid("e", -0.002 * ones, "m", t), "ERA5-Land")
    np.testing.assert_allclose(era.values, 2.0)
    assert era.time.values[0] == np.datetime64("2019-12-31")
    pml = xr.merge([_grid(v, ones * k, "mm d-1", t) for v, k in (("Ec", 1.0), ("Es", 0.5), ("Ei", 0.25))])
    np.testing.assert_allclose(P.apply_recipe(pml, "PML-V2").values, 1.75)
    # MOD16A2 on disk: int16 with CF scale_factor and a fill value; 8-day totals, last period of the year 5 days
    t8 = pd.to_datetime(["2021-12-19", "2021-12-27"])
    raw = np.array([[[160, 32767], [80, 0]], [[100, 100], [32761, 50]]], dtype=np.int16)
    attrs = {"units": "kg m-2", "scale_factor": 0.1, "_FillValue": np.int16(32767)}
    ds = xr.Dataset({"ET_500m": (("time", "lat", "lon"), raw, attrs)}, coords={"time": t8, "lat": [10.0, 11.0], "lon": [20.0, 21.0]})
    path = tmp_path / "mod16.nc"
    ds.to_netcdf(path)
    et = P.open_product(path, "MOD16A2", chunks=None)
    np.testing.assert_allclose(et.values[0], [[2.0, np.nan], [1.0, 0.0]])
    np.testing.assert_allclose(et.values[1], [[2.0, 2.0], [np.nan, 1.0]])


def test_recipe_errors():
    t = pd.date_range("2020-01-01", periods=2, freq="D")
    with pytest.raises(ValueError, match="no recipe for product 'GLEEM'"):
        P.apply_recipe(_grid("E", np.ones((2, 2, 2)), "mm d-1", t), "GLEEM")
    with pytest.raises(ValueError, match=r"'GLDAS': variables \['Evap_tavg'\] not in the file"):
        P.apply_recipe(_grid("E", np.ones((2, 2, 2)), "mm d-1", t), "GLDAS")
    with pytest.raises(UnitError, match="neither a water flux"):
        P.apply_recipe(_grid("E", np.ones((2, 2, 2)), "degC", t), "GLEAM")
