"""Grouped cross-validation by site: symbolic equations against physical baselines and black boxes.

Every site is a test site exactly once (:func:`site_folds`); in each fold the
symbolic search, the calibrated baselines and the black boxes are fitted on
the training sites only and predict the held-out sites' days. The methods:

- ``symbolic``: the chosen equation of a shape-constrained search
  (dimensionally consistent and breaking no shape constraint, by default);
- ``fao56_pm``: FAO-56 grass-reference Penman-Monteith (a *potential* rate,
  no fitting; :func:`workbench.physics.reference.fao56_reference`);
- ``priestley_taylor``: Priestley-Taylor with α fitted on the training sites;
- ``pm_jarvis``: Penman-Monteith (:func:`workbench.physics.penman_monteith`)
  with a Jarvis-type surface conductance (radiation, VPD and water-index
  stress) and an aerodynamic resistance ``c / u`` fitted on the training sites;
- ``hargreaves``: Hargreaves-Samani where tmax/tmin exist (NaN elsewhere);
- ``gbm``, ``mlp``: gradient boosting and a small neural network on the same
  inputs as the search.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .constraints import ShapeConstraints, et_constraints
from .front import Equation, ParetoFront
from .towers import tower_features

__all__ = ["site_folds", "JarvisPenmanMonteith", "fit_priestley_taylor", "cross_validate", "CVResult",
           "summarise", "ratios", "fao56_changes", "METHOD_LABELS"]

METHOD_LABELS = {
    "symbolic": "symbolic equation", "fao56_pm": "FAO-56 PM (grass reference, potential)",
    "priestley_taylor": "Priestley-Taylor (α fitted)", "pm_jarvis": "PM + fitted Jarvis conductance",
    "hargreaves": "Hargreaves-Samani", "gbm": "gradient boosting", "mlp": "MLP",
}


def site_folds(sites: Sequence[str], n_folds: int = 5, *, seed: int = 0) -> list[tuple[list[str], list[str]]]:
    """Split sites into ``n_folds`` groups; each fold tests one group and trains on the rest.

    Parameters
    ----------
    sites : sequence of str
        Site ids (duplicates are ignored).
    n_folds : int
        Number of folds, at least 2 and at most the number of sites.
    seed : int
        Seed of the shuffle of the sites.

    Returns
    -------
    list of (train_sites, test_sites)
        Every site is in exactly one test group; no site is in both lists of a fold.

    Examples
    --------
    >>> folds = site_folds(["A", "B", "C", "D", "E"], 2)
    >>> sorted(s for _, test in folds for s in test)
    ['A', 'B', 'C', 'D', 'E']
    """
    unique = sorted(dict.fromkeys(sites))
    if not isinstance(n_folds, (int, np.integer)) or not 2 <= n_folds <= len(unique):
        raise ValueError(f"n_folds must be an integer between 2 and the number of sites ({len(unique)}), "
                         f"got {n_folds!r}")
    order = list(np.random.default_rng(seed).permutation(unique))
    groups = [list(map(str, g)) for g in np.array_split(np.array(order, dtype=object), n_folds)]
    return [([s for s in unique if s not in g], sorted(g)) for g in groups]


def fit_priestley_taylor(eq: np.ndarray, et: np.ndarray) -> float:
    """Least-squares α of ``ET = α · eq`` (eq: the equilibrium rate) [-]."""
    eq, et = np.asarray(eq, float), np.asarray(et, float)
    ok = np.isfinite(eq) & np.isfinite(et)
    return float(np.sum(eq[ok] * et[ok]) / np.sum(eq[ok] ** 2))


class JarvisPenmanMonteith:
    r"""Penman-Monteith with a fitted Jarvis-type surface conductance, as a scikit-learn-style estimator.

    .. math::

        g_s = g_{max} \frac{R_s}{R_s + k_R} e^{-k_D D} w^{k_w}, \qquad r_a = c_a / u, \qquad
        ET = \frac{PM(R_n, G, T, D, r_a, 1/g_s)}{\lambda}

    with ``w`` the water index (or scaled soil water). Parameters are fitted
    by bounded least squares (:func:`scipy.optimize.least_squares`) on ET.

    Parameters
    ----------
    water : str
        The water driver column.
    max_rows : int
        Rows used in the fit (seeded subset).
    seed : int

    Attributes
    ----------
    params_ : dict
        g_max [m s-1], k_r [W m-2], k_d [kPa-1], k_w [-], c_a [s] (r_a = c_a / u).

    References
    ----------
    Jarvis, P. G. (1976) Phil. Trans. R. Soc. B 273, 593-610. Stewart, J. B. (1988) Agric. For. Meteorol. 43, 19-35.
    """

    _names = ("g_max", "k_r", "k_d", "k_w", "c_a")
    _lower = np.array([np.log(1e-4), np.log(1.0), 0.0, 0.0, np.log(5.0)])
    _upper = np.array([np.log(0.2), np.log(2000.0), 3.0, 5.0, np.log(500.0)])

    def __init__(self, water: str = "water", max_rows: int = 3000, seed: int = 0):
        self.water, self.max_rows, self.seed = water, max_rows, seed

    def _params(self, p):
        return {"g_max": math.exp(p[0]), "k_r": math.exp(p[1]), "k_d": p[2], "k_w": p[3], "c_a": math.exp(p[4])}

    def _predict(self, X: pd.DataFrame, q: dict) -> np.ndarray:
        from .. import physics

        rs = np.clip(X["rs"].to_numpy(float), 0.0, None)
        w = np.clip(X[self.water].to_numpy(float), 1e-3, 1.0)
        gs = q["g_max"] * rs / (rs + q["k_r"]) * np.exp(-q["k_d"] * X["vpd"].to_numpy(float)) * w ** q["k_w"]
        ra = q["c_a"] / np.clip(X["wind"].to_numpy(float), 0.3, None)
        t = X["tmean"].to_numpy(float)
        watts = 1e6 / 86400.0
        with np.errstate(divide="ignore", invalid="ignore"):
            le = physics.penman_monteith.kernel(X["rn"].to_numpy(float) * watts, t, X["vpd"].to_numpy(float), ra,
                                                1.0 / np.clip(gs, 1e-7, None), g=X["g"].to_numpy(float) * watts,
                                                pressure=X["pressure"].to_numpy(float))
        return le / watts / physics.latent_heat_vaporisation.kernel(t)

    def fit(self, X: pd.DataFrame, y):
        """Fit the five parameters to ET [mm d-1] on the rows of ``X`` (columns rn, g, rs, tmean, vpd, wind, pressure, water)."""
        from scipy.optimize import least_squares

        y = np.asarray(y, float)
        rng = np.random.default_rng(self.seed)
        rows = np.sort(rng.choice(len(y), size=min(self.max_rows, len(y)), replace=False))
        Xs, ys = X.iloc[rows], y[rows]
        p0 = np.array([np.log(0.02), np.log(100.0), 0.3, 0.5, np.log(100.0)])
        sol = least_squares(lambda p: np.nan_to_num(self._predict(Xs, self._params(p)) - ys, nan=1e3), p0,
                            bounds=(self._lower, self._upper), method="trf", max_nfev=300)
        self.params_ = self._params(sol.x)
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """ET [mm d-1]."""
        return self._predict(X, self.params_)


def _black_boxes(seed, iterations=300):
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.neural_network import MLPRegressor
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    return {
        "gbm": HistGradientBoostingRegressor(max_iter=iterations, learning_rate=0.05, random_state=seed),
        "mlp": make_pipeline(StandardScaler(), MLPRegressor(hidden_layer_sizes=(32, 16), alpha=1e-3, max_iter=iterations,
                                                            early_stopping=True, random_state=seed)),
    }


def _feasible(d: pd.DataFrame) -> np.ndarray:
    """Grid points that can exist: VPD below the saturation vapour pressure, available energy below net radiation."""
    from .. import physics

    return d["vpd"].to_numpy() < 0.95 * physics.saturation_vapour_pressure.kernel(d["tmean"].to_numpy())


@dataclass
class CVResult:
    """Outcome of :func:`cross_validate`.

    Attributes
    ----------
    predictions : DataFrame
        Long table: site, time, season, igbp, aridity, fold, method, obs, sim (test days only).
    equations : list of Equation
        The chosen equation of each fold.
    fronts : list of ParetoFront
    folds : list of (train_sites, test_sites)
    violations : DataFrame
        Per fold and model: share of check points breaking each shape constraint.
    params : DataFrame
        Per fold: fitted baseline parameters (α, Jarvis parameters), the
        chosen equation, and whether each black box converged within its
        iteration limit (``gbm_converged``, ``mlp_converged``).
    seconds : DataFrame
        Wall time per fold and step.
    features : list of str
    models : list of dict
        The fitted baselines of each fold (``alpha``, ``pm_jarvis``, ``gbm``, ``mlp``).
    """

    predictions: pd.DataFrame
    equations: list
    fronts: list
    folds: list
    violations: pd.DataFrame
    params: pd.DataFrame
    seconds: pd.DataFrame
    features: list = field(default_factory=list)
    models: list = field(default_factory=list)

    def inputs_used(self) -> pd.DataFrame:
        """Which inputs each fold's chosen equation uses (rows: folds, columns: features)."""
        return pd.DataFrame([{f: f in {s.name for s in eq.expr.free_symbols} for f in self.features}
                             for eq in self.equations]).rename_axis("fold")


