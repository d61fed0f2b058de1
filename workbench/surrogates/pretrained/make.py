"""Build the pretrained surrogates that fast mode of ``01_surrogates.ipynb`` loads.

Run from anywhere (about 10 min on one CPU core)::

    python -m workbench.surrogates.pretrained.make            # every model
    python -m workbench.surrogates.pretrained.make --only emulator

Everything is seeded and torch runs on one thread, so a re-run on the same
platform writes the same weights (another CPU or BLAS may differ in the last
bits). The script writes, next to itself, one ``weights_only`` checkpoint per
model (``<name>.pt`` plus its JSON sidecar) and ``manifest.json`` with the
recipe below, the torch version, the training time, the held-out accuracy
and each checkpoint's sha256 (which :func:`load_pretrained` checks).

Recipe: the training data are those of the notebook's full mode, drawn from
the full-mode virtual land (:data:`LAND`), with a smaller budget (fewer
samples and epochs; :data:`PROCESS_DATA`, :data:`EMULATOR_DATA`, :data:`NETWORKS`).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time

import numpy as np
import torch
import xarray as xr

from ...data import virtual_land
from .. import emulator as _emulator
from .. import sampling as _sampling
from ..evaluate import evaluate
from ..model import SurrogateRegressor
from . import PRETRAINED_DIR

#: The virtual land of the notebook's full mode (its fast-mode box lies inside).
LAND = {"lat": (40.0, 56.0), "lon": (0.0, 16.0), "seed": 42}
#: Process surrogates: Sobol samples over PROCESS_RANGES plus samples of the land's forcing.
PROCESS_DATA = {"n_sobol": 2**14, "n_land": 2**12, "seed": 0, "targets": ["an", "gs", "tleaf", "le", "h"],
                "n_test": 2048, "test_seed": 1}
#: Simulation emulator: Sobol parameter sets on random cells of LAND, one year each.
EMULATOR_DATA = {"n": 3072, "seed": 0, "n_test": 512, "test_seed": 1}
_PROCESS_NET = {"hidden": [128, 128, 128], "activation": "silu", "lr": 3e-3, "epochs": 150, "batch_size": 512,
                "patience": 40, "seed": 0}
#: Network settings per model (SurrogateRegressor keyword arguments).
NETWORKS = {
    "process_unconstrained": dict(_PROCESS_NET),
    "process_soft": {**_PROCESS_NET, "physics": {"energy": 1.0, "nonneg": 1.0, "monotone": 0.1}},
    "process_hard": {**_PROCESS_NET, "closure": "energy"},
    "emulator": {"hidden": [128, 128], "activation": "silu", "lr": 3e-3, "epochs": 300, "batch_size": 128,
                 "patience": 60, "physics": {"nonneg": 1.0}, "seed": 0},
}


def process_data(land):
    """Training and test data of the process surrogates, and the ranges they flag against."""
    d = PROCESS_DATA
    X = xr.concat([_sampling.sobol_samples(d["n_sobol"], seed=d["seed"]),
                   _sampling.land_samples(land, d["n_land"], seed=d["seed"])], dim="sample")
    y = _sampling.simulate_process(X)[d["targets"]]
    Xt = _sampling.sobol_samples(d["n_test"], seed=d["test_seed"])
    yt = _sampling.simulate_process(Xt)[d["targets"]]
    return X, y, Xt, yt, _sampling.covering_ranges(X)


def emulator_data(land):
    """Training and test data of the simulation emulator, and its parameter ranges."""
    d = EMULATOR_DATA
    X, y = _emulator.emulator_dataset(land, d["n"], seed=d["seed"], progress=True)
    Xt, yt = _emulator.emulator_dataset(land, d["n_test"], seed=d["test_seed"])
    return X, y, Xt, yt, {k: v[:2] for k, v in _emulator.EMULATOR_PARAMETERS.items()}


def build(names=None) -> dict:
    """Train the models ``names`` (default: all), write their checkpoints and update the manifest."""
    names = list(NETWORKS) if names is None else list(names)
    unknown = set(names) - set(NETWORKS)
    if unknown:
        raise ValueError(f"unknown pretrained models {sorted(unknown)}; known: {list(NETWORKS)}")
    torch.set_num_threads(1)
    path = PRETRAINED_DIR / "manifest.json"
    manifest = json.loads(path.read_text()) if path.is_file() else {}
    manifest.update({"script": "python -m workbench.surrogates.pretrained.make", "torch": torch.__version__,
                     "land": LAND, "process_data": PROCESS_DATA, "emulator_data": EMULATOR_DATA})
    models = manifest.setdefault("models", {})
    land = virtual_land(lat=LAND["lat"], lon=LAND["lon"], seed=LAND["seed"])
    cache = {}
    for name in names:
        kind = "emulator" if name == "emulator" else "process"
        if kind not in cache:
            t0 = time.perf_counter()
            cache[kind] = (emulator_data if kind == "emulator" else process_data)(land)
            print(f"{kind} data: {cache[kind][0].sizes['sample']} samples in {time.perf_counter() - t0:.1f} s")
        X, y, Xt, yt, ranges = cache[kind]
        config = NETWORKS[name]
        model = SurrogateRegressor(**{**config, "hidden": tuple(config["hidden"])}, run_dir=False, progress=True)
        model.fit(X, y, ranges=ranges)
        metrics = evaluate(model, Xt, yt, ood=False).metrics
        file = f"{name}.pt"
        model.save(PRETRAINED_DIR / file)
        models[name] = {
            "file": file, "sha256": hashlib.sha256((PRETRAINED_DIR / file).read_bytes()).hexdigest(),
            "kind": kind, "config": config, "n_train": int(X.sizes["sample"]),
            "epochs_run": len(model.history_), "best_epoch": int(model.best_epoch_),
            "train_seconds": round(model.train_seconds_, 1), "torch_threads": 1,
            "test_r2": {k: round(float(v), 5) for k, v in metrics["r2"].items()},
            "test_set": (f"{PROCESS_DATA['n_test']} Sobol samples, seed {PROCESS_DATA['test_seed']}" if kind == "process"
                         else f"{EMULATOR_DATA['n_test']} parameter-set years, seed {EMULATOR_DATA['test_seed']}"),
        }
        print(f"{name}: {len(model.history_)} epochs in {model.train_seconds_:.1f} s, held-out R2 "
              + ", ".join(f"{k} {v:.4f}" for k, v in metrics["r2"].items()))
        path.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")
    return manifest


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="+", choices=list(NETWORKS), help="build only these models")
    args = parser.parse_args(argv)
    np.seterr(all="ignore")
    build(args.only)


if __name__ == "__main__":
    main()
