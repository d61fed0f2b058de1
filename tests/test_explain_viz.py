"""Plots and the explorer of the explainable-diagnostics study, against the plain functions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from workbench import explain as ex
from workbench.viz import explain as explot
from workbench.widgets.explain import ExplainExplorer


@pytest.fixture(scope="module")
def tables():
    rng = np.random.default_rng(0)
    n = 1200
    coords = {"sample": np.arange(n), "group": ("sample", np.arange(n) % 40),
              "lat": ("sample", 40.0 + (np.arange(n) % 40) // 8), "lon": ("sample", 0.0 + (np.arange(n) % 8)),
              "time": ("sample", pd.date_range("2020-01-01", periods=n, freq="6h"))}
    base = {k: ("sample", rng.uniform(0, 1, n), {"units": "1", "long_name": k}) for k in ("soil_wetness", "lai", "wind")}
    out = {}
    for name, driver in (("by_lai", "lai"), ("by_wind", "wind")):
        t = xr.Dataset(base, coords=coords)
        t["residual"] = ("sample", 40.0 * t[driver].values + rng.normal(0, 1, n), {"units": "W m-2"})
        out[name] = t
    return out


def test_importance_bars_follow_mean_abs_attribution(tables):
    em = ex.ErrorModel("gbm", max_explain=600).fit(tables["by_lai"])
    sv = ex.shap_values(em)
    bars = explot.plot_importance(sv)
    frame = bars.dframe().set_index("driver")["importance"]
    np.testing.assert_allclose(frame.loc["lai"], float(abs(sv.sel(driver="lai")).mean()))
    assert frame.idxmax() == "lai"
    dep = explot.plot_dependence(sv, tables["by_lai"], "lai")
    np.testing.assert_allclose(dep.dframe()["attribution"], sv.sel(driver="lai").values)


def test_explorer_switches_model_and_explainer(tables):
    w = ExplainExplorer(tables, max_explain=400)
    first = w.plot()
    assert w.settings() == {"model": "by_lai", "regime": "all", "explainer": "tree_shap"}
    top = first.Bars.I.dframe().set_index("driver")["importance"].idxmax()
    w.model.value = "by_wind"
    w.explainer.value = "permutation importance"
    second = w.plot()
    assert w.settings() == {"model": "by_wind", "regime": "all", "explainer": "permutation_importance"}
    assert top == "lai" and second.Bars.I.dframe().set_index("driver")["importance"].idxmax() == "wind"
    w.regime.value = "dry"
    assert "dry" in w.plot().Bars.I.opts.get().kwargs["title"]


def test_hits_heat_map_is_the_share_of_hits():
    df = pd.DataFrame({"mechanism": ["a", "a", "b"], "explainer": ["x", "x", "x"], "hit": [True, False, True]})
    heat = explot.plot_hits(df).dframe().set_index("mechanism")["hit"]
    assert heat.to_dict() == {"a": 0.5, "b": 1.0}
