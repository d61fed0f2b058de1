"""Gap-filling of flagged or missing values: marginal distribution sampling (MDS) and a learned filler.

:func:`mds_gapfill` follows the MDS algorithm of Reichstein et al. (2005) as
REddyProc implements it (``sEddyProc$sMDSGapFill``): a look-up table (LUT) of
values measured under similar meteorological conditions, then a mean diurnal
course (MDC), with windows that widen until every gap is filled.
:class:`LearnedFiller` is a gradient-boosting model of the flux from the same
drivers plus the seasonal and diurnal phase. :func:`score_gapfill` cuts
artificial gaps of several lengths into a clean series and compares both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .anomalies import time_step

__all__ = ["mds_gapfill", "mds_steps", "LearnedFiller", "artificial_gaps", "score_gapfill"]


def mds_steps() -> list[tuple[str, int, int]]:
    """The MDS sequence as (method, window half-width [days], quality flag) tuples, in REddyProc's order.

    ``"lut3"`` is the look-up table on radiation, VPD and air temperature
    (method 1), ``"lut1"`` on radiation alone (method 2), ``"mdc"`` the mean
    diurnal course (method 3). Quality flags follow REddyProc: LUT with a full
    window of at most 14 days or MDC of at most 1 day is 1; three-variable LUT
    up to 56 days, one-variable LUT up to 28 days and MDC up to 5 days is 2;
    wider windows are 3.

    Examples
    --------
    >>> mds_steps()[:4]
    [('lut3', 7, 1), ('lut3', 14, 2), ('lut1', 7, 1), ('mdc', 0, 1)]
    """
    def qc(method, days):
        full = 2 * days if method != "mdc" else 2 * days + 1
        if method == "mdc":
            return 1 if full <= 1 else (2 if full <= 5 else 3)
        limit = 56 if method == "lut3" else 28
        return 1 if full <= 14 else (2 if full <= limit else 3)

    seq = [("lut3", 7), ("lut3", 14), ("lut1", 7), ("mdc", 0), ("mdc", 1), ("mdc", 2)]
    seq += [("lut3", d) for d in range(21, 71, 7)]
    seq += [("lut1", d) for d in range(14, 71, 7)]
    seq += [("mdc", d) for d in range(7, 211, 7)]
    return [(m, d, qc(m, d)) for m, d in seq]


def _driver(ds_or_da, name, n):
    if name is None:
        return None
    values = np.asarray(ds_or_da[name].values, dtype=float).ravel()
    if values.size != n:
        raise ValueError(f"driver {name!r} has {values.size} values; expected {n} (the length of the series)")
    return values


def mds_gapfill(
    ds: xr.Dataset,
    variable: str,
    *,
    gaps=None,
    rg: str = "rs",
    vpd: str = "vpd",
    tair: str = "tmean",
    tolerances=(50.0, 0.5, 2.5),
) -> xr.Dataset:
    """Fill the gaps of one series by marginal distribution sampling (Reichstein et al. 2005).

    For each gap, in REddyProc's order (:func:`mds_steps`): (1) the mean of the
    values measured within +-7 then +-14 days under similar radiation (within
    ``min(max(Rg, 20), 50)`` W m-2), VPD (0.5 kPa = 5 hPa) and air temperature
    (2.5 degC); (2) similar radiation alone, +-7 days; (3) the mean diurnal
    course: the same time of day +-1 hour (2 steps) on the same day and +-1,
    +-2 days; then wider LUT (+-21 ... +-70 days) and MDC (+-7 ... +-210
    days) windows. A step fills a gap only with at least two measured
    values, and only measured (not previously filled) values are used. Daily
    data run the same sequence with one step per day.

    Parameters
    ----------
    ds : xarray.Dataset
        One site: dimension ``time`` (a ``site`` dimension of length 1 is
        squeezed), regular time step.
    variable : str
        Series to fill.
    gaps : array-like of bool, optional
        Extra steps to treat as gaps (e.g. flagged values); NaN values are
        always gaps. The data are not modified.
    rg, vpd, tair : str
        Driver names (W m-2, kPa, degC).
    tolerances : tuple of float, default (50, 0.5, 2.5)
        Tolerances for radiation [W m-2], VPD [kPa] and temperature [degC].

    Returns
    -------
    xarray.Dataset
        ``<variable>_filled`` (measured values where valid, filled values in
        the gaps; NaN where no window sufficed), ``<variable>_fqc`` (0 =
        measured, 1-3 = MDS quality, a CF flag variable), ``<variable>_fmethod``
        (0 measured, 1 LUT three drivers, 2 LUT radiation, 3 MDC) and
        ``<variable>_fwindow`` (full window [days]).

    References
    ----------
    Reichstein, M. et al. (2005) On the separation of net ecosystem exchange
    into assimilation and ecosystem respiration: review and improved
    algorithm. Global Change Biology 11, 1424-1439 (Appendix A).
    Wutzler, T. et al. (2018) Basic and extensible post-processing of eddy
    covariance flux data with REddyProc. Biogeosciences 15, 5015-5030.

    Examples
    --------
    >>> t = pd.date_range("2020-06-01", periods=48 * 4, freq="30min")
    >>> rs = np.tile(np.r_[np.zeros(12), 400 * np.sin(np.linspace(0, np.pi, 24)), np.zeros(12)], 4)
    >>> ds = xr.Dataset({"le": ("time", 0.4 * rs, {"units": "W m-2"}), "rs": ("time", rs), "vpd": ("time", np.ones(rs.size)),
    ...                  "tmean": ("time", np.full(rs.size, 20.0))}, coords={"time": t})
    >>> gap = np.zeros(rs.size, bool); gap[60:70] = True
    >>> out = mds_gapfill(ds, "le", gaps=gap)
    >>> bool(np.allclose(out.le_filled[60:70], 0.4 * rs[60:70], atol=20)), int(out.le_fqc[65])
    (True, 1)
    """
    if "site" in ds.dims:
        if ds.sizes["site"] != 1:
            raise ValueError(f"mds_gapfill fills one site; got {ds.sizes['site']} sites (select one with ds.isel(site=i))")
        ds = ds.isel(site=0)
    step = time_step(ds)
    per_day = int(round(pd.Timedelta("1D") / step))
    if variable not in ds:
        raise ValueError(f"variable {variable!r} is not in the data; found {sorted(ds.data_vars)}")
    y = np.asarray(ds[variable].values, dtype=float).ravel()
    n = y.size
    missing = [d for d in (rg, vpd, tair) if d is not None and d not in ds]
    if missing:
        raise ValueError(f"MDS drivers {missing} are not in the data; pass rg=, vpd=, tair= (or None to leave one out)")
    v1, v2, v3 = (_driver(ds, name, n) for name in (rg, vpd, tair))
    gap = ~np.isfinite(y)
    if gaps is not None:
        extra = np.asarray(gaps, dtype=bool).ravel()
        if extra.size != n:
            raise ValueError(f"gaps has {extra.size} values; expected {n} (the length of {variable!r})")
        gap |= extra
    measured = np.where(gap, np.nan, y)
    filled = measured.copy()
    fqc = np.zeros(n, dtype=np.int8)
    fmethod = np.zeros(n, dtype=np.int8)
    fwindow = np.zeros(n, dtype=np.int16)
    t1, t2, t3 = tolerances
    has3 = v1 is not None and v2 is not None and v3 is not None
    for method, days, quality in mds_steps():
        todo = np.flatnonzero(np.isnan(filled) & gap)
        if todo.size == 0:
            break
        if method == "lut3" and not has3:
            continue
        if method == "lut1" and v1 is None:
            continue
        for i in todo:
            if method == "mdc":
                offsets = np.concatenate([np.arange(-2, 3) + k * per_day for k in range(-days, days + 1)])
                idx = i + offsets
                idx = idx[(idx >= 0) & (idx < n)]
                vals = measured[idx]
                vals = vals[np.isfinite(vals)]
            else:
                lo, hi = max(i - days * per_day, 0), min(i + days * per_day, n - 1) + 1
                if not np.isfinite(v1[i]):
                    continue
                tol1 = max(min(t1, v1[i]), 20.0)
                ok = np.isfinite(measured[lo:hi]) & (np.abs(v1[lo:hi] - v1[i]) < tol1)
                if method == "lut3":
                    if not (np.isfinite(v2[i]) and np.isfinite(v3[i])):
                        continue
                    ok &= (np.abs(v2[lo:hi] - v2[i]) < t2) & (np.abs(v3[lo:hi] - v3[i]) < t3)
                vals = measured[lo:hi][ok]
            if vals.size > 1:
                filled[i] = vals.mean()
                fqc[i] = quality
                fmethod[i] = {"lut3": 1, "lut1": 2, "mdc": 3}[method]
                fwindow[i] = 2 * days + (1 if method == "mdc" else 0)
    attrs = dict(ds[variable].attrs)
    out = xr.Dataset(coords={"time": ds["time"]})
    out[f"{variable}_filled"] = ("time", filled, {**attrs, "long_name": f"{attrs.get('long_name', variable)}, gap-filled (MDS)", "ancillary_variables": f"{variable}_fqc"})
    out[f"{variable}_fqc"] = ("time", fqc, {"long_name": f"MDS gap-filling quality of {variable}", "standard_name": "status_flag", "flag_values": np.arange(4, dtype=np.int8), "flag_meanings": "measured good medium poor"})
    out[f"{variable}_fmethod"] = ("time", fmethod, {"long_name": "MDS method", "flag_values": np.arange(4, dtype=np.int8), "flag_meanings": "measured lut_rg_vpd_tair lut_rg mean_diurnal_course"})
    out[f"{variable}_fwindow"] = ("time", fwindow, {"long_name": "MDS full window", "units": "d"})
    return out


class LearnedFiller:
    """Gap-filler learned from the drivers: gradient boosting on radiation, VPD, temperature and the seasonal/diurnal phase.

    scikit-learn conventions: hyper-parameters in ``__init__``, ``fit(X, y)``
    returns self, ``predict(X)``; :meth:`fill` does it for one site of a dataset.

    Parameters
    ----------
    drivers : tuple of str, default ("rs", "vpd", "tmean")
        Driver variables (the MDS drivers, for a like-for-like comparison).
    max_iter : int, default 200
    learning_rate : float, default 0.1
    seed : int, default 0

    Examples
    --------
    >>> rng = np.random.default_rng(0)
    >>> X = rng.uniform(size=(400, 2)); y = 3 * X[:, 0] + X[:, 1] ** 2
    >>> f = LearnedFiller(max_iter=100).fit(X[:300], y[:300])
    >>> bool(np.sqrt(np.mean((f.predict(X[300:]) - y[300:]) ** 2)) < 0.2)
    True
    """

    def __init__(self, drivers=("rs", "vpd", "tmean"), *, max_iter: int = 200, learning_rate: float = 0.1, seed: int = 0):
        self.drivers = tuple(drivers)
        self.max_iter = max_iter
        self.learning_rate = learning_rate
        self.seed = seed

    def fit(self, X, y):
        from sklearn.ensemble import HistGradientBoostingRegressor

        X = np.asarray(X, dtype=float)
        y = np.asarray(y, dtype=float)
        ok = np.isfinite(y)
        if ok.sum() < 10:
            raise ValueError(f"LearnedFiller needs at least 10 measured values to learn from; got {int(ok.sum())}")
        self.model_ = HistGradientBoostingRegressor(max_iter=self.max_iter, learning_rate=self.learning_rate, random_state=self.seed)
        self.model_.fit(X[ok], y[ok])
        return self

    def predict(self, X):
        if not hasattr(self, "model_"):
            raise RuntimeError("LearnedFiller is not fitted; call fit(X, y) first")
        return self.model_.predict(np.asarray(X, dtype=float))

    def features(self, ds: xr.Dataset) -> np.ndarray:
        """Driver matrix of one site: the drivers and the seasonal and diurnal phase (sin, cos)."""
        from .detectors import _time_features

        missing = [d for d in self.drivers if d not in ds]
        if missing:
            raise ValueError(f"LearnedFiller drivers {missing} are not in the data; found {sorted(ds.data_vars)}")
        return np.column_stack([np.asarray(ds[d].values, float).ravel() for d in self.drivers] + _time_features(ds))

    def fill(self, ds: xr.Dataset, variable: str, *, gaps=None) -> xr.DataArray:
        """Fit on the measured steps of one site and fill its gaps; the data are not modified."""
        if "site" in ds.dims:
            ds = ds.isel(site=0)
        y = np.asarray(ds[variable].values, float).ravel()
        gap = ~np.isfinite(y) if gaps is None else (np.asarray(gaps, bool).ravel() | ~np.isfinite(y))
        X = self.features(ds)
        self.fit(X[~gap], y[~gap])
        out = y.copy()
        out[gap] = self.predict(X[gap])
        attrs = dict(ds[variable].attrs)
        return xr.DataArray(out, dims="time", coords={"time": ds["time"]}, name=f"{variable}_filled", attrs={**attrs, "long_name": f"{attrs.get('long_name', variable)}, gap-filled (learned)"})


def artificial_gaps(n: int, *, length: int, count: int, seed: int = 0, margin: int = 0) -> np.ndarray:
    """Mask of ``count`` non-overlapping gaps of ``length`` steps in a series of ``n`` steps.

    Examples
    --------
    >>> int(artificial_gaps(1000, length=10, count=5, seed=1).sum())
    50
    """
    rng = np.random.default_rng([seed, length])
    mask = np.zeros(n, dtype=bool)
    placed = tries = 0
    while placed < count and tries < 1000 * count:
        tries += 1
        start = int(rng.integers(margin, max(margin + 1, n - length - margin)))
        if mask[max(start - length, 0):start + 2 * length].any():
            continue
        mask[start:start + length] = True
        placed += 1
    if placed < count:
        raise ValueError(f"could not place {count} gaps of {length} steps in {n} steps; use fewer or shorter gaps")
    return mask


def score_gapfill(ds: xr.Dataset, variable: str = "le", *, gap_days=(1, 3, 7, 14), count: int = 4, seed: int = 0, filler: LearnedFiller | None = None, progress: bool = False) -> pd.DataFrame:
    """RMSE of MDS and of the learned filler on artificial gaps of several lengths, per site.

    Parameters
    ----------
    ds : xarray.Dataset
        Clean ``(site, time)`` towers.
    variable : str, default "le"
    gap_days : sequence of float
        Gap lengths [days].
    count : int, default 4
        Gaps per length and site.
    seed : int, default 0
    filler : LearnedFiller, optional
    progress : bool
        Show a tqdm bar.

    Returns
    -------
    pandas.DataFrame
        Index gap length [days]; columns ``rmse_mds``, ``rmse_learned``
        [units of the variable] and ``ratio`` (learned / MDS), over all sites.
    """
    from tqdm.auto import tqdm

    from ..intercompare import compute_metrics

    if "site" not in ds.dims:
        ds = ds.expand_dims(site=["site"])
    per_day = int(round(pd.Timedelta("1D") / time_step(ds)))
    filler = filler or LearnedFiller()
    rows = []
    jobs = [(d, i) for d in gap_days for i in range(ds.sizes["site"])]
    sq = {}
    for days, i in tqdm(jobs, desc="gap-filling", disable=not progress):
        one = ds.isel(site=i)
        length = max(1, int(round(days * per_day)))
        mask = artificial_gaps(one.sizes["time"], length=length, count=count, seed=seed + i, margin=per_day)
        truth = xr.DataArray(np.asarray(one[variable].values, float)[mask], dims="step")
        mds = xr.DataArray(mds_gapfill(one, variable, gaps=mask)[f"{variable}_filled"].values[mask], dims="step")
        learned = xr.DataArray(filler.fill(one, variable, gaps=mask).values[mask], dims="step")
        for method, est in (("mds", mds), ("learned", learned)):
            ok = np.isfinite(est.values)
            m = compute_metrics(truth[ok], est[ok], metrics=["rmse"])
            sq.setdefault((days, method), []).append((float(m["rmse"]) ** 2, int(ok.sum()), int((~ok).sum())))
    for days in gap_days:
        row = {"gap_days": days}
        for method in ("mds", "learned"):
            parts = sq[(days, method)]
            total = sum(n for _, n, _ in parts)
            row[f"rmse_{method}"] = float(np.sqrt(sum(s * n for s, n, _ in parts) / total)) if total else np.nan
            row[f"unfilled_{method}"] = sum(u for _, _, u in parts)
        row["ratio"] = row["rmse_learned"] / row["rmse_mds"]
        rows.append(row)
    return pd.DataFrame(rows).set_index("gap_days")
