"""NumPy kernels behind :mod:`workbench.intercompare` (private).

The xarray wrappers in :mod:`workbench.intercompare.metrics` and
:mod:`workbench.intercompare.collocation` pass the reduction dimensions as the
trailing axes (``xr.apply_ufunc`` core dimensions). :func:`_flatten` moves
them back to the front and merges them into one **leading sample axis**: for
the usual ``(time, lat, lon)`` layout that is a free view of contiguous rows,
so the reductions stream through memory instead of striding along time.
Sums are accumulated in float64; float32 data stay float32 in between
(their moments are centred before products are summed).

Missing values: with ``skipna=False`` a NaN anywhere in a sample gives NaN;
with ``skipna=True`` a time step/cell is used only where *every* input is
finite (one common mask for all products), never filled.
"""

from __future__ import annotations

import numpy as np

#: Metrics computed from weighted first and second moments of one obs/sim pair.
PAIR_METRICS = (
    "bias",
    "relative_bias",
    "rmse",
    "ubrmse",
    "mae",
    "pearson_r",
    "r2",
    "nse",
    "kge",
    "kge_r",
    "kge_alpha",
    "kge_beta",
    "std_ratio",
    "crmsd",
    "n",
)

#: Metrics that need the ranks of the samples (a sort per series), computed only when asked for.
RANK_METRICS = ("spearman_r",)


def _flatten(x: np.ndarray, ncore: int) -> np.ndarray:
    """Move the last ``ncore`` axes to the front and merge them: shape ``(n, rest...)``."""
    x = np.moveaxis(x, list(range(x.ndim - ncore, x.ndim)), list(range(ncore)))
    if ncore == 1:
        return x
    return x.reshape((-1,) + x.shape[ncore:])


def _common_valid(arrays, skipna: bool):
    """Common mask of finite values across ``arrays`` (None when not skipping)."""
    if not skipna:
        return None
    valid = np.isfinite(arrays[0])
    for x in arrays[1:]:
        valid &= np.isfinite(x)
    return valid


def _weights(shape, weights, valid) -> np.ndarray:
    """Weights broadcast to ``shape``, zero where a sample is masked."""
    if weights is None:
        w = np.ones(shape, dtype=np.float64) if valid is None else valid.astype(np.float64)
    else:
        w = np.broadcast_to(np.asarray(weights, dtype=np.float64), shape)
        if valid is not None:
            w = np.where(valid, w, 0.0)
    return w


def _work_dtype(*arrays):
    """float32 stays float32 (statistics are centred before summing), anything else float64."""
    dt = np.result_type(*[x.dtype for x in arrays])
    return np.float32 if dt == np.float32 else np.float64


def _dot(a, b) -> np.ndarray:
    """Sum of products over the leading axis (no temporaries), as float64."""
    return np.einsum("n...,n...->...", a, b).astype(np.float64, copy=False)


def _pair_metrics(obs, sim, weights, ncore: int, skipna: bool, names) -> np.ndarray:
    """All requested pair metrics from one pass of (weighted) moments.

    Returns an array with a trailing axis of length ``len(names)``.
    """
    obs = _flatten(np.asarray(obs), ncore)
    sim = _flatten(np.asarray(sim), ncore)
    shape = np.broadcast_shapes(obs.shape, sim.shape)
    obs, sim = np.broadcast_to(obs, shape), np.broadcast_to(sim, shape)
    if weights is not None:
        weights = _flatten(np.asarray(weights), ncore) if np.ndim(weights) else weights
    moment_names = [m for m in names if m not in RANK_METRICS]
    out = {}
    if moment_names:
        if weights is None:
            moments = _moments_unweighted(obs, sim, skipna, "mae" in names)
        else:
            moments = _moments_weighted(obs, sim, weights, skipna, "mae" in names)
        stacked = _metrics_from_moments(*moments, moment_names)
        out.update({m: stacked[..., i] for i, m in enumerate(moment_names)})
    if "spearman_r" in names:
        out["spearman_r"] = _spearman(obs, sim, weights, skipna)
    return np.stack([np.asarray(out[m], dtype=np.float64) for m in names], axis=-1)


