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
from .detectors import MODEL_DRIVERS, DETECTORS, RULES, detector_scores

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
    "calibrate_thresholds",
    "DETECTOR_SETS",
    "set_flags",
    "first_fired",
]

#: Detector sets compared in the study: the rule-based set, PyOD (both agreeing), the learned model, the ensemble.
DETECTOR_SETS = {
    "rules": {"any": RULES},
    "PyOD (ECOD and iforest)": {"all": ("ecod", "iforest")},
    "learned model": {"any": ("model",)},
    "ensemble": None,
}

# The ensemble: any rule or the learned model (on the variable it blames most). PyOD is scored and compared as its
# own set, but on every planted type its agreeing votes added more false alarms than hits (benchmarks/quality_control.py),
# so it does not vote; a rule {"any": ..., "all": ("ecod", "iforest")} puts it back.
ENSEMBLE = {"any": (*RULES, "model"), "all": ()}


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
        ``{detector: {option: value}}`` passed on. The learned model's
        ``drivers`` default to the drivers present that are not among
        ``variables`` (a fault in a screened variable must not move the
        models of the others).
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
    # The learned model of each variable is driven by the variables *not* screened here, so
    # that a fault in one screened variable (a temperature read in K) cannot move another's model.
    independent = [d for d in MODEL_DRIVERS if d in ds and d not in variables]
    for v, d in tqdm([(v, d) for v in variables for d in detectors], desc="screening", disable=not progress):
        kw = dict(options.get(d, {}))
        if d == "model" and "drivers" not in kw and independent:
            kw["drivers"] = independent
        out[f"{v}_{d}_score"] = detector_scores(ds, v, d, seed=seed, **kw)
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
    blame = _model_blame(scores, variables, thresholds)
    radiation_suspect = _radiation_suspect(scores, thresholds)
    for v in variables:
        used = [n for n in DETECTORS if f"{v}_{n}_score" in scores]
        if not used:
            raise ValueError(f"no scores for variable {v!r} in scores; found {list(scores.data_vars)}")
        qc_attrs, suspect_attrs = flag_attrs(v, used, thresholds)
        limits = _limits(thresholds, v)
        mask = None
        for n in used:
            hit = scores[f"{v}_{n}_score"] > limits[n]
            if n == "model" and v in blame:
                hit = hit & blame[v]
            if n == "energy_balance" and radiation_suspect is not None:
                hit = hit & ~radiation_suspect
            hit = hit.astype(np.int32) * bits[n]
            mask = hit if mask is None else mask | hit
        out[qc_name(v)] = mask.astype(np.int32).assign_attrs(qc_attrs)
        out[f"{v}_suspect"] = suspect(out[qc_name(v)]).astype(np.int8).assign_attrs(suspect_attrs)
    return out


def _model_blame(scores: xr.Dataset, variables, thresholds) -> dict[str, xr.DataArray]:
    """Where the learned model may blame each variable: where its departure is the largest of all screened variables.

    A fault in a driver (net radiation, temperature) also moves the models of
    the fluxes it drives; the variable whose model departs most (in units of
    its threshold) takes the blame, the others are explained away.
    """
    names = [v for v in variables if f"{v}_model_score" in scores]
    if len(names) < 2:
        return {}
    ratio = xr.concat([scores[f"{v}_model_score"] / _limits(thresholds, v)["model"] for v in names], dim="variable")
    top = ratio.argmax("variable")
    return {v: top == i for i, v in enumerate(names)}


def _radiation_suspect(scores: xr.Dataset, thresholds) -> xr.DataArray | None:
    """Where net radiation itself is suspect (its range test or its learned model fired, widened by a day either side).

    A fault in rn breaks the energy balance of both turbulent fluxes; the
    energy-balance test must not blame h or le for it.
    """
    names = [f"rn_{n}_score" for n in ("range", "model") if f"rn_{n}_score" in scores]
    if not names:
        return None
    limits = _limits(thresholds, "rn")
    hit = None
    for name in names:
        h = scores[name] > limits[name[3:-6]]
        hit = h if hit is None else hit | h
    return hit.rolling(time=3, center=True, min_periods=1).max().astype(bool)