def cross_validate(table: pd.DataFrame, features: Sequence[str] = ("eq", "pm_aero", "vpd", "water"), *,
                   n_folds: int = 5, water: Sequence[str] = ("water",), search: dict | None = None,
                   max_train_rows: int = 1500, black_boxes: bool = True, black_box_iter: int = 300, seed: int = 0,
                   progress: bool = True, callback=None) -> CVResult:
    """Grouped (leave-sites-out) cross-validation of the symbolic search against the baselines.

    Parameters
    ----------
    table : DataFrame
        From :func:`workbench.symbolic.studies.tower_table`.
    features : sequence of str
        Inputs of the symbolic search and of the black boxes.
    n_folds : int
        Folds (>= 2; 5 or more for the study).
    water : sequence of str
        Water drivers whose derivative must be >= 0 (shape constraints) and
        that drive the Jarvis water stress (the first).
    search : dict, optional
        :class:`~workbench.symbolic.SymbolicRegressor` settings.
    max_train_rows : int
        Rows the search sees per fold (a seeded subset of the training days).
    black_boxes : bool
        Also fit gradient boosting and the MLP.
    black_box_iter : int
        Boosting iterations and MLP epochs (fewer in fast mode).
    seed : int
    progress : bool
        A tqdm bar over the folds.
    callback : callable, optional
        Passed to each search (``callback(front, info)``).

    Returns
    -------
    CVResult
    """
    from sklearn.exceptions import ConvergenceWarning
    from threadpoolctl import threadpool_limits
    from tqdm.auto import tqdm

    from .. import physics
    from ..physics.reference import fao56_reference
    from .search import SymbolicRegressor

    features = list(features)
    water = list(water)
    needed = set(features) | set(water) | {"et", "site", "rn", "g", "rs", "tmean", "vpd", "wind", "pressure"}
    missing = sorted(needed - set(table.columns))
    if missing:
        raise ValueError(f"column(s) {missing} are not in the table; available: {list(table.columns)}")
    bad = [c for c in features + water if table[c].isna().any()]
    if bad:
        raise ValueError(f"input(s) {bad} have missing values; select the rows where they exist first "
                         f"(e.g. table.dropna(subset={bad}))")
    folds = site_folds(table["site"], n_folds, seed=seed)
    units = table.attrs.get("units", {})
    feature_units = {f: units[f] for f in features} if all(f in units for f in features) else None
    both = table["tmax"].notna() & table["tmin"].notna() if {"tmax", "tmin"} <= set(table) else None
    fao = fao56_reference(table["rn"].to_numpy(), table["tmean"].to_numpy(), table["wind"].to_numpy(),
                          table["vpd"].to_numpy(), g=table["g"].to_numpy(), pressure=table["pressure"].to_numpy())
    if both is not None and both.any():  # FAO-56 Eq. 12 where the extremes exist
        fao = np.where(both, fao56_reference(table["rn"].to_numpy(), table["tmean"].to_numpy(),
                                             table["wind"].to_numpy(), table["vpd"].to_numpy(),
                                             tmax=table["tmax"].to_numpy(), tmin=table["tmin"].to_numpy(),
                                             g=table["g"].to_numpy(), pressure=table["pressure"].to_numpy()), fao)
    harg = np.full(len(table), np.nan)
    if both is not None and both.any():
        b = both.to_numpy()
        harg[b] = physics.hargreaves_samani(table["tmean"].to_numpy()[b], table["tmax"].to_numpy()[b],
                                            table["tmin"].to_numpy()[b], table["ra"].to_numpy()[b])
    drivers = [c for c in ("rn", "g", "rs", "tmean", "vpd", "wind", "pressure", *water) if c in table]
    preds, eqs, fronts, viol, params, secs, fitted = [], [], [], [], [], [], []
    for k, (train_sites, test_sites) in enumerate(tqdm(folds, desc="site folds", disable=not progress)):
        t0 = time.perf_counter()
        is_test = table["site"].isin(test_sites).to_numpy()
        train, test = table[~is_test], table[is_test]
        rng = np.random.default_rng(seed + k)
        sub = train.iloc[np.sort(rng.choice(len(train), size=min(max_train_rows, len(train)), replace=False))]
        sc = ShapeConstraints(sub[drivers], tower_features, et_constraints(water=water), feasible=_feasible,
                              grid=["rn", "tmean", "vpd", "wind", *water], levels=4, max_rows=500, seed=seed + k)
        X = sub[features].copy()
        X.attrs["units"] = feature_units or {}
        y = pd.Series(sub["et"].to_numpy())
        y.attrs["units"] = "mm d-1"
        settings = {"backend": "auto", "seed": seed + k, "progress": False, "max_complexity": 25,
                    **(search or {}), "constraints": sc}
        sr = SymbolicRegressor(**settings)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", UserWarning)  # the back-end notice, once per fold
            sr.fit(X, y, callback=callback)
        eq = _choose(sr.front_, feature_units is not None)
        t1 = time.perf_counter()
        alpha = fit_priestley_taylor(train["eq"], train["et"])
        jarvis = JarvisPenmanMonteith(water=water[0], seed=seed + k).fit(train, train["et"])
        t2 = time.perf_counter()
        sims = {"symbolic": eq(test), "fao56_pm": fao[is_test], "priestley_taylor": alpha * test["eq"].to_numpy(),
                "pm_jarvis": jarvis.predict(test), "hargreaves": harg[is_test]}
        models_k, converged = {"alpha": alpha, "pm_jarvis": jarvis}, {}
        if black_boxes:
            with threadpool_limits(1):  # OpenMP threads fight over shared cores; one thread is faster here
                for name, model in _black_boxes(seed + k, black_box_iter).items():
                    with warnings.catch_warnings(record=True) as caught:
                        warnings.simplefilter("always", ConvergenceWarning)
                        model.fit(train[features].to_numpy(), train["et"].to_numpy())
                    # a short (fast-mode) MLP stops at its epoch limit: recorded per fold, not a warning per fold
                    converged[name] = not any(issubclass(w.category, ConvergenceWarning) for w in caught)
                    sims[name] = model.predict(test[features].to_numpy())
                    models_k[name] = model
        fitted.append(models_k)
        t3 = time.perf_counter()
        base = pd.DataFrame({"site": test["site"].to_numpy(), "time": test["time"].to_numpy(),
                             "season": test["season"].to_numpy(), "igbp": test.get("igbp", pd.Series("", index=test.index)).to_numpy(),
                             "aridity": test.get("aridity", pd.Series("", index=test.index)).to_numpy(), "fold": k,
                             "obs": test["et"].to_numpy()})
        preds += [base.assign(method=m, sim=np.asarray(s, float)) for m, s in sims.items()]
        models = {"symbolic": eq, "fao56_pm": lambda f: f["pm_rad"] + f["pm_aero"],
                  "priestley_taylor": lambda f, a=alpha: a * f["eq"], "pm_jarvis": jarvis.predict}
        viol.append(sc.report(models).assign(fold=k))
        eqs.append(eq)
        fronts.append(sr.front_)
        params.append({"fold": k, "test_sites": ", ".join(test_sites), "alpha": alpha, **jarvis.params_,
                       "equation": str(eq), "complexity": eq.complexity, "violation": eq.violation,
                       "consistent": eq.consistent, **{f"{m}_converged": c for m, c in converged.items()}})
        secs.append({"fold": k, "search_s": t1 - t0, "baselines_s": t2 - t1, "black_boxes_s": t3 - t2})
    violations = pd.concat(viol).rename_axis("model").reset_index()
    return CVResult(pd.concat(preds, ignore_index=True), eqs, fronts, folds, violations, pd.DataFrame(params),
                    pd.DataFrame(secs), features, fitted)