def _ranks(x: np.ndarray) -> np.ndarray:
    """Average ranks along the sample axis 0 (ties share their mean rank); NaN stays NaN."""
    from scipy.stats import rankdata

    if x.shape[0] == 0:
        return x.astype(np.float64)
    return rankdata(x, axis=0, nan_policy="omit").astype(np.float64)


def _spearman(obs, sim, weights, skipna: bool) -> np.ndarray:
    """Spearman rank correlation: the Pearson correlation of the ranks (sample axis 0).

    Ranks are taken over the common mask (``skipna=True``) or over all samples,
    where any missing value makes the result missing. With weights, the ranks
    are unweighted and their correlation weighted, as in xskillscore.
    """
    o = np.array(obs, dtype=np.float64)
    s = np.array(sim, dtype=np.float64)
    bad = ~(np.isfinite(o) & np.isfinite(s))
    if skipna:
        o[bad] = np.nan
        s[bad] = np.nan
    any_bad = bad.any(0)
    ro, rs = _ranks(o), _ranks(s)
    if weights is None:
        moments = _moments_unweighted(ro, rs, True, False)
    else:
        moments = _moments_weighted(ro, rs, weights, True, False)
    r = _metrics_from_moments(*moments, ("pearson_r",))[..., 0]
    if not skipna:
        r = np.where(any_bad, np.nan, r)
    return r


def _moments_unweighted(obs, sim, skipna: bool, want_mae: bool):
    """Count, means, population (co)variances and MAE without weights (sample axis 0).

    Masked samples are set to zero; their contribution to the centred sums
    (``(0 - mean)**2`` each) is subtracted exactly, which keeps the kernel to a
    few passes over the data.
    """
    dt = _work_dtype(obs, sim)
    o, s = obs.astype(dt, copy=False), sim.astype(dt, copy=False)
    total = o.shape[0]
    valid = None
    if skipna:
        valid = np.isfinite(o)
        valid &= np.isfinite(s)
        if valid.all():  # nothing to mask: skip the zero-filled copies
            valid = None
    if valid is not None:
        o, s = np.where(valid, o, dt(0)), np.where(valid, s, dt(0))
        n = np.count_nonzero(valid, axis=0).astype(np.float64)
    else:
        n = np.full(o.shape[1:], float(total))
    with np.errstate(invalid="ignore", divide="ignore"):
        mo = o.sum(0, dtype=np.float64) / n
        ms = s.sum(0, dtype=np.float64) / n
        do = o - mo.astype(dt)
        ds = s - ms.astype(dt)
        masked = total - n
        vo = (_dot(do, do) - masked * mo * mo) / n
        vs = (_dot(ds, ds) - masked * ms * ms) / n
        cov = (_dot(do, ds) - masked * mo * ms) / n
        mae = None
        if want_mae:
            d = np.subtract(s, o)
            np.abs(d, out=d)
            mae = d.sum(0, dtype=np.float64) / n
    return n, mo, ms, vo, vs, cov, mae


def _moments_weighted(obs, sim, weights, skipna: bool, want_mae: bool):
    """Weighted count, means, population (co)variances and MAE (float64, sample axis 0)."""
    valid = _common_valid((obs, sim), skipna)
    w = _weights(obs.shape, weights, valid)
    if valid is not None:
        obs = np.where(valid, obs, 0.0)
        sim = np.where(valid, sim, 0.0)
    o = obs.astype(np.float64, copy=False)
    s = sim.astype(np.float64, copy=False)
    sw = w.sum(0)
    with np.errstate(invalid="ignore", divide="ignore"):
        mo = (w * o).sum(0) / sw
        ms = (w * s).sum(0) / sw
        do = o - mo
        ds = s - ms
        vo = (w * do * do).sum(0) / sw
        vs = (w * ds * ds).sum(0) / sw
        cov = (w * do * ds).sum(0) / sw
        mae = (w * np.abs(s - o)).sum(0) / sw if want_mae else None
    n = (w > 0).sum(0).astype(np.float64)
    return n, mo, ms, vo, vs, cov, mae


