"""Reconciling products at overpasses: fusion of ECOSTRESS ET models judged at unseen towers.

The real counterpart of the synthetic fusion study: a table of instantaneous
model estimates matched to tower fluxes (the ECOSTRESS Collection-2 cal/val
table, 1,065 overpasses at 63 AmeriFlux sites) is reconciled with the same
methods (:func:`~workbench.intercompare.ensemble_mean`,
:func:`~workbench.intercompare.performance_weights`,
:func:`~workbench.intercompare.tc_fusion`,
:class:`~workbench.intercompare.FusionRegressor`), every one judged at sites it
has not seen (grouped cross-validation by site).

* :func:`load_overpasses` — the real table with its covariates, or, where it is
  unavailable, :func:`virtual_overpasses` with a visible message.
* :func:`overpass_table` — the Dataset as a learning table.
* :func:`fuse_at_unseen_sites` — out-of-site estimates of every fusion method.
* :func:`skill_by_group` — RMSE, KGE, ... overall and per land cover.
* :func:`tc_against_towers` — triple-collocation error estimates beside the
  errors measured against the towers.

References
----------
Xu, T. et al. (2025). Machine-learning fusion of terrestrial ET products at
flux towers (13 products, 462 towers; KGE 0.857, RMSE 0.726 mm d-1).
Fisher, J. B. et al. (2020). ECOSTRESS: NASA's next generation mission to measure
evapotranspiration from the International Space Station. WRR 56, e2019WR026058.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from .._warn import warn
from ..data.products import ECOSTRESS_COLUMNS
from .collocation import tc_all_triplets
from .fusion import FusionRegressor, ensemble_mean, leave_site_out, performance_weights, tc_fusion, weighted_ensemble
from .metrics import compute_metrics

__all__ = [
    "ECOSTRESS_COVARIATES",
    "load_overpasses",
    "load_mod16_points",
    "virtual_overpasses",
    "overpass_table",
    "fuse_at_unseen_sites",
    "skill_by_group",
    "tc_against_towers",
]

#: Covariates of the ECOSTRESS cal/val table (column -> name, units, long name): the
#: models' own inputs at the overpass, as Xu et al. (2025) use beside the products.
ECOSTRESS_COVARIATES = {col: (name, *ECOSTRESS_COLUMNS[col]) for col, name in (
    ("Rn", "rn_model"), ("Ta", "tair"), ("RH", "rh"), ("SM", "soil_moisture"), ("NDVI", "ndvi"), ("LST", "lst"),
    ("albedo", "albedo"))}
_TABLE = "ecostress_calval_ameriflux/combined_eco_flux_EC_filtered.csv"


def load_overpasses(path=None, *, fallback: bool = True) -> xr.Dataset:
    """The ECOSTRESS cal/val table with covariates, or a virtual stand-in.

    Parameters
    ----------
    path : str or Path, optional
        The table (``combined_eco_flux_EC_filtered.csv``) or its folder; default
        :func:`workbench.data.fetch_real`.
    fallback : bool, default True
        Where the real table is unavailable
        (:class:`~workbench.data.RealDataUnavailable`), warn naming what is
        missing and return :func:`virtual_overpasses`; False re-raises.

    Returns
    -------
    xarray.Dataset
        :func:`workbench.data.products.read_ecostress_calval` plus the
        covariates of :data:`ECOSTRESS_COVARIATES`; ``attrs["virtual"]`` is 1 for
        the stand-in, 0 for the real table.
    """
    from ..data import RealDataUnavailable
    from ..data.products import read_ecostress_calval

    try:
        if path is None:
            from ..data import fetch_real

            path = fetch_real(_TABLE)
        path = Path(path)
        path = path / Path(_TABLE).name if path.is_dir() else path
        eco = read_ecostress_calval(path)
    except RealDataUnavailable as err:
        if not fallback:
            raise
        warn(f"the real ECOSTRESS cal/val table is unavailable ({err}); using the virtual stand-in virtual_overpasses() instead")
        print(f"Real ECOSTRESS table unavailable: {_TABLE} is missing. Showing the VIRTUAL stand-in instead.")
        return virtual_overpasses()
    frame = pd.read_csv(path, usecols=list(ECOSTRESS_COVARIATES))
    for col, (name, units, long) in ECOSTRESS_COVARIATES.items():
        eco[name] = ("overpass", frame[col].to_numpy(float), {"units": units, "long_name": long})
    eco.attrs["virtual"] = 0
    return eco


_MOD16 = "modis_mod16a2_appeears/ET-Periodically-Repeating-Data-MOD16A2-006-results.csv"


def load_mod16_points(*, fallback: bool = True) -> xr.Dataset:
    """MODIS MOD16A2 8-day ET at three sites, or a virtual stand-in where the file is unavailable.

    The real file comes through :func:`workbench.data.fetch_real` and
    :func:`workbench.data.products.read_mod16a2_points`. The stand-in is the
    virtual land's true ET at three virtual towers, averaged to MODIS 8-day
    composites (:func:`~workbench.intercompare.align_time`), with a visible
    message and ``attrs["virtual"] = 1``.

    Returns
    -------
    xarray.Dataset
        Dims (``site``, ``time``) with ``et`` [mm d-1].
    """
    from ..data import RealDataUnavailable, fetch_real
    from ..data.products import read_mod16a2_points

    try:
        ds = read_mod16a2_points(fetch_real(_MOD16))
        ds.attrs["virtual"] = 0
        return ds
    except RealDataUnavailable as err:
        if not fallback:
            raise
        warn(f"the real MOD16A2 points are unavailable ({err}); using a virtual stand-in instead")
        print(f"Real MOD16A2 points unavailable: {_MOD16} is missing. Showing a VIRTUAL stand-in (8-day means of the virtual land's ET at 3 towers).")
    from ..data import virtual_land, virtual_towers
    from .regrid import align_time

    land = virtual_land(lat=(40.0, 46.0), lon=(8.0, 14.0), resolution=1.0, start="2012-01-01", end="2014-12-31")
    towers = virtual_towers(land, n_sites=3, seed=0)
    et = align_time(towers["et_true"].assign_attrs(units="mm d-1", long_name="evapotranspiration, VIRTUAL 8-day composite"), "8-day")
    ds = xr.Dataset({"et": et})
    ds.attrs = {"title": "VIRTUAL stand-in for MOD16A2 8-day ET at points", "virtual": 1}
    return ds


def virtual_overpasses(*, n_sites: int = 40, per_site: int = 20, seed: int = 0) -> xr.Dataset:
    """A virtual stand-in for the ECOSTRESS cal/val table, from the virtual land.

    Towers on a virtual land (:func:`workbench.data.virtual_towers`) are
    sampled on ``per_site`` clear days each; the midday flux is taken as twice
    the daily mean. Five virtual "models" carry the error types seen in the
    real table: STIC noisy, BESS with zeros and values clipped at 1000 W m-2,
    MOD16 biased high, PT-JPL-SM closest, and JET their mean. The tower
    reference ``le_corr`` is the true flux with eddy-covariance noise.

    Returns
    -------
    xarray.Dataset
        The same variables and coordinates as :func:`load_overpasses`, with
        ``attrs["virtual"] = 1``.
    """
    from ..data import virtual_land, virtual_towers
    from ..data.landcover import LAND_COVER

    land = virtual_land(lat=(30.0, 50.0), lon=(-120.0, -80.0), resolution=2.0, start="2020-01-01", end="2020-12-31", seed=seed)
    towers = virtual_towers(land, n_sites=n_sites, seed=seed)
    from .towers import extract_at_sites

    rel = land["soil_water"] / land["whc"]
    sw = extract_at_sites(rel, towers["lat"].values, towers["lon"].values, site=towers["site"].values).transpose("site", "time")
    rng = np.random.default_rng(seed)
    days = np.stack([np.sort(rng.choice(towers.sizes["time"], per_site, replace=False)) for _ in range(n_sites)])
    pick = lambda v: np.take_along_axis(np.asarray(towers[v].transpose("site", "time").values, float), days, axis=1).ravel()  # noqa: E731
    true = 2.0 * pick("le_true")
    rn = 2.0 * pick("rn")
    n = true.size

    def model(scale, offset, noise):
        return scale * true + offset + noise * rng.standard_normal(n) * (20.0 + 0.2 * np.abs(true))

    models = {"STIC": model(0.95, 10.0, 2.0), "BESS": model(1.0, -5.0, 1.2), "MOD16": model(1.25, 30.0, 1.2), "PTJPLSM": model(0.95, 5.0, 0.9)}
    bess = models["BESS"]
    bess[rng.random(n) < 0.15] = 0.0
    bess[rng.random(n) < 0.02] = 1000.0
    models = {k: np.clip(v, 0.0, 1000.0) for k, v in models.items()}
    models["JET"] = np.mean([models[k] for k in ("STIC", "BESS", "MOD16", "PTJPLSM")], axis=0)
    obs = true + (5.0 + 0.15 * np.abs(true)) * rng.standard_normal(n)
    code_to_name = dict(zip(LAND_COVER["code"], LAND_COVER.index))
    site = np.repeat(towers.site.values, per_site)
    veg = np.repeat([code_to_name[int(c)] for c in towers.land_cover.values], per_site)
    time = towers.time.values[days.ravel()]
    flux = {"units": "W m-2"}
    data = {k: ("overpass", v, {**flux, "long_name": f"latent heat flux, virtual {k} model"}) for k, v in models.items()}
    data["le"] = ("overpass", obs * 0.85, {**flux, "long_name": "latent heat flux, virtual tower (unclosed)"})
    data["le_corr"] = ("overpass", obs, {**flux, "long_name": "latent heat flux, virtual tower, energy-balance corrected"})
    covs = {
        "rn_model": rn + 15.0 * rng.standard_normal(n),
        "tair": pick("tmean") + 4.0,
        "rh": pick("rh") / 100.0,
        "soil_moisture": 0.05 + 0.4 * np.take_along_axis(np.asarray(sw.values, float), days, axis=1).ravel(),
        "ndvi": 1.0 - np.exp(-0.5 * pick("lai")),
        "lst": pick("tmean") + 273.15 + 8.0 + 0.01 * rn,
        "albedo": np.full(n, 0.18),
    }
    for col, (name, units, long) in ECOSTRESS_COVARIATES.items():
        data[name] = ("overpass", covs[name], {"units": units, "long_name": long})
    coords = {
        "site": ("overpass", site),
        "time": ("overpass", time),
        "vegetation": ("overpass", veg),
        "climate": ("overpass", np.where(pick("tmean") > 15.0, "warm", "cool")),
    }
    ds = xr.Dataset(data, coords=coords)
    ds.attrs = {"title": "VIRTUAL stand-in for the ECOSTRESS cal/val table (workbench.intercompare.virtual_overpasses)", "virtual": 1}
    return ds


def overpass_table(ds: xr.Dataset, models, *, obs: str = "le_corr", covariates=(), categorical=("vegetation", "climate")) -> pd.DataFrame:
    """The overpass Dataset as a learning table (rows with every model and the tower present).

    Returns
    -------
    pandas.DataFrame
        Columns ``site``, ``time``, ``obs`` (the tower flux), the models, the
        covariates and the categorical coordinates; ``attrs["units"]``.
    """
    names = [*models, *covariates]
    absent = [v for v in [obs, *names] if v not in ds]
    if absent:
        raise ValueError(f"the overpass dataset has no {absent}; it has {list(ds.data_vars)}")
    frame = pd.DataFrame({"site": ds["site"].values, "time": pd.DatetimeIndex(ds["time"].values), "obs": ds[obs].values})
    for v in names:
        frame[v] = ds[v].values.astype(float)
    for c in categorical:
        frame[c] = ds[c].values.astype(str)
    frame = frame.dropna(subset=["obs", *models]).reset_index(drop=True)
    frame.attrs = {"units": ds[obs].attrs.get("units", "")}
    return frame


def fuse_at_unseen_sites(
    table: pd.DataFrame,
    models,
    *,
    covariates=(),
    categorical=(),
    n_splits: int = 5,
    max_iter: int = 200,
    random_state: int = 0,
) -> pd.DataFrame:
    """Every fusion method's estimate at sites left out of its training (grouped k-fold by site).

    Methods: ``ensemble`` (equal weights), ``performance`` (1/MSE weights from
    the training sites), ``tc_fusion`` (triple-collocation weights and
    rescaling from the training sites' samples, pooled; no tower value used),
    ``ml_fusion`` (:class:`FusionRegressor` on the models, ``covariates`` and
    ``categorical`` columns, no day-of-year terms).

    Returns
    -------
    pandas.DataFrame
        ``table`` with one column per method and ``fold``.
    """
    from sklearn.model_selection import GroupKFold

    out = table.copy()
    for c in ("ensemble", "performance", "tc_fusion"):
        out[c] = np.nan
    units = {"units": table.attrs.get("units", "")}

    def stacked(rows):
        return xr.Dataset({m: xr.DataArray(rows[m].to_numpy(float), dims="sample", attrs=units) for m in models})

    folds = list(GroupKFold(n_splits=n_splits).split(table, groups=table["site"]))
    for train, test in folds:
        tr, te = table.iloc[train], table.iloc[test]
        out.iloc[test, out.columns.get_loc("ensemble")] = ensemble_mean(stacked(te)).values
        w = performance_weights(tr, list(models))
        out.iloc[test, out.columns.get_loc("performance")] = weighted_ensemble(stacked(te), w).values
        out.iloc[test, out.columns.get_loc("tc_fusion")] = _tc_fusion_apply(stacked(tr), stacked(te))
    ml = FusionRegressor(max_iter=max_iter, seasonal=False, covariates=list(covariates), categorical=list(categorical), random_state=random_state)
    cv = leave_site_out(ml, table, products=list(models), n_splits=n_splits)
    out["ml_fusion"] = cv["fused"].to_numpy()
    out["fold"] = cv["fold"].to_numpy()
    return out


def _tc_fusion_apply(train: xr.Dataset, test: xr.Dataset) -> np.ndarray:
    """TC fusion with weights and rescaling estimated on ``train``, applied to ``test``."""
    from .collocation import tc_summary
    from .fusion import tc_weights

    tc = tc_all_triplets(train, dim="sample")
    s = tc_summary(tc)
    sig = np.sqrt(s.sig_var.where(s.sig_var > 0))
    tr = train.to_dataarray("product")
    means = tr.mean("sample")
    te = test.to_dataarray("product")
    w = tc_weights(s)
    usable = (w > 0) & sig.notnull()  # a model whose TC signal or error variance is not positive gets no weight
    if not bool(usable.any()):
        return np.full(test.sizes["sample"], np.nan)
    keep = [str(p) for p in w["product"].values[usable.values]]
    ref_mean, ref_sig = means.sel(product=keep).mean("product"), sig.sel(product=keep).mean("product")
    rescaled = (ref_mean + (te - means) * (ref_sig / sig)).sel(product=keep)
    rescaled.attrs = {"units": train[list(train.data_vars)[0]].attrs.get("units", "")}
    return weighted_ensemble(rescaled, w.sel(product=keep), name="tc_fusion").values


def skill_by_group(frame: pd.DataFrame, columns, *, by: str | None = None, metrics=("rmse", "kge", "bias", "pearson_r", "n")) -> pd.DataFrame:
    """Metrics of several estimate columns against ``obs``, overall or per group.

    Uses :func:`~workbench.intercompare.compute_metrics`. Returns a table with
    one row per column (and group, when ``by`` is given).
    """
    groups = [("all", frame)] if by is None else list(frame.groupby(by))
    rows = []
    units = {"units": frame.attrs.get("units", "")}
    for key, part in groups:
        o = xr.DataArray(part["obs"].to_numpy(float), dims="sample", attrs=units)
        for c in columns:
            m = compute_metrics(o, xr.DataArray(part[c].to_numpy(float), dims="sample", attrs=units), list(metrics), skipna=True)
            rows.append({**({by: key} if by else {}), "estimate": c, **{k: float(m[k]) for k in metrics}})
    index = [by, "estimate"] if by else ["estimate"]
    return pd.DataFrame(rows).set_index(index)


def tc_against_towers(table: pd.DataFrame, models) -> pd.DataFrame:
    """Triple-collocation error estimates beside the errors measured against the towers.

    TC is pooled over all samples (the triplets of ``models`` that give a
    positive error variance, averaged). ``tc_err_std`` is TC's error standard
    deviation of each model in its own units, ``tower_err_std`` the standard
    deviation of the residual of a linear fit of the model on the tower flux
    (the same quantity measured, which also holds the towers' own error times
    the model's slope), ``tc_r`` and ``tower_r`` the correlations with the
    truth (extended TC) and with the towers.

    Returns
    -------
    pandas.DataFrame
        One row per model; ``n_triplets`` counts the triplets that gave a
        positive error variance (0: TC failed for that model).
    """
    units = {"units": table.attrs.get("units", "")}
    ds = xr.Dataset({m: xr.DataArray(table[m].to_numpy(float), dims="sample", attrs=units) for m in models})
    tc = tc_all_triplets(ds, dim="sample")
    ok = tc.err_var > 0
    rows = {}
    obs = table["obs"].to_numpy(float)
    for m in models:
        x = table[m].to_numpy(float)
        slope, intercept = np.polyfit(obs, x, 1)
        resid = x - (intercept + slope * obs)
        ev = tc.err_var.sel(product=m).where(ok.sel(product=m))
        rho2 = tc.rho2.sel(product=m).where(ok.sel(product=m))
        rows[m] = {
            "tc_err_std": float(np.sqrt(ev.mean("triplet"))),
            "tower_err_std": float(resid.std()),
            "tc_r": float(np.sqrt(rho2.clip(0, 1).mean("triplet"))),
            "tower_r": float(np.corrcoef(obs, x)[0, 1]),
            "n_triplets": int(ok.sel(product=m).sum()),
        }
    return pd.DataFrame(rows).T.rename_axis("model")
