"""Screening: run detectors, combine them into an ensemble, keep the flags as CF flag variables beside the data.

The result of :func:`screen` is a dataset of bit masks ``<variable>_qc``
(CF ``flag_masks`` / ``flag_meanings``: which test fired) and the ensemble
decision ``<variable>_suspect``; :func:`attach_flags` puts them beside the
data in a new dataset, linked by ``ancillary_variables``. The data values are
never changed.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .anomalies import ANOMALY_TYPES, truth_name
from .detectors import DETECTORS, RULES, detector_scores

__all__ = [
    "ENSEMBLE",
    "score_all",
    "flags_from_scores",
    "screen",
    "suspect",
    "fired",
    "attach_flags",
    "explain",
    "qc_name",
    "flag_bits",
    "flag_attrs",
]

# The ensemble: any rule, the learned model, or the two PyOD detectors agreeing.
ENSEMBLE = {"any": (*RULES, "model"), "all": ("ecod", "iforest")}


def qc_name(variable: str) -> str:
    """Name of the bit-mask flag variable of ``variable`` (``'le_qc'``)."""
    return f"{variable}_qc"


def flag_bits() -> dict[str, int]:
    """Bit of each detector in the ``<variable>_qc`` masks.

    Examples
    --------
    >>> flag_bits()["range"], flag_bits()["model"]
    (1, 256)
    """
    return {name: 1 << i for i, name in enumerate(DETECTORS)}


def score_all(ds: xr.Dataset, variables, detectors=None, *, seed: int = 0, options=None, progress: bool = False) -> xr.Dataset:
    """Scores of every detector for every variable: ``<variable>_<detector>_score`` (flag where > threshold).

    Parameters
    ----------
    ds : xarray.Dataset
        ``(site, time)`` tower data.
    variables : sequence of str
    detectors : sequence of str, optional
        Default all of :data:`~workbench.qc.detectors.DETECTORS`.
    seed : int, default 0
    options : dict, optional
        ``{detector: {option: value}}`` passed on.
    progress : bool
        Show a tqdm bar.
    """
    from tqdm.auto import tqdm

    variables = [variables] if isinstance(variables, str) else list(variables)
    detectors = list(detectors or DETECTORS)
    unknown = [d for d in detectors if d not in DETECTORS]
    if unknown:
        raise ValueError(f"unknown detector(s) {unknown}; expected some of {list(DETECTORS)}")
    options = options or {}
    out = {}
    for v, d in tqdm([(v, d) for v in variables for d in detectors], desc="screening", disable=not progress):
        out[f"{v}_{d}_score"] = detector_scores(ds, v, d, seed=seed, **options.get(d, {}))
    return xr.Dataset(out)


def flags_from_scores(scores: xr.Dataset, variables, *, thresholds=None) -> xr.Dataset:
    """Bit masks ``<variable>_qc`` and the ensemble ``<variable>_suspect`` from scores and thresholds.

    Parameters
    ----------
    scores : xarray.Dataset
        Output of :func:`score_all`.
    variables : sequence of str
    thresholds : dict, optional
        ``{detector: threshold}`` overriding the defaults.
    """
    variables = [variables] if isinstance(variables, str) else list(variables)
    bits = flag_bits()
    out = xr.Dataset()
    for v in variables:
        used = [n for n in DETECTORS if f"{v}_{n}_score" in scores]
        if not used:
            raise ValueError(f"no scores for variable {v!r} in scores; found {list(scores.data_vars)}")
        qc_attrs, suspect_attrs = flag_attrs(v, used, thresholds)
        limits = {**{n: d.threshold for n, d in DETECTORS.items()}, **(thresholds or {})}
        mask = None
        for n in used:
            hit = (scores[f"{v}_{n}_score"] > limits[n]).astype(np.int32) * bits[n]
            mask = hit if mask is None else mask | hit
        out[qc_name(v)] = mask.astype(np.int32).assign_attrs(qc_attrs)
        out[f"{v}_suspect"] = suspect(out[qc_name(v)]).astype(np.int8).assign_attrs(suspect_attrs)
    return out


def flag_attrs(variable: str, detectors, thresholds=None) -> tuple[dict, dict]:
    """CF attributes of ``<variable>_qc`` (bit mask) and ``<variable>_suspect`` (ensemble) for the detectors used."""
    limits = {**{n: d.threshold for n, d in DETECTORS.items()}, **(thresholds or {})}
    unknown = sorted(set(limits) - set(DETECTORS))
    if unknown:
        raise ValueError(f"thresholds for unknown detector(s) {unknown}; expected some of {list(DETECTORS)}")
    bits = flag_bits()
    used = [n for n in DETECTORS if n in set(detectors)]
    qc_attrs = {
        "long_name": f"quality-control tests fired on {variable}",
        "standard_name": "status_flag",
        "flag_masks": np.array([bits[n] for n in used], dtype=np.int32),
        "flag_meanings": " ".join(used),
        "thresholds": ", ".join(f"{n}={limits[n]:g}" for n in used),
    }
    suspect_attrs = {
        "long_name": f"ensemble quality-control decision on {variable}",
        "standard_name": "status_flag",
        "flag_values": np.array([0, 1], dtype=np.int8),
        "flag_meanings": "good suspect",
        "comment": f"suspect where any of {', '.join(ENSEMBLE['any'])} fired, or all of {', '.join(ENSEMBLE['all'])}",
    }
    return qc_attrs, suspect_attrs


def fired(qc: xr.DataArray, detector: str) -> xr.DataArray:
    """Boolean: where ``detector``'s bit is set in the mask ``qc``."""
    return (qc & flag_bits()[detector]) > 0


