"""Adaptive-modelling plots and widgets against the plain functions."""

from __future__ import annotations

import holoviews as hv
import numpy as np
import pytest

from workbench.adaptive import make_scenarios, score
from workbench.data import virtual_land
from workbench.viz import adaptive as av
from workbench.widgets.adaptive import AdaptiveExplorer, RetrainPanel


@pytest.fixture(scope="module")
def scen_runs():
    land = virtual_land(lat=(44, 48), lon=(0, 4), resolution=2.0, start="2019-01-01", end="2020-12-30")
    scen = make_scenarios(4, seed=5, land=land)
    y2 = scen.isel(time=slice(365, None))
    truth = y2[["et_true", "params_true"]].rename(et_true="et", params_true="params")
    biased = truth.copy()
    biased["et"] = truth["et"] + 0.5
    return scen, {"truth": truth, "biased": biased}


def test_plot_run_panels_follow_the_schemes_and_the_day(scen_runs):
    scen, runs = scen_runs
    layout = av.plot_run(scen, runs, 1)
    assert isinstance(layout, hv.Layout) and len(layout) == 5  # ET, running error, three parameters
    et_panel = layout[0]
    assert {"truth", "biased", "tower"} <= {el.label for el in et_panel}
    short = av.plot_run(scen, runs, 1, upto=30)
    assert len(short[0].get(2).data) == 30  # the curve of the first scheme, 30 days played


def test_plot_scores_and_false_adaptation(scen_runs):
    scen, runs = scen_runs
    sc = score(scen, runs)
    np.testing.assert_allclose(sc["rmse_post"].sel(scheme="biased").values, 0.5, rtol=1e-6)
    bars = av.plot_scores(sc)
    assert isinstance(bars, hv.Bars) and len(bars.data) == 2 * 4
    drift = av.plot_false_adaptation(scen, runs, 3)
    assert len(drift) == 3


def test_explorer_settings_and_redraw(scen_runs):
    scen, runs = scen_runs
    ex = AdaptiveExplorer(scen, runs, scenario=0)
    assert ex.settings() == {"scenario": 0, "schemes": "all", "upto": 365}
    ex.method.value = "biased"
    ex.day.value = 49
    assert ex.settings() == {"scenario": 0, "schemes": "biased", "upto": 49}
    plot = ex.plot()
    assert {el.label for el in plot[0]} == {"tower", "truth", "biased"}
    with pytest.raises(ValueError, match="empty"):
        AdaptiveExplorer(scen, {})


def test_retrain_panel_calls_the_training_function():
    calls = []

    def train(timesteps, on_update):
        calls.append(timesteps)
        on_update(52, -1.0)
        return None, {"history": [(52, -1.0), (104, -0.5)]}

    panel = RetrainPanel(train, timesteps=1040)
    panel._run()
    assert calls == [1040] and panel.settings() == {"total_timesteps": 1040}
