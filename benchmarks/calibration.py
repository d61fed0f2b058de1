"""Parameter optimisation: recovery, cost of gradient and dPL calibration vs differential evolution, unseen and real sites.

Measured in one run, side by side:

1. Twin towers (the model's own output with known per-land-cover parameters), noise-free:
   differential evolution per site; relative error of each identifiable parameter (target: within 5 %).
2. The same towers with tower noise: emcee posteriors at two sites (DBF, CRO); identifiable = 95 % interval
   narrower than 25 % of the search range at both; the truth within the interval (target), unidentifiable
   ones reported.
3. Model evaluations to reach DE's final loss (within 2 %): L-BFGS (SciPy L-BFGS-B, site by site) and Adam (all
   sites batched; Adam is per-parameter, so one independent run per site) through the torch model, both from the
   model's defaults on the logistic scale of the bounds, RMSE descended as its square; vs the evaluations DE needed to
   come within 2 % of its own final loss (target: >= 10x fewer). One forward run with its gradient = one evaluation
   (line-search trials included); DE's evaluations are forward runs. The RESULT's ratio is L-BFGS's median over sites.
4. dPL (full-batch L-BFGS, 150 epochs) trained on other twin sites (none in a test site's grid cell), at the six
   unseen sites vs per-site DE there (target: mean loss within 10 %). The twin's truth depends on land cover only, so
   the RESULT's dPL sees the land-cover attributes; a network that also sees climate and LAI (which the truth does not
   depend on) is shown beside it on 12 and on 40 training sites, and the same on noisy towers.
5. Real FLUXNET2015 sites (closure-corrected LE_CORR, climatological LAI): default vs per-site DE vs
   dPL leave-site-out, ET RMSE and KGE per site (virtual towers when no real data are available).

Usage: ``python benchmarks/calibration.py [--quick]``: June (30 days), DE 300 evaluations per site, L-BFGS and Adam
30, dPL 150 epochs (leave-site-out at the real sites 20) (sized for a shared 2-core machine); ``--quick``: 20 days and smaller budgets, a smoke run.
Ends with ``RESULT param_max_relerr=... evals_ratio_vs_de=... dpl_unseen_loss_ratio=... real_rmse_default=...
real_rmse_dpl=...``.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd
import torch

import workbench as wb
from workbench import calibrate as cal

REAL_SITES = ["DE-Hai", "DE-Geb", "DE-Gri", "IT-Col", "DE-Kli", "NL-Hor", "IT-Tor", "US-MMS"]


def main(quick: bool) -> None:
    torch.set_num_threads(1)
    warnings.simplefilter("ignore", RuntimeWarning)
    t_start = time.perf_counter()
    end, season_end = ("2020-06-20", "06-20") if quick else ("2020-06-30", "06-30")
    de_budget, steps, epochs, mc_steps = (150, 20, 8, 30) if quick else (300, 30, 20, 50)
    dpl_epochs = 60 if quick else 150
    land = wb.data.virtual_land(lat=(35.0, 60.0), lon=(-10.0, 30.0), resolution=2.5, start="2020-06-01", end=end)
    pd.set_option("display.width", 160)
    print(f"period 2020-06-01..{end}; DE {de_budget} evaluations per site; L-BFGS and Adam {steps}; dPL "
          f"{dpl_epochs} epochs (leave-site-out {epochs})")

    # 1. recovery: noise-free twin towers, DE per site; 3. L-BFGS and Adam per site
    twin = cal.twin_sites(land, n_sites=6, seed=0)
    de = cal.calibrate_sites(twin, "de", budget=de_budget, popsize=5, seed=0)
    adam = cal.gradient_sites(twin, steps=steps, lr=0.15)
    lbfgs = cal.gradient_sites(twin, steps=steps, method="lbfgs")
    rows = []
    for s in twin["site"].values:
        site = twin.sel(site=s)
        for k in cal.PARAMETERS:
            truth = float(site[f"true_{k}"])
            rows.append({"site": str(s), "igbp": str(site["igbp"].values), "parameter": k, "truth": truth,
                         "de": float(de[k].sel(site=s)), "relerr_de": float(de[k].sel(site=s)) / truth - 1,
                         "lbfgs": float(lbfgs[k].sel(site=s)), "relerr_lbfgs": float(lbfgs[k].sel(site=s)) / truth - 1})
    rec = pd.DataFrame(rows)

    # 2. posterior with tower noise at two sites (DBF, CRO): which parameters the data constrain
    noisy = cal.twin_sites(land, n_sites=6, seed=0, noise=0.1)
    post_rows = []
    for s in ("VL-02", "VL-04"):
        nsite = noisy.sel(site=s)
        truth = {k: float(nsite[f"true_{k}"]) for k in cal.PARAMETERS}
        nproblem = cal.CalibrationProblem(nsite)
        post = cal.sample_posterior(nproblem, nsite["sigma_et"], nwalkers=10, nsteps=mc_steps, start=truth)
        post_rows.append(cal.posterior_summary(post, truth=truth, bounds=nproblem.bounds).assign(site=s))
    posts = pd.concat(post_rows).reset_index()
    posts["identifiable"] = posts["width_of_prior"] < 0.25
    print("\n== 1. twin towers, noise-free: recovery by per-site DE and L-BFGS ==")
    print(rec.round(3).to_string(index=False))
    print("\n== 2. noisy twin towers: posterior (emcee); identifiable = 95 % interval < 25 % of the range ==")
    print(posts.round(3).to_string(index=False))
    ident = rec.merge(posts.loc[posts["identifiable"], ["site", "parameter"]], on=["site", "parameter"])
    param_max_relerr = float(ident["relerr_de"].abs().max()) if len(ident) else float("nan")
    coverage = float(posts.loc[posts["identifiable"], "truth_in_95"].mean())
    print(f"identifiable (site, parameter) pairs: {[f'{r.site}:{r.parameter}' for r in ident.itertuples()]}; max "
          f"|relative error| of noise-free DE on them {param_max_relerr:.4f} (target 0.05; L-BFGS "
          f"{float(ident['relerr_lbfgs'].abs().max()):.4f}); truth inside the 95 % interval for {coverage:.0%} of them")
    print("unidentifiable (reported, not failures):",
          ", ".join(f"{r.site}:{r.parameter} (width {r.width_of_prior:.2f})" for r in posts[~posts["identifiable"]].itertuples())
          or "none")

    # 3. evaluations to reach DE's final loss
    def evaluations_to_de(res):
        out = []
        for s in twin["site"].values:
            target = float(de["loss"].sel(site=s)) * 1.02
            hit = np.nonzero(res["history"].sel(site=s).values <= target)[0]
            out.append(float(hit[0] + 1) if hit.size else float("nan"))
        return np.array(out)

    de_evals = de["n_evaluations_to_final"].values
    n_lbfgs, n_adam = evaluations_to_de(lbfgs), evaluations_to_de(adam)
    ratios, ratios_adam = de_evals / n_lbfgs, de_evals / n_adam
    print("\n== 3. model evaluations to reach DE's final loss (within 2 %): L-BFGS and Adam through the torch model ==")
    print(pd.DataFrame({"de_loss": de["loss"].to_series(), "de_evals_spent": de["n_evaluations"].to_series(),
                        "de_evals_to_final": de_evals, "lbfgs_loss": lbfgs["loss"].to_series(),
                        "lbfgs_evals_to_de": n_lbfgs, "ratio_de_over_lbfgs": ratios,
                        "adam_loss": adam["loss"].to_series(), "adam_evals_to_de": n_adam,
                        "ratio_de_over_adam": ratios_adam}).round(4).to_string())
    def median_ratio(r):  # a site never reached counts as ratio 0 (infinitely many evaluations)
        return float(np.median(np.nan_to_num(r, nan=0.0)))

    evals_ratio = median_ratio(ratios)
    print(f"median ratio L-BFGS {evals_ratio:.1f} (min {np.nan_to_num(ratios, nan=0.0).min():.1f}), Adam "
          f"{median_ratio(ratios_adam):.1f} "
          f"(target >= 10; per site: DE's evaluations until it came within 2 % of its final loss / the gradient "
          f"method's evaluations to come within 2 % of DE's final loss, NaN = never within {steps}; one gradient "
          f"evaluation = a forward + backward run, about 3 forward runs of wall time); wall: DE "
          f"{float(de['wall_s'].sum()):.0f} s, L-BFGS {float(lbfgs['wall_s'].sum()):.0f} s, Adam "
          f"{float(adam['wall_s'].max()):.0f} s for all six sites")

    # 4. dPL: trained on other twin sites (none in a test site's cell), applied to the six above (unseen)
    def training_sites(n, noise=0.0):
        pool = cal.twin_sites(land, n_sites=n + 12, seed=1, noise=noise)
        test_cells = set(zip(twin["lat"].values.round(3), twin["lon"].values.round(3)))
        keep = [i for i, c in enumerate(zip(pool["lat"].values.round(3), pool["lon"].values.round(3)))
                if c not in test_cells][:n]
        return pool.isel(site=keep)

    land_cover = [a for a in cal.site_attributes(twin)["attribute"].values if a.startswith("is_")]
    n_small, n_large = (8, 20) if quick else (12, 40)
    dpl_rows, dpl_main = [], None
    for label, n, attrs, noise in (("land cover, noise-free", n_small, land_cover, 0.0),
                                   ("all attributes, noise-free", n_small, None, 0.0),
                                   ("all attributes, noise-free", n_large, None, 0.0),
                                   ("land cover, noisy towers", n_small, land_cover, 0.1),
                                   ("all attributes, noisy towers", n_large, None, 0.1)):
        test, reference = (twin, de) if noise == 0 else (noisy, None)
        if reference is None:
            reference = cal.calibrate_sites(noisy, "de", budget=de_budget, popsize=5, seed=0)
        model = cal.DPLModel(epochs=dpl_epochs, optimizer="lbfgs", attributes=attrs, seed=0).fit(
            training_sites(n, noise))
        unseen = model.loss(test)
        oracle = np.mean([float(cal.CalibrationProblem(test.isel(site=i))(
            [[float(test[f"true_{k}"].isel(site=i)) for k in cal.PARAMETERS]])[0]) for i in range(test.sizes["site"])])
        dpl_rows.append({"attributes": label, "training_sites": n, "dpl_loss": float(unseen.mean()),
                         "per_site_de_loss": float(reference["loss"].mean()), "oracle_loss": oracle,
                         "ratio": float(unseen.mean() / reference["loss"].mean()),
                         "train_loss": float(model.history_["loss"].iloc[-1]),
                         "train_evaluations": model.n_evaluations_})
        if dpl_main is None:
            dpl_main, dpl_test = model, unseen
    dpl_unseen_loss_ratio = dpl_rows[0]["ratio"]
    print("\n== 4. dPL at unseen sites (no calibration there) vs per-site DE ==")
    print(pd.DataFrame({"dPL (land cover)": dpl_test.to_series(), "per-site DE": de["loss"].to_series(),
                        "per-site L-BFGS": lbfgs["loss"].to_series()}).round(4).to_string())
    print(pd.DataFrame(dpl_rows).round(4).to_string(index=False))
    print(f"mean loss ratio dPL / per-site DE at unseen sites: {dpl_unseen_loss_ratio:.3f} (target <= 1.10; oracle_loss: "
          f"the true parameters); dPL cost {dpl_main.n_evaluations_} evaluations in "
          f"training ({dpl_epochs} per training site, 0 at the unseen sites) vs DE {int(de['n_evaluations'].sum())} at the "
          f"six sites")

    # 5. real sites
    try:
        real = cal.fluxnet_sites(sites=REAL_SITES[:4] if quick else REAL_SITES, n_sites=4 if quick else 5,
                                 start="06-01", end=season_end)
    except wb.data.RealDataUnavailable as err:
        print(f"\nreal FLUXNET data unavailable ({err}); virtual towers stand in")
        real = cal.tower_sites(land, n_sites=4, seed=5, closure=True)
    per_site = cal.calibrate_sites(real, "de", budget=de_budget, popsize=10)
    lso = cal.leave_site_out(real, epochs=epochs, optimizer="lbfgs")
    scores = cal.site_scores(real, {"default": dict(cal.DEFAULTS), "per-site DE": per_site, "dPL leave-site-out": lso})
    print(f"\n== 5. {real.attrs.get('source')} sites {list(real.site.values)}: ET RMSE [mm d-1] and KGE per site ==")
    print(scores.pivot(index="site", columns="method", values=["rmse", "kge"]).round(3).to_string())
    means = scores.groupby("method")[["rmse", "kge"]].mean()
    print(means.round(3).to_string())
    print(f"\nwall time {time.perf_counter() - t_start:.0f} s")
    print(f"RESULT param_max_relerr={param_max_relerr:.4f} evals_ratio_vs_de={evals_ratio:.1f} "
          f"dpl_unseen_loss_ratio={dpl_unseen_loss_ratio:.3f} real_rmse_default={means.loc['default', 'rmse']:.3f} "
          f"real_rmse_dpl={means.loc['dPL leave-site-out', 'rmse']:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one month and small budgets (a smoke run)")
    main(parser.parse_args().quick)