def _choose(front: ParetoFront, units_known: bool) -> Equation:
    """Best equation that is consistent and satisfies the constraints; relax (with a warning) if none is."""
    for consistent, satisfying in ((units_known, True), (False, True), (units_known, False), (False, False)):
        try:
            return front.select("best", consistent_only=consistent, satisfying_only=satisfying)
        except ValueError:
            continue
    raise RuntimeError("empty front")  # pragma: no cover - fit() raises before


def summarise(result: CVResult, *, by: str | None = None, sites: Sequence[str] | None = None) -> pd.DataFrame:
    """Median over held-out sites of RMSE, KGE and bias per method (optionally per ``by``: igbp, aridity).

    Per-site scores come from :func:`workbench.symbolic.studies.skill`
    (``intercompare.compute_metrics``); a method is scored only on the sites
    where it has values (Hargreaves needs tmax/tmin). ``sites`` restricts the
    summary to those sites (e.g. the ones with soil water).
    """
    from .studies import skill

    pred = result.predictions.assign(split="test")
    if sites is not None:
        pred = pred[pred["site"].isin(list(sites))]
    keys = ("site", "method") if by is None else (by, "site", "method")
    per_site = skill(pred, by=keys)
    group = ["method"] if by is None else [by, "method"]
    out = per_site.groupby(group).agg(rmse=("rmse", "median"), kge=("kge", "median"), bias=("bias", "median"),
                                      sites=("site", "nunique")).reset_index()
    return out


