"""Skill metrics between a reference (``obs``) and a product (``sim``).

Two layers, as in xskillscore: private NumPy kernels
(:mod:`workbench.intercompare._kernels`) and the xarray wrappers here, which
normalise ``dim``, check units and alignment, broadcast ``weights`` and call
``xr.apply_ufunc(..., dask="parallelized")`` so that dask-backed inputs stay
lazy. Every metric has the signature
``metric(obs, sim, dim=None, weights=None, skipna=False, keep_attrs=False)``;
``dim=None`` reduces over every dimension.

All pair metrics come from one pass of weighted moments, so
:func:`compute_metrics` evaluates any number of them for the price of one.
Moments are population moments (ddof=0), as in xskillscore.

Missing values: ``skipna=False`` propagates NaN; ``skipna=True`` uses a sample
only where obs *and* sim are finite (a common mask), never fills.

Examples
--------
>>> import xarray as xr
>>> obs = xr.DataArray([1.0, 2.0, 3.0, 4.0], dims="time", attrs={"units": "mm d-1"})
>>> sim = xr.DataArray([1.5, 2.5, 2.5, 4.5], dims="time", attrs={"units": "mm d-1"})
>>> float(bias(obs, sim))
0.25
>>> float(rmse(obs, sim))
0.5
"""

from __future__ import annotations

from functools import partial

import numpy as np
import xarray as xr

from ..units import UnitError, convert
from . import _kernels as K
from ._apply import apply_reduction

#: One function per pair metric (each a thin wrapper of :func:`compute_metrics`).
_SINGLE_METRICS = ("bias", "relative_bias", "rmse", "ubrmse", "mae", "pearson_r", "spearman_r", "r2", "nse", "kge")

__all__ = [
    "available_metrics",
    "compute_metrics",
    "compare",
    *_SINGLE_METRICS,
    "kge_components",
    "taylor_statistics",
    "trend",
    "seasonal_cycle",
    "phase_shift",
    "interannual_variability",
]

# name -> (long name, unit kind: "same" = obs units, "1" = dimensionless, formula)
_INFO = {
    "bias": ("mean bias (sim - obs)", "same", r"\bar{s} - \bar{o}"),
    "relative_bias": ("relative bias", "1", r"(\bar{s} - \bar{o}) / \bar{o}"),
    "rmse": ("root-mean-square error", "same", r"\sqrt{\overline{(s - o)^2}}"),
    "ubrmse": (
        "unbiased (centred) root-mean-square error",
        "same",
        r"\sqrt{\overline{[(s - \bar{s}) - (o - \bar{o})]^2}}",
    ),
    "mae": ("mean absolute error", "same", r"\overline{|s - o|}"),
    "pearson_r": ("Pearson correlation", "1", r"\mathrm{cov}(o, s) / (\sigma_o \sigma_s)"),
    "r2": ("squared Pearson correlation", "1", r"r^2"),
    "nse": (
        "Nash-Sutcliffe efficiency",
        "1",
        r"1 - \sum (s - o)^2 / \sum (o - \bar{o})^2",
    ),
    "kge": (
        "Kling-Gupta efficiency",
        "1",
        r"1 - \sqrt{(r - 1)^2 + (\alpha - 1)^2 + (\beta - 1)^2},\ \alpha = \sigma_s/\sigma_o,\ \beta = \bar{s}/\bar{o}",
    ),
    "kge_r": ("KGE correlation component", "1", r"r"),
    "kge_alpha": ("KGE variability ratio", "1", r"\alpha = \sigma_s / \sigma_o"),
    "kge_beta": ("KGE bias ratio", "1", r"\beta = \bar{s} / \bar{o}"),
    "std_ratio": ("normalised standard deviation (Taylor)", "1", r"\sigma_s / \sigma_o"),
    "crmsd": (
        "normalised centred RMS difference (Taylor)",
        "1",
        r"\mathrm{ubRMSE} / \sigma_o",
    ),
    "n": ("number of samples used", "1", r"n"),
    "spearman_r": ("Spearman rank correlation", "1", r"\mathrm{cov}(R_o, R_s) / (\sigma_{R_o} \sigma_{R_s}),\ R = \mathrm{rank}"),
}
assert tuple(_INFO) == K.PAIR_METRICS + K.RANK_METRICS