def _metrics_from_moments(n, mo, ms, vo, vs, cov, mae, names) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        bias = ms - mo
        vd = np.maximum(vo + vs - 2 * cov, 0.0)
        r = cov / np.sqrt(vo * vs)
        alpha = np.sqrt(vs / vo)
        beta = ms / mo
        out = {
            "bias": bias,
            "relative_bias": bias / mo,
            "rmse": np.sqrt(bias * bias + vd),
            "ubrmse": np.sqrt(vd),
            "mae": mae,
            "pearson_r": r,
            "r2": r * r,
            "nse": 1.0 - (bias * bias + vd) / vo,
            "kge_r": r,
            "kge_alpha": alpha,
            "kge_beta": beta,
            "kge": 1.0 - np.sqrt((r - 1) ** 2 + (alpha - 1) ** 2 + (beta - 1) ** 2),
            "std_ratio": alpha,
            "crmsd": np.sqrt(vd / vo),
            "n": n,
        }
    return np.stack([np.asarray(out[name], dtype=np.float64) for name in names], axis=-1)


def _covariance(stack, ncore: int, skipna: bool) -> np.ndarray:
    """Sample covariance matrices (ddof=1) over the sample axes of each array in ``stack``.

    ``stack`` is a sequence of P arrays of equal shape ``(..., n)`` (sample
    axes last, as ``xr.apply_ufunc`` passes them). Returns ``(..., P, P + 1)``:
    the covariance matrix followed by one column holding the number of samples
    used (the common-mask count).
    """
    stack = [_flatten(np.asarray(x), ncore) for x in stack]
    dt = _work_dtype(*stack)
    total = stack[0].shape[0]
    rest = stack[0].shape[1:]
    nprod = len(stack)
    valid = _common_valid(stack, True) if skipna else None
    count = np.count_nonzero(valid, axis=0).astype(np.float64) if skipna else np.full(rest, float(total))
    out = np.empty(rest + (nprod, nprod + 1))
    masked = total - count
    with np.errstate(invalid="ignore", divide="ignore"):
        anom, means = [], []
        for x in stack:
            # our own zero-filled copy, centred in place; masked samples hold -mean,
            # whose contribution (masked * mean_i * mean_j) is subtracted below
            a = np.where(valid, x, dt(0)).astype(dt, copy=False) if skipna else np.array(x, dtype=dt)
            mean = a.sum(0, dtype=np.float64) / count
            np.subtract(a, mean.astype(dt), out=a)
            anom.append(a)
            means.append(mean)
        for i in range(nprod):
            for j in range(i, nprod):
                c = (_dot(anom[i], anom[j]) - masked * means[i] * means[j]) / (count - 1)
                out[..., i, j] = c
                out[..., j, i] = c
    out[..., nprod] = count[..., None]
    return out


def _positive(x):
    """``x`` where it is > 0, NaN elsewhere (NumPy arrays or DataArrays, lazily)."""
    if hasattr(x, "where"):
        return x.where(x > 0)
    return np.where(x > 0, x, np.nan)