def ratios(summary: pd.DataFrame, of: str = "symbolic") -> dict:
    """Median held-out RMSE of ``of`` over that of each other method (the benchmark's ``sr_vs_*`` ratios).

    Returns
    -------
    dict
        ``{"sr_vs_pm_rmse": ..., "sr_vs_pt_rmse": ..., "sr_vs_pmgs_rmse": ..., "sr_vs_gbm_rmse": ...,
        "sr_vs_mlp_rmse": ...}`` for the methods present.
    """
    rmse = summary.set_index("method")["rmse"]
    if of not in rmse:
        raise ValueError(f"method {of!r} is not in the summary; methods: {list(rmse.index)}")
    keys = {"fao56_pm": "pm", "priestley_taylor": "pt", "pm_jarvis": "pmgs", "gbm": "gbm", "mlp": "mlp"}
    return {f"sr_vs_{short}_rmse": float(rmse[of] / rmse[m]) for m, short in keys.items() if m in rmse}


def fao56_changes(table: pd.DataFrame) -> pd.DataFrame:
    """Where the shared FAO-56 baseline moved the numbers: mean ET_o per site before and after, and why.

    *Before*: the symbolic study's old choice (``es`` from ``tmean``, G = 0).
    *After*: :func:`workbench.physics.reference.fao56_reference` (``es`` from
    tmax/tmin where both exist, the site's G), as ``physics.reference_et``.
    """
    from ..physics.reference import fao56_reference
    from .studies import baselines

    before = fao56_reference(table["rn"].to_numpy(), table["tmean"].to_numpy(), table["wind"].to_numpy(),
                             table["vpd"].to_numpy(), pressure=table["pressure"].to_numpy())
    after = baselines(table)["fao56_pm"].to_numpy()
    frame = pd.DataFrame({"site": table["site"], "before_mm_d": before, "after_mm_d": after,
                          "es_from_extremes": table["tmax"].notna() & table["tmin"].notna() if "tmax" in table else False,
                          "site_g": table["g"] != 0 if "g" in table else False})
    out = frame.groupby("site").agg(before_mm_d=("before_mm_d", "mean"), after_mm_d=("after_mm_d", "mean"),
                                    days_es_from_extremes=("es_from_extremes", "sum"), days_with_g=("site_g", "sum"))
    out["change_mm_d"] = out["after_mm_d"] - out["before_mm_d"]
    return out.reset_index()
