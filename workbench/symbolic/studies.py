"""The three studies of the symbolic ET notebook.

1. Recovery of known laws from synthetic data (:func:`recovery_study`).
2. ET from towers, leave-site-out, against FAO-56 baselines and a black box
   (:func:`tower_table`, :func:`baselines`, :func:`leave_site_out`, :func:`skill`).
3. Interpretation: partial derivatives of equations vs Penman-Monteith
   (:func:`sensitivities`).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
import xarray as xr

from ..units import convert
from .front import Equation
from .laws import LAWS, check_recovery, sample_law
from .search import SymbolicRegressor

__all__ = [
    "recovery_study", "tower_table", "baselines", "leave_site_out", "skill", "sensitivities",
    "pm_reference", "TOWER_UNITS", "SEASONS",
]

SEASONS = {12: "DJF", 1: "DJF", 2: "DJF", 3: "MAM", 4: "MAM", 5: "MAM", 6: "JJA", 7: "JJA", 8: "JJA",
           9: "SON", 10: "SON", 11: "SON"}
# Units of the tower table's columns (radiation in the FAO-56 formulas' MJ m-2 d-1).
TOWER_UNITS = {"rn": "MJ m-2 d-1", "tmean": "degC", "vpd": "kPa", "wind": "m s-1", "pressure": "kPa",
               "ra": "MJ m-2 d-1", "delta": "kPa degC-1", "gamma": "kPa degC-1", "tmax": "degC", "tmin": "degC",
               "et": "mm d-1"}
_REQUIRED = ("et", "rn", "tmean", "vpd", "wind", "pressure")


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

def _real_sites(folder, sites, n_sites):
    from ..data import list_fluxnet_files

    files = list_fluxnet_files(folder)
    by_site = {f.name.split("_")[1]: f for f in files}
    if sites is None:
        sites = sorted(by_site)[: n_sites or len(by_site)]
    unknown = [s for s in sites if s not in by_site]
    if unknown:
        raise ValueError(f"no FLUXNET file for site(s) {unknown} in {folder}; available: {sorted(by_site)}")
    return [by_site[s] for s in sites]


def _from_fluxnet(files, years):
    from ..data import read_fluxnet, real_data_dir

    meta = real_data_dir("site_metadata", "fluxnet2015_site_list.csv")
    frames = []
    for path in files:
        ds = read_fluxnet(path, variables=["tmean", "rn", "vpd", "wind", "pressure", "et", "LE_F_MDS", "SW_IN_POT"],
                          metadata=meta if meta is not None and meta.exists() else None)
        if years is not None:
            ds = ds.isel(time=slice(0, 366 * years))
        frame = pd.DataFrame({
            "site": ds.attrs["site_id"], "time": ds["time"].values,
            "rn": convert(ds["rn"], TOWER_UNITS["rn"], name="rn").values,
            "tmean": ds["tmean"].values, "vpd": convert(ds["vpd"], "kPa", name="vpd").values,
            "wind": ds["wind"].values, "pressure": convert(ds["pressure"], "kPa", name="pressure").values,
            "ra": convert(ds["SW_IN_POT"], TOWER_UNITS["ra"], name="SW_IN_POT").values,
            "et": convert(ds["et"], "mm d-1", name="et").values,
            "le_qc": ds["LE_F_MDS_QC"].values,
            "lat": float(ds["lat"]) if "lat" in ds.coords else np.nan,
        })
        frames.append(frame)
    return pd.concat(frames, ignore_index=True)


def _from_virtual(n_sites, years, seed):
    from .. import physics
    from ..data import virtual_land, virtual_towers

    land = virtual_land(lat=(35.0, 60.0), lon=(-10.0, 30.0), resolution=2.5, start="2020-01-01",
                        end=f"{2019 + (years or 1)}-12-31", seed=seed)
    tw = virtual_towers(land, n_sites=n_sites or 8, seed=seed)
    frames = []
    for site in tw["site"].values:
        s = tw.sel(site=site)
        doy = s["time"].dt.dayofyear.values
        frames.append(pd.DataFrame({
            "site": str(site), "time": s["time"].values,
            "rn": convert(s["rn"], TOWER_UNITS["rn"], name="rn").values.astype(float),
            "tmean": s["tmean"].values.astype(float), "tmax": s["tmax"].values.astype(float),
            "tmin": s["tmin"].values.astype(float), "vpd": convert(s["vpd"], "kPa", name="vpd").values.astype(float),
            "wind": s["wind"].values.astype(float),
            "pressure": convert(s["pressure"], "kPa", name="pressure").values.astype(float),
            "ra": physics.extraterrestrial_radiation(np.full(doy.shape, float(s["lat"])), doy),
            "et": convert(s["et"], "mm d-1", name="et").values.astype(float),
            "le_qc": 1.0, "lat": float(s["lat"]),
        }))
    return pd.concat(frames, ignore_index=True)


def tower_table(source: str = "auto", *, sites: Sequence[str] | None = None, n_sites: int | None = None,
                years: int | None = None, min_quality: float = 0.8, seed: int = 0) -> pd.DataFrame:
    """Daily tower data as one table (rows: site-days) for the ET study.

    Parameters
    ----------
    source : {"auto", "fluxnet", "virtual"}
        ``"fluxnet"``: the FLUXNET2015 SUBSET daily files in
        ``<repo>/../shared/data/real/fluxnet2015_subset_dd``; ``"virtual"``:
        virtual-land towers; ``"auto"``: FLUXNET when that folder exists.
    sites : sequence of str, optional
        Site ids (default: the first ``n_sites`` alphabetically).
    n_sites : int, optional
    years : int, optional
        Keep only the first ``years`` years of each site (fast mode).
    min_quality : float
        Keep days whose LE quality (fraction of measured half-hours) is at
        least this (FLUXNET only).
    seed : int
        Seed of the virtual land and towers.

    Returns
    -------
    pandas.DataFrame
        Columns site, time, season, lat, rn, tmean, vpd, wind, pressure, ra,
        delta, gamma, et (+ tmax, tmin for virtual towers). ``attrs["units"]``
        has the units (:data:`TOWER_UNITS`), ``attrs["source"]`` the source and
        ``attrs["dropped"]`` the number of days removed per site and why.
    """
    from .. import physics
    from ..data import real_data_dir

    if source not in ("auto", "fluxnet", "virtual"):
        raise ValueError(f"source must be 'auto', 'fluxnet' or 'virtual', not {source!r}")
    folder = real_data_dir("fluxnet2015_subset_dd")
    if source == "fluxnet" and folder is None:
        raise FileNotFoundError("source='fluxnet' but <repo>/../shared/data/real/fluxnet2015_subset_dd is absent")
    use_real = source == "fluxnet" or (source == "auto" and folder is not None)
    if use_real:
        table = _from_fluxnet(_real_sites(folder, sites, n_sites), years)
        origin = "FLUXNET2015 SUBSET DD"
    else:
        table = _from_virtual(n_sites, years, seed)
        if sites is not None:
            table = table[table["site"].isin(sites)]
        origin = "virtual towers"
    missing = table[list(_REQUIRED) + ["ra"]].isna().any(axis=1)
    low_quality = ~missing & (table["le_qc"] < min_quality)
    dropped = pd.DataFrame({"missing_values": missing, "low_le_quality": low_quality}).groupby(table["site"]).sum()
    table = table[~missing & ~low_quality].drop(columns="le_qc").reset_index(drop=True)
    table["season"] = pd.DatetimeIndex(table["time"]).month.map(SEASONS)
    table["delta"] = physics.slope_saturation_vapour_pressure(table["tmean"].to_numpy())
    table["gamma"] = physics.psychrometric_constant(table["pressure"].to_numpy())
    table.attrs["units"] = {k: v for k, v in TOWER_UNITS.items() if k in table}
    table.attrs["source"] = origin
    table.attrs["dropped"] = dropped.to_dict(orient="index")
    return table


def baselines(table: pd.DataFrame) -> pd.DataFrame:
    """FAO-56 Penman-Monteith, Priestley-Taylor and Hargreaves-Samani ET [mm d-1] for each row.

    Daily soil heat flux is taken as zero (FAO-56 Eq. 42); ``es`` from
    ``tmean`` and ``ea = es - vpd``. Hargreaves-Samani needs ``tmax``/``tmin``:
    where the table has none (FLUXNET SUBSET daily files carry only the mean)
    its column is NaN and ``attrs["notes"]`` says so.
    """
    from .. import physics

    t = table["tmean"].to_numpy()
    es = physics.saturation_vapour_pressure(t)
    out = pd.DataFrame(index=table.index)
    out["fao56_pm"] = physics.fao56_penman_monteith(table["rn"].to_numpy(), t, table["wind"].to_numpy(), es,
                                                    es - table["vpd"].to_numpy(), pressure=table["pressure"].to_numpy())
    out["priestley_taylor"] = physics.priestley_taylor(table["rn"].to_numpy(), t, pressure=table["pressure"].to_numpy())
    notes = {}
    if {"tmax", "tmin"} <= set(table.columns):
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

    Daily soil heat flux zero, ``es`` from ``tmean`` and ``ea = es - vpd`` (as in :func:`baselines`).
    """
    from .. import physics

    def fao56_pm(X):
        rn, t, vpd, wind, p = np.asarray(X, dtype=float).T
        es = physics.saturation_vapour_pressure(t)
        return physics.fao56_penman_monteith(rn, t, wind, es, es - vpd, pressure=p)

    fao56_pm.variables = ("rn", "tmean", "vpd", "wind", "pressure")
    return fao56_pm


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
