"""Detectors of anomalous tower observations: rule-based tests, PyOD detectors and a learned model of the signal.

Every detector turns one variable of a ``(site, time)`` dataset into an
anomaly *score* of the same shape; a time step is flagged where the score
exceeds the detector's threshold. Scores rather than flags let a user move
the threshold and watch precision and recall trade off.

Rule-based tests (:data:`RULES`) follow the checks of the FLUXNET/ONEFlux
chain and of SaQC: physical range, persistence (stuck sensor), rate of change,
the median-absolute-deviation spike test of Papale et al. (2006), energy-balance
consistency and implausible night-time latent heat. Statistical detectors are
PyOD's isolation forest and ECOD (Zhao et al. 2019, 2022) on seasonal-decomposition
residuals. The learned detector is a gradient-boosting model of the variable
from its drivers, cross-fitted in time blocks, whose residuals are scored
against a threshold calibrated as a robust z-score.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
import numpy as np
import pandas as pd
import xarray as xr

from .anomalies import time_step

__all__ = [
    "DETECTORS",
    "RULES",
    "MODEL_DRIVERS",
    "Detector",
    "PLAUSIBLE_RANGES",
    "detector_scores",
    "range_score",
    "persistence_score",
    "rate_of_change_score",
    "mad_spike_score",
    "energy_balance_score",
    "night_le_score",
    "seasonal_residual",
    "feature_table",
    "pyod_score",
    "model_residual_score",
    "robust_sd",
]

# Plausible limits (lo, hi) per variable, for half-hourly and daily means (FLUXNET/ONEFlux-like ranges).
PLAUSIBLE_RANGES = {
    "halfhourly": {"le": (-100.0, 800.0), "h": (-250.0, 800.0), "rn": (-200.0, 1000.0), "rs": (-5.0, 1400.0), "g": (-250.0, 400.0), "tmean": (-50.0, 50.0), "vpd": (0.0, 10.0), "wind": (0.0, 40.0)},
    "daily": {"le": (-30.0, 400.0), "h": (-150.0, 400.0), "rn": (-100.0, 400.0), "rs": (0.0, 500.0), "g": (-100.0, 150.0), "tmean": (-45.0, 45.0), "vpd": (0.0, 7.0), "wind": (0.0, 30.0)},
}


def robust_sd(x, axis=-1) -> np.ndarray:
    """Standard deviation estimated as 1.4826 x the median absolute deviation, ignoring NaN.

    Examples
    --------
    >>> float(robust_sd(np.array([1.0, 2.0, 3.0, 4.0, 100.0])))
    1.4826
    """
    x = np.asarray(x, dtype=float)
    med = np.nanmedian(x, axis=axis, keepdims=True)
    return 1.4826 * np.nanmedian(np.abs(x - med), axis=axis)


def _resolution(da) -> tuple[str, int]:
    """('halfhourly' or 'daily', steps per day) of a dataset's time axis."""
    step = time_step(da)
    per_day = pd.Timedelta("1D") / step
    if per_day < 1:
        raise ValueError(f"time step {step} is longer than a day; expected daily or sub-daily data")
    return ("daily" if per_day == 1 else "halfhourly"), int(round(per_day))


def _values(ds: xr.Dataset, variable: str) -> np.ndarray:
    if variable not in ds:
        raise ValueError(f"variable {variable!r} is not in the data; found {sorted(ds.data_vars)}")
    da = ds[variable]
    if "units" not in da.attrs:
        raise ValueError(f"variable {variable!r} has no 'units' attribute; expected CF units")
    if int(da.count()) == 0:
        raise ValueError(f"variable {variable!r} is entirely missing; expected at least one valid value")
    return np.atleast_2d(da.transpose(..., "time").values.astype(float))


# --- rule kernels (numpy, along the last axis) ------------------------------------------------

def range_score(x, lo: float, hi: float) -> np.ndarray:
    """Distance outside [lo, hi] as a fraction of the range width (0 inside).

    Examples
    --------
    >>> range_score(np.array([-20.0, 5.0, 130.0]), 0.0, 100.0).tolist()
    [0.2, 0.0, 0.3]
    """
    x = np.asarray(x, dtype=float)
    return np.maximum(np.maximum(lo - x, x - hi), 0.0) / (hi - lo)


