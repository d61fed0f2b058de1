"""Attributions of an error model's residual to its drivers, with maintained libraries.

* SHAP (Lundberg & Lee 2017): ``TreeExplainer`` for the gradient-boosting error
  model (exact, polynomial time; Lundberg et al. 2020), the model-agnostic
  ``PermutationExplainer`` for any model, ``LinearExplainer`` for the linear one;
* scikit-learn's permutation importance and partial dependence;
* accumulated local effects (ALE, Apley & Zhu 2020) with ``effector``;
* Integrated Gradients (Sundararajan et al. 2017) with Captum for the PyTorch
  networks of the workbench, checked for completeness.

Every function explains on the error model's held-out rows (``X_explain_``).

References
----------
Lundberg, S. M. and Lee, S.-I. (2017) A unified approach to interpreting model predictions. NeurIPS 30.
Lundberg, S. M. et al. (2020) From local explanations to global understanding with explainable AI for trees.
Nat. Mach. Intell. 2, 56-67.
Apley, D. W. and Zhu, J. (2020) Visualizing the effects of predictor variables in black box supervised
learning models. J. R. Stat. Soc. B 82, 1059-1086.
Sundararajan, M., Taly, A. and Yan, Q. (2017) Axiomatic attribution for deep networks. ICML.
"""

from __future__ import annotations

import copy
import warnings

import numpy as np
import xarray as xr

__all__ = ["EXPLAINERS", "shap_values", "permutation_importances", "partial_dependence_curve", "ale_curve",
           "integrated_gradients", "importance", "rank_drivers", "planted_hit", "explain"]

#: Explainers :func:`explain` knows: SHAP (tree / permutation / linear), permutation importance, IG.
EXPLAINERS = ("tree_shap", "permutation_shap", "linear_shap", "permutation_importance", "integrated_gradients")


def _rows(em, n, seed):
    X = em.X_explain_
    if n is not None and n < X.shape[0]:
        idx = np.sort(np.random.default_rng(seed).choice(X.shape[0], n, replace=False))
        return X[idx], em.explain_samples_[idx]
    return X, em.explain_samples_


def _attribution_array(values, samples, em, method, base):
    return xr.DataArray(
        np.asarray(values, dtype=float), dims=("sample", "driver"),
        coords={"sample": samples, "driver": list(em.feature_names_)},
        attrs={"units": em.target_units_, "long_name": f"{method} attribution of {em.target_name_}",
               "method": method, "base_value": float(np.ravel(base)[0])},
    )


def shap_values(em, *, explainer: str = "tree", n_samples: int | None = None, n_background: int = 100,
                seed: int = 0) -> xr.DataArray:
    """SHAP values of the error model on its held-out rows.

    Parameters
    ----------
    em : ErrorModel
        A fitted :class:`workbench.explain.ErrorModel`.
    explainer : {"tree", "permutation", "linear"}
        ``tree`` (gbm only): ``shap.TreeExplainer`` (path-dependent, exact for
        the trees); ``permutation``: model-agnostic ``shap.PermutationExplainer``
        against an independent masker of ``n_background`` held-out rows;
        ``linear`` (linear only): ``shap.LinearExplainer``.
    n_samples : int, optional
        Explain this many (seeded) held-out rows; default all.
    n_background : int, default 100
    seed : int, default 0

    Returns
    -------
    xarray.DataArray
        ``(sample, driver)`` attributions in the target's units; they add up
        to ``prediction - attrs["base_value"]`` for every row.
    """
    import shap

    X, samples = _rows(em, n_samples, seed)
    background = _rows(em, n_background, seed + 1)[0]
    if explainer == "tree":
        if em.estimator != "gbm":
            raise ValueError(f"explainer='tree' needs a tree error model (estimator='gbm'), not {em.estimator!r}; "
                             "use explainer='permutation'")
        exp = shap.TreeExplainer(em.estimator_)
        return _attribution_array(exp.shap_values(X, check_additivity=False), samples, em, "TreeSHAP", exp.expected_value)
    if explainer == "linear":
        if em.estimator != "linear":
            raise ValueError(f"explainer='linear' needs estimator='linear', not {em.estimator!r}")
        exp = shap.LinearExplainer(em.estimator_, shap.maskers.Independent(background, max_samples=n_background))
        return _attribution_array(exp.shap_values(X), samples, em, "LinearSHAP", exp.expected_value)
    if explainer == "permutation":
        masker = shap.maskers.Independent(background, max_samples=n_background)
        exp = shap.PermutationExplainer(em.predict_array, masker, seed=seed)
        out = exp(X, silent=True)
        return _attribution_array(out.values, samples, em, "PermutationSHAP", out.base_values)
    raise ValueError(f"explainer must be 'tree', 'permutation' or 'linear', got {explainer!r}")


