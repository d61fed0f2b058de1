"""Where do surrogates pay? The canopy process surrogate and the one-year simulation emulator, measured.

Compares each network against the physics in its best form on the same
device and batch (vectorised NumPy on CPU; the fixed-iteration solver fused
with ``torch.compile`` on a GPU) and prints measured figures side by side:

1. process table: physics vs surrogate wall time, batch 1e3..1e6 (CPU; GPU if available);
2. break-even: physics cost against solver iterations vs MLPs of three sizes;
3. process accuracy: R2 of LE and An on held-out Sobol samples, energy-balance residual;
4. simulation emulator: a year of daily canopy + bucket runs for N parameter sets vs
   one emulator call on the same N, and its R2 for annual ET;
5. the training time of each network;
6. fast mode's pretrained networks (shipped in ``workbench/surrogates/pretrained``): R2 of LE on the
   notebook's fast-mode test set, and the calibration of fast mode against closure-corrected tower ET
   (monthly RMSE of the re-simulated default and calibrated runs), with the parameters left at a bound.

Run: ``.venv/bin/python benchmarks/surrogate_speed.py`` (WORKBENCH_FAST=1 shrinks it to a smoke run).
Ends with one line ``RESULT key=value ...``.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import torch

import workbench as wb
import workbench.surrogates as S
from workbench.data import virtual_land, virtual_towers
from workbench.surrogates.pretrained import load_pretrained

TARGETS = ["an", "gs", "tleaf", "le", "h"]


def main():
    wb.seed_everything(0)
    pd.set_option("display.width", 160)
    warnings.simplefilter("ignore", UserWarning)
    n_train = wb.pick(full=2**15, fast=2**11)
    epochs = wb.pick(full=200, fast=5)
    batches = wb.pick(full=(1_000, 10_000, 100_000, 1_000_000), fast=(1_000, 10_000))
    print(f"torch {torch.__version__}, CPU threads {torch.get_num_threads()}, "
          f"CUDA {'available: ' + torch.cuda.get_device_name(0) if torch.cuda.is_available() else 'not available'}")

    # -- 1. process surrogate ------------------------------------------------------------------
    t0 = time.perf_counter()
    X = S.sobol_samples(n_train, seed=0)
    y = S.simulate_process(X)[TARGETS]
    Xt = S.sobol_samples(wb.pick(full=8192, fast=512), seed=1)
    yt = S.simulate_process(Xt)[TARGETS]
    print(f"\n== process data: {n_train} Sobol samples + {Xt.sizes['sample']} test, physics {time.perf_counter() - t0:.1f} s")
    process = S.SurrogateRegressor((128, 128, 128), "silu", epochs=epochs, batch_size=512, lr=3e-3,
                                   patience=40, closure="energy", seed=0, progress=False)
    process.fit(X, y, ranges=S.PROCESS_RANGES)
    print(f"process surrogate 3x128 (energy closure by construction): trained {process.train_seconds_:.1f} s, "
          f"{len(process.history_)} epochs, best {process.best_epoch_}, checkpoint {process.checkpoint_path_}")
    ev = S.evaluate(process, Xt, yt, ood=False)
    print(ev.metrics.round(4).to_string())
    print(ev.violations.round(4).to_string())

    print("\n== process throughput, CPU (physics: vectorised NumPy with active-point compaction)")
    cpu = S.throughput(process, Xt, batches=batches, device="cpu")
    print(cpu[["batch", "physics_s", "surrogate_s", "speedup", "physics_pts_per_s", "surrogate_pts_per_s"]]
          .to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    speedup_1e5 = float(cpu.set_index("batch")["speedup"].get(100_000, cpu["speedup"].iloc[-1]))
    if torch.cuda.is_available():
        print("\n== process throughput, GPU (physics: 25-iteration solver, torch.compile, fp32; surrogate fp16)")
        gpu_model = S.SurrogateRegressor.load(process.checkpoint_path_, device="cuda")
        gpu = S.throughput(gpu_model, Xt, batches=(*batches, 10_000_000), device="cuda")
        print(gpu[["batch", "physics_s", "surrogate_s", "speedup"]].to_string(index=False,
                                                                              float_format=lambda v: f"{v:.4g}"))
    else:
        print("\n== process throughput, GPU: no GPU available")

    print(f"\n== break-even on CPU, batch {wb.pick(full=100_000, fast=10_000)}: physics time by solver iterations "
          "vs network forward time")
    be = S.break_even(Xt, batch=wb.pick(full=100_000, fast=10_000), device="cpu")
    print(be.to_string(index=False, float_format=lambda v: f"{v:.4g}"))

    # -- 2. simulation emulator ----------------------------------------------------------------
    land = virtual_land(lat=(40.0, 50.0), lon=(0.0, 10.0), seed=42)
    n_sets = wb.pick(full=4096, fast=256)
    Xe, ye = S.emulator_dataset(land, n_sets, seed=0)
    Xet, yet = S.emulator_dataset(land, wb.pick(full=2048, fast=128), seed=1)
    print(f"\n== emulator data: {n_sets} (parameter set, cell) years simulated in {ye.attrs['wall_s']:.1f} s")
    emulator = S.SurrogateRegressor((128, 128), "silu", epochs=wb.pick(full=300, fast=5), batch_size=128,
                                    lr=3e-3, patience=60, physics={"nonneg": 1.0}, seed=0, progress=False)
    emulator.fit(Xe, ye, ranges={k: v[:2] for k, v in S.EMULATOR_PARAMETERS.items()})
    eev = S.evaluate(emulator, Xet, yet, ood=False)
    print(f"emulator 2x128: trained {emulator.train_seconds_:.1f} s; held-out accuracy:")
    print(eev.metrics.loc[["et_annual", "et_m01", "et_m04", "et_m07", "et_m10"]].round(4).to_string())
    # Speed: the real simulation for the held-out parameter sets vs one emulator call on the same sets.
    sim_s = float(yet.attrs["wall_s"])
    feats = np.stack([Xet[k].values for k in emulator.feature_names_], axis=1)
    emu_s = S.time_call(lambda: emulator.predict_array(feats), repeats=5)
    n_eval = Xet.sizes["sample"]
    print(f"\n== emulator speed, CPU, {n_eval} parameter sets: simulation {sim_s:.3f} s "
          f"({sim_s / n_eval * 1e3:.3f} ms per year), emulator {emu_s * 1e3:.3f} ms, ratio {sim_s / emu_s:.0f}x")
    print("(climate summaries per cell are computed once and reused; the simulation cost grows with days x solver "
          "iterations, the emulator's does not.)")

    # -- 3. fast mode with the shipped pretrained networks ----------------------------------------
    Xf = S.sobol_samples(512, seed=1)
    yf = S.simulate_process(Xf)[TARGETS]
    pre_r2 = {n: float(S.evaluate(load_pretrained(n), Xf, yf, ood=False).metrics.loc["le", "r2"])
              for n in ("process_unconstrained", "process_soft", "process_hard")}
    fland = virtual_land(lat=(44.0, 48.0), lon=(4.0, 8.0))
    ftowers = virtual_towers(fland, n_sites=3, seed=0)
    fobs = S.tower_monthly_et(ftowers)
    ffit = S.calibrate(load_pretrained("emulator"), ftowers, fobs, n_candidates=256, warn=False)
    frmse = {k: float(np.sqrt(((S.simulate_year(ftowers, **p)["et_monthly"] - fobs) ** 2).mean()))
             for k, p in (("default", {}), ("calibrated", ffit["params"]))}
    print("\n== fast mode, pretrained networks: R2 of LE on 512 Sobol samples (seed 1): "
          + ", ".join(f"{k} {v:.4f}" for k, v in pre_r2.items()))
    print(f"fast-mode calibration (3 towers, closure-corrected monthly ET): RMSE default {frmse['default']:.2f}, "
          f"calibrated {frmse['calibrated']:.2f} mm month-1; params "
          + ", ".join(f"{k}={v:.3g}" for k, v in ffit["params"].items()) + f"; at a bound: {ffit['at_bound'] or 'none'}")

    r2_le = float(ev.metrics.loc["le", "r2"])
    print(f"\nprocess: R2 LE {r2_le:.4f}, R2 An {ev.metrics.loc['an', 'r2']:.4f}; CPU speed-up at 1e5 "
          f"{speedup_1e5:.2f}x (below 1 means the physics is faster)")
    print(f"RESULT process_speedup_cpu={speedup_1e5:.3f} process_r2_le={r2_le:.4f} "
          f"ebal_median_wm2={ev.violations['energy_median_wm2']:.4g} emulator_speedup={sim_s / emu_s:.0f} "
          f"emulator_r2_annual={eev.metrics.loc['et_annual', 'r2']:.4f} train_s={process.train_seconds_:.1f} "
          f"emulator_train_s={emulator.train_seconds_:.1f} fast_pretrained_r2_le={pre_r2['process_unconstrained']:.4f} "
          f"fast_calib_rmse_default={frmse['default']:.2f} fast_calib_rmse_calibrated={frmse['calibrated']:.2f}")


if __name__ == "__main__":
    main()
