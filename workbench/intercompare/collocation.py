"""Errors without truth: classic and extended triple collocation over every triplet of products.

Model: each product ``x_i = a_i + b_i T + e_i`` with errors ``e_i`` of zero mean,
independent of the truth ``T`` and of each other. From the covariances ``C`` of
three products (Stoffelen 1998; Gruber et al. 2016):

.. math::

    \\sigma^2_{e_x} = C_{xx} - C_{xy} C_{xz} / C_{yz}, \\qquad
    \\rho^2_{x,T} = C_{xy} C_{xz} / (C_{xx} C_{yz})

(cyclic in x, y, z); the latter is the extended triple collocation of McColl
et al. (2014). The signal variance is ``C_xx - sigma^2_e``, the SNR in dB
``-10 log10(1 / rho^2 - 1)``, and the scaling towards the first member
``beta_y = C_xz / C_yz``, ``beta_z = C_xy / C_yz`` (pytesmo convention).

The covariance matrix of all products is computed in one pass (a common
missing-value mask across products, ``ddof=1`` as in pytesmo); every triplet
is then derived from it lazily.

References
----------
Stoffelen, A. (1998). Toward the true near-surface wind speed: error modeling and
calibration using triple collocation. J. Geophys. Res. 103(C4), 7755-7766.
McColl, K. A. et al. (2014). Extended triple collocation: estimating errors and
correlation coefficients with respect to an unknown target. Geophys. Res. Lett. 41, 6229-6236.
Gruber, A. et al. (2016). Recent advances in (soil moisture) triple collocation analysis.
Int. J. Appl. Earth Obs. Geoinf. 45, 200-211.
"""

from __future__ import annotations

from functools import partial
from itertools import combinations

import numpy as np
import xarray as xr

from . import _kernels as K
from ._apply import apply_reduction
from .regrid import stack_products

__all__ = [
    "covariance_matrix",
    "triple_collocation",
    "tc_all_triplets",
    "tc_summary",
    "error_cross_correlation",
]

_TC_VARS = {
    "err_var": ("error variance", "sq"),
    "sig_var": ("signal variance", "sq"),
    "rho2": ("squared correlation with the unknown truth (extended TC)", "1"),
    "snr": ("signal-to-noise ratio", "dB"),
    "beta": ("scaling towards the triplet's first member", "1"),
}


def covariance_matrix(products, dim="time", skipna: bool = True) -> xr.Dataset:
    """Covariance matrix of the products over ``dim`` (ddof=1, common missing-value mask).

    Parameters
    ----------
    products : xarray.Dataset, dict or DataArray with a ``product`` dim
        Products on one grid and compatible units (checked; see
        :func:`~workbench.intercompare.stack_products`).
    dim : str or list of str, default "time"
    skipna : bool, default True
        Use a sample only where every product has a value.

    Returns
    -------
    xarray.Dataset
        ``cov`` with dims (..., ``product``, ``product_j``) [units squared] and
        ``n`` (samples used).
    """
    members, units = _members(products)
    dims = [dim] if isinstance(dim, str) else list(dim)
    names = list(members)
    out = apply_reduction(
        partial(_cov_kernel, ncore=len(dims), skipna=skipna),
        *members.values(),
        input_core_dims=dims,
        output_core_dims=["product", "column"],
        output_sizes={"product": len(names), "column": len(names) + 1},
    )
    out = out.assign_coords(product=names)
    cov = out.isel(column=slice(0, len(names))).rename(column="product_j")
    cov = cov.assign_coords(product_j=names)
    return xr.Dataset(
        {
            "cov": cov.assign_attrs(long_name="covariance", **({"units": f"({units})2"} if units else {})),
            "n": out.isel(column=-1, product=0, drop=True).assign_attrs(long_name="samples used", units="1"),
        }
    )


def _members(products):
    """Check the products like :func:`stack_products` and return them (unstacked) with their units."""
    stacked = stack_products(products)
    units = stacked.attrs.get("units")
    if isinstance(products, xr.Dataset):
        products = dict(products.data_vars)
    elif isinstance(products, xr.DataArray):
        products = {str(k): products.sel(product=k, drop=True) for k in products["product"].values}
    from ..units import convert

    members = {str(k): (convert(v, units, name=str(k)) if units and "units" in v.attrs else v).transpose(*stacked.dims[1:]) for k, v in products.items()}
    return members, units


def _cov_kernel(*xs, ncore, skipna):
    return K._covariance(xs, ncore, skipna)


