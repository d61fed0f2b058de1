"""Quality-control benchmark: per-type precision, recall and F1 on virtual towers, gap-filling per gap length, throughput.

One scenario per anomaly type (only that type planted, 3 % of all steps), on
daily virtual towers (half-hourly for night-time LE); thresholds calibrated
on clean towers of another seed (false-alarm rate 1e-3 per detector). The
rule-based set and the ensemble are scored side by side. Gap-filling: MDS
against the learned filler on a dozen artificial gaps of each length
(1-14 days) in two clean half-hourly years. Throughput: one site-decade of half-hourly data screened
by the rule set and by the whole ensemble.

Usage::

    python benchmarks/quality_control.py            # the full benchmark (about 5 min on 2 cores)
    python benchmarks/quality_control.py --quick    # a reduced run (about 2 min)

Ends with one line ``RESULT f1_spike=... f1_drift=... f1_stuck=... f1_ensemble_gain=... gapfill_rmse_ratio_vs_mds=...``.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

import workbench as wb
from workbench import qc

VARIABLES = ["le", "h", "rn", "tmean"]


def towers(seed: int, *, n_sites: int, start: str, end: str, halfhourly: bool = False):
    land = wb.data.virtual_land(lat=(40, 50), lon=(0, 10), start=start, end=end, seed=42 + seed)
    t = wb.data.virtual_towers(land, n_sites=n_sites, seed=seed)
    return wb.data.virtual_towers_halfhourly(t, seed=seed) if halfhourly else t


def per_type(args) -> pd.DataFrame:
    rows = []
    for halfhourly, kinds in ((False, [t for t in qc.ANOMALY_TYPES if t != "night_le"]), (True, ["night_le"])):
        kw = dict(n_sites=2, start="2019-05-01", end=f"2019-{'06-30' if args.quick else '08-31'}") if halfhourly else dict(n_sites=args.sites, start="2019-01-01", end=args.end)
        data, clean = towers(0, halfhourly=halfhourly, **kw), towers(1, halfhourly=halfhourly, **kw)
        thresholds = qc.calibrate_thresholds(qc.score_all(clean, VARIABLES), VARIABLES, alpha=1e-3)
        for kind in kinds:
            bad, _ = qc.plant_anomalies(data, variables=VARIABLES, fraction=0.03, mix=kind, seed=1)
            flags = qc.flags_from_scores(qc.score_all(bad, VARIABLES), VARIABLES, thresholds=thresholds)
            row = {"type": kind, "data": "half-hourly" if halfhourly else "daily"}
            for name, rule in (("rules", {"any": qc.RULES}), ("ensemble", None)):
                t = qc.score_by_type(qc.set_flags(flags, VARIABLES, rule), bad, VARIABLES).loc[kind]
                row.update({f"{name}_precision": t.precision, f"{name}_recall": t.recall, f"{name}_f1": t.f1})
            row["steps"] = int(t.steps)
            rows.append(row)
            print(f"  {kind:12s} rules F1 {row['rules_f1']:.3f}  ensemble F1 {row['ensemble_f1']:.3f}", flush=True)
    table = pd.DataFrame(rows).set_index("type")
    table["gain"] = table["ensemble_f1"] - table["rules_f1"]
    return table


def gapfill(args) -> pd.DataFrame:
    site = towers(0, n_sites=1, start="2019-01-01", end="2020-12-31" if not args.quick else "2019-06-30", halfhourly=True)
    return qc.score_gapfill(site, "le", gap_days=(1, 3, 7, 14), count=12 if not args.quick else 4, seed=0)  # a dozen gaps per length: a few days of weather are too few to rank the fillers


def throughput(args) -> dict:
    years = 10 if not args.quick else 2
    site = towers(0, n_sites=1, start="2010-01-01", end=f"{2010 + years - 1}-12-31", halfhourly=True)
    t0 = time.perf_counter()
    qc.screen(site, VARIABLES, detectors=list(qc.RULES))
    rules = time.perf_counter() - t0
    t0 = time.perf_counter()
    qc.screen(site, VARIABLES)
    full = time.perf_counter() - t0
    return {"years": years, "steps": int(site.sizes["time"]), "rules_s": rules, "ensemble_s": full, "ratio": full / rules}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a reduced run")
    args = parser.parse_args()
    args.sites = 3 if args.quick else 8
    args.end = "2019-12-31" if args.quick else "2020-12-31"
    print(f"== per-type scores ({args.sites} daily sites to {args.end}; 2 half-hourly sites for night-time LE)", flush=True)
    table = per_type(args)
    with pd.option_context("display.width", 250, "display.max_columns", 20, "display.precision", 3):
        print(table)
    targets = {"spike": 0.9, "sign_flip": 0.9, "scale_error": 0.9, "drift": 0.8, "stuck": 0.8}
    print("targets (ensemble F1): " + ", ".join(f"{k} {table.loc[k, 'ensemble_f1']:.3f} (>= {v}: {'met' if table.loc[k, 'ensemble_f1'] >= v else 'not met'})" for k, v in targets.items()))
    gain = float(min(table.loc["drift", "gain"], table.loc["eb_break", "gain"]))
    print(f"ensemble gain over the rule set: drift {table.loc['drift', 'gain']:.3f}, eb_break {table.loc['eb_break', 'gain']:.3f} (>= 0.1: {'met' if gain >= 0.1 else 'not met'})")
    print("== gap-filling (half-hourly le, clean; RMSE in W m-2)", flush=True)
    gaps = gapfill(args)
    print(gaps.round(3))
    ratio = float(gaps.loc[gaps.index <= 14, "ratio"].max())
    print(f"learned / MDS RMSE, worst gap length up to 14 days: {ratio:.3f} (<= 1: {'met' if ratio <= 1 else 'not met'})")
    print("== throughput (one site, half-hourly, all four variables)", flush=True)
    tp = throughput(args)
    print(f"{tp['years']} site-years = {tp['steps']} steps: rule set {tp['rules_s']:.2f} s, ensemble {tp['ensemble_s']:.1f} s, ratio {tp['ratio']:.1f}")
    print(
        f"RESULT f1_spike={table.loc['spike', 'ensemble_f1']:.3f} f1_drift={table.loc['drift', 'ensemble_f1']:.3f} "
        f"f1_stuck={table.loc['stuck', 'ensemble_f1']:.3f} f1_ensemble_gain={gain:.3f} gapfill_rmse_ratio_vs_mds={ratio:.3f} "
        f"f1_sign_flip={table.loc['sign_flip', 'ensemble_f1']:.3f} f1_scale_error={table.loc['scale_error', 'ensemble_f1']:.3f} "
        f"screen_site_decade_s={tp['ensemble_s']:.1f} screen_ratio_vs_rules={tp['ratio']:.1f}"
    )


if __name__ == "__main__":
    main()
