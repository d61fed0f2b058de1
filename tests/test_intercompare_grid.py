"""Regridding, time alignment, product stacking, aggregation and scores."""

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.data.products import idealised_truth, synthetic_products
from workbench.intercompare import aggregate as A
from workbench.intercompare import regrid as R
from workbench.intercompare import scores as S
from workbench.units import UnitError


@pytest.fixture(scope="module")
def field():
    return idealised_truth(lat=(40, 48), lon=(0, 8), resolution=1.0, start="2020-01-01", end="2020-12-31")


def test_conservative_coarsen_preserves_area_weighted_mean(field):
    coarse = R.regrid_to(field, field.coarsen(lat=4, lon=4).mean())
    assert coarse.sizes == {"time": 366, "lat": 2, "lon": 2}
    assert "conservative" in coarse.attrs["regrid_method"]
    np.testing.assert_allclose(A.area_mean(coarse).values, A.area_mean(field).values, rtol=1e-4)
    # hand check of one coarse cell: cos(lat)-weighted mean of its 16 fine cells
    block = field.isel(time=10, lat=slice(0, 4), lon=slice(0, 4))
    w = np.cos(np.deg2rad(block.lat))
    np.testing.assert_allclose(float(coarse.isel(time=10, lat=0, lon=0)), float((block * w).sum() / (w.sum() * 4)), rtol=1e-6)
    # lazy on dask input
    lazy = R.conservative_coarsen(field.chunk({"lat": 4, "lon": 4}), 4)
    assert lazy.chunks is not None
    xr.testing.assert_allclose(lazy.compute(), R.conservative_coarsen(field, 4))


def test_interp_fallback_and_conservative_refusal(field):
    target = xr.Dataset(coords={"lat": np.arange(40.75, 47.5, 1.5), "lon": np.arange(0.75, 7.5, 1.5)})
    out = R.regrid_to(field, target)
    assert out.attrs["regrid_method"] == "linear" and out.sizes["lat"] == target.sizes["lat"]
    np.testing.assert_allclose(float(out.isel(time=0, lat=0, lon=0)), float(field.isel(time=0).interp(lat=40.75, lon=0.75)))
    with pytest.raises(ValueError, match="integer coarsening"):
        R.regrid_to(field, target, method="conservative")
    with pytest.raises(ValueError, match="not a multiple"):
        R.conservative_coarsen(field, 3)


def test_align_time_steps(field):
    cell = field.isel(lat=0, lon=0)
    monthly = R.align_time(cell, "monthly")
    assert monthly.sizes["time"] == 12
    np.testing.assert_allclose(float(monthly[0]), float(cell.sel(time="2020-01").mean()), rtol=1e-6)  # float32 sums
    eight = R.align_time(cell, "8-day")
    assert eight.sizes["time"] == 46  # 45 full periods + a 6-day one (leap year)
    np.testing.assert_allclose(float(eight[-1]), float(cell.sel(time=slice("2020-12-26", None)).mean()), rtol=1e-6)
    with pytest.raises(ValueError, match="coarser than"):
        R.align_time(monthly, "daily")
    with pytest.raises(ValueError, match="unknown time step"):
        R.align_time(cell, "weekly")