def permutation_importances(em, *, n_repeats: int = 5, n_samples: int | None = None, rows=None,
                            seed: int = 0) -> xr.DataArray:
    """Permutation importance (increase of the MSE when a driver is shuffled), on held-out rows.

    ``rows`` (boolean mask over the held-out rows, e.g. one regime) restricts the rows used.

    Returns
    -------
    xarray.DataArray
        ``(driver,)`` mean increase of the mean squared error [target units squared];
        ``attrs["std"]`` holds the spread over the repeats.
    """
    from sklearn.inspection import permutation_importance

    X, samples = _rows(em, n_samples, seed)
    y = em.y_explain_[np.isin(em.explain_samples_, samples)]
    if rows is not None:
        keep = np.asarray(rows, bool)[np.isin(em.explain_samples_, samples)]
        X, y = X[keep], y[keep]
    res = permutation_importance(em.predictor(), X, y, scoring="neg_mean_squared_error", n_repeats=n_repeats,
                                 random_state=seed)
    return xr.DataArray(res.importances_mean, dims="driver", coords={"driver": list(em.feature_names_)},
                        attrs={"units": f"({em.target_units_})2", "long_name": "permutation importance (MSE increase)",
                               "method": "permutation importance", "std": res.importances_std.tolist()})


def _grid(x, n):
    return np.unique(np.quantile(x, np.linspace(0.02, 0.98, n)))


def partial_dependence_curve(em, driver: str, *, grid_resolution: int = 20) -> xr.DataArray:
    """Partial dependence of the residual on one driver (scikit-learn, brute force), on held-out rows.

    Returns
    -------
    xarray.DataArray
        The average predicted residual along ``driver`` (its grid as the coordinate).
    """
    from sklearn.inspection import partial_dependence

    i = _index(em, driver)
    pd_ = partial_dependence(em.predictor(), em.X_explain_, [i], grid_resolution=grid_resolution, method="brute",
                             kind="average", percentiles=(0.02, 0.98))
    return xr.DataArray(pd_["average"][0], dims=driver, coords={driver: pd_["grid_values"][0]},
                        attrs={"units": em.target_units_, "long_name": f"partial dependence of {em.target_name_}"})


def ale_curve(em, driver: str, *, bins: int = 20) -> xr.DataArray:
    """Accumulated local effects of one driver (``effector.ALE``), centred, on held-out rows.

    ALE is the effect to trust when drivers are correlated: it averages local
    differences within bins of the driver instead of extrapolating to
    combinations that never occur, as partial dependence does.
    """
    import effector

    i = _index(em, driver)
    with warnings.catch_warnings():  # effector guesses feature types from cardinality and says so; ALE of `driver` is unaffected
        warnings.filterwarnings("ignore", message="Feature type", category=UserWarning)
        ale = effector.ALE(data=em.X_explain_, model=em.predict_array, nof_instances="all", random_state=em.seed)
    ale.fit(features=[i], centering=True, binning_method=effector.axis_partitioning.Fixed(nof_bins=bins))
    xs = _grid(em.X_explain_[:, i], bins)
    return xr.DataArray(np.asarray(ale.eval(feature=i, xs=xs, centering=True), dtype=float), dims=driver,
                        coords={driver: xs}, attrs={"units": em.target_units_, "long_name": f"ALE of {em.target_name_}"})


def _index(em, driver):
    if driver not in em.feature_names_:
        raise ValueError(f"{driver!r} is not a driver of this error model; drivers: {em.feature_names_}")
    return em.feature_names_.index(driver)


