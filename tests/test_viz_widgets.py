"""Plot wrappers label from CF attributes; widgets drive plots and report their settings."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import pandas as pd
import pytest
import xarray as xr

import workbench as wb
from workbench.data import virtual_land, virtual_towers


@pytest.fixture(scope="module")
def towers():
    land = virtual_land(lat=(44, 48), lon=(4, 8), start="2020-01-01", end="2020-03-31", seed=2)
    return virtual_towers(land, n_sites=3, seed=0)


def test_map_is_labelled_from_long_name_and_units():
    land = virtual_land(lat=(40, 42), lon=(0, 3), start="2020-07-01", end="2020-07-03")
    plot = wb.viz.plot_map(land.et)
    assert isinstance(plot, hv.QuadMesh)
    assert plot.vdims[0].name == "et"
    np.testing.assert_allclose(np.sort(plot.dimension_values("et")), np.sort(land.et.mean("time").values.ravel()), rtol=1e-6)
    options = hv.Store.lookup_options("bokeh", plot, "plot").kwargs
    assert options["clabel"] == "evapotranspiration (true) [mm d-1]"


def test_series_plot_holds_the_data(towers):
    plot = wb.viz.plot_series(towers.sel(site="VL-01"), ["le", "le_true"])
    values = {str(k[0]) if isinstance(k, tuple) else str(k): el.dimension_values(1) for k, el in plot.data.items()}
    np.testing.assert_allclose(values["le_true"], towers.le_true.sel(site="VL-01").values)


def test_scatter_has_one_to_one_line(towers):
    overlay = wb.viz.plot_scatter(towers.et_true.isel(site=0), towers.et.isel(site=0))
    curve = overlay.Curve.I
    x, y = curve.dimension_values(0), curve.dimension_values(1)
    np.testing.assert_allclose(x, y)


def test_series_explorer_follows_its_controls(towers):
    explorer = wb.widgets.SeriesExplorer(towers, variables=["le", "rn"])
    assert explorer.settings() == {"site": "VL-01", "variable": "le", "start": "2020-01", "end": "2020-03"}
    explorer.site.value = "VL-02"
    explorer.variable.value = "rn"
    explorer.period.value = ("2020-02", "2020-02")
    plot = explorer.plot()
    expected = towers.rn.sel(site="VL-02", time="2020-02")
    np.testing.assert_allclose(plot.dimension_values(1), expected.values)
    assert explorer.settings() == {"site": "VL-02", "variable": "rn", "start": "2020-02", "end": "2020-02"}


def test_series_explorer_refuses_data_without_sites():
    ds = xr.Dataset({"x": ("time", np.ones(3))}, coords={"time": pd.date_range("2020", periods=3)})
    with pytest.raises(ValueError, match=r"needs dimensions \('site', 'time'\)"):
        wb.widgets.SeriesExplorer(ds)


def test_skill_table_counts_the_pairs_it_used():
    obs = xr.DataArray([1.0, 2.0, np.nan, 4.0, 5.0], dims="time", attrs={"units": "mm d-1"})
    table = wb.intercompare.skill_table(obs, xr.Dataset({"plus_one": obs + 1, "gappy": obs.where(obs != 5) * 2}), ["bias", "rmse"], dim="time")
    assert table.loc["plus_one", "bias"] == 1.0 and table.loc["plus_one", "n"] == 4
    assert table.loc["gappy", "n"] == 3 and table.loc["gappy", "bias"] == pytest.approx(7 / 3, abs=0.01)


def test_example_site_reads_the_real_file_when_present():
    folder = wb.data.real_data_dir("fluxnet2015_subset_dd")
    if folder is None:
        pytest.skip("../shared/data/real is absent: the real-site branch cannot be checked here")
    site = wb.data.example_site("DE-Hai", start="2008-07-01", end="2008-07-31")
    assert "FLX_DE-Hai" in site.attrs["source"]
    raw = pd.read_csv(folder / "FLX_DE-Hai_FLUXNET2015_SUBSET_DD_2000-2012_1-4.csv", usecols=["TIMESTAMP", "LE_F_MDS"])
    july = raw[(raw.TIMESTAMP >= 20080701) & (raw.TIMESTAMP <= 20080731)]
    np.testing.assert_allclose(site.le.values, july.LE_F_MDS.values)
    assert site.lat.item() == pytest.approx(51.0792)


def test_land_cover_map_legend_names_the_classes():
    import holoviews as hv

    land = wb.data.virtual_land(lat=(40, 50), lon=(0, 10), resolution=2.0, start="2020-01-01", end="2020-01-02")
    plot = hv.render(wb.viz.plot_map(land.land_cover, reduce=None))
    colorbar = plot.right[0]
    assert colorbar.ticker.ticks == [1, 2, 3, 4, 5, 6]
    assert colorbar.major_label_overrides == dict(zip(range(1, 7), wb.data.LAND_COVER.index))