def _tcol_from_cov(cxx, cyy, czz, cxy, cxz, cyz):
    """Classic and extended triple collocation from the six covariances.

    Returns error variances (in each product's own units squared), scaling
    factors towards the first product, squared correlation with the unknown
    truth (extended TC) and signal-to-noise ratio in dB, each a 3-tuple.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        err = (cxx - cxy * cxz / cyz, cyy - cxy * cyz / cxz, czz - cxz * cyz / cxy)
        beta = (cxx * 0.0 + 1.0, cxz / cyz, cxy / cyz)
        rho2 = (cxy * cxz / (cxx * cyz), cxy * cyz / (cyy * cxz), cxz * cyz / (czz * cxy))
        snr = tuple(-10.0 * np.log10(_positive(1.0 / r - 1.0)) for r in rho2)
    return err, beta, rho2, snr


TC_STATS = ("err_var", "sig_var", "rho2", "snr", "beta")


def _tc_triplets(stack, ncore: int, skipna: bool, triplets) -> np.ndarray:
    """Triple collocation of every triplet from one covariance pass.

    ``stack`` is ``(P, ..., n)``; ``triplets`` a list of index triples.
    Returns ``(..., T, P, len(TC_STATS) + 1)``: the statistics of each product
    in each triplet (NaN where a product is not a member) and, last, the count.
    """
    cov = _covariance(stack, ncore, skipna)
    nprod = len(stack)
    out = np.full(cov.shape[:-2] + (len(triplets), nprod, len(TC_STATS) + 1), np.nan)
    c = lambda a, b: cov[..., a, b]  # noqa: E731
    for t, (i, j, k) in enumerate(triplets):
        err, beta, rho2, snr = _tcol_from_cov(c(i, i), c(j, j), c(k, k), c(i, j), c(i, k), c(j, k))
        for m, p in enumerate((i, j, k)):
            sig = c(p, p) - err[m]
            for q, value in enumerate((err[m], sig, rho2[m], snr[m], beta[m])):
                out[..., t, p, q] = value
    out[..., -1] = cov[..., 0, nprod][..., None, None]
    return out


def _masked_regression(y, design, skipna: bool):
    """Least squares of ``y`` (..., n) on the columns of ``design`` (n, k), per series.

    Returns coefficients (..., k), residual variance (..., ) with ``n - k``
    degrees of freedom, the diagonal of ``(X'X)^-1`` (..., k) and the count.
    """
    y = np.asarray(y, dtype=np.float64)
    valid = np.isfinite(y) if skipna else np.ones(y.shape, dtype=bool)
    w = valid.astype(np.float64)
    y0 = np.where(valid, y, 0.0)
    xtx = np.einsum("...n,nk,nl->...kl", w, design, design)
    xty = np.einsum("...n,nk->...k", y0, design)
    count = w.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        ok = count > design.shape[1]
        xtx_safe = np.where(ok[..., None, None], xtx, np.eye(design.shape[1]))
        inv = np.linalg.inv(xtx_safe)
        coef = np.einsum("...kl,...l->...k", inv, xty)
        resid = y - np.einsum("nk,...k->...n", design, coef)
        resid = np.where(valid, resid, 0.0) if skipna else resid
        dof = count - design.shape[1]
        s2 = (resid * resid).sum(-1) / dof
        coef = np.where(ok[..., None], coef, np.nan)
        s2 = np.where(ok, s2, np.nan)
    return coef, s2, np.diagonal(inv, axis1=-2, axis2=-1), count


def _trend(y, t_years, skipna: bool) -> np.ndarray:
    """OLS slope per unit of ``t_years``, its two-sided p-value and the count.

    Returns (..., 3): slope, p-value (Student t, n - 2 dof), n.
    """
    from scipy import stats

    t = np.asarray(t_years, dtype=np.float64)
    design = np.stack([np.ones_like(t), t - t.mean()], axis=1)
    coef, s2, diag, count = _masked_regression(y, design, skipna)
    with np.errstate(invalid="ignore", divide="ignore"):
        se = np.sqrt(s2 * diag[..., 1])
        tstat = coef[..., 1] / se
        p = 2.0 * stats.t.sf(np.abs(tstat), np.maximum(count - 2, 1))
    return np.stack([coef[..., 1], p, count], axis=-1)


def _harmonic(y, doy, t_years, skipna: bool, period: float = 365.25) -> np.ndarray:
    """First-harmonic fit ``m + c (y - ybar) + a cos(w t) + b sin(w t)`` per series.

    The linear term ``c`` (on time in years) keeps a drift from biasing the phase.

    Returns (..., 3): mean, amplitude ``sqrt(a**2 + b**2)``, day of year of the
    maximum (``atan2(b, a) / w`` wrapped to [0, period)).
    """
    omega = 2.0 * np.pi / period
    t = np.asarray(doy, dtype=np.float64) - 1.0
    ty = np.asarray(t_years, dtype=np.float64)
    design = np.stack([np.ones_like(t), ty - ty.mean(), np.cos(omega * t), np.sin(omega * t)], axis=1)
    coef, _, _, _ = _masked_regression(y, design, skipna)
    amplitude = np.hypot(coef[..., 2], coef[..., 3])
    phase = np.mod(np.arctan2(coef[..., 3], coef[..., 2]) / omega, period) + 1.0
    return np.stack([coef[..., 0], amplitude, phase], axis=-1)
