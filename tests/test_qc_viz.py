"""Plots and the widget of the quality-control study: labels from CF attributes, the widget against the plain functions."""

import holoviews as hv
import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench import qc
from workbench.viz import qc as qcplot
from workbench.widgets.qc import QCExplorer


@pytest.fixture(scope="module")
def planted():
    rng = np.random.default_rng(0)
    t = pd.date_range("2020-01-01", periods=200)
    le = 50 + 30 * np.sin(np.arange(200) / 30.0)[None].repeat(2, 0) + 3 * rng.standard_normal((2, 200))
    ds = xr.Dataset({"le": (("site", "time"), le, {"units": "W m-2", "long_name": "latent heat flux"})}, coords={"site": ["A", "B"], "time": t})
    bad, _ = qc.plant_anomalies(ds, variables=["le"], fraction=0.03, mix="spike", seed=2)
    scores = qc.score_all(bad, ["le"], ["mad_spike", "range"])
    return bad, scores


def test_flagged_series_labels_and_colours(planted):
    bad, _ = planted
    kinds = xr.DataArray(np.where(bad.le_truth.sel(site="A").values > 0, "spike", ""), dims="time", coords={"time": bad.time})
    plot = qcplot.plot_flagged_series(bad.le.sel(site="A"), kinds)
    assert isinstance(plot, hv.Overlay)
    assert hv.render(plot).yaxis[0].axis_label == "latent heat flux [W m-2]"
    spikes = int((bad.le_truth.sel(site="A") > 0).sum())
    assert spikes > 0 and sum(len(el) for el in plot.NdOverlay.I.values()) == spikes


def test_pr_curve_and_tables(planted):
    bad, scores = planted
    curve = qc.precision_recall_curve(scores.le_mad_spike_score, bad.le_truth)
    assert curve["recall"].iloc[0] == 1.0 and curve["recall"].is_monotonic_decreasing
    plot = qcplot.plot_pr_curve(curve, current=(0.5, 0.9))
    assert isinstance(plot, hv.Overlay)
    table = pd.DataFrame({"rules": [0.9, 0.1], "ensemble": [0.95, 0.6]}, index=pd.Index(["spike", "drift"], name="type"))
    heat = qcplot.plot_type_table(table)
    assert len(heat.HeatMap.I) == 4
    gaps = pd.DataFrame({"rmse_mds": [10.0, 12.0], "rmse_learned": [9.0, 10.0], "ratio": [0.9, 0.83]}, index=pd.Index([1, 3], name="gap_days"))
    assert isinstance(qcplot.plot_gapfill_rmse(gaps), hv.Overlay)


def test_widget_reproduces_the_plain_functions(planted):
    bad, scores = planted
    explorer = QCExplorer(bad, scores, ["le"], detector="mad_spike")
    assert explorer.settings()["threshold"] == pytest.approx(qc.DETECTORS["mad_spike"].threshold, rel=1e-6)
    explorer.threshold.value = 2.0
    s = explorer.settings()
    plot = explorer.plot()
    assert isinstance(plot, hv.Layout) and len(plot) == 2
    hit = scores.le_mad_spike_score > s["threshold"]
    pos = bad.le_truth > 0
    expected = qc.prf(int((hit & pos).sum()), int((hit & ~pos).sum()), int((~hit & pos).sum()))
    assert tuple(explorer.summary().values()) == pytest.approx(expected, nan_ok=True)
    explorer.threshold.value = 50.0  # a higher threshold can only lower recall
    assert explorer.summary()["recall"] <= expected[1]
    with pytest.raises(ValueError, match="no detector scores"):
        QCExplorer(bad, xr.Dataset(), ["le"])