def available_metrics() -> list[str]:
    """Names accepted by :func:`compute_metrics`.

    Examples
    --------
    >>> "kge" in available_metrics()
    True
    """
    return list(K.PAIR_METRICS + K.RANK_METRICS)


def _check_da(x, label: str) -> xr.DataArray:
    if not isinstance(x, xr.DataArray):
        raise TypeError(f"{label} must be an xarray.DataArray, got {type(x).__name__}")
    return x


def _harmonise(obs: xr.DataArray, sim: xr.DataArray, labels=("obs", "sim")):
    """Bring ``sim`` to the units of ``obs`` and check the coordinates agree exactly."""
    lo, ls = (obs.name or labels[0]), (sim.name or labels[1])
    uo, us = obs.attrs.get("units"), sim.attrs.get("units")
    if (uo is None) != (us is None):
        missing = lo if uo is None else ls
        raise UnitError(
            f"{missing!r} has no 'units' attribute while the other input has "
            f"{uo or us!r}; set units on both (or on neither for plain numbers)"
        )
    if uo is not None:
        sim = convert(sim, uo, name=ls)
    try:
        obs, sim = xr.align(obs, sim, join="exact")
    except ValueError as err:
        raise ValueError(
            f"{lo!r} and {ls!r} are not on the same grid/time axis ({err}); bring them to a "
            "common grid first with workbench.intercompare.regrid_to / align_time"
        ) from None
    return obs, sim


def _dims(dim, *arrays) -> list[str]:
    alldims = []
    for a in arrays:
        alldims += [d for d in a.dims if d not in alldims]
    if dim is None:
        return alldims
    dims = [dim] if isinstance(dim, str) else list(dim)
    for d in dims:
        if d not in alldims:
            raise ValueError(f"dim {d!r} is not a dimension of the inputs; they have {tuple(alldims)}")
    return dims


def _prepare_weights(weights, obs, dims):
    if weights is None:
        return None
    if not isinstance(weights, xr.DataArray):
        raise TypeError(f"weights must be an xarray.DataArray, got {type(weights).__name__}")
    weights, _ = xr.broadcast(weights, obs)
    return weights.transpose(*obs.dims)


def _pair(obs, sim, names, dim, weights, skipna) -> xr.DataArray:
    """Evaluate the pair metrics ``names``; result has a trailing ``metric`` dim."""
    obs, sim = _harmonise(_check_da(obs, "obs"), _check_da(sim, "sim"))
    dims = _dims(dim, obs, sim)
    weights = _prepare_weights(weights, obs, dims)
    args = [obs, sim] + ([weights] if weights is not None else [])
    func = partial(_pair_kernel, ncore=len(dims), skipna=skipna, names=tuple(names))
    if weights is None:
        func = partial(func, weights=None)
    out = apply_reduction(func, *args, input_core_dims=dims, output_core_dims=["metric"], output_sizes={"metric": len(names)})
    return out.assign_coords(metric=list(names))


def _pair_kernel(obs, sim, weights=None, *, ncore, skipna, names):
    return K._pair_metrics(obs, sim, weights, ncore, skipna, names)


def _finish(da: xr.DataArray, name: str, obs: xr.DataArray, keep_attrs: bool) -> xr.DataArray:
    long_name, kind, _ = _INFO[name]
    da = da.rename(name)
    attrs = dict(obs.attrs) if keep_attrs else {}
    attrs["long_name"] = long_name
    if kind == "same" and "units" in obs.attrs:
        attrs["units"] = obs.attrs["units"]
    elif kind == "1":
        attrs["units"] = "1"
    da.attrs = attrs
    return da


