"""Scoring flags against planted labels: precision, recall and F1 per anomaly type, and precision-recall curves.

Per type T, over every (site, variable, time) step screened:
recall = flagged steps labelled T / steps labelled T; precision = flagged
steps labelled T / (those + flagged clean steps). Steps of *other* types are
left out of T's precision, so a mixed scenario does not punish a detector for
catching a fault of another kind.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .anomalies import ANOMALY_CODES, ANOMALY_TYPES, truth_name

__all__ = ["score_by_type", "precision_recall_curve", "prf", "f1_by_set"]


def prf(tp: int, fp: int, fn: int) -> tuple[float, float, float]:
    """Precision, recall and F1 from counts (NaN where undefined).

    Examples
    --------
    >>> [round(v, 3) for v in prf(8, 2, 2)]
    [0.8, 0.8, 0.8]
    """
    p = tp / (tp + fp) if tp + fp else np.nan
    r = tp / (tp + fn) if tp + fn else np.nan
    f = 2 * p * r / (p + r) if (tp and p + r) else (0.0 if tp + fn else np.nan)
    return float(p), float(r), float(f)


def _stack(flags, truth, variables):
    f, t = [], []
    for v in variables:
        flag = flags[v] if isinstance(flags, dict) else flags[f"{v}_suspect"] if f"{v}_suspect" in flags else flags[v]
        f.append(np.asarray(flag.values, dtype=bool).ravel())
        t.append(np.asarray(truth[truth_name(v)].values).ravel())
    return np.concatenate(f), np.concatenate(t)


def score_by_type(flags, truth: xr.Dataset, variables) -> pd.DataFrame:
    """Precision, recall and F1 of boolean flags against the planted labels, per anomaly type and overall.

    Parameters
    ----------
    flags : xarray.Dataset or dict
        Boolean flags per variable: a dataset with ``<v>_suspect`` (or ``<v>``)
        variables, or ``{variable: DataArray}``.
    truth : xarray.Dataset
        The corrupted towers with ``<v>_truth`` labels (:func:`plant_anomalies`).
    variables : sequence of str

    Returns
    -------
    pandas.DataFrame
        Index: anomaly types present and ``all``; columns ``steps``, ``tp``,
        ``fp``, ``precision``, ``recall``, ``f1``.

    Examples
    --------
    >>> truth = xr.Dataset({"le_truth": ("time", np.array([0, 1, 1, 0, 4, 4]))})
    >>> flags = {"le": xr.DataArray(np.array([True, True, False, False, True, True]), dims="time")}
    >>> score_by_type(flags, truth, ["le"]).loc["spike", ["precision", "recall"]].tolist()
    [0.5, 0.5]
    """
    variables = [variables] if isinstance(variables, str) else list(variables)
    flag, label = _stack(flags, truth, variables)
    fp = int((flag & (label == 0)).sum())
    rows = {}
    for kind in ANOMALY_TYPES:
        sel = label == ANOMALY_CODES[kind]
        if not sel.any():
            continue
        tp = int((flag & sel).sum())
        p, r, f = prf(tp, fp, int(sel.sum()) - tp)
        rows[kind] = {"steps": int(sel.sum()), "tp": tp, "fp": fp, "precision": p, "recall": r, "f1": f}
    sel = label > 0
    tp = int((flag & sel).sum())
    p, r, f = prf(tp, fp, int(sel.sum()) - tp)
    rows["all"] = {"steps": int(sel.sum()), "tp": tp, "fp": fp, "precision": p, "recall": r, "f1": f}
    return pd.DataFrame(rows).T.astype({"steps": int, "tp": int, "fp": int, "precision": float, "recall": float, "f1": float})


def precision_recall_curve(scores: xr.DataArray, truth: xr.DataArray, *, n: int = 60, kind: str | None = None) -> pd.DataFrame:
    """Precision and recall of ``scores > threshold`` over a range of thresholds.

    Parameters
    ----------
    scores : xarray.DataArray
        Detector scores.
    truth : xarray.DataArray
        Labels (0 clean, else an anomaly code) of the same shape.
    n : int, default 60
        Number of thresholds (quantiles of the scores).
    kind : str, optional
        Score one anomaly type only (others left out).

    Returns
    -------
    pandas.DataFrame
        Columns ``threshold``, ``precision``, ``recall``, ``f1``.

    Examples
    --------
    >>> s = xr.DataArray([0.1, 0.2, 5.0, 6.0]); t = xr.DataArray([0, 0, 1, 1])
    >>> curve = precision_recall_curve(s, t, n=5)
    >>> float(curve.f1.max())
    1.0
    """
    s = np.asarray(scores.values, float).ravel()
    lab = np.asarray(truth.values).ravel()
    if s.shape != lab.shape:
        raise ValueError(f"scores and truth must have the same size; got {s.size} and {lab.size}")
    pos = (lab == ANOMALY_CODES[kind]) if kind else lab > 0
    keep = pos | (lab == 0)
    s, pos = s[keep], pos[keep]
    thresholds = np.unique(np.quantile(s, np.linspace(0.5, 1.0, n)))
    rows = []
    for thr in thresholds:
        hit = s > thr
        tp = int((hit & pos).sum())
        p, r, f = prf(tp, int((hit & ~pos).sum()), int((~hit & pos).sum()))
        rows.append({"threshold": float(thr), "precision": p, "recall": r, "f1": f})
    lo = float(s.min()) - 1e-9
    tp = int(pos.sum())
    rows.insert(0, {"threshold": lo, **dict(zip(("precision", "recall", "f1"), prf(tp, int((~pos).sum()), 0)))})
    return pd.DataFrame(rows)


def f1_by_set(flags: xr.Dataset, truth: xr.Dataset, variables, sets=None, *, metric: str = "f1") -> pd.DataFrame:
    """F1 (or precision/recall) per anomaly type for each detector set, from the ``<v>_qc`` bit masks.

    Parameters
    ----------
    flags : xarray.Dataset
        Output of :func:`workbench.qc.screen` / :func:`workbench.qc.flags_from_scores`.
    truth : xarray.Dataset
        Corrupted towers with the labels.
    variables : sequence of str
    sets : dict, optional
        ``{name: rule}``; default :data:`workbench.qc.DETECTOR_SETS`.
    metric : {"f1", "precision", "recall"}

    Returns
    -------
    pandas.DataFrame
        Rows: anomaly types present and ``all``; columns: detector sets.
    """
    from .flags import DETECTOR_SETS, set_flags

    sets = sets or DETECTOR_SETS
    columns = {name: score_by_type(set_flags(flags, variables, rule), truth, variables)[metric] for name, rule in sets.items()}
    table = pd.DataFrame(columns)
    table.index.name = "type"
    return table