def persistence_score(x, *, rtol: float = 1e-7) -> np.ndarray:
    """Length [steps] of the run of (nearly) identical consecutive values each step belongs to (1 = not repeated).

    Examples
    --------
    >>> persistence_score(np.array([1.0, 2.0, 2.0, 2.0, 3.0])).tolist()
    [1.0, 3.0, 3.0, 3.0, 1.0]
    """
    one = np.ndim(x) == 1
    x = np.atleast_2d(np.asarray(x, dtype=float))
    out = np.ones_like(x)
    for i, row in enumerate(x):
        same = np.abs(np.diff(row)) <= rtol * (1.0 + np.abs(row[1:]))
        run_id = np.concatenate([[0], np.cumsum(~same)])
        out[i] = np.bincount(run_id)[run_id]
    return out[0] if one else out


def rate_of_change_score(x) -> np.ndarray:
    """Isolated jumps: the smaller of the steps into and out of each value, in robust sd of the steps.

    A value is suspect when it jumps away from *both* neighbours (the step back
    after a spike is not itself a fault); the first and last values score 0.

    Examples
    --------
    >>> x = np.sin(np.arange(50) / 3.0); x[20] += 5.0
    >>> int(np.argmax(rate_of_change_score(x)))
    20
    """
    x = np.asarray(x, dtype=float)
    d = np.diff(x, axis=-1)
    s = robust_sd(d, axis=-1)[..., None]
    a = np.abs(d) / np.where(s > 0, s, np.inf)
    pad = np.zeros(x.shape[:-1] + (1,))
    return np.minimum(np.concatenate([pad, a], axis=-1), np.concatenate([a, pad], axis=-1))


def mad_spike_score(x, *, block: int, daytime=None) -> np.ndarray:
    r"""Spike score of Papale et al. (2006): the double difference in robust z units, per block.

    .. math::

        d_i = (x_i - x_{i-1}) - (x_{i+1} - x_i), \qquad
        z_i = \frac{|d_i - M_d|}{\mathrm{MAD}/0.6745}

    with the median :math:`M_d` and the median absolute deviation MAD of
    :math:`d` in each block of ``block`` steps (13 days in Papale et al.),
    computed separately for day and night steps when ``daytime`` is given.
    A spike is flagged where :math:`z_i > z` (Papale et al. use z = 4, 5.5
    and 7). A spike of height A leaves :math:`d = -A` at both neighbours; a
    step next to a larger score is scored after adding back half of that
    neighbour's :math:`d`, so only the spike itself is flagged.

    Parameters
    ----------
    x : numpy.ndarray
        Series, time along the last axis.
    block : int
        Block length [steps].
    daytime : numpy.ndarray of bool, optional
        Day-time mask of the same shape as ``x``.

    Returns
    -------
    numpy.ndarray
        z-scores, NaN at the ends.

    References
    ----------
    Papale, D. et al. (2006) Towards a standardized processing of net ecosystem
    exchange measured with eddy covariance technique. Biogeosciences 3, 571-583.

    Examples
    --------
    >>> x = np.zeros(40) + 0.1 * np.cos(np.arange(40)); x[17] = 5.0
    >>> z = mad_spike_score(x, block=40)
    >>> int(np.nanargmax(z)), bool(z[17] > 4)
    (17, True)
    """
    one = np.ndim(x) == 1
    x = np.atleast_2d(np.asarray(x, dtype=float))
    d = np.full_like(x, np.nan)
    d[:, 1:-1] = (x[:, 1:-1] - x[:, :-2]) - (x[:, 2:] - x[:, 1:-1])
    groups = [np.ones_like(x, dtype=bool)] if daytime is None else [np.atleast_2d(daytime), ~np.atleast_2d(daytime)]
    center = np.full_like(x, np.nan)
    scale = np.full_like(x, np.nan)
    n = x.shape[1]
    for start in range(0, n, block):
        sl = slice(start, min(start + block, n))
        for g in groups:
            sub = np.where(g[:, sl], d[:, sl], np.nan)
            with np.errstate(all="ignore"), warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)  # a block without day (or night) steps
                md = np.nanmedian(sub, axis=1, keepdims=True)
                mad = np.nanmedian(np.abs(sub - md), axis=1, keepdims=True)
            center[:, sl] = np.where(g[:, sl], md, center[:, sl])
            scale[:, sl] = np.where(g[:, sl], np.where(mad > 0, mad / 0.6745, np.inf), scale[:, sl])
    z = np.abs(d - center) / scale
    # A spike of height A gives d = 2A at the spike and -A at each neighbour: a step
    # next to a larger z is scored after removing half of that neighbour's d.
    zp = np.pad(np.nan_to_num(z), ((0, 0), (1, 1)))
    dp = np.pad(np.nan_to_num(d), ((0, 0), (1, 1)))
    left_bigger = zp[:, :-2] > zp[:, 1:-1]
    right_bigger = zp[:, 2:] > zp[:, 1:-1]
    neighbour = np.where(zp[:, :-2] >= zp[:, 2:], dp[:, :-2], dp[:, 2:])
    adjusted = np.abs(d + 0.5 * neighbour - center) / scale
    z = np.where(left_bigger | right_bigger, np.fmin(z, adjusted), z)
    return z[0] if one else z


