"""NumPy kernels behind :mod:`workbench.intercompare` (private).

Every kernel reduces over the **last** axis of its inputs; the xarray wrappers
in :mod:`workbench.intercompare.metrics` and
:mod:`workbench.intercompare.collocation` move the reduction dimensions there
(``xr.apply_ufunc`` core dimensions) and flatten them with :func:`_flatten`.
Statistics are accumulated in float64 whatever the input precision.

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


def _flatten(x: np.ndarray, ncore: int) -> np.ndarray:
    """Merge the last ``ncore`` axes into one (the reduction axis)."""
    if ncore == 1:
        return x
    return x.reshape(x.shape[: x.ndim - ncore] + (-1,))


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


def _pair_metrics(obs, sim, weights, ncore: int, skipna: bool, names) -> np.ndarray:
    """All requested pair metrics from one pass of weighted moments.

    Returns an array with a trailing axis of length ``len(names)``.
    """
    obs = _flatten(np.asarray(obs), ncore)
    sim = _flatten(np.asarray(sim), ncore)
    shape = np.broadcast_shapes(obs.shape, sim.shape)
    obs, sim = np.broadcast_to(obs, shape), np.broadcast_to(sim, shape)
    if weights is not None:
        weights = _flatten(np.asarray(weights), ncore) if np.ndim(weights) else weights
    valid = _common_valid((obs, sim), skipna)
    w = _weights(shape, weights, valid)
    if valid is not None:
        obs = np.where(valid, obs, 0.0)
        sim = np.where(valid, sim, 0.0)
    o = obs.astype(np.float64, copy=False)
    s = sim.astype(np.float64, copy=False)
    sw = w.sum(-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mo = (w * o).sum(-1) / sw
        ms = (w * s).sum(-1) / sw
        do = o - mo[..., None]
        ds = s - ms[..., None]
        vo = (w * do * do).sum(-1) / sw
        vs = (w * ds * ds).sum(-1) / sw
        cov = (w * do * ds).sum(-1) / sw
        d = s - o
        bias = ms - mo
        vd = vo + vs - 2 * cov
        vd = np.maximum(vd, 0.0)
        out = {}
        out["bias"] = bias
        out["relative_bias"] = bias / mo
        out["rmse"] = np.sqrt(bias * bias + vd)
        out["ubrmse"] = np.sqrt(vd)
        if "mae" in names:
            out["mae"] = (w * np.abs(d)).sum(-1) / sw
        r = cov / np.sqrt(vo * vs)
        out["pearson_r"] = r
        out["r2"] = r * r
        out["nse"] = 1.0 - (bias * bias + vd) / vo
        alpha = np.sqrt(vs / vo)
        beta = ms / mo
        out["kge_r"] = r
        out["kge_alpha"] = alpha
        out["kge_beta"] = beta
        out["kge"] = 1.0 - np.sqrt((r - 1) ** 2 + (alpha - 1) ** 2 + (beta - 1) ** 2)
        out["std_ratio"] = alpha
        out["crmsd"] = np.sqrt(vd / vo)
        out["n"] = (w > 0).sum(-1).astype(np.float64)
    return np.stack([np.asarray(out[name], dtype=np.float64) for name in names], axis=-1)


def _covariance(stack, ncore: int, skipna: bool) -> np.ndarray:
    """Sample covariance matrices (ddof=1) over the last axis of ``stack``.

    ``stack`` has the product axis first: shape ``(P, ..., n)``. Returns
    ``(..., P, P + 1)``: the covariance matrix followed by one column holding
    the number of samples used (the common-mask count).
    """
    stack = np.stack([_flatten(np.asarray(x), ncore) for x in stack])
    valid = _common_valid(list(stack), skipna)
    if valid is not None:
        stack = np.where(valid, stack, 0.0)
        count = valid.sum(-1).astype(np.float64)
    else:
        count = np.full(stack.shape[1:-1], float(stack.shape[-1]))
    stack = stack.astype(np.float64, copy=False)
    nprod = stack.shape[0]
    with np.errstate(invalid="ignore", divide="ignore"):
        means = stack.sum(-1) / count
        anom = stack - means[..., None]
        if valid is not None:
            anom = np.where(valid, anom, 0.0)
        out = np.empty(stack.shape[1:-1] + (nprod, nprod + 1))
        for i in range(nprod):
            for j in range(i, nprod):
                c = (anom[i] * anom[j]).sum(-1) / (count - 1)
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