def compute_metrics(obs, sim, metrics=None, dim=None, weights=None, skipna=False, keep_attrs=False, *, as_array=False):
    """Evaluate several metrics in one pass over the data.

    Parameters
    ----------
    obs, sim : xarray.DataArray
        Reference and product, same grid and compatible units (``sim`` is
        converted to the units of ``obs``).
    metrics : list of str, optional
        Names from :func:`available_metrics`; default all of them except
        ``spearman_r``, which needs a sort of every series and is computed
        only when named.
    dim : str or list of str, optional
        Dimension(s) to reduce; None reduces over all.
    weights : xarray.DataArray, optional
        Non-negative weights broadcastable to ``obs`` (e.g. ``cos(lat)``).
    skipna : bool, default False
        Use only samples where obs and sim are both finite (common mask).
    keep_attrs : bool, default False
        Copy the attributes of ``obs`` onto each result.
    as_array : bool, default False
        Return one DataArray with a ``metric`` dimension instead of a Dataset
        (far fewer dask tasks when the maps are reduced further, e.g. to
        global means); the units are in ``attrs["units_by_metric"]``.

    Returns
    -------
    xarray.Dataset
        One variable per metric, with ``units`` (obs units for
        bias/rmse/ubrmse/mae, ``"1"`` otherwise) and ``long_name``.

    Raises
    ------
    ValueError
        For unknown metric names (the message lists the valid ones), grids
        that differ, or a ``dim`` that is not a dimension.
    UnitError
        When the units of obs and sim are not compatible.

    Examples
    --------
    >>> import xarray as xr
    >>> obs = xr.DataArray([1.0, 2.0, 3.0], dims="time")
    >>> sim = xr.DataArray([2.0, 3.0, 4.0], dims="time")
    >>> ds = compute_metrics(obs, sim, ["bias", "pearson_r"])
    >>> float(ds.bias), float(ds.pearson_r)
    (1.0, 1.0)
    """
    names = list(K.PAIR_METRICS) if metrics is None else [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [m for m in names if m not in available_metrics()]
    if unknown:
        raise ValueError(f"unknown metric(s) {unknown}; available: {available_metrics()}")
    out = _pair(obs, sim, names, dim, weights, skipna)
    if as_array:
        units = {m: _finish(out.isel(metric=0, drop=True), m, obs, False).attrs.get("units", "") for m in names}
        return out.rename("metrics").assign_attrs(units_by_metric=units)
    return xr.Dataset({m: _finish(out.sel(metric=m, drop=True), m, obs, keep_attrs) for m in names})


def compare(obs, products, metrics=None, dim=None, weights=None, skipna=False) -> xr.Dataset:
    """:func:`compute_metrics` of every product against one reference, along a ``product`` dim.

    Parameters
    ----------
    obs : xarray.DataArray
        The reference (truth, towers, or a chosen product).
    products : xarray.Dataset or dict of DataArray
        One variable per product.
    metrics, dim, weights, skipna
        As for :func:`compute_metrics`.

    Examples
    --------
    >>> import xarray as xr
    >>> obs = xr.DataArray([1.0, 2.0, 3.0], dims="time")
    >>> table = compare(obs, {"a": obs + 1, "b": obs * 2}, ["bias"])
    >>> table.bias.values.tolist()
    [1.0, 2.0]
    """
    items = dict(products.data_vars) if isinstance(products, xr.Dataset) else dict(products)
    if not items:
        raise ValueError("no products given")
    parts = [compute_metrics(obs, x.rename(str(k)), metrics, dim, weights, skipna) for k, x in items.items()]
    return xr.concat(parts, dim="product").assign_coords(product=[str(k) for k in items])


def _make_metric(name: str):
    long_name, kind, formula = _INFO[name]
    unit_text = "units of obs" if kind == "same" else "1"

    def metric(obs, sim, dim=None, weights=None, skipna=False, keep_attrs=False):
        out = _pair(obs, sim, [name], dim, weights, skipna).isel(metric=0, drop=True)
        return _finish(out, name, obs, keep_attrs)

    metric.__name__ = metric.__qualname__ = name
    metric.__doc__ = f"""{long_name[0].upper() + long_name[1:]}.

    .. math:: {formula}

    with weighted means over ``dim`` (``o`` = obs, ``s`` = sim).

    Parameters
    ----------
    obs, sim : xarray.DataArray
        Reference and product on the same grid; ``sim`` is converted to the
        units of ``obs``.
    dim : str or list of str, optional
        Dimension(s) to reduce; None reduces over all.
    weights : xarray.DataArray, optional
        Weights broadcastable to ``obs`` (e.g. area weights ``cos(lat)``).
    skipna : bool, default False
        Skip samples where either input is missing (common mask).
    keep_attrs : bool, default False
        Copy the attributes of ``obs`` to the result.

    Returns
    -------
    xarray.DataArray
        [{unit_text}] named ``{name}``.

    See Also
    --------
    compute_metrics : several metrics in one pass.
    xskillscore : the equivalent functions (``me``, ``rmse``, ``mae``, ``pearson_r``, ``spearman_r``, ``r2``).
    """
    return metric


bias = _make_metric("bias")
relative_bias = _make_metric("relative_bias")
rmse = _make_metric("rmse")
ubrmse = _make_metric("ubrmse")
mae = _make_metric("mae")
pearson_r = _make_metric("pearson_r")
spearman_r = _make_metric("spearman_r")
r2 = _make_metric("r2")
nse = _make_metric("nse")
kge = _make_metric("kge")


def kge_components(obs, sim, dim=None, weights=None, skipna=False) -> xr.Dataset:
    """Kling-Gupta efficiency and its three components (r, alpha, beta).

    References
    ----------
    Gupta, H. V., Kling, H., Yilmaz, K. K., Martinez, G. F. (2009). Decomposition of the
    mean squared error and NSE performance criteria. J. Hydrol. 377, 80-91.
    """
    return compute_metrics(obs, sim, ["kge", "kge_r", "kge_alpha", "kge_beta"], dim, weights, skipna)


def taylor_statistics(obs, sim, dim=None, weights=None, skipna=False) -> xr.Dataset:
    """Taylor-diagram statistics: normalised std, correlation, normalised centred RMS difference.

    They satisfy ``crmsd**2 = std_ratio**2 + 1 - 2 * std_ratio * pearson_r``.

    References
    ----------
    Taylor, K. E. (2001). Summarizing multiple aspects of model performance in a single
    diagram. J. Geophys. Res. 106(D7), 7183-7192.
    """
    return compute_metrics(obs, sim, ["std_ratio", "pearson_r", "crmsd"], dim, weights, skipna)


# --------------------------------------------------------------------------- time-aware metrics


def _time_years(time: xr.DataArray) -> np.ndarray:
    values = time.values
    if np.issubdtype(values.dtype, np.datetime64):
        return (values - values[0]) / np.timedelta64(1, "D") / 365.25
    raise TypeError(f"the time coordinate must hold datetime64 values, got {values.dtype}")


def trend(da, dim="time", skipna=False) -> xr.Dataset:
    """Linear trend (ordinary least squares) and its two-sided significance.

    Parameters
    ----------
    da : xarray.DataArray
        A series with a datetime ``dim``.
    dim : str, default "time"
    skipna : bool, default False

    Returns
    -------
    xarray.Dataset
        ``slope`` [units of da per year], ``pvalue`` [1] (Student t with n - 2
        degrees of freedom), ``n`` [1].

    Examples
    --------
    >>> import pandas as pd, xarray as xr, numpy as np
    >>> t = pd.date_range("2000-01-01", periods=4 * 365, freq="D")
    >>> da = xr.DataArray(np.arange(t.size) / 365.25, dims="time", coords={"time": t}, attrs={"units": "mm d-1"})
    >>> round(float(trend(da).slope), 6)
    1.0
    """
    da = _check_da(da, "da")
    years = _time_years(da[dim])
    out = xr.apply_ufunc(
        K._trend,
        da,
        kwargs={"t_years": years, "skipna": skipna},
        input_core_dims=[[dim]],
        output_core_dims=[["stat"]],
        dask="parallelized",
        output_dtypes=[np.float64],
        dask_gufunc_kwargs={"output_sizes": {"stat": 3}},
    )
    units = da.attrs.get("units")
    ds = xr.Dataset(
        {
            "slope": out.isel(stat=0).assign_attrs(
                long_name="linear trend", **({"units": f"{units} yr-1"} if units else {})
            ),
            "pvalue": out.isel(stat=1).assign_attrs(long_name="two-sided p-value of the trend", units="1"),
            "n": out.isel(stat=2).assign_attrs(long_name="number of samples used", units="1"),
        }
    )
    return ds


def seasonal_cycle(da, dim="time", skipna=False) -> xr.Dataset:
    """Mean, amplitude and phase of the first annual harmonic.

    Fits ``m + c (y - ybar) + a cos(w t) + b sin(w t)`` with ``w = 2 pi / 365.25``,
    ``t`` the day of year and ``y`` the time in years (the linear term keeps a
    drift from biasing the phase), per series.

    Returns
    -------
    xarray.Dataset
        ``mean`` and ``amplitude`` [units of da], ``phase`` [day of year of
        the maximum, 1 to 366].
    """
    da = _check_da(da, "da")
    doy = da[dim].dt.dayofyear.values
    out = xr.apply_ufunc(
        K._harmonic,
        da,
        kwargs={"doy": doy, "t_years": _time_years(da[dim]), "skipna": skipna},
        input_core_dims=[[dim]],
        output_core_dims=[["stat"]],
        dask="parallelized",
        output_dtypes=[np.float64],
        dask_gufunc_kwargs={"output_sizes": {"stat": 3}},
    )
    units = {"units": da.attrs["units"]} if "units" in da.attrs else {}
    return xr.Dataset(
        {
            "mean": out.isel(stat=0).assign_attrs(long_name="mean", **units),
            "amplitude": out.isel(stat=1).assign_attrs(long_name="amplitude of the annual harmonic", **units),
            "phase": out.isel(stat=2).assign_attrs(long_name="day of year of the annual maximum", units="day"),
        }
    )


def phase_shift(obs, sim, dim="time", skipna=False) -> xr.DataArray:
    """Seasonal phase of ``sim`` minus that of ``obs`` [days], wrapped to [-182.6, 182.6].

    Positive means the product peaks later than the reference.
    """
    obs, sim = _harmonise(_check_da(obs, "obs"), _check_da(sim, "sim"))
    diff = seasonal_cycle(sim, dim, skipna).phase - seasonal_cycle(obs, dim, skipna).phase
    half = 365.25 / 2
    out = (diff + half) % 365.25 - half
    return out.rename("phase_shift").assign_attrs(long_name="seasonal phase shift (sim - obs)", units="day")


def interannual_variability(da, dim="time", skipna=False) -> xr.DataArray:
    """Standard deviation (ddof=1) of annual means [units of da].

    Needs at least two calendar years; with one year the result is NaN.
    """
    da = _check_da(da, "da")
    annual = da.resample({dim: "YS"}).mean(skipna=skipna)
    out = annual.std(dim, ddof=1, skipna=skipna)
    return out.rename("interannual_variability").assign_attrs(
        long_name="interannual variability (std of annual means)", **({"units": da.attrs["units"]} if "units" in da.attrs else {})
    )
