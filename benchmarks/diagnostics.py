"""Explainable-diagnostics benchmark: planted-cause hit rate, IG completeness, TreeSHAP speed-up.

1. Planted causes: every mechanism of ``workbench.explain.MECHANISMS`` (14: nine
   single causes, two combinations, two interactions, one hidden cause) on
   ``--seeds`` virtual lands; a gradient-boosting error model is fitted on half
   the cells and explained on the others with TreeSHAP and permutation
   importance. Hit: the planted driver(s) ranked first. Target: top-1 hit rate
   >= 90 %; the misses are listed by name.
2. Integrated Gradients (Captum) of a network error model (SurrogateRegressor):
   completeness error sum|sum_i a_i - (f(x) - f(x'))| / sum|f(x) - f(x')|. Target < 1 %.
3. SHAP on 1e4 samples: TreeExplainer timed on all 1e4 rows; the model-agnostic
   PermutationExplainer (100 background rows) timed on ``--agnostic-rows`` rows and
   scaled linearly to 1e4 (its cost is the same for every row: 2 k + 1 masked
   evaluations of the model over the background per row), ratio in the same run.

Usage::

    python benchmarks/diagnostics.py            # full run (about 5 minutes on 2 cores)
    python benchmarks/diagnostics.py --quick    # one seed, fewer agnostic rows (about 1-2 minutes)

Ends with ``RESULT planted_top1=<...> ig_completeness_err=<...> shap_tree_speedup=<...>``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import numpy as np  # noqa: E402

from workbench import explain as ex  # noqa: E402
from workbench.data import virtual_land  # noqa: E402


def planted_part(args):
    t0 = time.perf_counter()
    df = ex.planted_cause_study(seeds=tuple(range(1, args.seeds + 1)), max_explain=1000, progress=False)
    rates = ex.hit_rates(df)
    print(f"\n1. planted causes: {df.mechanism.nunique()} mechanisms x {args.seeds} seed(s), "
          f"{time.perf_counter() - t0:.0f} s")
    per = df.pivot_table(index="mechanism", columns="explainer", values="hit", aggfunc="mean", sort=False)
    per["kind"] = df.groupby("mechanism", sort=False)["kind"].first()
    per["r2 (held out)"] = df.groupby("mechanism", sort=False)["r2"].mean().round(2)
    print(per.to_string())
    print("hit rate by explainer: " + ", ".join(f"{k} {v:.3f}" for k, v in rates.items()))
    misses = df[~df.hit]
    for _, row in misses.iterrows():
        print(f"  MISLEADING: {row.mechanism} (seed {row.seed}, {row.explainer}): planted {row.planted}, "
              f"ranked {row.top}; held-out R2 {row.r2}")
    return float(rates["tree_shap"]), sorted(set(misses.mechanism))


def ig_part(args, land):
    table = ex.planted_residuals(land, "lai_and_wind", seed=1)
    em = ex.ErrorModel("mlp", max_fit=6000, max_explain=1000, seed=1, params={"epochs": 120}).fit(table)
    rows = []
    for steps in (8, 32, 64):
        attr, err = ex.integrated_gradients(em, n_steps=steps)
        rows.append((steps, err, ex.rank_drivers(attr)[:2]))
    print(f"\n2. Integrated Gradients on a network error model (held-out R2 {em.score_:.3f}):")
    for steps, err, top in rows:
        print(f"  n_steps={steps:3d}: completeness error {err:.2e}, top drivers {top}")
    return rows[-1][1]


def shap_part(args, land):
    table = ex.planted_residuals(land, "dry_and_cloudy", seed=1)
    em = ex.ErrorModel("gbm", max_fit=10_000, max_explain=10_000, explain_fraction=0.5, seed=1).fit(table)
    n = em.X_explain_.shape[0]
    t0 = time.perf_counter()
    tree = ex.shap_values(em, explainer="tree")
    t_tree = time.perf_counter() - t0
    t0 = time.perf_counter()
    agn = ex.shap_values(em, explainer="permutation", n_samples=args.agnostic_rows, n_background=100)
    t_agn = (time.perf_counter() - t0) * n / args.agnostic_rows
    common = tree.sel(sample=agn.sample)
    agree = float(np.corrcoef(common.values.ravel(), agn.values.ravel())[0, 1])
    print(f"\n3. SHAP values on {n} held-out rows (gbm, {len(em.feature_names_)} drivers):")
    print(f"  TreeExplainer          {t_tree:8.2f} s (measured on all {n} rows)")
    print(f"  PermutationExplainer   {t_agn:8.2f} s (measured on {args.agnostic_rows} rows, scaled to {n})")
    print(f"  speed-up {t_agn / t_tree:.0f}x; agreement of the two explainers' values (Pearson r) {agree:.3f}")
    return t_agn / t_tree


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one seed, 40 agnostic rows")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--agnostic-rows", type=int, default=200)
    args = parser.parse_args()
    if args.quick:
        args.seeds, args.agnostic_rows = 1, 40
    import torch

    torch.set_num_threads(1)
    start = time.perf_counter()
    print(f"diagnostics: {os.cpu_count()} CPUs, seeds={args.seeds}, quick={args.quick}")
    top1, misleading = planted_part(args)
    land = virtual_land(lat=(30, 60), lon=(-10, 30), resolution=2.0, seed=1)
    ig_err = ig_part(args, land)
    speedup = shap_part(args, land)
    print(f"\nmisleading cases: {', '.join(misleading) or 'none'}")
    print(f"total {time.perf_counter() - start:.0f} s")
    print(f"RESULT planted_top1={top1:.3f} ig_completeness_err={ig_err:.2e} shap_tree_speedup={speedup:.0f}")


if __name__ == "__main__":
    main()
