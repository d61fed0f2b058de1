"""Symbolic ET at unseen towers: shape-constrained equations against physical baselines and black boxes.

All FLUXNET2015 SUBSET DD sites (virtual towers when the real files are not
available), grouped cross-validation by site (every site held out once), and
on exactly the same held-out days: the chosen equation of a shape-constrained
search (dimensionally consistent, breaking no shape constraint), FAO-56
Penman-Monteith (grass reference, potential), Priestley-Taylor with α fitted,
Penman-Monteith with a fitted Jarvis surface conductance, gradient boosting
and an MLP. Then the Penman-Monteith recovery of ``sr_recovery.py``.

Targets (issue 11): median held-out RMSE of the equation <= 0.8 x FAO-56 PM,
<= calibrated Priestley-Taylor, <= PM with the fitted conductance, within 15 %
of gradient boosting; the equation <= 25 nodes; PM recovered in >= 3 of 5 seeds
within 300 s each.

Usage::

    python benchmarks/sr_towers.py                 # about 10 min towers + up to 25 min PM on 2 cores
    python benchmarks/sr_towers.py --pm-seeds 0    # towers only
    python benchmarks/sr_towers.py --quick         # one year per site, 5 s searches, PM skipped

Ends with ``RESULT sr_vs_pm_rmse=<ratio> sr_vs_pt_rmse=<ratio> sr_vs_pmgs_rmse=<ratio> sr_vs_gbm_rmse=<ratio>
constraint_violation_share=<...> pm_form_recovered=<n of 5> pm_median_s=<...>``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import pandas as pd  # noqa: E402

from workbench.symbolic import studies  # noqa: E402


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--budget", type=float, default=60.0, help="seconds per fold's search")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--years", type=int, default=None, help="first years per site (default all)")
    parser.add_argument("--pm-seeds", type=int, default=5, help="seeds of the PM recovery (0: skip)")
    parser.add_argument("--pm-budget", type=float, default=300.0)
    parser.add_argument("--quick", action="store_true", help="one year per site, 5 s searches, no PM part")
    args = parser.parse_args(argv)
    if args.quick:
        args.budget, args.years, args.pm_seeds = 5.0, 1, 0
    warnings.filterwarnings("ignore", category=UserWarning)
    start = time.perf_counter()
    print(f"sr_towers: {os.cpu_count()} CPUs, {args.folds} site folds, search budget {args.budget:.0f} s per fold")
    towers = studies.tower_table(years=args.years)
    print(f"data: {towers.attrs['source']}, {towers['site'].nunique()} sites, {len(towers)} days "
          f"({time.perf_counter() - start:.0f} s)")
    for note in towers.attrs["notes"]:
        print(f"note: {note}")
    cv = studies.cross_validate(towers, ["eq", "pm_aero", "vpd", "water"], n_folds=args.folds, max_train_rows=2000,
                                search=dict(niterations=100_000, time_budget=args.budget, population_size=500),
                                progress=False)
    summary = studies.summarise(cv).set_index("method")
    print("median over held-out sites (RMSE, bias in mm d-1):")
    print(summary.sort_values("rmse").round(3).to_string())
    print("median RMSE by aridity class:")
    print(studies.summarise(cv, by="aridity").pivot(index="aridity", columns="method", values="rmse").round(3)
          .to_string())
    print("fold equations:")
    for k, (eq, (_, test)) in enumerate(zip(cv.equations, cv.folds)):
        print(f"  fold {k} ({', '.join(test)}): {eq.complexity} nodes, consistent={eq.consistent}, "
              f"violating share {eq.violation:.3f}: {eq.expr}")
    print("inputs used by the fold equations:", cv.inputs_used().sum().to_dict())
    viol = cv.violations.groupby("model")["any constraint"].mean()
    print("violating share of the check points (mean over folds):", viol.round(4).to_dict())
    r = studies.ratios(summary.reset_index())
    kge = summary["kge"]
    print("ratios of median RMSE, symbolic over: " + ", ".join(f"{k[6:-5]} {v:.3f}" for k, v in r.items()))
    print(f"targets: vs FAO-56 PM <= 0.8: {r['sr_vs_pm_rmse'] <= 0.8}; vs PT <= 1: {r['sr_vs_pt_rmse'] <= 1}; "
          f"vs PM+Jarvis <= 1: {r['sr_vs_pmgs_rmse'] <= 1}; vs GBM <= 1.15: {r['sr_vs_gbm_rmse'] <= 1.15}; "
          f"size <= 25: {max(e.complexity for e in cv.equations) <= 25}")
    print("median KGE: " + ", ".join(f"{m} {v:.3f}" for m, v in kge.sort_values(ascending=False).items()))
    print(f"seconds per fold: {cv.seconds.drop(columns='fold').sum(axis=1).round(0).tolist()}")
    pm_line = "pm_form_recovered=not_run pm_median_s=not_run"
    if args.pm_seeds > 0:
        from sr_recovery import pm_part

        pm_args = argparse.Namespace(pm_seeds=args.pm_seeds, pm_budget=args.pm_budget, pm_raw=0.0)
        pm = pm_part(pm_args)
        pm_line = f"pm_form_recovered={int(pm.recovered.sum())} pm_median_s={pm.seconds.median():.1f}"
    share = max(e.violation for e in cv.equations)
    print(f"total {time.perf_counter() - start:.0f} s")
    print(f"RESULT sr_vs_pm_rmse={r['sr_vs_pm_rmse']:.3f} sr_vs_pt_rmse={r['sr_vs_pt_rmse']:.3f} "
          f"sr_vs_pmgs_rmse={r['sr_vs_pmgs_rmse']:.3f} sr_vs_gbm_rmse={r['sr_vs_gbm_rmse']:.3f} "
          f"constraint_violation_share={share:.3f} {pm_line}")


if __name__ == "__main__":
    pd.set_option("display.width", 160)
    main()