def integrated_gradients(model, X=None, *, baseline="mean", n_steps: int = 64, target: int = 0):
    """Integrated Gradients (Captum) of a workbench PyTorch network, with the completeness error.

    Parameters
    ----------
    model : ErrorModel or SurrogateRegressor
        An ``ErrorModel(estimator="mlp")`` (explained on its held-out rows) or
        any fitted :class:`workbench.surrogates.SurrogateRegressor`.
    X : numpy.ndarray, optional
        (n, k) inputs in the training units; default the held-out rows of an ErrorModel.
    baseline : {"mean"} or numpy.ndarray
        The reference input x' (default the mean of ``X``).
    n_steps : int, default 64
        Gauss-Legendre steps of the path integral.
    target : int, default 0
        Which output of a multi-output network.

    Returns
    -------
    attributions : xarray.DataArray
        ``(sample, driver)``, in the output's units.
    completeness_error : float
        ``sum |sum_i a_i - (f(x) - f(x'))| / sum |f(x) - f(x')|`` over the rows
        [1]; completeness (an axiom of IG) makes it 0 up to the quadrature error.
    """
    import torch
    from captum.attr import IntegratedGradients

    surrogate = model.estimator_ if hasattr(model, "estimator_") else model
    if not hasattr(surrogate, "model_"):
        raise TypeError(f"integrated_gradients needs a fitted PyTorch network (SurrogateRegressor or an "
                        f"ErrorModel(estimator='mlp')), got {type(surrogate).__name__}")
    names = list(getattr(model, "feature_names_", surrogate.feature_names_))
    if X is None:
        if not hasattr(model, "X_explain_"):
            raise ValueError("pass X: a SurrogateRegressor has no held-out explanation rows")
        X, samples = model.X_explain_, model.explain_samples_
    else:
        X = np.asarray(X, dtype=float)
        samples = np.arange(X.shape[0])
    if X.ndim != 2 or X.shape[1] != len(names):
        raise ValueError(f"X must have {len(names)} columns {names}, got shape {X.shape}")
    base = X.mean(0, keepdims=True) if isinstance(baseline, str) and baseline == "mean" else np.asarray(baseline, float).reshape(1, -1)
    net = copy.deepcopy(surrogate.model_).double().cpu().eval()  # float64: the quadrature, not rounding, sets the error
    xt = torch.as_tensor(X, dtype=torch.float64)
    bt = torch.as_tensor(np.broadcast_to(base, X.shape).copy(), dtype=torch.float64)
    ig = IntegratedGradients(net)
    attr, delta = ig.attribute(xt, baselines=bt, target=target, n_steps=n_steps, method="gausslegendre",
                               return_convergence_delta=True)
    with torch.no_grad():
        diff = (net(xt)[:, target] - net(bt)[:, target]).numpy()
    err = float(np.abs(delta.detach().numpy()).sum() / max(np.abs(diff).sum(), 1e-300))
    units = getattr(model, "target_units_", None) or surrogate.target_units_[target]
    out = xr.DataArray(attr.detach().numpy(), dims=("sample", "driver"), coords={"sample": samples, "driver": names},
                       attrs={"units": units if isinstance(units, str) else units[target],
                              "long_name": "Integrated Gradients attribution", "method": "Integrated Gradients",
                              "completeness_error": err})
    return out, err


def importance(attributions: xr.DataArray) -> xr.DataArray:
    """Global importance of each driver: mean |attribution| over the samples (or the values themselves)."""
    if "sample" in attributions.dims:
        return abs(attributions).mean("sample").assign_attrs(attributions.attrs)
    return attributions


def rank_drivers(scores: xr.DataArray) -> list[str]:
    """Drivers from most to least important."""
    scores = importance(scores)
    order = np.argsort(-np.asarray(scores.values, dtype=float), kind="stable")
    return [str(scores["driver"].values[i]) for i in order]


def planted_hit(ranking, planted) -> bool:
    """Whether the planted driver(s) take the top place(s): ``set(ranking[:k]) == set(planted)``.

    Examples
    --------
    >>> planted_hit(["wind", "lai", "vpd"], ["lai", "wind"]), planted_hit(["lai", "vpd"], ["lai", "wind"])
    (True, False)
    """
    planted = list(planted)
    return set(list(ranking)[: len(planted)]) == set(planted)


def explain(em, explainer: str = "tree_shap", *, n_samples: int | None = None, seed: int = 0, **kwargs) -> xr.DataArray:
    """One entry point for every explainer of :data:`EXPLAINERS`; returns attributions or importances."""
    if explainer == "tree_shap":
        return shap_values(em, explainer="tree", n_samples=n_samples, seed=seed, **kwargs)
    if explainer == "permutation_shap":
        return shap_values(em, explainer="permutation", n_samples=n_samples, seed=seed, **kwargs)
    if explainer == "linear_shap":
        return shap_values(em, explainer="linear", n_samples=n_samples, seed=seed, **kwargs)
    if explainer == "permutation_importance":
        return permutation_importances(em, n_samples=n_samples, seed=seed, **kwargs)
    if explainer == "integrated_gradients":
        return integrated_gradients(em, **kwargs)[0]
    raise ValueError(f"unknown explainer {explainer!r}; available: {EXPLAINERS}")