def test_stack_products_errors_name_product_and_mismatch(field):
    p = synthetic_products(field)
    stacked = R.stack_products(p)
    assert list(stacked["product"].values) == list(p.data_vars) and stacked.attrs["units"] == "mm d-1"
    with pytest.raises(UnitError, match="scaled"):
        R.stack_products({"offset": p.offset, "scaled": p.scaled.assign_attrs(units="W m-2")})
    converted = R.stack_products({"offset": p.offset, "scaled": (p.scaled / 24).assign_attrs(units="mm h-1")})
    np.testing.assert_allclose(converted.sel(product="scaled"), p.scaled, rtol=1e-6)
    later = p.noisy.assign_coords(time=p.time + np.timedelta64(800, "D"))
    with pytest.raises(ValueError, match="'noisy' covers .* does not overlap"):
        R.stack_products({"offset": p.offset, "noisy": later})
    with pytest.raises(ValueError, match="'noisy' has different time stamps"):
        R.stack_products({"offset": p.offset, "noisy": p.noisy.assign_coords(time=p.time + np.timedelta64(12, "h"))})
    noleap = p.noisy.convert_calendar("noleap", align_on="date")
    with pytest.raises(ValueError, match="'noisy' uses the calendar 'noleap'"):
        R.stack_products({"offset": p.offset.convert_calendar("noleap", align_on="date").convert_calendar("standard", use_cftime=False), "noisy": noleap})
    mask = R.common_mask(p)
    assert bool(mask.sum() == (~p.lagged.isnull()).sum())  # only 'lagged' has gaps


def test_aggregations(field):
    w = A.area_weights(field)
    np.testing.assert_allclose(w.values, np.cos(np.deg2rad(field.lat.values)))
    regions = A.latitude_band_regions(field, edges=(40, 44, 48))
    means = A.regional_means(field.mean("time"), regions)
    assert list(means.region.values) == ["40..44N", "44..48N"]
    south = field.mean("time").sel(lat=slice(40, 44))
    np.testing.assert_allclose(float(means[0]), float(south.weighted(np.cos(np.deg2rad(south.lat))).mean()), rtol=1e-6)
    seasons = A.seasonal_means(field.isel(lat=0, lon=0))
    assert list(seasons.season.values) == ["DJF", "MAM", "JJA", "SON"]
    assert float(seasons.sel(season="JJA")) > float(seasons.sel(season="DJF"))
    with pytest.raises(ValueError, match="region 'empty' contains no grid cell"):
        A.area_mean(field, mask=field.lat > 90, region="empty")
    with pytest.raises(ValueError, match="all missing"):
        A.area_mean(field.where(field < -1), region="dry")
    lc = xr.DataArray(np.where(field.lat < 44, 1, 2) * np.ones((8, 8), int), dims=("lat", "lon"), coords={"lat": field.lat, "lon": field.lon},
                      attrs={"flag_values": [1, 2], "flag_meanings": "forest grass"})
    assert list(A.land_cover_regions(lc)) == ["forest", "grass"]
    index = xr.DataArray([[0.1, 0.3], [0.6, 0.9]], dims=("lat", "lon"))
    zones = A.climate_zone_regions(index)
    assert list(zones) == ["arid", "semi-arid", "dry sub-humid", "humid"]
    assert zones["humid"].values.tolist() == [[False, False], [False, True]]


def test_ilamb_scores_order_products(field):
    p = synthetic_products(field)
    perfect = S.ilamb_scores(field, field)
    for k in ("bias", "rmse", "phase", "spatial_distribution", "overall"):
        np.testing.assert_allclose(float(perfect[k]), 1.0, rtol=1e-9)
    assert np.isnan(float(perfect.iav))  # one year: no interannual variability score
    table = S.score_table(p, field)
    assert set(table.dims) == {"product", "region"}
    assert ((table.overall >= 0) & (table.overall <= 1)).all()
    # scores are exp(-relative error): bias score of 'offset' = exp(-0.4 / sigma_o) per cell
    sigma = field.std("time")
    np.testing.assert_allclose(float(table.bias.sel(product="offset", region="all")), float(A.area_mean(np.exp(-0.4 / sigma))), rtol=0.02)
    assert float(table.phase.sel(product="lagged", region="all")) < float(table.phase.sel(product="noisy", region="all"))
    gappy = p.noisy.where(p.lat > 44)  # nothing left in the southern band
    with pytest.raises(ValueError, match="product 'gappy': region 'south' has no valid value"):
        S.score_table({"gappy": gappy}, field, {"south": field.lat < 44})
