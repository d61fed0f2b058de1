"""Process surrogates: training beats a linear baseline, checkpoints round-trip, bad input is flagged."""

import json
import warnings

import numpy as np
import pytest
import torch
import xarray as xr
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_squared_error, r2_score

import workbench.surrogates as S
from workbench.physics.canopy import CANOPY_INPUTS
from workbench.units import UnitError

TARGETS = ["an", "gs", "tleaf", "le", "h"]


@pytest.fixture(scope="module")
def data():
    X = S.sobol_samples(2048, seed=0)
    y = S.simulate_process(X)[TARGETS]
    Xt = S.sobol_samples(512, seed=1)
    yt = S.simulate_process(Xt)[TARGETS]
    return X, y, Xt, yt


@pytest.fixture(scope="module")
def fitted(data, tmp_path_factory):
    X, y, _, _ = data
    run = tmp_path_factory.mktemp("run")
    model = S.SurrogateRegressor((48, 48), epochs=80, batch_size=128, lr=5e-3, patience=80, seed=0,
                                 run_dir=run, progress=False)
    return model.fit(X, y, ranges=S.PROCESS_RANGES)


def _matrix(ds, names):
    return np.stack([ds[n].values for n in names], axis=1)


def test_small_training_beats_linear_baseline(data, fitted):
    """Stated margin: the 2x48 MLP's RMSE is under half the linear regression's for LE and An."""
    X, y, Xt, yt = data
    pred = fitted.predict(Xt)
    lin = LinearRegression().fit(_matrix(X, CANOPY_INPUTS), _matrix(y, TARGETS))
    lin_pred = lin.predict(_matrix(Xt, CANOPY_INPUTS))
    for j, name in enumerate(TARGETS):
        if name not in ("le", "an"):
            continue
        rmse_mlp = np.sqrt(np.mean((pred[name].values - yt[name].values) ** 2))
        rmse_lin = np.sqrt(np.mean((lin_pred[:, j] - yt[name].values) ** 2))
        assert rmse_mlp < 0.5 * rmse_lin, (name, rmse_mlp, rmse_lin)
    assert fitted.score(Xt, yt) > 0.9


def test_best_checkpoint_written_during_fit_and_round_trip(data, fitted, tmp_path):
    _, _, Xt, _ = data
    assert fitted.checkpoint_path_.exists()
    from_run = S.SurrogateRegressor.load(fitted.checkpoint_path_)
    np.testing.assert_array_equal(from_run.predict(Xt)["le"].values, fitted.predict(Xt)["le"].values)
    path = fitted.save(tmp_path / "model.pt")
    payload = torch.load(path, weights_only=True)  # plain containers only
    assert payload["feature_names"] == list(CANOPY_INPUTS)
    assert payload["feature_units"][1] == "degC"
    side = json.loads(path.with_suffix(".json").read_text())
    assert side["target_names"] == TARGETS and side["config"]["hidden"] == [48, 48]
    loaded = S.SurrogateRegressor.load(path)
    for name in TARGETS:
        np.testing.assert_array_equal(loaded.predict(Xt)[name].values, fitted.predict(Xt)[name].values)
    np.testing.assert_array_equal(loaded.ranges_, fitted.ranges_)
    assert loaded.history_ == fitted.history_


def test_training_is_seeded(data):
    X, y, Xt, _ = data
    kw = dict(hidden=(16,), epochs=3, batch_size=256, seed=7, run_dir=False, progress=False)
    a = S.SurrogateRegressor(**kw).fit(X, y, ranges=S.PROCESS_RANGES).predict(Xt)["le"].values
    b = S.SurrogateRegressor(**kw).fit(X, y, ranges=S.PROCESS_RANGES).predict(Xt)["le"].values
    np.testing.assert_array_equal(a, b)


def test_out_of_range_inputs_are_flagged(data, fitted):
    _, _, Xt, _ = data
    probe = Xt.isel(sample=slice(0, 10)).copy(deep=True)
    probe["tmean"].values[:3] = 45.0  # the training range ends at 40 degC
    with pytest.warns(UserWarning, match=r"tmean \[degC\] outside \[-5, 40\] at 3 point"):
        out = fitted.predict(probe)
    np.testing.assert_array_equal(out["out_of_range"].values, [True] * 3 + [False] * 7)
    assert np.isfinite(out["le"].values).all()  # kept and flagged, not dropped
    with pytest.raises(ValueError, match="tmean"):
        fitted.predict(probe, on_out_of_range="raise")
    with pytest.warns(UserWarning):
        nan = fitted.predict(probe, on_out_of_range="nan")
    assert np.isnan(nan["le"].values[:3]).all() and np.isfinite(nan["le"].values[3:]).all()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fitted.predict(Xt.isel(sample=slice(3, 10)))  # inside: no warning