def tc_all_triplets(products, dim="time", skipna: bool = True) -> xr.Dataset:
    """Classic and extended triple collocation for every triplet of products.

    One pass over the data per block: the covariance matrix of all products
    and every triplet's estimates are computed in a single NumPy kernel.

    Parameters
    ----------
    products : xarray.Dataset, dict or DataArray with a ``product`` dim
        At least three products on one grid and compatible units.
    dim : str or list of str, default "time"
        The sample dimension(s); the rest (e.g. lat, lon) give maps.
    skipna : bool, default True
        Common missing-value mask across all products.

    Returns
    -------
    xarray.Dataset
        Dims (``triplet``, ``product``, ...): ``err_var`` [units squared],
        ``sig_var`` [units squared], ``rho2`` [1], ``snr`` [dB], ``beta`` [1]
        (towards the triplet's first member), NaN where a product is not in
        the triplet; ``n`` the number of samples. ``triplet`` labels read
        ``"a|b|c"``.

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> t = rng.normal(size=20000)
    >>> ds = xr.Dataset({k: ("time", t + rng.normal(scale=s, size=t.size), {"units": "mm d-1"})
    ...                  for k, s in zip("abc", (0.3, 0.5, 0.7))})
    >>> tc = tc_all_triplets(ds)
    >>> np.round(tc.err_var.sel(triplet="a|b|c").values, 2)
    array([0.09, 0.25, 0.49])
    """
    members, units = _members(products)
    names = list(members)
    if len(names) < 3:
        raise ValueError(f"triple collocation needs at least three products, got {len(names)}: {names}")
    dims = [dim] if isinstance(dim, str) else list(dim)
    triplets = list(combinations(range(len(names)), 3))
    nstat = len(K.TC_STATS) + 1
    out = apply_reduction(
        partial(_tc_kernel, ncore=len(dims), skipna=skipna, triplets=triplets),
        *members.values(),
        input_core_dims=dims,
        output_core_dims=["triplet", "product", "stat"],
        output_sizes={"triplet": len(triplets), "product": len(names), "stat": nstat},
    )
    labels = ["|".join(names[i] for i in t) for t in triplets]
    out = out.assign_coords(triplet=labels, product=names)
    ds = xr.Dataset()
    for q, v in enumerate(K.TC_STATS):
        long_name, kind = _TC_VARS[v]
        attrs = {"long_name": long_name, "units": f"({units})2" if kind == "sq" and units else ("dB" if kind == "dB" else "1")}
        ds[v] = out.isel(stat=q, drop=True).transpose("triplet", "product", ...).assign_attrs(attrs)
    ds["n"] = out.isel(stat=-1, triplet=0, product=0, drop=True).assign_attrs(long_name="samples used", units="1")
    ds.attrs["missing_values"] = "common mask: a sample is used only where every product has a value"
    return ds


def _tc_kernel(*xs, ncore, skipna, triplets):
    return K._tc_triplets(xs, ncore, skipna, triplets)


def triple_collocation(x, y, z, dim="time", skipna: bool = True) -> xr.Dataset:
    """Triple collocation of three products (see :func:`tc_all_triplets`).

    Returns
    -------
    xarray.Dataset
        Dims (``product``, ...) with the three names: ``err_var``, ``sig_var``,
        ``rho2``, ``snr``, ``beta`` (towards ``x``), ``err_std_scaled``
        (``sqrt(err_var) * beta``, in the units of ``x``: pytesmo's ``err_std``)
        and ``n``.
    """
    names = [a.name or default for a, default in zip((x, y, z), ("x", "y", "z"))]
    if len(set(names)) < 3:
        names = ["x", "y", "z"]
    tc = tc_all_triplets(dict(zip(names, (x, y, z))), dim=dim, skipna=skipna).isel(triplet=0, drop=True)
    tc["err_std_scaled"] = (np.sqrt(tc.err_var) * tc.beta).assign_attrs(
        long_name="error standard deviation scaled to the first product", units=x.attrs.get("units", "1")
    )
    return tc


def tc_summary(tc: xr.Dataset) -> xr.Dataset:
    """Mean of each product's TC estimates over the triplets it belongs to.

    ``beta`` is dropped (it refers to a different first member in each triplet).
    """
    out = tc.drop_vars(["beta"]).mean("triplet", skipna=True, keep_attrs=True)
    out["n_triplets"] = tc.err_var.notnull().any([d for d in tc.err_var.dims if d not in ("triplet", "product")]).sum("triplet")
    return out


def error_cross_correlation(products, truth: xr.DataArray, dim="time", skipna: bool = True) -> xr.DataArray:
    """Correlation between products' errors against a known truth (TC's independence assumption).

    Each product is first calibrated to the truth by least squares
    (``x_i = a_i + b_i T + e_i``); the correlations of the residuals ``e_i``
    should be near zero for triple collocation to be unbiased.

    Returns
    -------
    xarray.DataArray
        Dims (..., ``product``, ``product_j``) [1].
    """
    stacked = stack_products(products)
    truth = truth.broadcast_like(stacked.isel(product=0, drop=True))
    if "units" in truth.attrs and "units" in stacked.attrs:
        from ..units import convert

        truth = convert(truth, stacked.attrs["units"], name="truth")
    valid = stacked.notnull().all("product") & truth.notnull() if skipna else True
    t = truth.where(valid)
    x = stacked.where(valid)
    tm = t.mean(dim)
    ta = t - tm
    beta = (ta * (x - x.mean(dim))).mean(dim) / (ta * ta).mean(dim)
    resid = x - x.mean(dim) - beta * ta
    cov = covariance_matrix(resid.assign_attrs(units=stacked.attrs.get("units")), dim=dim, skipna=skipna)["cov"]
    diag = np.sqrt(xr.DataArray(np.diagonal(cov, axis1=-2, axis2=-1), dims=[*cov.dims[:-2], "product"]))
    corr = cov / (diag * diag.rename(product="product_j").assign_coords(product_j=cov.product_j.values))
    return corr.rename("error_correlation").assign_attrs(long_name="correlation of errors against the truth", units="1")
