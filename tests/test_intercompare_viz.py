"""Plot wrappers return labelled HoloViews objects; the explorer widget matches the plain functions."""

import holoviews as hv
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench.data.products import idealised_truth, synthetic_products
from workbench.intercompare import aggregate as A
from workbench.intercompare import metrics as M
from workbench.intercompare import scores as S
from workbench.viz import intercompare as V
from workbench.widgets.intercompare import IntercomparisonExplorer


@pytest.fixture(scope="module")
def data():
    hv.extension("bokeh", logo=False)
    truth = idealised_truth(lat=(40, 44), lon=(0, 4), start="2020-01-01", end="2020-12-31")
    return truth, synthetic_products(truth)


def test_taylor_points_sit_at_sigma_r(data):
    truth, prods = data
    stats = xr.concat([M.taylor_statistics(truth, prods[p]) for p in prods], dim="product").assign_coords(product=list(prods))
    plot = V.plot_taylor(stats)
    points = [el for el in plot if isinstance(el, hv.Points) and "std_ratio" in [d.name for d in el.vdims]][0]
    frame = points.dframe().set_index("product")
    s, r = float(stats.std_ratio.sel(product="noisy")), float(stats.pearson_r.sel(product="noisy"))
    np.testing.assert_allclose(frame.loc["noisy", ["x", "y"]].values.astype(float), [s * r, s * np.sqrt(1 - r**2)])


def test_maps_zonal_portrait_and_tc(data):
    truth, prods = data
    layout = V.plot_product_maps(prods)
    assert isinstance(layout, hv.Layout) and len(layout) == 5
    zm = A.zonal_mean(prods.mean("time"))
    zonal = V.plot_zonal_means(zm)
    curve = zonal["offset"].dframe()
    np.testing.assert_allclose(curve.offset.values, zm.offset.values, rtol=1e-6)
    np.testing.assert_allclose(curve.lat.values, zm.lat.values)
    table = S.score_table(prods[["offset", "noisy"]], truth)
    portrait = V.plot_portrait(table)
    heat = portrait.get(0)
    assert isinstance(heat, hv.HeatMap)
    values = heat.dframe().set_index(["column", "product"]).value
    np.testing.assert_allclose(values.loc[("overall", "noisy")], float(table.overall.sel(product="noisy", region="all")))
    err = prods[["offset", "noisy"]].to_array("product").var("time").assign_attrs(units="(mm d-1)2")
    tc_layout = V.plot_tc_errors(err, err)
    assert len(tc_layout) == 4


def test_explorer_matches_plain_functions(data):
    truth, prods = data
    ex = IntercomparisonExplorer(prods, truth, regions=A.latitude_band_regions(truth, edges=(40, 42, 44)))
    ex.region.value = "40..42N"
    ex.season.value = "JJA"
    ex.metric.value = "kge"
    assert ex.settings() == {"products": list(prods), "region": "40..42N", "season": "JJA", "metric": "kge"}
    summer = lambda x: x.sel(time=x["time.season"] == "JJA")  # noqa: E731
    expected = A.area_mean(M.kge(summer(truth), summer(prods.lagged), dim="time", skipna=True), mask=truth.lat < 42)
    np.testing.assert_allclose(ex.table().loc["lagged", "kge"], float(expected))
    assert ex.plot() is not None


def test_taylor_labels_of_close_products_do_not_overlap():
    import holoviews as hv

    # PT-JPL-SM and JET in the ECOSTRESS diagram sit this close together
    stats = pd.DataFrame({"std_ratio": [0.92, 0.94, 0.6], "pearson_r": [0.83, 0.84, 0.3]}, index=pd.Index(["PTJPLSM", "JET", "BESS"], name="product"))
    plot = V.plot_taylor(stats)
    labels = [el for el in plot if isinstance(el, hv.Labels)][0].dframe().set_index("product")
    points = [el for el in plot if isinstance(el, hv.Points) and "pearson_r" in el.dframe()][0].dframe().set_index("product")
    gap = np.hypot(*(labels.loc["PTJPLSM", ["x", "y"]] - labels.loc["JET", ["x", "y"]]))
    assert gap >= 0.06 * 1.5 - 1e-12
    # each label stays next to its own point
    near = np.hypot(labels.x - points.x, labels.y - points.y)
    assert (near < 0.3).all()


def test_plot_series_title_is_short_and_complete():
    from workbench.viz import plot_series

    da = xr.DataArray(np.arange(3.0), dims="time", coords={"time": pd.date_range("2012-01-01", periods=3)}, name="et", attrs={"units": "mm d-1", "long_name": "ET"})
    da = da.assign_coords(site="IT-CA1", lat=42.3804, lon=12.0266)
    plot = plot_series(da)
    assert plot.opts.get().kwargs["title"] == "site IT-CA1 (42.38 N, 12.03 E)"