def _limits(thresholds, variable: str) -> dict[str, float]:
    """Thresholds for one variable: defaults, overridden by ``{detector: t}`` or ``{variable: {detector: t}}``."""
    thresholds = dict(thresholds or {})
    flat = {k: t for k, t in thresholds.items() if not isinstance(t, dict)}
    per_var = thresholds.get(variable, {}) if isinstance(thresholds.get(variable), dict) else {}
    limits = {**{n: d.threshold for n, d in DETECTORS.items()}, **flat, **per_var}
    unknown = sorted(set(limits) - set(DETECTORS))
    if unknown:
        raise ValueError(f"thresholds for unknown detector(s) {unknown}; expected some of {list(DETECTORS)}")
    return {k: float(t) for k, t in limits.items()}


def calibrate_thresholds(clean_scores: xr.Dataset, variables, *, alpha: float = 1e-3) -> dict[str, dict[str, float]]:
    """Thresholds with a false-alarm rate of about ``alpha`` per detector, from scores on clean data.

    For each variable and detector: the larger of the detector's default
    threshold and the ``1 - alpha`` quantile of its scores on data known to be
    clean (virtual towers of another seed, before planting). The result goes
    to ``thresholds=`` of :func:`flags_from_scores` or :func:`screen`.

    Examples
    --------
    >>> s = xr.Dataset({"le_model_score": ("time", np.r_[np.zeros(900), np.full(100, 7.0)])})
    >>> calibrate_thresholds(s, ["le"], alpha=0.05)["le"]["model"]
    7.0
    """
    if not 0.0 < alpha < 0.5:
        raise ValueError(f"alpha must be in (0, 0.5); got {alpha}")
    variables = [variables] if isinstance(variables, str) else list(variables)
    out = {}
    for v in variables:
        out[v] = {}
        for n, d in DETECTORS.items():
            name = f"{v}_{n}_score"
            if name in clean_scores:
                q = float(np.nanquantile(np.asarray(clean_scores[name].values, float), 1.0 - alpha))
                out[v][n] = max(d.threshold, q)
    return out


def flag_attrs(variable: str, detectors, thresholds=None) -> tuple[dict, dict]:
    """CF attributes of ``<variable>_qc`` (bit mask) and ``<variable>_suspect`` (ensemble) for the detectors used."""
    limits = _limits(thresholds, variable)
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
        "comment": f"suspect where any of {', '.join(ENSEMBLE['any'])} fired" + (f", or all of {', '.join(ENSEMBLE['all'])}" if ENSEMBLE.get("all") else ""),
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
    [False, False, False, True]
    >>> suspect(qc, rule={"any": ("range",), "all": ("ecod", "iforest")}).values.tolist()
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
    >>> x = np.cos(np.arange(60) / 4.0) + 0.1 * np.random.default_rng(0).standard_normal(60); x[30] = 9.0
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



def set_flags(flags: xr.Dataset, variables, rule=None) -> dict[str, xr.DataArray]:
    """Boolean flags per variable for one detector set (a rule of :data:`DETECTOR_SETS`; None = the ensemble)."""
    variables = [variables] if isinstance(variables, str) else list(variables)
    return {v: suspect(flags[qc_name(v)], rule=rule) for v in variables}


def first_fired(qc: xr.DataArray) -> xr.DataArray:
    """Name of the first test (in :data:`DETECTORS` order) that fired at each step, ``""`` where none did.

    Examples
    --------
    >>> bits = flag_bits()
    >>> first_fired(xr.DataArray([0, bits["model"] | bits["mad_spike"]])).values.tolist()
    ['', 'mad_spike']
    """
    names = np.array(["", *DETECTORS], dtype=object)
    out = np.zeros(qc.shape, dtype=int)
    for i, n in reversed(list(enumerate(DETECTORS))):
        out = np.where((np.asarray(qc.values) & flag_bits()[n]) > 0, i + 1, out)
    return xr.DataArray(names[out].astype(str), dims=qc.dims, coords=qc.coords, name=f"{qc.name}_first_test")
