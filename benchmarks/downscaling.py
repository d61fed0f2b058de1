"""Forcing downscaling targets: the U-Net against bilinear + lapse rate on an unseen region and later period.

Measured side by side in one run, on the study's full-mode cases
(:func:`workbench.downscale.study_data`; coarsening factor 8):

1. RMSE of every method and variable; the network over bilinear + lapse rate
   for ``tmean`` and ``rs`` (target: at most 0.75, i.e. 25 % lower);
2. precipitation p99 of each method against the truth's (target: within 10 %);
3. the coarse-mean conservation error with the constraint layer (target: below 1e-4);
4. power in the two finest octaves (2-4 and 4-8 fine cells) over the truth's (target: 0.8-1.2); the RESULT
   line gives, per variable, the band ratio farthest from 1;
5. reference-ET RMSE from the network's forcing over that from bilinear forcing (target: at most 0.8);
6. inference throughput, fine cells per second, of the network beside bilinear interpolation's.

Run: ``.venv/bin/python benchmarks/downscaling.py`` (uses the shipped weights;
``--train`` trains the network from scratch first; ``WORKBENCH_FAST=1`` shrinks it to a smoke run).
Ends with one line ``RESULT key=value ...``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
import torch

import workbench as wb
from workbench import downscale as ds


def _timed(fn, repeat=2):
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def main(argv=None):
    parser = argparse.ArgumentParser(description="forcing downscaling benchmark")
    parser.add_argument("--train", action="store_true", help="train the U-Net from scratch instead of loading the shipped weights")
    parser.add_argument("--weights", default=None, help="a checkpoint to load instead of the shipped weights")
    args = parser.parse_args(argv)
    wb.seed_everything(0)
    warnings.simplefilter("ignore", UserWarning)
    pd.set_option("display.width", 200)
    pd.set_option("display.max_columns", 20)

    t0 = time.perf_counter()
    cases = ds.study_data()
    test = cases["test"]
    print(f"data: {time.perf_counter() - t0:.0f} s; test region {test.fine.sizes['lat']}x{test.fine.sizes['lon']} fine cells, "
          f"{test.fine.sizes['time']} days (factor {ds.FACTOR}); fast mode: {wb.fast_mode()}")
    if args.train:
        from workbench.downscale.pretrain import TRAINING

        train = cases["train"]
        t0 = time.perf_counter()
        network = ds.NetworkDownscaler(**TRAINING).fit(train.coarse, train.static, train.fine, progress=False)
        print(f"training: {time.perf_counter() - t0:.0f} s, best validation loss {network.best_val_loss_:.4f}")
    else:
        network = ds.NetworkDownscaler.load(args.weights)
        print(f"network: {'the shipped weights (' + ds.pretrained_path().name + ')' if args.weights is None else args.weights}")

    predictions = ds.downscale_all(cases, network=network)
    table = ds.score_table(test.fine, predictions, test.coarse, ds.FACTOR)
    print("\n1. RMSE per method and variable")
    print(table["rmse"].unstack("variable").round(4))
    ratio = {v: table.loc[("U-Net", v), "rmse"] / table.loc[("bilinear + lapse", v), "rmse"] for v in test.fine.data_vars}
    print("   U-Net / bilinear + lapse: " + ", ".join(f"{v} {r:.3f}" for v, r in ratio.items()) + "   (target tmean, rs <= 0.75)")

    print("\n2. precipitation p99 [mm d-1], relative error (target |err| <= 0.10); the U-Net row is one stochastic realisation")
    p99 = table.xs("precip", level="variable")[["extreme", "extreme_truth", "extreme_rel_err"]]
    print(p99.round(3))
    expected = network.predict(test.coarse, test.static, stochastic=False).precip
    truth_p99 = ds.extreme(test.fine.precip, 0.99)
    print(f"   U-Net expected field (no noise): p99 rel. err {ds.extreme(expected, 0.99) / truth_p99 - 1:.3f}, RMSE "
          f"{float(((expected - test.fine.precip) ** 2).mean() ** 0.5):.4f} (the realisation's: {table.loc[('U-Net', 'precip'), 'rmse']:.4f}); "
          f"spectral 2-4 {ds.spectral_ratio(expected, test.fine.precip)[0]:.2f}; fitted noise sigma {float(network.precip_noise_[0]):.3f}, "
          f"length {float(network.precip_noise_[1]):.2f} cells")

    cons = ds.conservation_error(predictions["U-Net"], test.coarse, ds.FACTOR)
    free = ds.conservation_error(network.predict(test.coarse, test.static, conserve=False), test.coarse, ds.FACTOR)
    print("\n3. conservation error (max relative departure of coarse means), target < 1e-4")
    print(pd.DataFrame({"with constraint layer": cons, "without": free}).T.to_string(float_format=lambda x: f"{x:.2e}"))
    nonneg = {v: float(predictions["U-Net"][v].min()) for v in ("precip", "rs", "wind", "ea")}
    print("   minimum of non-negative variables: " + ", ".join(f"{k} {v:.3g}" for k, v in nonneg.items()))

    print("\n4. power over the truth's in the finest octaves (2-4 | 4-8 fine cells), target 0.8-1.2")
    print(table[["spectral_2_4", "spectral_4_8"]].unstack("method").round(3))

    et = ds.downstream_et(test.fine, test.static, predictions)
    et_rmse = {k: float(((v - et["truth"]) ** 2).mean() ** 0.5) for k, v in et.items() if k != "truth"}
    print("\n5. reference ET RMSE [mm d-1] against ET from the truth (target U-Net / bilinear <= 0.8)")
    print("   " + ", ".join(f"{k} {v:.4f}" for k, v in et_rmse.items()))

    torch.set_num_threads(max(torch.get_num_threads(), 1))
    cells = test.fine.sizes["time"] * test.fine.sizes["lat"] * test.fine.sizes["lon"]
    names = list(test.fine.data_vars)
    t_net = _timed(lambda: network.predict(test.coarse, test.static))
    t_bil = _timed(lambda: ds.regrid_bilinear(test.coarse[names], test.static).load())
    print(f"\n6. inference throughput on {network.device}, {len(names)} variables: U-Net {cells / t_net:.3g} fine cells/s "
          f"({t_net:.2f} s), bilinear {cells / t_bil:.3g} fine cells/s ({t_bil:.2f} s); ratio {t_net / t_bil:.1f}x slower")

    # Per variable, the band ratio farthest from 1 (the one the 0.8-1.2 target is judged on).
    net_spec = table.xs("U-Net", level="method")[["spectral_2_4", "spectral_4_8"]]
    worst = {v: max(row, key=lambda r: abs(r - 1.0)) for v, row in zip(net_spec.index, net_spec.values)}
    print("   U-Net, band farthest from 1 per variable: " + ", ".join(f"{v} {r:.2f}" for v, r in worst.items())
          + f"; all within 0.8-1.2: {all(0.8 <= r <= 1.2 for r in worst.values())}")
    print(
        "RESULT "
        f"tmean_rmse_ratio={ratio['tmean']:.3f} rs_rmse_ratio={ratio['rs']:.3f} "
        f"p99_rel_err={table.loc[('U-Net', 'precip'), 'extreme_rel_err']:.3f} "
        f"conservation_err={max(cons.values()):.2e} "
        f"et_rmse_ratio={et_rmse['U-Net'] / et_rmse['bilinear']:.3f} "
        + "".join(f"spectral_{v}={r:.2f} " for v, r in worst.items())
        + f"spectral_within_20pct={int(all(0.8 <= r <= 1.2 for r in worst.values()))} "
        f"net_cells_per_s={cells / t_net:.3g} bilinear_cells_per_s={cells / t_bil:.3g}"
    )


if __name__ == "__main__":
    main()