def suspect(qc: xr.DataArray, *, rule=None) -> xr.DataArray:
    """The ensemble decision from a bit mask: any of ``rule['any']`` fired, or all of ``rule['all']``.

    Examples
    --------
    >>> bits = flag_bits()
    >>> qc = xr.DataArray([0, bits["ecod"], bits["ecod"] | bits["iforest"], bits["range"]])
    >>> suspect(qc).values.tolist()
    [False, False, True, True]
    """
    rule = rule or ENSEMBLE
    bits = flag_bits()
    any_mask = sum(bits[n] for n in rule.get("any", ()))
    all_mask = sum(bits[n] for n in rule.get("all", ()))
    hit = (qc & any_mask) > 0
    if all_mask:
        hit = hit | ((qc & all_mask) == all_mask)
    return hit


def screen(ds: xr.Dataset, variables=("le", "h", "rn", "tmean"), detectors=None, *, thresholds=None, seed: int = 0, options=None, progress: bool = False) -> xr.Dataset:
    """Run the detectors and return the CF flag variables (``<v>_qc`` bit masks and ``<v>_suspect``).

    Examples
    --------
    >>> x = np.cos(np.arange(60) / 4.0); x[30] = 9.0
    >>> ds = xr.Dataset({"tmean": (("site", "time"), x[None], {"units": "degC"})},
    ...                 coords={"site": ["A"], "time": pd.date_range("2020-01-01", periods=60)})
    >>> flags = screen(ds, "tmean", detectors=["range", "mad_spike"])
    >>> int(flags.tmean_suspect.sum()), flags.tmean_qc.attrs["flag_meanings"]
    (1, 'range mad_spike')
    """
    variables = [variables] if isinstance(variables, str) else list(variables)
    scores = score_all(ds, variables, detectors, seed=seed, options=options, progress=progress)
    return flags_from_scores(scores, variables, thresholds=thresholds)


def attach_flags(ds: xr.Dataset, flags: xr.Dataset) -> xr.Dataset:
    """A new dataset: ``ds`` with the flag variables beside the data, linked by ``ancillary_variables``.

    The data values are shared, never changed; ``ds`` itself (values and
    attributes) is left exactly as it was.
    """
    out = ds.copy()  # new variables and attrs dicts; the values are not touched
    for name in flags.data_vars:
        out[name] = flags[name]
    for name in flags.data_vars:
        base = name.rsplit("_", 1)[0]
        if base in out.data_vars and base in ds.data_vars:
            links = out[base].attrs.get("ancillary_variables", "").split()
            out[base].attrs = {**ds[base].attrs, "ancillary_variables": " ".join(dict.fromkeys([*links, name]))}
    return out


def explain(flags: xr.Dataset, truth: xr.Dataset, variables) -> pd.DataFrame:
    """Which test fired on each planted type: the share of labelled steps each detector flagged.

    Returns
    -------
    pandas.DataFrame
        Rows: anomaly types present (and ``clean``, the false-alarm rate);
        columns: detectors and ``ensemble``; values in [0, 1].
    """
    variables = [variables] if isinstance(variables, str) else list(variables)
    rows = {}
    for v in variables:
        qc = flags[qc_name(v)].values.ravel()
        sus = flags[f"{v}_suspect"].values.ravel().astype(bool)
        lab = truth[truth_name(v)].values.ravel()
        names = flags[qc_name(v)].attrs["flag_meanings"].split()
        for code, kind in enumerate(("clean", *ANOMALY_TYPES)):
            sel = lab == code
            if not sel.any():
                continue
            acc = rows.setdefault(kind, {"n": 0, **{n: 0 for n in DETECTORS}, "ensemble": 0})
            acc["n"] += int(sel.sum())
            for n in names:
                acc[n] += int(((qc[sel] & flag_bits()[n]) > 0).sum())
            acc["ensemble"] += int(sus[sel].sum())
    table = pd.DataFrame(rows).T
    share = table.drop(columns="n").div(table["n"], axis=0)
    share.insert(0, "steps", table["n"].astype(int))
    order = [k for k in (*ANOMALY_TYPES, "clean") if k in share.index]
    return share.loc[order]

