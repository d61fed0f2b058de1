"""Reconciling the five ECOSTRESS ET models at unseen AmeriFlux sites (notebook 03, section 8).

The ECOSTRESS Collection-2 cal/val table (1,065 overpasses at 63 AmeriFlux sites;
the PyPI package ``ECOv002-calval-tables``) is fused with the methods of the
synthetic study: the equal-weight ensemble, 1/MSE performance weights, triple-
collocation fusion and a gradient-boosting fusion on the five models plus their
covariates (net radiation, air temperature, humidity, soil moisture, NDVI, LST,
albedo, land cover and Koeppen climate). Every estimate is judged at sites left
out of its training: grouped k-fold by site (5 and 10 folds), against the
energy-balance-corrected tower flux ``LEcorr50``. Reference: the best single model
(PT-JPL-SM, RMSE 99.4 W m-2, KGE 0.68) and the official ensemble JET (105.6, 0.56).

The script also prints the skill per land cover and triple collocation on the
pooled overpasses beside the errors measured against the towers.

Usage::

    python benchmarks/real_fusion.py            # the real table (via workbench.data.fetch_real)
    python benchmarks/real_fusion.py --virtual  # the virtual stand-in (no real data needed)

The last line is ``RESULT real_fusion_rmse=... real_fusion_kge=... best_single_rmse=... jet_rmse=...``
(5-fold, W m-2).
"""

from __future__ import annotations

import argparse
import time

import pandas as pd

from workbench import intercompare as ic

MODELS = ["STIC", "BESS", "MOD16", "PTJPLSM", "JET"]
COVARIATES = [v[0] for v in ic.ECOSTRESS_COVARIATES.values()]
METHODS = ["ensemble", "performance", "tc_fusion", "ml_fusion"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--virtual", action="store_true", help="use the virtual stand-in instead of the real table")
    parser.add_argument("--max-iter", type=int, default=100, help="boosting iterations of the ML fusion")
    args = parser.parse_args()
    pd.set_option("display.width", 140)

    eco = ic.virtual_overpasses() if args.virtual else ic.load_overpasses(fallback=False)
    table = ic.overpass_table(eco, MODELS, covariates=COVARIATES)
    print(f"{'VIRTUAL stand-in' if eco.attrs['virtual'] else 'ECOSTRESS cal/val table'}: {len(table)} overpasses at {table.site.nunique()} sites")

    results = {}
    for folds in (5, 10):
        t0 = time.perf_counter()
        cv = ic.fuse_at_unseen_sites(table, MODELS, covariates=COVARIATES, categorical=["vegetation", "climate"], n_splits=folds, max_iter=args.max_iter)
        skill = ic.skill_by_group(cv, [*MODELS, *METHODS])
        results[folds] = (cv, skill)
        print(f"\n{folds}-fold grouped cross-validation by site ({time.perf_counter() - t0:.1f} s); W m-2 against LEcorr50")
        print(skill.round(3).to_string())

    cv, skill = results[5]
    print("\nPer land cover (5-fold; RMSE [W m-2] and KGE):")
    by = ic.skill_by_group(cv, ["PTJPLSM", "JET", "ml_fusion"], by="vegetation", metrics=("rmse", "kge", "n"))
    print(by.unstack("estimate").round(2).to_string())

    print("\nTriple collocation on the pooled overpasses vs errors measured against the towers (W m-2, model units):")
    print(ic.tc_against_towers(table, MODELS).round(3).to_string())

    ml, best, jet = skill.loc["ml_fusion"], skill.loc["PTJPLSM"], skill.loc["JET"]
    print(f"\nML fusion vs PT-JPL-SM: RMSE x{ml.rmse / best.rmse:.3f}, KGE {ml.kge:.3f} vs {best.kge:.3f}; "
          f"vs JET: RMSE x{ml.rmse / jet.rmse:.3f}, KGE {ml.kge:.3f} vs {jet.kge:.3f}")
    print(f"RESULT real_fusion_rmse={ml.rmse:.1f} real_fusion_kge={ml.kge:.3f} best_single_rmse={best.rmse:.1f} jet_rmse={jet.rmse:.1f}")


if __name__ == "__main__":
    main()
