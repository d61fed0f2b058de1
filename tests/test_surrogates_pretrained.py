"""The shipped pretrained surrogates give fast mode of 01_surrogates the results of full mode.

Fixed test sets are those of the notebook's fast mode: 512 Sobol samples (seed 1)
for the process surrogates; the fast-mode land and its three virtual towers for
the calibration.
"""

import hashlib
import warnings

import numpy as np
import pytest
import torch

import workbench.surrogates as S
from workbench.data import virtual_land, virtual_towers
from workbench.surrogates.pretrained import (PRETRAINED_DIR, available_pretrained, load_pretrained,
                                             pretrained_info)

TARGETS = ["an", "gs", "tleaf", "le", "h"]


@pytest.fixture(scope="module")
def test_set():
    X = S.sobol_samples(512, seed=1)
    return X, S.simulate_process(X)[TARGETS]


def test_every_shipped_checkpoint_matches_its_manifest_and_loads_weights_only():
    names = available_pretrained()
    assert names == ["emulator", "process_hard", "process_soft", "process_unconstrained"]
    total = 0
    for name in names:
        info = pretrained_info(name)
        data = (PRETRAINED_DIR / info["file"]).read_bytes()
        total += len(data)
        assert hashlib.sha256(data).hexdigest() == info["sha256"]
        payload = torch.load(PRETRAINED_DIR / info["file"], weights_only=True)
        assert payload["config"]["seed"] == info["config"]["seed"] == 0
    assert total < 3 * 2**20  # a few MB at most


@pytest.mark.parametrize("name", ["process_unconstrained", "process_soft", "process_hard"])
def test_pretrained_process_surrogates_reach_full_mode_accuracy(name, test_set):
    X, y = test_set
    model = load_pretrained(name)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the in-range test set raises no out-of-range warning
        ev = S.evaluate(model, X, y, ood=False)
    assert ev.metrics.loc["le", "r2"] >= 0.95
    assert ev.metrics.loc["le", "r2"] == pytest.approx(pretrained_info(name)["test_r2"]["le"], abs=0.02)
    assert len(model.history_) == pretrained_info(name)["epochs_run"]


def test_pretrained_constraints_behave_as_in_full_mode(test_set):
    """Hard closure removes the energy residual; the soft penalty shrinks it below the unconstrained one."""
    X, y = test_set
    ev = {n: S.evaluate(load_pretrained(f"process_{n}"), X, y, ood=False)
          for n in ("unconstrained", "soft", "hard")}
    residual = {n: e.violations["energy_median_wm2"] for n, e in ev.items()}
    assert residual["hard"] < 1e-3 < residual["soft"] < residual["unconstrained"]


def test_pretrained_emulator_calibration_beats_the_default_in_fast_mode():
    """Fast mode's land and towers: calibrated against closure-corrected ET, re-simulated, better than default."""
    land = virtual_land(lat=(44.0, 48.0), lon=(4.0, 8.0))
    towers = virtual_towers(land, n_sites=3, seed=0)
    obs = S.tower_monthly_et(towers)
    emulator = load_pretrained("emulator")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # a parameter at a bound warns; that is asserted on below
        fit = S.calibrate(emulator, towers, obs, n_candidates=256)
    default = S.simulate_year(towers)["et_monthly"]
    calibrated = S.simulate_year(towers, **fit["params"])["et_monthly"]

    def rmse(a):
        return float(np.sqrt(((a - obs) ** 2).mean()))

    assert rmse(calibrated) < 0.5 * rmse(default), (rmse(calibrated), rmse(default))
    assert set(fit["at_bound"]) <= set(S.EMULATOR_PARAMETERS)


def test_tampered_checkpoint_is_refused(tmp_path, monkeypatch):
    import workbench.surrogates.pretrained as P

    for f in PRETRAINED_DIR.iterdir():
        (tmp_path / f.name).write_bytes(f.read_bytes()) if f.is_file() else None
    (tmp_path / "process_hard.pt").write_bytes((tmp_path / "process_hard.pt").read_bytes() + b"\0")
    monkeypatch.setattr(P, "PRETRAINED_DIR", tmp_path)
    with pytest.raises(ValueError, match="sha256"):
        P.load_pretrained("process_hard")
    with pytest.raises(ValueError, match="no pretrained surrogate 'nope'"):
        P.load_pretrained("nope")
