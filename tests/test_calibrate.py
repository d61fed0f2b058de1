"""Tests of workbench.calibrate: the torch model against NumPy, gradients, recovery, budgets, Pareto fronts, bad input."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import xarray as xr

torch = pytest.importorskip("torch")

from workbench import calibrate as cal  # noqa: E402
from workbench.data import virtual_land  # noqa: E402
from workbench.surrogates import simulate_year  # noqa: E402


@pytest.fixture(scope="module")
def land():
    return virtual_land(lat=(35, 55), lon=(-5, 25), resolution=2.5, start="2020-06-01", end="2020-06-20")


@pytest.fixture(scope="module")
def twin(land):
    return cal.twin_sites(land, n_sites=3, seed=0)


def _truth(site):
    return {k: float(site[f"true_{k}"]) for k in cal.PARAMETERS}


def test_twin_observations_are_the_model_at_the_true_parameters(twin):
    site = twin.isel(site=1)
    ref = simulate_year(site, **_truth(site))
    np.testing.assert_allclose(site["obs_et"].values, ref["et"].values, rtol=1e-12)
    assert cal.TWIN_PARAMETERS.loc[str(site["igbp"].values), "whc"] == float(site["true_whc"])


def test_torch_year_matches_numpy_year(twin):
    problem = cal.CalibrationProblem(twin, names=["g1"])
    f, _ = problem.tensors()
    params = {"vcmax25": torch.tensor([40.0, 60.0, 90.0], dtype=torch.float64),
              "g1": torch.tensor([2.0, 4.0, 6.0], dtype=torch.float64),
              "whc": torch.tensor([60.0, 150.0, 300.0], dtype=torch.float64)}
    sim = cal.simulate_torch(f, params["vcmax25"], params["g1"], params["whc"], outputs=("et", "soil_water"))
    ref = simulate_year(twin, **{k: xr.DataArray(v.numpy(), dims="site") for k, v in params.items()})
    np.testing.assert_allclose(sim["et"].numpy(), ref["et"].transpose("time", "site").values, atol=2e-5)
    np.testing.assert_allclose(sim["soil_water"].numpy(), ref["soil_water"].transpose("time", "site").values,
                               atol=1e-3)


def test_simulate_year_bucket_refactor_keeps_the_water_budget(twin):
    site = twin.isel(site=0)
    out = simulate_year(site, whc=80.0)
    # store(t+1) = store(t) + P - ET - runoff, every day
    store = out["soil_water"].values
    balance = store[:-1] + site["precip"].values[:-1] - out["et"].values[:-1] - out["runoff"].values[:-1]
    np.testing.assert_allclose(balance, store[1:], atol=1e-9)


def test_gradient_matches_finite_differences(twin):
    site = twin.isel(site=0)
    problem = cal.CalibrationProblem(site)
    theta = np.array([70.0, 3.0, 120.0])
    t = torch.tensor(theta, dtype=torch.float64, requires_grad=True)
    value = problem.torch_loss(dict(zip(problem.names, t)), n_newton=6)
    value.backward()
    grad = t.grad.numpy()
    h = np.array([0.5, 0.02, 1.0])
    fd = []
    for i in range(3):
        e = np.zeros(3)
        e[i] = h[i]
        fd.append((problem.losses((theta + e)[None])[0, 0] - problem.losses((theta - e)[None])[0, 0]) / (2 * h[i]))
    np.testing.assert_allclose(grad, fd, rtol=0.03, atol=1e-6)
    assert np.isclose(float(value.detach()), problem.losses(theta[None])[0, 0], rtol=1e-4)


def test_torch_loss_matches_intercompare_metrics():
    rng = np.random.default_rng(0)
    obs = rng.gamma(2.0, 1.0, (40, 3))
    obs[[3, 17], 1] = np.nan
    sim = obs * 0.8 + rng.normal(0, 0.3, (40, 3))
    t = pd.date_range("2020-01-01", periods=40)
    o = xr.DataArray(obs, dims=("time", "site"), coords={"time": t}, attrs={"units": "mm d-1"})
    s = xr.DataArray(sim, dims=("time", "site"), coords={"time": t}, attrs={"units": "mm d-1"})
    for objective in ("rmse", "kge"):
        ref = cal.loss(o, s, objective).values
        got = cal.torch_loss(torch.tensor(obs), torch.tensor(sim), objective).numpy()
        np.testing.assert_allclose(got, ref, rtol=1e-10)


def test_de_recovers_an_identifiable_parameter(twin):
    site = twin.isel(site=2)
    truth = _truth(site)
    problem = cal.CalibrationProblem(site, names=["g1"], fixed={"vcmax25": truth["vcmax25"], "whc": truth["whc"]})
    res = cal.differential_evolution(problem, budget=80, popsize=8, seed=1)
    assert abs(res.params["g1"] / truth["g1"] - 1) < 0.01
    assert res.loss < 0.1 * problem.losses([[4.0]])[0, 0]  # far below the default g1 = 4
    assert res.at_bound == []


def test_lbfgs_recovers_g1_with_few_evaluations(twin):
    site = twin.isel(site=2, time=slice(0, 10))
    truth = _truth(site)
    problem = cal.CalibrationProblem(site, names=["g1"], fixed={"vcmax25": truth["vcmax25"], "whc": truth["whc"]})
    res = cal.gradient_descent(problem, method="lbfgs", steps=6)
    assert abs(res.params["g1"] / truth["g1"] - 1) < 0.01
    assert res.n_evaluations <= 6


def test_evaluations_are_counted_per_parameter_set_and_site(twin):
    problem = cal.CalibrationProblem(twin, names=["g1", "whc"])
    problem(np.array([[2.0, 100.0], [3.0, 150.0], [4.0, 200.0]]))
    assert problem.n_evaluations == 3 * 3
    one = cal.CalibrationProblem(twin.isel(site=0), names=["g1"])
    res = cal.optuna_search(one, sampler="tpe", budget=14, batch=5)
    assert res.n_evaluations == 14 and len(res.history) == 3  # 5 + 5 + 4; the final check run is not counted
    assert res.history["n_evaluations"].tolist() == [5, 10, 14]
    res = cal.differential_evolution(one, budget=40, popsize=5)
    assert res.n_evaluations <= 40 and res.n_evaluations % 5 == 0
    assert (np.diff(res.history["best_loss"]) <= 0).all()
    res = cal.gradient_descent(one, method="adam", steps=3)
    assert res.n_evaluations == 3


def test_best_parameters_are_kept_on_disk(twin, tmp_path):
    problem = cal.CalibrationProblem(twin.isel(site=0), names=["g1"], name="unit", run_dir=tmp_path)
    values = problem(np.array([[6.0], [2.5], [9.0]]))
    saved = json.loads((tmp_path / "unit.json").read_text())
    assert saved["params"]["g1"] == 2.5 and saved["loss"] == pytest.approx(values.min())
    assert saved["n_evaluations"] == 3


def test_pareto_front_is_non_dominated():
    rng = np.random.default_rng(3)
    y = rng.random((200, 2))
    mask = cal.pareto_front(y)
    front, rest = y[mask], y[~mask]
    for p in front:  # nobody dominates a front point
        assert not (((y <= p).all(1)) & ((y < p).any(1))).any()
    for p in rest:  # every other point is dominated by some front point
        assert (((front <= p).all(1)) & ((front < p).any(1))).any()
    assert cal.pareto_front([[1, 1], [1, 1], [2, 0]]).tolist() == [True, True, True]


def test_pareto_search_on_et_and_soil_water(twin):
    problem = cal.CalibrationProblem(twin.isel(site=0), variables=("et", "soil_water"), names=["g1", "whc"])
    table = cal.pareto_search(problem, budget=20, batch=10)
    assert len(table) == 20 and table["pareto"].any()
    assert table.attrs["n_evaluations"] == 20
    i = cal.choose_on_front(table[table["pareto"]], 1.0)
    assert table.loc[i, "loss_et"] == table.loc[table["pareto"], "loss_et"].min()


def test_posterior_covers_the_truth(land):
    noisy = cal.twin_sites(land, n_sites=1, seed=4, noise=0.1).isel(site=0, time=slice(0, 12))
    truth = _truth(noisy)
    problem = cal.CalibrationProblem(noisy, names=["g1"], fixed={"vcmax25": truth["vcmax25"], "whc": truth["whc"]})
    post = cal.sample_posterior(problem, noisy["sigma_et"], nwalkers=6, nsteps=30, start={"g1": 4.0})
    summary = cal.posterior_summary(post, truth={"g1": truth["g1"]}, bounds=problem.bounds)
    assert summary.loc["g1", "truth_in_95"]
    assert summary.loc["g1", "width_of_prior"] < 0.2
    assert post.attrs["n_evaluations"] > 0


def test_dpl_trains_through_the_model_and_predicts_inside_bounds(twin):
    model = cal.DPLModel(epochs=3, names=["g1"], seed=0).fit(twin)
    assert model.n_evaluations_ == 3 * 3
    assert model.history_["loss"].iloc[-1] < model.history_["loss"].iloc[0]
    pred = model.predict(twin)
    assert ((pred["g1"] > 0.5) & (pred["g1"] < 10.0)).all()
    out = cal.leave_site_out(twin, epochs=2, names=["g1"])
    assert out.attrs["n_evaluations"] == 2 * 3 * 2 and out.sizes["site"] == 3


def test_calibrate_sites_maps_over_sites_with_dask(twin):
    out = cal.calibrate_sites(twin, "de", problem_kw={"names": ["g1"]}, budget=20, popsize=5, scheduler="sync")
    assert list(out["site"].values) == list(twin["site"].values)
    assert (out["n_evaluations"] <= 20).all()


@pytest.mark.parametrize("kwargs, match", [
    ({"bounds": {"g1": (5.0, 2.0)}}, "reversed"),
    ({"bounds": {"g1": (-1.0, 2.0)}}, "physical limits"),
    ({"bounds": {"vcmax25": (10.0, 900.0)}}, "physical limits"),
    ({"bounds": {"albedo": (0.1, 0.2)}}, "unknown parameter"),
    ({"variables": ("h",)}, "does not output"),
    ({"variables": ("et", "le")}, "lack"),
    ({"objective": "nse"}, "unknown objective"),
])
def test_bad_input_is_refused_with_a_clear_error(twin, kwargs, match):
    with pytest.raises(ValueError, match=match):
        cal.CalibrationProblem(twin, **kwargs)


def test_site_attributes_and_missing_variables(twin):
    attrs = cal.site_attributes(twin)
    assert attrs.sizes["site"] == 3 and attrs.sel(attribute=f"is_{twin['igbp'].values[0]}").values[0] == 1.0
    with pytest.raises(ValueError, match="needs forcing"):
        cal.site_attributes(twin.drop_vars("lai"))


def test_batched_adam_is_one_independent_run_per_site(twin):
    pair = twin.isel(site=[0, 2], time=slice(0, 8))
    batched = cal.gradient_sites(pair, steps=2, lr=0.2, names=["g1"])
    for i in range(2):
        alone = cal.gradient_descent(cal.CalibrationProblem(pair.isel(site=i), names=["g1"]), method="adam", steps=2,
                                     lr=0.2)
        assert float(batched["g1"].isel(site=i)) == pytest.approx(alone.params["g1"], rel=1e-9)
    assert (batched["n_evaluations"] == 2).all() and batched.sizes["step"] == 2


def test_pareto_plot_draws_the_weighted_objective_through_the_chosen_member():
    import pandas as pd

    from workbench.calibrate import choose_on_front
    from workbench.viz.calibrate import plot_pareto

    table = pd.DataFrame({"loss_et": [0.1, 0.2, 0.4], "loss_soil_water": [9.0, 4.0, 1.0], "pareto": True})
    for weight in (0.3, 0.5, 0.85):
        pick = choose_on_front(table, weight)
        line = next(e for e in plot_pareto(table, pick=pick, weight_et=weight) if e.label == "equal weighted objective")
        xs, ys = line.dimension_values(0), line.dimension_values(1)
        # scaled slope -w / (1 - w), and the line passes through the chosen member
        slope = (ys[-1] - ys[0]) / (xs[-1] - xs[0]) * (0.3 / 8.0)
        assert slope == pytest.approx(-weight / (1 - weight))
        row = table.loc[pick]
        assert np.interp(row.loss_et, xs, ys) == pytest.approx(row.loss_soil_water)


def test_lbfgs_stays_within_its_budget_and_beats_de_on_three_parameters(twin):
    site = twin.isel(site=1, time=slice(0, 10))
    problem = cal.CalibrationProblem(site)
    de = cal.differential_evolution(problem, budget=60, popsize=5, seed=0)
    res = cal.gradient_descent(problem, method="lbfgs", steps=12)
    assert res.n_evaluations <= 12 and len(problem._trials) == res.n_evaluations
    assert res.loss < de.loss  # 12 gradient evaluations from the defaults beat 60 DE runs on a noise-free twin
    assert 0 < de.evaluations_to_reach(de.loss * 1.02) <= de.n_evaluations


def test_lbfgs_sites_keeps_one_history_column_per_site(twin):
    pair = twin.isel(site=[0, 2], time=slice(0, 8))
    out = cal.gradient_sites(pair, steps=4, method="lbfgs", names=["g1"])
    assert out["history"].shape == (4, 2) and (out["n_evaluations"] <= 4).all()
    first = out["history"].isel(step=0).values  # both start at the default g1
    alone = cal.CalibrationProblem(pair.isel(site=0), names=["g1"]).torch_loss({"g1": torch.tensor(cal.DEFAULTS["g1"])},
                                                                                n_newton=3)
    assert first[0] == pytest.approx(float(alone), rel=1e-9)


def test_dpl_on_land_cover_alone_gives_one_parameter_set_per_class(land):
    sites = cal.twin_sites(land, n_sites=8, seed=3)
    cover = [a for a in cal.site_attributes(sites)["attribute"].values if a.startswith("is_")]
    model = cal.DPLModel(epochs=2, names=["g1"], attributes=cover, seed=0).fit(sites)
    assert model.attribute_names_ == cover
    pred = model.predict(sites).assign_coords(igbp=sites["igbp"])
    for _, group in pred["g1"].groupby("igbp"):
        assert np.ptp(group.values) < 1e-12
    with pytest.raises(ValueError, match="unknown site attribute"):
        cal.DPLModel(attributes=["soil_depth"]).fit(sites)