def _rolling_mean(x, window: int) -> np.ndarray:
    return pd.DataFrame(np.atleast_2d(x).T).rolling(window, center=True, min_periods=1).mean().to_numpy().T


def _rolling_median(x, window: int) -> np.ndarray:
    return pd.DataFrame(np.atleast_2d(x).T).rolling(window, center=True, min_periods=1).median().to_numpy().T


def _robust_z(x) -> np.ndarray:
    med = np.nanmedian(x, axis=-1, keepdims=True)
    s = robust_sd(x, axis=-1)[..., None]
    return np.abs(x - med) / np.where(s > 0, s, np.inf)


def energy_balance_score(rn, g, h, le, *, which: str, window: int, min_available: float = 20.0) -> np.ndarray:
    r"""Energy-balance consistency of one turbulent flux, in robust z units.

    Two residuals in flux units, each as a running median over ``window``
    steps (a median, so that a spike does not spread): the closure residual
    :math:`H + LE - c\,(R_n - G)` and the tested flux's residual
    :math:`F - s\,(R_n - G)`, with the site's median closure :math:`c` and
    median share :math:`s` over steps with more than ``min_available`` W m-2
    of available energy. Each is scored in robust z units; the score is the
    smaller of the two, so a flux is only blamed when the closure breaks *and*
    its own share moved. The tested flux's share residual enters less twice
    the other flux's (both in robust z units): a fault in
    :math:`R_n` or :math:`G` moves both shares alike and a fault in the other
    flux moves that one, so neither is blamed on the tested flux.

    Parameters
    ----------
    rn, g, h, le : numpy.ndarray
        Fluxes [W m-2], time along the last axis.
    which : {"h", "le"}
        The flux scored.
    window : int
        Window [steps] of the running medians (5 days is typical).
    min_available : float, default 20
        Steps with less available energy [W m-2] do not enter :math:`c` and :math:`s`.

    Examples
    --------
    >>> t, e = np.arange(200.0), np.random.default_rng(0).standard_normal((2, 200))
    >>> rn = 100 + 50 * np.sin(t / 9); g = 0.1 * rn; le = 0.5 * (rn - g) + 3 * e[0]; h = 0.35 * (rn - g) + 3 * e[1]
    >>> h[120:160] += np.linspace(0, 1, 40) * 0.6 * (rn - g)[120:160]
    >>> z = energy_balance_score(rn, g, h, le, which="h", window=5)
    >>> bool(z[150:160].min() > 5), bool(z[:100].max() < 4)
    (True, True)
    """
    avail = np.atleast_2d(np.asarray(rn, float) - np.asarray(g, float))
    flux = {"h": np.atleast_2d(np.asarray(h, float)), "le": np.atleast_2d(np.asarray(le, float))}
    if which not in flux:
        raise ValueError(f"which must be 'h' or 'le'; got {which!r}")
    with np.errstate(all="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        ok = avail > min_available
        closure = np.nanmedian(np.where(ok, (flux["h"] + flux["le"]) / avail, np.nan), axis=-1, keepdims=True)
        own = {}
        for name, f in flux.items():
            share = np.nanmedian(np.where(ok, f / avail, np.nan), axis=-1, keepdims=True)
            own[name] = _robust_z(_rolling_median(f - share * avail, window))
        total = _rolling_median(flux["h"] + flux["le"] - closure * avail, window)
    other = "le" if which == "h" else "h"
    # Blame the flux only by how much more its share moved than the other's: a fault in
    # rn or g moves both shares alike, a fault in the other flux moves that one.
    z = np.fmin(_robust_z(total), own[which] - 2.0 * own[other])
    z = np.where(np.isfinite(z), z, 0.0)
    return z if np.ndim(rn) > 1 else z[0]


def night_le_score(le, night) -> np.ndarray:
    """Night-time latent heat [W m-2] (0 in day-time): flagged above a plausible night maximum.

    Examples
    --------
    >>> night_le_score(np.array([200.0, 90.0, 5.0]), np.array([False, True, True])).tolist()
    [0.0, 90.0, 5.0]
    """
    return np.where(np.asarray(night, bool), np.asarray(le, float), 0.0)


# --- seasonal decomposition and features ---------------------------------------------------

def seasonal_residual(x, *, per_day: int, days: int = 15) -> np.ndarray:
    """Residual of a series from its running seasonal (and, sub-daily, diurnal) median.

    Daily data: ``x`` minus a centred running median over ``days`` days.
    Sub-daily data: ``x`` minus the running median, over ``days`` days, of the
    same time of day (the mean diurnal course of MDS gap-filling, robustly).

    Examples
    --------
    >>> x = np.tile(np.sin(np.linspace(0, 2 * np.pi, 48, endpoint=False)), 20); x[500] += 3.0
    >>> r = seasonal_residual(x, per_day=48)
    >>> round(float(r[500]), 3), round(float(abs(r[:400]).max()), 3)
    (3.0, 0.0)
    """
    one = np.ndim(x) == 1
    x = np.atleast_2d(np.asarray(x, dtype=float))
    if per_day == 1:
        out = x - _rolling_median(x, days)
        return out[0] if one else out
    n_site, n = x.shape
    n_days = n // per_day
    cut = n_days * per_day
    out = np.full_like(x, np.nan)
    for i in range(n_site):
        grid = pd.DataFrame(x[i, :cut].reshape(n_days, per_day))
        med = grid.rolling(days, center=True, min_periods=1).median().to_numpy().ravel()
        out[i, :cut] = x[i, :cut] - med
        out[i, cut:] = x[i, cut:] - np.nanmedian(x[i, :cut].reshape(n_days, per_day), axis=0)[: n - cut]
    return out[0] if one else out


def feature_table(ds: xr.Dataset, variable: str, *, site: int = 0, multivariate: bool = True, others=("le", "h", "rn", "tmean", "rs", "vpd")) -> np.ndarray:
    """Features of one site for the PyOD detectors, robustly standardised: rows = time steps.

    Univariate: the seasonal residual, its one-step change, its double
    difference (spike shape), its running mean over a day (daily data: a week)
    and the running spread of the steps (stuck values). Multivariate adds the
    seasonal residuals of the other variables present.
    """
    _, per_day = _resolution(ds)
    x = _values(ds, variable)[site]
    r = seasonal_residual(x, per_day=per_day)
    window = per_day if per_day > 1 else 7
    d1 = np.concatenate([[0.0], np.diff(x)])
    d2 = np.zeros_like(x)
    d2[1:-1] = (x[1:-1] - x[:-2]) - (x[2:] - x[1:-1])
    spread = pd.Series(d1).abs().rolling(max(3, window // 8), center=True, min_periods=1).mean().to_numpy()
    cols = [r, d1, d2, _rolling_mean(r, window)[0], np.log1p(spread / (robust_sd(d1) + 1e-12))]
    if multivariate:
        for other in others:
            if other != variable and other in ds:
                cols.append(seasonal_residual(_values(ds, other)[site], per_day=per_day))
    X = np.column_stack(cols)
    X = np.where(np.isfinite(X), X, 0.0)
    med = np.median(X, axis=0)
    s = robust_sd(X, axis=0)
    return (X - med) / np.where(s > 0, s, 1.0)


def pyod_score(ds: xr.Dataset, variable: str, *, method: str = "ecod", contamination: float = 0.02, multivariate: bool = True, seed: int = 0) -> np.ndarray:
    """PyOD anomaly scores of one variable, per site, divided by the fitted threshold (flag where > 1).

    Parameters
    ----------
    ds : xarray.Dataset
        ``(site, time)`` data.
    variable : str
        Variable scored.
    method : {"ecod", "iforest"}
        PyOD's ECOD (Li et al. 2022) or isolation forest (Liu et al. 2008).
    contamination : float, default 0.02
        Expected share of anomalies, which sets PyOD's threshold.
    multivariate : bool, default True
        Add the other variables' residuals to the features.
    seed : int
        Seed of the isolation forest.

    Returns
    -------
    numpy.ndarray
        ``(site, time)`` scores; 1 is the threshold.
    """
    n_site = _values(ds, variable).shape[0]
    out = []
    for i in range(n_site):
        X = feature_table(ds, variable, site=i, multivariate=multivariate)
        if method == "ecod":
            from pyod.models.ecod import ECOD

            model = ECOD(contamination=contamination)
        elif method == "iforest":
            from pyod.models.iforest import IForest

            model = IForest(contamination=contamination, random_state=seed, n_estimators=100, n_jobs=1)
        else:
            raise ValueError(f"method must be 'ecod' or 'iforest'; got {method!r}")
        model.fit(X)
        score = model.decision_scores_
        thr = float(model.threshold_)
        lo = float(np.median(score))
        out.append((score - lo) / (thr - lo) if thr > lo else np.zeros_like(score))
    return np.asarray(out)


# --- the learned model of the expected signal -------------------------------------------------

#: Default drivers of the learned model of the expected signal (:func:`model_residual_score`).
MODEL_DRIVERS = ("rs", "rn", "g", "tmean", "vpd", "wind", "rh")  # weather, no seasonal clock (potential radiation, LAI): a clock lets the model memorise a fault's dates


def _time_features(ds: xr.Dataset) -> list[np.ndarray]:
    t = ds.indexes["time"]
    doy = t.dayofyear.to_numpy()
    cols = [np.sin(2 * np.pi * doy / 365.25), np.cos(2 * np.pi * doy / 365.25)]
    hour = t.hour.to_numpy() + t.minute.to_numpy() / 60.0
    if np.ptp(hour) > 0:
        cols += [np.sin(2 * np.pi * hour / 24.0), np.cos(2 * np.pi * hour / 24.0)]
    return cols


def model_residual_score(ds: xr.Dataset, variable: str, *, drivers=None, n_folds: int = 3, block_days: float = 30.0, window: int | None = None, seed: int = 0, max_iter: int = 60, refit: bool = True, trim: float = 4.0, return_prediction: bool = False):
    """Residual score of a gradient-boosting model of ``variable`` from its drivers, cross-fitted in time blocks.

    The record is cut into blocks of ``block_days`` days, dealt round-robin
    to ``n_folds`` folds; for each fold a
    :class:`sklearn.ensemble.HistGradientBoostingRegressor` (absolute-error
    loss, robust to the faults it is trained on) is fitted on the other folds
    and predicts this one, so the model never sees the faults it scores while
    every fold still trains on every season. The drivers carry the season; only
    the diurnal phase is added, since a seasonal clock would let the model
    memorise the dates of a fault. The residual :math:`r` is scored in robust z units three ways: point by
    point (spikes, sign flips), as its running median over ``window`` steps
    after winsorising at 3 robust sd (slow faults: drift,
    level shifts, energy-balance breaks), and as the log ratio of the running
    mean magnitude of the data to that of the model (unit and scale errors);
    the score is the largest.

    Parameters
    ----------
    ds : xarray.Dataset
        ``(site, time)`` data.
    variable : str
        Variable modelled.
    drivers : sequence of str, optional
        Predictors; default all of ``rs, rn, g, tmean, vpd, wind, rh``
        present, except ``variable`` (:func:`~workbench.qc.score_all` leaves out
        the other screened variables too); the diurnal phase is added for
        sub-daily data.
    n_folds : int, default 3
        Cross-fitting folds.
    block_days : float, default 30
        Length of the blocks dealt to the folds [days].
    window : int, optional
        Running-mean window [steps]; default one day of sub-daily data, a week of daily data.
    seed : int, default 0
    max_iter : int, default 60
        Boosting iterations.
    refit : bool, default True
        Fit a second time without the training steps whose first-pass residual
        exceeds ``trim`` robust sd (faults the model would otherwise learn).
    trim : float, default 4
        Robust z above which a step is left out of the refit.
    return_prediction : bool, default False
        Also return the cross-fitted prediction.

    Returns
    -------
    numpy.ndarray
        ``(site, time)`` robust z scores (and the prediction when asked).
    """
    from sklearn.ensemble import HistGradientBoostingRegressor

    _, per_day = _resolution(ds)
    window = window or (per_day if per_day > 1 else 7)
    y_all = _values(ds, variable)
    drivers = [d for d in (drivers or MODEL_DRIVERS) if d != variable and d in ds]
    scores = np.zeros_like(y_all)
    preds = np.full_like(y_all, np.nan)
    tf = _time_features(ds)[2:]  # the diurnal phase only: a seasonal clock would let the model memorise a fault's dates
    n = y_all.shape[1]
    # Blocks of block_days days dealt round-robin to the folds: every fold trains on every season.
    block = max(1, min(int(block_days * per_day), n // (2 * n_folds)))  # at least two blocks per fold
    fold_of = (np.arange(n) // block) % n_folds
    if not drivers and not tf:
        raise ValueError(f"the model of {variable!r} needs drivers; none of {list(MODEL_DRIVERS)} is in the data")
    for i in range(y_all.shape[0]):
        X = np.column_stack([_values(ds, d)[i] for d in drivers] + tf)
        y = y_all[i]
        usable = np.isfinite(y)
        for _ in range(1 + refit):
            pred = np.full(n, np.nan)
            for k in range(n_folds):
                test = fold_of == k
                train = ~test & usable
                model = HistGradientBoostingRegressor(loss="absolute_error", max_iter=max_iter, learning_rate=0.15, random_state=seed)
                model.fit(X[train], y[train])
                pred[test] = model.predict(X[test])
            r = y - pred
            # Refit without the steps the first fit finds far off: a fault the model trained on (a
            # temperature read in K, a flux read in MJ) pulls the leaves it falls in, and so the
            # predictions of clean days with like weather, far from the fault.
            usable = np.isfinite(y) & (_robust_z(r[None, :])[0] <= trim)
        point = _robust_z(r[None, :])[0]
        # Winsorise before smoothing, so that a spike does not spread over its neighbours.
        med, s = np.nanmedian(r), robust_sd(r)
        clipped = np.clip(r, med - 3 * s, med + 3 * s)
        # Running medians rather than means: a fault of a few steps or more moves them, but they do not spread past its ends.
        # Two windows: ``window`` for level shifts, three times longer for slow drifts.
        slow = np.fmax(_robust_z(_rolling_median(clipped, window))[0], _robust_z(_rolling_median(clipped, 3 * window))[0])
        # Unit and scale errors: the running magnitude of the data against that of the model, in log units.
        eps = 0.1 * np.nanstd(y)
        # Of the data themselves, not the winsorised residual: a factor of 0.0864 is far beyond 3 sd (the median keeps spikes out).
        ratio = np.log((_rolling_median(np.abs(y), window)[0] + eps) / (_rolling_median(np.abs(pred), window)[0] + eps))
        scores[i] = np.fmax(np.fmax(point, slow), _robust_z(ratio[None, :])[0])
        preds[i] = pred
    return (scores, preds) if return_prediction else scores


# --- the registry ----------------------------------------------------------------------------

@dataclass(frozen=True)
class Detector:
    """One detector: its score function, default threshold, family and what it is meant to catch."""

    name: str
    family: str  # "rule", "statistical" or "learned"
    threshold: float
    catches: str
    needs: tuple[str, ...] = ()
    halfhourly_only: bool = False


DETECTORS = {
    "range": Detector("range", "rule", 0.0, "values outside plausible limits (sign flips, unit errors)"),
    "persistence": Detector("persistence", "rule", 3.0, "stuck (constant) values: runs longer than the threshold [steps]"),
    "rate_of_change": Detector("rate_of_change", "rule", 8.0, "jumps larger than threshold robust sd of the steps"),
    "mad_spike": Detector("mad_spike", "rule", 5.5, "spikes: Papale et al. (2006) double-difference z-score"),
    "energy_balance": Detector("energy_balance", "rule", 4.0, "energy-balance breaks of h or le (closure and share both move)", needs=("rn", "g", "h", "le")),
    "night_le": Detector("night_le", "rule", 40.0, "latent heat above 40 W m-2 at night", needs=("sw_in_pot",), halfhourly_only=True),
    "ecod": Detector("ecod", "statistical", 1.0, "outliers of the seasonal-residual features (PyOD ECOD)"),
    "iforest": Detector("iforest", "statistical", 1.0, "outliers of the seasonal-residual features (PyOD isolation forest)"),
    "model": Detector("model", "learned", 4.0, "departures from a gradient-boosting model of the drivers (point and running mean)"),
}
RULES = tuple(n for n, d in DETECTORS.items() if d.family == "rule")


def applicable(ds: xr.Dataset, variable: str, name: str) -> bool:
    """Whether detector ``name`` applies to ``variable`` of ``ds``."""
    d = DETECTORS[name]
    resolution, _ = _resolution(ds)
    if d.halfhourly_only and resolution == "daily":
        return False
    if name == "night_le" and variable != "le":
        return False
    if name == "energy_balance" and variable not in ("h", "le"):
        return False
    if name == "range" and variable not in PLAUSIBLE_RANGES[resolution]:
        return False
    return all(v in ds for v in d.needs)


def detector_scores(ds: xr.Dataset, variable: str, name: str, *, seed: int = 0, **options) -> xr.DataArray:
    """Scores of detector ``name`` for ``variable``: a DataArray like ``ds[variable]`` (flag where > threshold).

    Parameters
    ----------
    ds : xarray.Dataset
        ``(site, time)`` tower data with CF units and a regular time step.
    variable : str
        Variable screened.
    name : str
        One of :data:`DETECTORS`.
    seed : int, default 0
    **options
        Passed to the score function (e.g. ``contamination`` for PyOD).

    Returns
    -------
    xarray.DataArray
        Scores; attrs ``detector``, ``threshold`` and ``catches``. A detector
        that does not apply (night LE on daily data) gives all zeros and says
        so in ``attrs["applies"]``.

    Examples
    --------
    >>> import pandas as pd
    >>> x = np.cos(np.arange(60) / 4.0) + 0.1 * np.random.default_rng(0).standard_normal(60); x[30] = 9.0
    >>> ds = xr.Dataset({"tmean": (("site", "time"), x[None], {"units": "degC"})},
    ...                 coords={"site": ["A"], "time": pd.date_range("2020-01-01", periods=60)})
    >>> s = detector_scores(ds, "tmean", "mad_spike")
    >>> int(s.argmax("time").item()), bool(s.max() > s.attrs["threshold"])
    (30, True)
    """
    if name not in DETECTORS:
        raise ValueError(f"unknown detector {name!r}; expected one of {list(DETECTORS)}")
    if "site" not in ds.dims:
        ds = ds.expand_dims(site=["site"])
    ds = ds.transpose("site", "time", ...)
    resolution, per_day = _resolution(ds)
    x = _values(ds, variable)
    d = DETECTORS[name]
    ok = applicable(ds, variable, name)
    night = None
    if "sw_in_pot" in ds:
        night = _values(ds, "sw_in_pot") <= 0
    if not ok:
        s = np.zeros_like(x)
    elif name == "range":
        s = range_score(x, *PLAUSIBLE_RANGES[resolution][variable])
    elif name == "persistence":
        s = persistence_score(x, **options)
    elif name == "rate_of_change":
        s = rate_of_change_score(x)
    elif name == "mad_spike":
        # 13-day blocks (Papale et al. 2006); daily data need longer blocks for a stable MAD (91 values).
        s = mad_spike_score(x, block=max(13 * per_day, 91), daytime=None if night is None or per_day == 1 else ~night)
    elif name == "energy_balance":
        s = energy_balance_score(*(_values(ds, v) for v in ("rn", "g", "h", "le")), which=variable, window=options.get("window", 5 * per_day))
    elif name == "night_le":
        s = night_le_score(x, night)
    elif name in ("ecod", "iforest"):
        s = pyod_score(ds, variable, method=name, seed=seed, **options)
    elif name == "model":
        s = model_residual_score(ds, variable, seed=seed, **options)
    s = np.where(np.isfinite(s), s, 0.0)
    return xr.DataArray(
        s.reshape(ds[variable].transpose("site", "time").shape),
        dims=("site", "time"),
        coords={"site": ds["site"], "time": ds["time"]},
        name=f"{variable}_{name}_score",
        attrs={"long_name": f"{name} score of {variable}", "units": "1", "detector": name, "threshold": d.threshold, "catches": d.catches, "applies": str(ok)},
    )

