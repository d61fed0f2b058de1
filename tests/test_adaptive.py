"""Adaptive modelling study: the day-by-day model, scenarios, the EnKF, the Gymnasium env, scores."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from workbench.adaptive import (AdaptiveModelEnv, ModelBatch, OnlineBiasCorrector, calibrate_static, clip_parameters,
                                enkf_update, load_policy, make_scenarios, run_enkf, run_online, run_policy,
                                run_static, save_policy, scenario_forcing, step_day)
from workbench.adaptive.evaluate import recovery_days, score
from workbench.data import virtual_land


@pytest.fixture(scope="module")
def land():
    return virtual_land(lat=(44, 48), lon=(0, 4), resolution=2.0, start="2019-01-01", end="2020-12-30")


@pytest.fixture(scope="module")
def scen(land):
    return make_scenarios(4, seed=3, land=land)


@pytest.fixture(scope="module")
def calibration(scen):
    return calibrate_static(scen, n_candidates=16)


def test_step_day_reproduces_simulate_year(land):
    from workbench.surrogates import simulate_year, stack_cells

    cells = stack_cells(land.isel(time=slice(0, 365)))
    sim = simulate_year(cells, vcmax25=70.0, g1=3.5, whc=120.0)
    forcing = {k: cells[k].values.T for k in ("rs", "tmean", "vpd", "wind", "pressure", "lai", "precip")}
    store = np.full(cells.sizes["cell"], 0.7 * 120.0)
    params = np.tile([70.0, 3.5, 120.0], (cells.sizes["cell"], 1))
    et = np.empty((365, cells.sizes["cell"]))
    for t in range(365):
        et[t], _, store = step_day(store, {k: v[:, t] for k, v in forcing.items()}, params)
    np.testing.assert_allclose(et, sim["et"].values, rtol=1e-12, atol=1e-12)


def test_enkf_update_matches_the_kalman_answer_on_a_linear_case():
    # Two-variable Gaussian prior, the first observed: the Kalman posterior is known in closed form.
    rng = np.random.default_rng(0)
    m, p = np.array([1.0, -2.0]), np.array([[1.0, 0.6], [0.6, 2.0]])
    h, r, y = np.array([[1.0, 0.0]]), 0.5, 2.0
    k = p @ h.T / (h @ p @ h.T + r)
    m_post = m + (k * (y - h @ m)).ravel()
    p_post = (np.eye(2) - k @ h) @ p
    x = rng.multivariate_normal(m, p, size=(3, 40_000))
    xa = enkf_update(x, x[..., :1], np.full((3, 1), y), np.full((3, 1), r), rng)
    for b in range(3):
        np.testing.assert_allclose(xa[b].mean(0), m_post, atol=0.03)
        np.testing.assert_allclose(np.cov(xa[b].T), p_post, atol=0.04)
    # A filter with no observation keeps its forecast.
    obs = np.array([[y], [np.nan], [y]])
    xa = enkf_update(x, x[..., :1], obs, np.full((3, 1), r), rng)
    np.testing.assert_array_equal(xa[1], x[1])


def test_sequential_enkf_tracks_the_kalman_filter_of_a_random_walk():
    rng = np.random.default_rng(1)
    q, r, n = 0.1, 0.4, 20_000
    truth = np.cumsum(rng.normal(0, np.sqrt(q), 30))
    ys = truth + rng.normal(0, np.sqrt(r), 30)
    mean, var = 0.0, 1.0
    ens = rng.normal(0.0, 1.0, (1, n, 1))
    for y in ys:
        var += q
        gain = var / (var + r)
        mean, var = mean + gain * (y - mean), (1 - gain) * var
        ens = ens + rng.normal(0, np.sqrt(q), ens.shape)
        ens = enkf_update(ens, ens, np.array([[y]]), np.array([[r]]), rng)
        assert abs(ens.mean() - mean) < 0.03
        assert abs(ens.var() - var) < 0.03


def test_scenarios_are_deterministic_and_shift_when_they_say(land, scen):
    again = make_scenarios(4, seed=3, land=land)
    xr.testing.assert_identical(scen, again)
    other = make_scenarios(4, seed=4, land=land)
    assert not np.allclose(other["et_obs"].fillna(0).values, scen["et_obs"].fillna(0).values)
    assert scen["kind"].values.tolist() == ["drought", "land_cover", "greening", "sensor_drift"]
    lc = scen.sel(scenario=1)
    s = int(lc["shift_day"])
    p = lc["params_true"].values
    np.testing.assert_array_equal(p[:s], np.tile(p[0], (s, 1)))
    ratio = p[s] / p[0]
    assert ratio[0] < 1 and ratio[1] > 1 and ratio[2] < 1  # forest to grass
    drift = scen.sel(scenario=3)
    d = int(drift["shift_day"])
    assert float(abs(drift["sensor_offset"][:d + 1]).max()) == 0.0 and float(drift["sensor_offset"][-1]) > 10.0
    np.testing.assert_array_equal(drift["params_true"].values, np.tile(drift["params_true"].values[0], (730, 1)))
    frac = float(scen["et_obs"].isnull().mean())
    assert 0.07 < frac < 0.13


def test_gymnasium_env_checker_accepts_the_environment(scen, calibration):
    from gymnasium.utils.env_checker import check_env

    env = AdaptiveModelEnv(scen, calibration)
    check_env(env, skip_render_check=True)
    obs, info = env.reset(seed=0, options={"scenario": 1})
    total, done, steps = 0.0, False, 0
    while not done:
        obs, reward, done, truncated, info = env.step(np.zeros(3, dtype=np.float32))
        total += reward
        steps += 1
    # The reward is the gain over the static model run alongside: zero when the agent does nothing.
    assert steps == 52 and info["n_clipped"] == 0 and total == 0.0
    env.reset(seed=0, options={"scenario": 1})
    _, reward, *_ = env.step(np.ones(3, dtype=np.float32))
    assert reward != 0.0


def test_zero_actions_reproduce_the_static_model(scen, calibration):
    static = run_static(scen, calibration)

    class Still:
        def predict(self, obs, deterministic=True):
            return np.zeros((len(obs), 3)), None

    rl = run_policy(Still(), scen, calibration)
    np.testing.assert_allclose(rl["et"].values, static["et"].values, rtol=1e-12)
    assert rl.attrs["n_clipped"] == 0


def test_bad_actions_and_observations_raise_or_are_counted(scen, calibration):
    batch = ModelBatch(scen, calibration["params"], calibration["store"])
    with pytest.raises(ValueError, match="NaN"):
        batch.step(np.full((4, 3), np.nan))
    batch.step(np.full((4, 3), 5.0))  # outside [-1, 1]: clipped and counted
    assert batch.n_clipped == 12
    p, n = clip_parameters([[1000.0, 4.0, 100.0]])
    assert n == 1 and p[0, 0] == 200.0
    with pytest.raises(ValueError, match="last axis"):
        clip_parameters([1.0, 2.0])
    wrong = scen.copy()
    wrong["et_obs"] = wrong["et_obs"].assign_attrs(units="W m-2")
    with pytest.raises(ValueError, match="et_obs must be in 'mm d-1'"):
        run_static(wrong, calibration)
    with pytest.raises(ValueError, match="missing the forcing"):
        scenario_forcing(scen.drop_vars("vpd"))
    with pytest.raises(ValueError, match="finite observation"):
        OnlineBiasCorrector().learn_one({"et_model": 1.0}, 1.0, float("nan"))


def test_policy_round_trip_and_foreign_policy_refused(tmp_path, scen, calibration):
    import torch

    from workbench.adaptive.rl import _make_policy

    policy = _make_policy([32, 32])
    path = save_policy(policy, tmp_path / "p.pt", total_timesteps=0)
    loaded, meta = load_policy(path)
    obs = ModelBatch(scen, calibration["params"], calibration["store"]).observe()
    np.testing.assert_allclose(loaded.predict(obs, deterministic=True)[0], policy.predict(obs, deterministic=True)[0])
    blob = torch.load(path, weights_only=True)
    blob["meta"]["observation_names"] = ["something", "else"]
    torch.save(blob, tmp_path / "foreign.pt")
    with pytest.raises(ValueError, match="trained for the observations"):
        load_policy(tmp_path / "foreign.pt")


def test_pretrained_policy_loads_with_weights_only():
    policy, meta = load_policy()
    assert meta["total_timesteps"] >= 10_000 and meta["n_train_scenarios"] >= 20


def test_adaptive_methods_beat_static_after_a_land_cover_change(scen, calibration):
    static = run_static(scen, calibration)
    enkf = run_enkf(scen, calibration["params"], calibration["store"], n_members=20)
    online = run_online(scen, static)
    sc = score(scen, {"static": static, "enkf": enkf, "online": online})
    post = sc["rmse_post"].sel(scenario=1)
    assert float(post.sel(scheme="enkf")) < float(post.sel(scheme="static"))
    assert float(post.sel(scheme="online")) < float(post.sel(scheme="static"))
    # The truth scored against itself: zero error, immediate recovery.
    perfect = static.copy()
    perfect["et"] = scen["et_true"].sel(time=static["time"]).transpose("scenario", "time")
    perfect["params"] = scen["params_true"].sel(time=static["time"]).transpose("scenario", "time", "param")
    s0 = score(scen, {"truth": perfect})
    np.testing.assert_allclose(s0["rmse_post"].values, 0.0, atol=1e-6)
    np.testing.assert_allclose(s0["recovery_days"].values, 0.0)
    np.testing.assert_allclose(s0["param_error"].values, 0.0, atol=1e-12)


def test_recovery_days_hand_case():
    err = np.r_[np.full(50, 0.05), np.full(20, 1.0), np.full(100, 0.05)]
    truth = np.full(170, 2.0)
    assert recovery_days(err, truth, 50, window=7) == 20.0
    # the same error later in a wetter season (twice the ET) is recovered at once
    assert recovery_days(np.r_[np.full(70, 0.05), np.full(100, 0.1)], np.r_[np.full(70, 1.0), np.full(100, 2.0)],
                         70, window=7) == 0.0
    assert np.isnan(recovery_days(np.r_[np.zeros(80), np.ones(100)], np.ones(180), 80))
    # a method that was poor before the shift has a loose target of its own, not against a common reference
    poor = np.r_[np.full(50, 0.5), np.full(20, 0.7), np.full(100, 0.5)]
    assert recovery_days(poor, truth, 50, window=7) == 0.0
    assert np.isnan(recovery_days(poor, truth, 50, window=7, reference=err))


def test_change_detector_alarms_on_a_persistent_innovation_and_reinflates():
    from workbench.adaptive.enkf import _detect_change

    rng = np.random.default_rng(0)
    logp = np.log([60.0, 4.0, 150.0]) + 0.01 * rng.standard_normal((2, 50, 3))
    pred = 1.0 + 0.1 * rng.standard_normal((2, 50))
    sd = np.sqrt(pred.var(1, ddof=1) + 0.2**2)
    obs = pred.mean(1) + np.array([1.0, 0.0]) * sd  # filter 0 sees a +1 s.d. innovation every day, filter 1 none
    hi_, lo_ = np.zeros(2), np.zeros(2)
    lo, hi = np.log([5.0, 0.5, 10.0]), np.log([200.0, 12.0, 500.0])
    days = None
    for day in range(1, 20):
        logp, hi_, lo_, alarm = _detect_change(logp, pred, obs, np.full(2, 0.2), hi_, lo_, 3.0, 0.5, 0.3, lo, hi)
        if alarm.any():
            days = day
            break
    # CUSUM gains 1 - 0.5 per day: it passes 3 on day 7, only in filter 0, and restarts there.
    assert days == 7 and alarm.tolist() == [True, False] and hi_[0] == 0.0
    np.testing.assert_allclose(logp[0].std(0), 0.3, rtol=1e-9)
    assert logp[1].std(0).max() < 0.02


def test_enkf_with_change_detector(scen, calibration):
    plain = run_enkf(scen, calibration["params"], calibration["store"], n_members=20)
    never = run_enkf(scen, calibration["params"], calibration["store"], n_members=20, change_threshold=1e9)
    np.testing.assert_array_equal(never["et"].values, plain["et"].values)
    assert int(never["n_alarms"].sum()) == 0
    det = run_enkf(scen, calibration["params"], calibration["store"], n_members=20, change_threshold=3.0,
                   change_allowance=0.25, reinflate=0.5, obs_bias=True)
    assert int(det["n_alarms"].sel(scenario=1)) >= 1  # the land-cover change is detected