def test_feature_names_and_units_are_checked(data, fitted):
    _, _, Xt, _ = data
    with pytest.raises(ValueError, match=r"\['vpd'\] are missing"):
        fitted.predict(Xt.drop_vars("vpd"))
    kelvin = Xt.copy()
    kelvin["tmean"] = (Xt["tmean"] + 273.15).assign_attrs(units="K")
    np.testing.assert_allclose(fitted.predict(kelvin)["le"].values, fitted.predict(Xt)["le"].values, atol=1e-3)
    wrong = Xt.copy()
    wrong["tmean"] = Xt["tmean"].assign_attrs(units="m")
    with pytest.raises(UnitError, match="tmean"):
        fitted.predict(wrong)


def test_hard_energy_closure_and_constraint_checks(data):
    X, y, Xt, _ = data
    model = S.SurrogateRegressor((16,), epochs=2, closure="energy", run_dir=False, progress=False)
    model.fit(X, y, ranges=S.PROCESS_RANGES)
    pred = model.predict(Xt)
    feats = {k: Xt[k].values for k in CANOPY_INPUTS}
    res = S.energy_residual(feats, {k: pred[k].values for k in TARGETS})
    assert np.median(np.abs(res)) < 0.05  # closed by construction, up to float32 rounding
    with pytest.raises(ValueError, match="tleaf"):
        S.SurrogateRegressor(closure="energy", run_dir=False).fit(X, y[["le", "h"]])
    with pytest.raises(ValueError, match="unknown physics constraints"):
        S.SurrogateRegressor(physics={"mass": 1.0})
    with pytest.raises(ValueError, match="'energy' needs"):
        S.SurrogateRegressor(physics={"energy": 1.0}, run_dir=False).fit(X, y[["an", "gs"]])


def test_soft_constraints_enter_the_loss(data):
    X, y, _, _ = data
    model = S.SurrogateRegressor((16,), epochs=2, physics={"energy": 1.0, "nonneg": 1.0, "monotone": 1.0},
                                 run_dir=False, progress=False).fit(X, y)
    assert all(r["physics"] > 0 for r in model.history_)


def test_interrupt_keeps_best_model(data):
    X, y, Xt, _ = data

    def stop(record):
        if record["epoch"] == 3:
            raise KeyboardInterrupt

    with pytest.warns(RuntimeWarning, match="interrupted after 3 epochs"):
        model = S.SurrogateRegressor((16,), epochs=50, callback=stop, run_dir=False, progress=False)
        model.fit(X, y, ranges=S.PROCESS_RANGES)
    assert model.interrupted_ and len(model.history_) == 3
    best = min(r["val"] for r in model.history_)
    assert model.history_[model.best_epoch_ - 1]["val"] == best
    assert np.isfinite(model.predict(Xt)["le"].values).all()


def test_metrics_match_sklearn():
    rng = np.random.default_rng(0)
    obs = rng.normal(size=200)
    sim = obs + rng.normal(scale=0.3, size=200) + 0.1
    m = S.regression_metrics(obs, sim)
    assert m["r2"] == pytest.approx(r2_score(obs, sim))
    assert m["rmse"] == pytest.approx(np.sqrt(mean_squared_error(obs, sim)))
    assert m["bias"] == pytest.approx(np.mean(sim - obs))


def test_evaluate_in_one_call(data, fitted):
    _, _, Xt, yt = data
    ev = S.evaluate(fitted, Xt, yt, ood=True)
    ref = S.regression_metrics(yt["le"].values, fitted.predict(Xt)["le"].values)
    assert ev.metrics.loc["le", "r2"] == pytest.approx(ref["r2"])
    assert ev.metrics.loc["le", "units"] == "W m-2"
    assert {"energy_median_wm2", "nonneg_rate_gs", "monotone_rate_an_co2"} <= set(ev.violations.index)
    # Out-of-distribution: every shifted point beyond the edge is flagged, none at the edge.
    tm = ev.ood[ev.ood.variable == "tmean"].set_index("factor")
    assert tm.loc[0.0, "flagged"] == 0.0 and tm.loc[0.5, "flagged"] == 1.0
    assert tm.loc[0.5, "value"] == pytest.approx(62.5)


def test_physics_satisfies_the_monotone_constraints():
    """The constraints imposed on surrogates hold for the physics on space-filling samples."""
    X = S.sobol_samples(1024, seed=5)
    feats = {k: X[k].values for k in CANOPY_INPUTS}

    def predict(f):
        return S.simulate_process(xr.Dataset({k: ("sample", v, X[k].attrs) for k, v in f.items()}))

    truth = {k: v.values for k, v in predict(feats).items()}
    viol = S.violations(feats, truth, predict=lambda f: {k: v.values for k, v in predict(f).items()})
    assert viol["monotone_rate_an_co2"] == 0.0
    assert viol["monotone_rate_le_water_stress"] == 0.0
    assert viol["nonneg_rate_gs"] == 0.0
    assert viol["energy_median_wm2"] < 1e-3


