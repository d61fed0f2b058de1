"""The three studies of the symbolic ET notebook.

1. Recovery of known laws from synthetic data (:func:`recovery_study`).
2. ET from towers: grouped cross-validation by site against calibrated physical
   baselines and black boxes (:func:`tower_table`, :func:`cross_validate`,
   :func:`summarise`; the single split :func:`leave_site_out`, :func:`baselines`, :func:`skill`).
3. Interpretation: partial derivatives of equations vs Penman-Monteith
   (:func:`sensitivities`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from .crossval import (CVResult, JarvisPenmanMonteith, cross_validate, fao56_changes, fit_priestley_taylor, ratios,
                       site_folds, summarise)
from .front import Equation
from .laws import LAWS, check_recovery, sample_law
from .search import SymbolicRegressor
from .towers import SEASONS, TOWER_UNITS, aridity_class, tower_features, tower_table, water_index

__all__ = [
    "recovery_study", "tower_table", "tower_features", "water_index", "aridity_class", "baselines", "leave_site_out",
    "skill", "sensitivities", "in_drivers", "pm_reference", "site_folds", "cross_validate", "summarise", "CVResult",
    "JarvisPenmanMonteith", "fit_priestley_taylor", "ratios", "fao56_changes", "TOWER_UNITS", "SEASONS",
]



# --------------------------------------------------------------------------- 1. recovery

def recovery_study(laws: Sequence[str] = ("priestley_taylor",), noises: Sequence[float] = (0.01,),
                   seeds: Sequence[int] = range(3), *, backend: str = "pyoperon", n: int = 300,
                   time_budget: float | None = 60.0, progress: bool = True, **search) -> pd.DataFrame:
    """How often the exact law is recovered, by law, noise level and seed.

    Each search stops as soon as its front contains the law (checked after
    every chunk with :func:`workbench.symbolic.laws.check_recovery`) or when
    its budget is spent. Interrupting keeps the rows done so far.

    Parameters
    ----------
    laws : sequence of str
        Keys of :data:`workbench.symbolic.laws.LAWS`.
    noises : sequence of float
        Relative noise levels (0.01 = 1 % of the target's standard deviation).
    seeds : sequence of int
        Seeds of both the data and the search.
    backend : str
        A search back-end.
    n : int
        Samples per data set.
    time_budget : float or None
        Seconds per search.
    **search
        Further :class:`SymbolicRegressor` settings (``niterations``, ``n_threads``, ...).

    Returns
    -------
    pandas.DataFrame
        One row per search: law, noise, seed, backend, recovered, seconds,
        generations, nrmse, equation (the simplified recovered form or the
        most accurate equation), reason.
    """
    from tqdm.auto import tqdm

    jobs = [(law, noise, seed) for law in laws for noise in noises for seed in seeds]
    rows = []
    try:
        for law_name, noise, seed in tqdm(jobs, desc="recovery", disable=not progress):
            law = LAWS[law_name]
            X, y, y_true = sample_law(law, n, noise=noise, seed=seed)
            params = {"max_complexity": law.complexity + 4, "niterations": 300, "chunk": 10,
                      "population_size": 300, **search}
            sr = SymbolicRegressor(backend=backend, operators=law.operators, seed=seed, time_budget=time_budget,
                                   progress=False, **params)
            state = {}

            def stop_when_found(front, info, law=law, X=X, y_true=y_true, state=state):
                state["result"], state["info"] = check_recovery(front, law, X, y_true), info
                return state["result"].recovered

            start = time.perf_counter()
            sr.fit(X, y, callback=stop_when_found)
            seconds = time.perf_counter() - start
            res = state["result"]
            rows.append({
                "law": law_name, "noise": noise, "seed": seed, "backend": sr.backend_, "recovered": res.recovered,
                "seconds": seconds, "generations": state["info"]["generations"], "nrmse": res.nrmse,
                "equation": str(res.simplified) if res.simplified is not None else str(sr.front_.select("accuracy").expr),
                "reason": res.reason,
            })
    except KeyboardInterrupt:
        pass  # keep the rows done so far
    return pd.DataFrame(rows, columns=["law", "noise", "seed", "backend", "recovered", "seconds", "generations",
                                       "nrmse", "equation", "reason"])


# --------------------------------------------------------------------------- 2. towers
# tower_table, tower_features, water_index: workbench.symbolic.towers; grouped CV: workbench.symbolic.crossval


def _fao56(table: pd.DataFrame) -> np.ndarray:
    """FAO-56 PM of each row with the shared choices (es from tmax/tmin where both exist, the site's G)."""
    from ..physics.reference import fao56_reference

    cols = {c: table[c].to_numpy(dtype=float) for c in ("rn", "tmean", "wind", "vpd", "pressure")}
    g = table["g"].to_numpy(dtype=float) if "g" in table else None
    et = fao56_reference(cols["rn"], cols["tmean"], cols["wind"], cols["vpd"], g=g, pressure=cols["pressure"])
    if {"tmax", "tmin"} <= set(table.columns):
        both = (table["tmax"].notna() & table["tmin"].notna()).to_numpy()
        if both.any():
            extremes = fao56_reference(cols["rn"], cols["tmean"], cols["wind"], cols["vpd"], g=g,
                                       pressure=cols["pressure"], tmax=table["tmax"].to_numpy(dtype=float),
                                       tmin=table["tmin"].to_numpy(dtype=float))
            et = np.where(both, extremes, et)
    return et


def baselines(table: pd.DataFrame) -> pd.DataFrame:
    """FAO-56 Penman-Monteith, Priestley-Taylor and Hargreaves-Samani ET [mm d-1] for each row.

    FAO-56 PM comes from :func:`workbench.physics.reference.fao56_reference`,
    the function :func:`workbench.physics.reference_et` uses too: ``es`` from
    ``tmax``/``tmin`` where both exist (FAO-56 Eq. 12), else from ``tmean``;
    ``ea = es - vpd``; the site's soil heat flux ``g`` where the table has it
    (missing values 0, FAO-56 Eq. 42). Priestley-Taylor (α = 1.26) uses the
    same ``g``. Hargreaves-Samani needs ``tmax``/``tmin``: where the table has
    none (FLUXNET SUBSET daily files carry only the mean) its column is NaN and
    ``attrs["notes"]`` says so.
    """
    from .. import physics

    t = table["tmean"].to_numpy()
    g = np.nan_to_num(table["g"].to_numpy(dtype=float)) if "g" in table else 0.0
    out = pd.DataFrame(index=table.index)
    out["fao56_pm"] = _fao56(table)
    out["priestley_taylor"] = physics.priestley_taylor(table["rn"].to_numpy(), t, g=g,
                                                       pressure=table["pressure"].to_numpy())
    notes = {}
    has = ({"tmax", "tmin"} <= set(table.columns)) and bool((table["tmax"].notna() & table["tmin"].notna()).any())
    if has:
        out["hargreaves_samani"] = physics.hargreaves_samani(t, table["tmax"].to_numpy(), table["tmin"].to_numpy(),
                                                             table["ra"].to_numpy())
    else:
        out["hargreaves_samani"] = np.nan
        notes["hargreaves_samani"] = "not computed: the table has no tmax/tmin"
    out.attrs["notes"] = notes
    return out


def leave_site_out(table: pd.DataFrame, features: Sequence[str], *, test_sites: Sequence[str],
                   search: dict | None = None, max_train_rows: int = 2000, seed: int = 0,
                   selection: str = "best", callback: Callable | None = None):
    """Train on some sites, test on the others: SR equation vs baselines vs a black box.

    Parameters
    ----------
    table : DataFrame
        From :func:`tower_table`.
    features : sequence of str
        Input columns of the SR equation and the black box.
    test_sites : sequence of str
        Sites held out for testing (the rest train).
    search : dict, optional
        :class:`SymbolicRegressor` settings.
    max_train_rows : int
        The SR search sees a seeded random subset of at most this many
        training rows (the black box sees them all).
    seed : int
    selection : {"best", "accuracy"}
        Which front equation makes the ``symbolic`` predictions.

    Returns
    -------
    predictions : pandas.DataFrame
        Long table: site, time, season, split ("train"/"test"), method, obs, sim.
    sr : SymbolicRegressor
        The fitted search (its front, history and run folder).
    """
    from sklearn.ensemble import HistGradientBoostingRegressor
    from threadpoolctl import threadpool_limits

    features = list(features)
    unknown = [f for f in features if f not in table.columns]
    if unknown:
        raise ValueError(f"feature(s) {unknown} are not columns of the table; available: {list(table.columns)}")
    sites = set(table["site"])
    missing = [s for s in test_sites if s not in sites]
    if missing:
        raise ValueError(f"test site(s) {missing} are not in the table; sites: {sorted(sites)}")
    test = table["site"].isin(test_sites).to_numpy()
    if test.all() or not test.any():
        raise ValueError("leave-site-out needs at least one training and one test site")
    train = table[~test]
    rng = np.random.default_rng(seed)
    rows = rng.choice(len(train), size=min(max_train_rows, len(train)), replace=False)
    sub = train.iloc[np.sort(rows)]
    X = sub[features].copy()
    X.attrs["units"] = {f: table.attrs.get("units", {}).get(f) for f in features}
    if not all(X.attrs["units"].values()):
        X.attrs = {}
    y = pd.Series(sub["et"].to_numpy())
    y.attrs["units"] = "mm d-1"
    sr = SymbolicRegressor(**{"backend": "auto", "seed": seed, "progress": False, "selection": selection,
                              **(search or {})})
    sr.fit(X, y, callback=callback)
    with threadpool_limits(1):  # OpenMP threads fight over shared cores; one thread is faster here
        bb = HistGradientBoostingRegressor(random_state=seed).fit(train[features].to_numpy(), train["et"].to_numpy())
        sims = {"symbolic": sr.predict(table[features]), "black_box": bb.predict(table[features].to_numpy())}
    sims.update({k: v.to_numpy() for k, v in baselines(table).items()})
    base = pd.DataFrame({"site": table["site"], "time": table["time"], "season": table["season"],
                         "split": np.where(test, "test", "train"), "obs": table["et"]})
    predictions = pd.concat([base.assign(method=m, sim=s) for m, s in sims.items()], ignore_index=True)
    return predictions, sr


def skill(predictions: pd.DataFrame, by: Sequence[str] = ("site", "method"), *, split: str | None = "test",
          metrics: Sequence[str] = ("rmse", "bias", "kge")) -> pd.DataFrame:
    """RMSE, bias and KGE of each method, grouped (e.g. per site or per season).

    Uses :func:`workbench.intercompare.compute_metrics`; rows where a method
    has no value (e.g. Hargreaves-Samani without tmax/tmin) are not scored.
    """
    from ..intercompare import compute_metrics

    data = predictions if split is None else predictions[predictions["split"] == split]
    data = data[np.isfinite(data["sim"])]
    rows = []
    for keys, group in data.groupby(list(by), sort=True):
        obs = xr.DataArray(group["obs"].to_numpy(), dims="time", attrs={"units": "mm d-1"})
        sim = xr.DataArray(group["sim"].to_numpy(), dims="time", attrs={"units": "mm d-1"})
        scores = compute_metrics(obs, sim, metrics=list(metrics), dim="time")
        rows.append({**dict(zip(by, keys if isinstance(keys, tuple) else (keys,))),
                     **{m: float(scores[m]) for m in metrics}, "n": len(group)})
    return pd.DataFrame(rows)


# --------------------------------------------------------------------------- 3. interpretation

def pm_reference() -> Callable:
    """FAO-56 Penman-Monteith [mm d-1] as a function of the columns ``(rn, tmean, vpd, wind, pressure)``.

    ``es`` from ``tmean`` and ``ea = es - vpd``, soil heat flux zero: the same
    shared function as :func:`baselines` (:func:`workbench.physics.reference.fao56_reference`).
    """
    from ..physics.reference import fao56_reference

    def fao56_pm(X):
        rn, t, vpd, wind, p = np.asarray(X, dtype=float).T
        return fao56_reference(rn, t, wind, vpd, pressure=p)

    fao56_pm.variables = ("rn", "tmean", "vpd", "wind", "pressure")
    return fao56_pm


def in_drivers(model: Equation | Callable, drivers: Sequence[str], *, label: str | None = None) -> Callable:
    """A model of derived features as a function of the raw drivers, for :func:`sensitivities`.

    ``in_drivers(eq, ["rn", "g", "tmean", "vpd", "wind", "pressure", "water"])``
    maps a 2-D array of those drivers through
    :func:`workbench.symbolic.towers.tower_features` and evaluates ``model`` on
    the features, so its derivatives are taken with respect to the drivers
    (e.g. d ET / d rn of an equation written in the equilibrium rate).
    """
    names = list(drivers)

    def f(M):
        return np.asarray(model(tower_features(pd.DataFrame(np.asarray(M, dtype=float), columns=names))), dtype=float)

    f.variables = tuple(names)
    f.__name__ = label or "model"
    return f


def sensitivities(model: Equation | Callable, X: pd.DataFrame, variables: Sequence[str] | None = None, *,
                  wrt: Sequence[str] | None = None, rel_step: float = 1e-4, label: str | None = None) -> pd.DataFrame:
    """Partial derivatives of a model with respect to its inputs, at every row of ``X``.

    An :class:`Equation` is differentiated exactly (sympy); any other callable
    ``f(X_2d)`` by central differences with step ``rel_step`` times the
    input's standard deviation.

    Parameters
    ----------
    model : Equation or callable
    X : DataFrame
        Rows at which to evaluate; must hold the model's inputs.
    variables : sequence of str, optional
        The model's input columns, in order (default: ``model.variables``).
    wrt : sequence of str, optional
        Inputs to differentiate with respect to (default: all of ``variables``).
    label : str, optional
        The model's name in the output.

    Returns
    -------
    pandas.DataFrame
        Long table: model, variable, value (the input), derivative
        [target units per input unit].
    """
    names = list(variables or getattr(model, "variables", ()))
    if not names:
        raise ValueError("give variables= for a callable without a 'variables' attribute")
    missing = [v for v in names if v not in X]
    if missing:
        raise ValueError(f"inputs {missing} are not columns of X")
    wrt = list(wrt or names)
    unknown = [v for v in wrt if v not in names]
    if unknown:
        raise ValueError(f"cannot differentiate with respect to {unknown}: not inputs of the model {names}")
    M = X[names].to_numpy(dtype=float)
    label = label or ("equation" if isinstance(model, Equation) else getattr(model, "__name__", "model"))
    frames = []
    for name in wrt:
        k = names.index(name)
        if isinstance(model, Equation):
            d = model.derivative(name)(M)
        else:
            h = rel_step * (np.std(M[:, k]) or 1.0)
            up, down = M.copy(), M.copy()
            up[:, k] += h
            down[:, k] -= h
            d = (np.asarray(model(up)) - np.asarray(model(down))) / (2 * h)
        frames.append(pd.DataFrame({"model": label, "variable": name, "value": M[:, k], "derivative": d}))
    return pd.concat(frames, ignore_index=True)
