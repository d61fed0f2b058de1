"""Reconciling products into one estimate: ensembles, performance and TC weights, and an ML fusion.

* :func:`weighted_ensemble` — any weights along ``product`` (scalars or maps);
  :func:`ensemble_mean` is the equal-weight case.
* :func:`performance_weights` — weights from skill at the towers
  (inverse mean-square error, or KGE).
* :func:`tc_fusion` — each product rescaled to a common reference (mean and
  TC signal variance) and weighted by its TC signal-to-noise ratio, i.e. the
  inverse error variance of the rescaled product (Gruber et al. 2017).
* :class:`FusionRegressor` — a scikit-learn regressor trained on towers
  (product values, optionally day of year) with :func:`leave_site_out`
  validation; :meth:`FusionRegressor.predict_grid` applies it lazily to maps.

References
----------
Gruber, A., Dorigo, W. A., Crow, W., Wagner, W. (2017). Triple collocation-based merging
of satellite soil moisture retrievals. IEEE TGRS 55(12), 6780-6792.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from sklearn.base import BaseEstimator, RegressorMixin, clone

from .collocation import tc_all_triplets, tc_summary
from .regrid import stack_products

__all__ = [
    "ensemble_mean",
    "weighted_ensemble",
    "performance_weights",
    "tc_weights",
    "tc_fusion",
    "FusionRegressor",
    "leave_site_out",
]


def weighted_ensemble(products, weights, *, skipna: bool = False, name: str = "weighted_ensemble") -> xr.DataArray:
    """Weighted mean of the products along ``product``.

    Parameters
    ----------
    products : xarray.Dataset, dict or stacked DataArray
    weights : xarray.DataArray with a ``product`` dim, or dict name -> weight
        Non-negative; normalised to sum to one where products are present.
    skipna : bool, default False
        False: missing wherever any product is missing (the common mask).
        True: weights renormalised over the products present.
    """
    stacked = stack_products(products)
    if isinstance(weights, dict):
        names = [str(p) for p in stacked["product"].values]
        absent = [p for p in names if p not in weights]
        if absent:
            raise ValueError(f"no weight given for products {absent}")
        weights = xr.DataArray([float(weights[p]) for p in names], dims="product", coords={"product": names})
    if not isinstance(weights, xr.DataArray) or "product" not in weights.dims:
        raise TypeError("weights must be a dict or a DataArray with a 'product' dimension")
    missing = sorted(set(map(str, stacked["product"].values)) - set(map(str, weights["product"].values)))
    if missing:
        raise ValueError(f"no weight given for products {missing}")
    weights = weights.sel(product=stacked["product"].values)
    if bool((weights < 0).any()):
        raise ValueError("weights must be non-negative")
    present = stacked.notnull()
    w = weights.where(present, 0.0)
    out = (stacked.fillna(0.0) * w).sum("product") / w.sum("product")
    if not skipna:
        out = out.where(present.all("product"))
    return out.rename(name).assign_attrs(units=stacked.attrs["units"], long_name=f"{name.replace('_', ' ')} of {stacked.sizes['product']} products")


def ensemble_mean(products, *, skipna: bool = False) -> xr.DataArray:
    """Equal-weight ensemble mean (see :func:`weighted_ensemble`)."""
    names = stack_products(products)["product"].values
    return weighted_ensemble(products, {str(n): 1.0 for n in names}, skipna=skipna, name="ensemble_mean")


def performance_weights(table: pd.DataFrame, products=None, *, metric: str = "mse") -> xr.DataArray:
    """Weights from each product's skill against towers.

    Parameters
    ----------
    table : pandas.DataFrame
        From :func:`~workbench.intercompare.match_towers`: column ``obs`` and one per product.
    products : list of str, optional
        Columns to weight; default every column but ``site``, ``time``, ``obs``.
    metric : {"mse", "kge"}
        ``mse``: weights proportional to 1 / MSE; ``kge``: to max(KGE, 0).
        Rows with any missing value are dropped for all products alike.

    Returns
    -------
    xarray.DataArray
        Weights along ``product`` summing to one.
    """
    names = products or [c for c in table.columns if c not in ("site", "time", "obs")]
    rows = table[["obs", *names]].dropna()
    if rows.empty:
        raise ValueError("no tower sample where the observation and every product are present")
    if metric == "mse":
        score = np.array([1.0 / np.mean((rows[n] - rows.obs) ** 2) for n in names])
    elif metric == "kge":
        from .metrics import kge

        o = xr.DataArray(rows.obs.values, dims="i")
        score = np.array([max(float(kge(o, xr.DataArray(rows[n].values, dims="i"))), 0.0) for n in names])
    else:
        raise ValueError(f"unknown metric {metric!r}; choose 'mse' or 'kge'")
    w = score / score.sum()
    return xr.DataArray(w, dims="product", coords={"product": names}, name="weight", attrs={"units": "1", "long_name": f"performance weight (towers, {metric})"})


def tc_weights(tc: xr.Dataset) -> xr.DataArray:
    """Weights proportional to the TC signal-to-noise ratio ``sig_var / err_var``.

    Equal to the inverse error variance of each product once rescaled to a
    common signal variance. Products with a non-positive TC error or signal
    variance (a sign that TC assumptions fail) get no weight from that estimate.

    Parameters
    ----------
    tc : xarray.Dataset
        From :func:`~workbench.intercompare.tc_all_triplets` or :func:`tc_summary`.
    """
    s = tc_summary(tc) if "triplet" in tc.dims else tc
    snr = (s.sig_var / s.err_var).where((s.err_var > 0) & (s.sig_var > 0))
    w = snr / snr.sum("product")
    return w.rename("weight").assign_attrs(units="1", long_name="triple-collocation weight (linear SNR)")


def tc_fusion(products, *, ref: str | None = None, dim: str = "time", tc: xr.Dataset | None = None) -> xr.DataArray:
    """Merge products with triple-collocation weights after rescaling to a reference.

    Each product is rescaled to the reference's mean and TC signal standard deviation,

    .. math:: x_i' = \\bar{x}_{ref} + (x_i - \\bar{x}_i) \\sqrt{\\sigma^2_{s,ref} / \\sigma^2_{s,i}}

    and the rescaled products are averaged with :func:`tc_weights`, per cell.

    Parameters
    ----------
    products : xarray.Dataset, dict or stacked DataArray
        At least three products.
    ref : str, optional
        Product whose mean and signal variance the fused estimate takes;
        default the mean of all products' means and signal standard deviations
        (no single product is privileged).
    dim : str
        Sample dimension of the TC estimates.
    tc : xarray.Dataset, optional
        Precomputed :func:`tc_all_triplets` result.
    """
    stacked = stack_products(products)
    tc = tc if tc is not None else tc_all_triplets(stacked, dim=dim)
    s = tc_summary(tc)
    sig = np.sqrt(s.sig_var.where(s.sig_var > 0))
    means = stacked.mean(dim, skipna=True)
    if ref is None:
        ref_mean, ref_sig = means.mean("product"), sig.mean("product")
    else:
        if ref not in list(stacked["product"].values):
            raise ValueError(f"ref {ref!r} is not one of the products {list(stacked['product'].values)}")
        ref_mean, ref_sig = means.sel(product=ref, drop=True), sig.sel(product=ref, drop=True)
    rescaled = ref_mean + (stacked - means) * (ref_sig / sig)
    rescaled.attrs = dict(stacked.attrs)
    w = tc_weights(s).fillna(0.0)
    return weighted_ensemble(rescaled, w, name="tc_fusion")


class FusionRegressor(RegressorMixin, BaseEstimator):
    """Machine-learning fusion of products trained on towers (scikit-learn estimator).

    Features are the products' values at the tower cells, optionally with
    ``sin``/``cos`` of the day of year; the target is the tower ET.

    Parameters
    ----------
    estimator : scikit-learn regressor, optional
        Default ``HistGradientBoostingRegressor(max_iter=max_iter, random_state=random_state)``
        (which handles missing product values natively).
    max_iter : int, default 200
        Boosting iterations of the default estimator.
    seasonal : bool, default True
        Add ``sin``/``cos`` of the day of year as features.
    covariates : sequence of str, default ()
        Further numeric columns of ``X`` used as features (e.g. net radiation,
        air temperature, NDVI). Table-only: :meth:`predict_grid` refuses them.
    categorical : sequence of str, default ()
        Columns of ``X`` holding classes (land cover, climate zone); coded by
        the categories seen in ``fit`` (unseen classes become missing) and
        passed to the default estimator as categorical features.
    random_state : int, default 0
    n_threads : int or None, default 1
        OpenMP threads for the estimator (``threadpoolctl``); 1 avoids
        oversubscription on shared machines and inside dask workers. None = library default.

    Attributes
    ----------
    model_ : fitted estimator
    products_ : list of str
        Product (feature) names seen in ``fit``.
    """

    def __init__(
        self,
        estimator=None,
        *,
        max_iter: int = 200,
        seasonal: bool = True,
        covariates=(),
        categorical=(),
        random_state: int = 0,
        n_threads: int | None = 1,
    ):
        self.estimator = estimator
        self.max_iter = max_iter
        self.seasonal = seasonal
        self.covariates = covariates
        self.categorical = categorical
        self.random_state = random_state
        self.n_threads = n_threads

    def _limits(self):
        from threadpoolctl import threadpool_limits

        return threadpool_limits(limits=self.n_threads, user_api="openmp")

    def _features(self, X: pd.DataFrame, products) -> np.ndarray:
        absent = [c for c in [*products, *self.covariates, *self.categorical] if c not in X]
        if absent:
            raise ValueError(f"X has no columns {absent}; it has {list(X.columns)}")
        cols = [np.asarray(X[p], dtype=float) for p in [*products, *self.covariates]]
        for c in self.categorical:
            codes = pd.Categorical(X[c].astype(str), categories=self.categories_[c]).codes.astype(float)
            cols.append(np.where(codes < 0, np.nan, codes))
        if self.seasonal:
            if "time" not in X:
                raise ValueError("seasonal=True needs a 'time' column in X")
            doy = pd.DatetimeIndex(X["time"]).dayofyear.values
            cols += [np.sin(2 * np.pi * doy / 365.25), np.cos(2 * np.pi * doy / 365.25)]
        return np.column_stack(cols)

    def fit(self, X: pd.DataFrame, y, *, products=None, sample_weight=None):
        """Fit on a tower table (``X`` from :func:`match_towers`, ``y`` the tower ET)."""
        from sklearn.ensemble import HistGradientBoostingRegressor

        extra = {"site", "time", "obs", *self.covariates, *self.categorical}
        self.products_ = list(products or [c for c in X.columns if c not in extra])
        self.categories_ = {c: sorted(X[c].astype(str).unique()) for c in self.categorical}
        y = np.asarray(y, dtype=float)
        ok = np.isfinite(y)
        if not ok.any():
            raise ValueError("no finite target value to train on")
        n_num = len(self.products_) + len(self.covariates)
        cat_mask = [False] * n_num + [True] * len(self.categorical) + [False] * (2 if self.seasonal else 0)
        default = HistGradientBoostingRegressor(
            max_iter=self.max_iter, random_state=self.random_state, categorical_features=cat_mask if self.categorical else None
        )
        est = self.estimator if self.estimator is not None else default
        self.model_ = clone(est)
        with self._limits():
            weights = {"sample_weight": np.asarray(sample_weight)[ok]} if sample_weight is not None else {}
            self.model_.fit(self._features(X, self.products_)[ok], y[ok], **weights)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """Fused ET for the rows of a table with the product columns (and ``time``)."""
        with self._limits():
            return self.model_.predict(self._features(X, self.products_))

    def predict_grid(self, products) -> xr.DataArray:
        """Apply the fitted fusion to gridded products (lazily for dask input)."""
        if self.covariates or self.categorical:
            raise ValueError(f"predict_grid takes product maps only; this model also uses the table columns {[*self.covariates, *self.categorical]}")
        stacked = stack_products(products).sel(product=self.products_)
        if stacked.chunks is not None:
            stacked = stacked.chunk({"product": -1})
        doy = stacked["time"].dt.dayofyear  # 1-D: broadcast block by block, never materialised in full

        def kernel(x, d):
            shape = x.shape[:-1]
            cols = [x.reshape(-1, x.shape[-1])]
            if self.seasonal:
                d = np.broadcast_to(d, shape).reshape(-1).astype(float)
                cols += [np.sin(2 * np.pi * d / 365.25)[:, None], np.cos(2 * np.pi * d / 365.25)[:, None]]
            with self._limits():
                return self.model_.predict(np.hstack(cols)).reshape(shape)

        out = xr.apply_ufunc(
            kernel,
            stacked,
            doy,
            input_core_dims=[["product"], []],
            dask="parallelized",
            output_dtypes=[np.float64],
        )
        return out.rename("ml_fusion").assign_attrs(units=stacked.attrs["units"], long_name="ML fusion of products (trained on towers)")


def leave_site_out(model: FusionRegressor, table: pd.DataFrame, *, products=None, n_splits: int | None = None, groups: str = "site") -> pd.DataFrame:
    """Out-of-site predictions: each site predicted by a model trained on the other sites.

    Parameters
    ----------
    model : FusionRegressor (or any estimator with ``fit(X, y, products=...)``)
    table : pandas.DataFrame
        With ``obs`` and a ``groups`` column.
    products : list of str, optional
        Passed to ``fit``.
    n_splits : int, optional
        None: leave one site out. An integer: grouped k-fold
        (:class:`sklearn.model_selection.GroupKFold`), every site in exactly one
        test fold.
    groups : str, default "site"
        Column whose values are never split between training and test.

    Returns
    -------
    pandas.DataFrame
        ``table`` with a ``fused`` column holding the out-of-site predictions
        and a ``fold`` column.
    """
    from sklearn.model_selection import GroupKFold

    sites = table[groups].unique()
    if sites.size < 2:
        raise ValueError(f"leave-site-out validation needs at least two sites, got {list(sites)}")
    k = sites.size if n_splits is None else int(n_splits)
    if not 2 <= k <= sites.size:
        raise ValueError(f"n_splits must be between 2 and the number of sites ({sites.size}); got {n_splits}")
    out = table.copy()
    out["fused"] = np.nan
    out["fold"] = -1
    for fold, (train, test) in enumerate(GroupKFold(n_splits=k).split(table, groups=table[groups])):
        fitted = clone(model).fit(table.iloc[train], table["obs"].iloc[train], products=products)
        out.iloc[test, out.columns.get_loc("fused")] = fitted.predict(table.iloc[test])
        out.iloc[test, out.columns.get_loc("fold")] = fold
    return out
