"""The planted-cause study: explain each planted error and score the explanation."""

from __future__ import annotations

import numpy as np
import pandas as pd
from tqdm.auto import tqdm

from ..data import virtual_land
from .attribution import explain, planted_hit, rank_drivers
from .errormodel import ErrorModel
from .mechanisms import MECHANISMS, planted_residuals

__all__ = ["planted_cause_study", "hit_rates", "STUDY_LAND"]

#: The virtual land of the study: Europe-sized, 3-degree cells, one year (130 cells x 366 days).
STUDY_LAND = {"lat": (30.0, 60.0), "lon": (-10.0, 30.0), "resolution": 3.0, "start": "2020-01-01", "end": "2020-12-31"}


def planted_cause_study(mechanisms=None, seeds=(1,), *, explainers=("tree_shap", "permutation_importance"),
                        land=None, land_kwargs=None, max_fit=3000, max_explain=600, progress=True) -> pd.DataFrame:
    """Fit an error model to every planted mechanism and seed, explain it, and score the ranking.

    Parameters
    ----------
    mechanisms : list of str, optional
        Keys of :data:`MECHANISMS` (default all).
    seeds : sequence of int
        Each seed builds its own virtual land (unless ``land`` is given), noise and split.
    explainers : sequence of str
        From :data:`workbench.explain.EXPLAINERS` (those that suit a gbm error model).
    land : xarray.Dataset, optional
        One land for every seed (the seeds then vary noise and split only).
    land_kwargs : dict, optional
        Arguments of :func:`workbench.data.virtual_land` (default :data:`STUDY_LAND`).
    max_fit, max_explain : int
        Rows for fitting and for explaining each error model.
    progress : bool

    Returns
    -------
    pandas.DataFrame
        One row per mechanism x seed x explainer: ``mechanism``, ``kind``,
        ``seed``, ``explainer``, ``planted``, ``top`` (the top-3 drivers),
        ``hit`` (the planted driver(s) ranked first), ``r2`` (error model on
        held-out cells).
    """
    names = list(mechanisms or MECHANISMS)
    rows = []
    jobs = [(s, m) for s in seeds for m in names]
    lands = {}
    for seed, name in tqdm(jobs, desc="planted causes", disable=not progress):
        if land is None and seed not in lands:
            lands = {seed: virtual_land(**(land_kwargs or STUDY_LAND), seed=seed)}
        world = land if land is not None else lands[seed]
        mech = MECHANISMS[name]
        table = planted_residuals(world, mech, seed=seed)
        em = ErrorModel("gbm", max_fit=max_fit, max_explain=max_explain, seed=seed).fit(table)
        for explainer in explainers:
            ranking = rank_drivers(explain(em, explainer, seed=seed))
            rows.append({"mechanism": name, "kind": mech.kind, "seed": seed, "explainer": explainer,
                         "planted": " + ".join(mech.drivers), "top": ", ".join(ranking[:3]),
                         "hit": planted_hit(ranking, mech.drivers), "r2": round(em.score_, 3)})
    return pd.DataFrame(rows)


def hit_rates(results: pd.DataFrame) -> pd.Series:
    """Top-1 hit rate [1] of each explainer over all mechanisms and seeds.

    Examples
    --------
    >>> df = pd.DataFrame({"explainer": ["a", "a", "b"], "hit": [True, False, True]})
    >>> hit_rates(df).to_dict()
    {'a': 0.5, 'b': 1.0}
    """
    return results.groupby("explainer")["hit"].mean().rename("hit_rate")