def test_sobol_samples_respect_the_stated_ranges_and_dry_air_limit():
    X = S.sobol_samples(1024, seed=2)
    for k, (lo, hi) in S.PROCESS_RANGES.items():
        assert float(X[k].min()) >= lo and float(X[k].max()) <= hi, k
    es = 0.6108 * np.exp(17.27 * X["tmean"] / (X["tmean"] + 237.3))  # FAO-56 eq. 11
    assert bool((X["vpd"] <= np.maximum(0.95 * es, 0.05) + 1e-12).all())
    with pytest.raises(ValueError, match="missing"):
        S.sobol_samples(8, {"rs": (0, 1)})


def test_land_samples_are_drawn_from_the_forcing():
    from workbench.data import virtual_land

    land = virtual_land(lat=(44, 46), lon=(4, 6), start="2020-06-01", end="2020-06-10")
    X = S.land_samples(land, 50, seed=1, co2=410.0)
    assert np.isin(X["rs"].values.astype(np.float32), land["rs"].values.ravel()).all()
    assert (X["co2"] == 410.0).all() and X["tmean"].attrs["units"] == "degC"
    assert float(X["vcmax25"].min()) >= 20.0 and float(X["vcmax25"].max()) <= 120.0


def test_throughput_and_break_even_tables_are_consistent(data, fitted):
    _, _, Xt, _ = data
    table = S.throughput(fitted, Xt, batches=(200, 400), repeats=1)
    np.testing.assert_allclose(table["speedup"], table["physics_s"] / table["surrogate_s"])
    assert list(table["batch"]) == [200, 400] and (table["device"] == "cpu").all()
    be = S.break_even(Xt, iterations=(2, 4, 8), networks=((8,),), batch=300, repeats=1)
    slope, intercept = np.polyfit([2, 4, 8], be.iloc[0][["physics_2_s", "physics_4_s", "physics_8_s"]].astype(float), 1)
    expected = max(0.0, (be.loc[0, "network_s"] - intercept) / slope) if slope > 0 else float("nan")
    assert be.loc[0, "break_even_iter"] == pytest.approx(expected, nan_ok=True)


@pytest.mark.parametrize("content, kind", [
    (b"", "an empty file"),
    (b'{"format": "land-ai-workbench/surrogate-v1", "n_in": 9}', "JSON sidecar"),
    (b"rs,tmean\n1,2\n", "a text file"),
    (bytes(range(256)), "a binary file"),
])
def test_load_says_what_a_non_checkpoint_file_is(tmp_path, content, kind):
    path = tmp_path / "model.pt"
    path.write_bytes(content)
    with pytest.raises(ValueError) as err:
        S.SurrogateRegressor.load(path)
    message = str(err.value)
    assert str(path) in message and kind in message
    assert "expected a checkpoint written by SurrogateRegressor.save or fit" in message


def test_load_refuses_torch_files_of_another_kind(tmp_path):
    torch.save(torch.zeros(3), tmp_path / "tensor.pt")
    with pytest.raises(ValueError, match="a torch file holding a Tensor; expected a checkpoint"):
        S.SurrogateRegressor.load(tmp_path / "tensor.pt")
    torch.save({"state_dict": {}}, tmp_path / "other.pt")
    with pytest.raises(ValueError, match=r"a dict with format None and keys \['state_dict'\]"):
        S.SurrogateRegressor.load(tmp_path / "other.pt")
    with pytest.raises(FileNotFoundError, match="no surrogate checkpoint"):
        S.SurrogateRegressor.load(tmp_path / "missing.pt")


def test_library_warnings_point_at_the_callers_line(data, fitted):
    """Out-of-range warnings name this file, also when raised two calls deep inside the package (evaluate)."""
    _, _, Xt, yt = data
    probe = Xt.isel(sample=slice(0, 10)).copy(deep=True)
    probe["tmean"].values[:3] = 45.0
    with pytest.warns(UserWarning, match="outside") as record:
        fitted.predict(probe)
    assert record[0].filename == __file__
    with pytest.warns(UserWarning, match="outside") as record:
        S.evaluate(fitted, probe, yt.isel(sample=slice(0, 10)), ood=False)
    assert [w.filename for w in record if "outside" in str(w.message)] == [__file__]


def test_covering_ranges_keep_the_stated_box_and_what_was_seen():
    X = S.sobol_samples(64, seed=0)
    X["tmean"].values[0] = -12.0
    ranges = S.covering_ranges(X)
    assert ranges["tmean"] == (-12.0, 40.0) and ranges["rs"] == S.PROCESS_RANGES["rs"]
    y = S.simulate_process(X)[["le"]]
    model = S.SurrogateRegressor((8,), epochs=1, run_dir=False, progress=False).fit(X, y, ranges=ranges)
    test = S.sobol_samples(256, seed=5)  # inside the stated box, beyond the 64 samples' min/max
    assert (test["rs"].max() > X["rs"].max()) or (test["lai"].max() > X["lai"].max())
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert not model.predict(test)["out_of_range"].any()
