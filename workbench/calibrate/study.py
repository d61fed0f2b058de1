"""The study's comparisons as functions, shared by notebook 05 and ``benchmarks/calibration.py``."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .model import DEFAULTS, OUTPUTS
from .problem import CalibrationProblem
from .search import search

__all__ = ["compare_methods", "recovery_table", "evaluations_to_match", "site_scores", "score_parameters",
           "at_bound_report"]


def compare_methods(problem: CalibrationProblem, plan: dict, *, progress: bool = False) -> list:
    """Run each ``{method: options}`` of ``plan`` on the same problem (its counter reset each time)."""
    return [search(problem, m, progress=progress, **opts) for m, opts in plan.items()]


def recovery_table(results, truth: dict) -> pd.DataFrame:
    """Estimate, truth and relative error of every calibrated parameter for each result."""
    rows = []
    for r in results:
        for k in r.bounds:
            rows.append({"method": r.method, "parameter": k, "estimate": r.params[k], "truth": truth[k],
                         "relative_error": r.params[k] / truth[k] - 1.0, "at_bound": k in r.at_bound})
    return pd.DataFrame(rows)


def evaluations_to_match(results, reference: str = "differential evolution", tol: float = 0.02) -> pd.DataFrame:
    """Model evaluations each method needed to reach the reference's final loss (within ``tol``, relative).

    Returns
    -------
    pandas.DataFrame
        ``method``, ``final_loss``, ``evaluations_to_match`` (NaN when never
        reached), ``n_evaluations``, ``wall_s`` and ``ratio_vs_reference``
        (reference evaluations / method evaluations to match; > 1 is cheaper).
    """
    ref = next((r for r in results if r.method == reference), None)
    if ref is None:
        raise ValueError(f"no result of {reference!r} among {[r.method for r in results]}")
    target = ref.loss * (1.0 + tol)
    n_ref = ref.evaluations_to_reach(target)
    rows = []
    for r in results:
        n = r.evaluations_to_reach(target)
        rows.append({"method": r.method, "final_loss": r.loss, "evaluations_to_match": n,
                     "n_evaluations": r.n_evaluations, "wall_s": r.wall_s, "ratio_vs_reference": n_ref / n})
    return pd.DataFrame(rows).set_index("method")


def score_parameters(sites: xr.Dataset, params: xr.Dataset | dict, *, variable: str = "et") -> pd.DataFrame:
    """RMSE and KGE of the NumPy model with per-site ``params`` (Dataset on site, or one dict for all).

    Metrics from :func:`workbench.intercompare.compute_metrics` over the days
    with observations.
    """
    from ..intercompare import compute_metrics

    rows = []
    for s in sites["site"].values:
        one = sites.sel(site=s)
        p = params if isinstance(params, dict) else {k: float(params[k].sel(site=s)) for k in params.data_vars
                                                     if k in DEFAULTS}
        problem = CalibrationProblem(one, names=[k for k in p if k in DEFAULTS])
        sim = problem.simulate([[p[k] for k in problem.names]])[variable].isel(member=0)
        m = compute_metrics(one[f"obs_{variable}"], sim.assign_attrs(units=OUTPUTS[variable]), ["rmse", "kge"],
                            dim="time", skipna=True)
        rows.append({"site": str(s), "rmse": float(m["rmse"]), "kge": float(m["kge"])})
    return pd.DataFrame(rows)


def site_scores(sites: xr.Dataset, candidates: dict) -> pd.DataFrame:
    """:func:`score_parameters` for several ``{label: params}``, stacked with a ``method`` column."""
    return pd.concat([score_parameters(sites, p).assign(method=k) for k, p in candidates.items()],
                     ignore_index=True)


def at_bound_report(results) -> pd.DataFrame:
    """Which parameters ended at a search bound, per result (the flag the study raises)."""
    return pd.DataFrame([{"method": r.method, "at_bound": ", ".join(r.at_bound) or "none",
                          **{k: r.params[k] for k in r.bounds}} for r in results]).set_index("method")

