"""Plots and the training widget of the surrogates study, against the plain functions they wrap."""

import holoviews as hv
import numpy as np
import pandas as pd
import pytest

import workbench.surrogates as S
from workbench.viz import surrogates as sv
from workbench.widgets.surrogates import TrainingExplorer


@pytest.fixture(scope="module")
def small():
    X = S.sobol_samples(256, seed=0)
    y = S.simulate_process(X)[["tleaf", "le", "h"]]
    return X, y


def test_learning_curve_plots_the_history():
    history = [{"epoch": i + 1, "train": 1.0 / (i + 1), "val": 2.0 / (i + 1), "physics": 0.0} for i in range(5)]
    plot = sv.plot_learning_curve(history)
    assert isinstance(plot, hv.Overlay)
    curves = list(plot)
    np.testing.assert_allclose(curves[1].dimension_values("loss"), [2.0 / (i + 1) for i in range(5)])
    dmap, callback = sv.learning_curve_stream()
    for record in history:
        callback(record)
    assert len(dmap.streams[0].data) == 5


def test_parity_and_error_map_carry_units(small):
    X, y = small
    plot = sv.plot_parity(y["le"], y["le"] + 1.0)
    scatter = list(plot)[0]
    assert "W m-2" in scatter.kdims[0].label
    np.testing.assert_allclose(scatter.dimension_values(1) - scatter.dimension_values(0), 1.0)
    err = (y["le"] * 0 + 3.0).assign_attrs(units="W m-2")
    img = sv.plot_error_map(X, err, bins=4)
    values = img.dimension_values(2, flat=False)
    assert np.nanmax(np.abs(values - 3.0)) < 1e-9  # the mean of a constant error
    assert "W m-2" in img.vdims[0].label


def test_speed_and_ood_plots_show_the_tables():
    table = pd.DataFrame({"batch": [10, 100], "physics_s": [1.0, 2.0], "surrogate_s": [0.5, 0.6]})
    plot = sv.plot_speed(table)
    np.testing.assert_allclose(list(plot)[0].dimension_values("physics_s"), [1.0, 2.0])
    ood = pd.DataFrame({"variable": ["a", "a"], "factor": [0.0, 0.5], "rmse": [1.0, 4.0]})
    np.testing.assert_allclose(list(sv.plot_ood(ood))[0].dimension_values("rmse"), [1.0, 4.0])


def test_training_explorer_trains_what_it_shows(small):
    X, y = small
    explorer = TrainingExplorer(X, y, X, y, epochs=2, ranges=S.PROCESS_RANGES)
    explorer.width.value, explorer.depth.value, explorer.n_samples.value = 16, 3, 128
    explorer.use_constraint.value, explorer.weight.value = True, 0.1
    assert explorer.settings() == {"width": 16, "depth": 3, "activation": "silu", "n_samples": 128,
                                   "constraint_weight": 0.1}
    model = explorer.run(live=False)
    assert model.hidden == (16, 16, 16) and model.physics == {"energy": 0.1}
    assert len(model.history_) == 2 and all(r["physics"] > 0 for r in model.history_)
    assert list(explorer.evaluation.metrics.index) == ["tleaf", "le", "h"]


def test_learning_curve_stream_takes_a_whole_history():
    history = [{"epoch": i + 1, "train": 1.0 / (i + 1), "val": 2.0 / (i + 1), "physics": 0.0} for i in range(7)]
    dmap, callback = sv.learning_curve_stream()
    callback(history)
    np.testing.assert_allclose(dmap.streams[0].data["val"].to_numpy(), [r["val"] for r in history])


def test_monthly_et_plot_labels_monthly_totals_in_mm_per_month():
    from workbench.data import virtual_land

    land = virtual_land(lat=(44, 45), lon=(4, 5))
    monthly = S.simulate_year(land)["et_monthly"].isel(lat=0, lon=0)
    plot = sv.plot_monthly_et({"default": monthly})
    curve = list(plot)[0]
    assert curve.vdims[0].label == "monthly evapotranspiration [mm month-1]"
    np.testing.assert_allclose(curve.dimension_values(1), monthly.values)


def test_profile_plot_shows_the_misfit_and_the_compensating_parameter():
    import xarray as xr

    g1 = np.array([1.5, 3.0, 4.5])
    profile = xr.DataArray([2.0, 3.0, 5.0], dims="g1", name="rmse_monthly",
                           coords={"g1": ("g1", g1, {"units": "kPa0.5", "long_name": "Medlyn stomatal slope"}),
                                   "vcmax25": ("g1", [90.0, 40.0, 20.0], {"units": "umol m-2 s-1"})},
                           attrs={"units": "mm month-1", "long_name": "misfit"})
    left, right = sv.plot_profile(profile)
    np.testing.assert_allclose(list(left)[0].dimension_values(1), [2.0, 3.0, 5.0])
    np.testing.assert_allclose(list(right)[0].dimension_values(1), [90.0, 40.0, 20.0])
    assert list(left)[0].kdims[0].label == "Medlyn stomatal slope [kPa0.5]"
