"""A year of daily canopy fluxes with a soil-water bucket, and a network that emulates it.

:func:`simulate_year` runs the canopy model (:func:`workbench.physics.canopy_fluxes`,
or a process surrogate in its place) day by day with a soil-water bucket, for
any set of points (grid cells, towers, parameter sets) at once. Its result
depends on three model parameters (:data:`EMULATOR_PARAMETERS`: Vcmax25, the
Medlyn slope g1 and the rooting-zone capacity ``whc``) and on the point's
climate. :func:`emulator_dataset` samples that dependence (Sobol parameters x
random cells) so that a :class:`~workbench.surrogates.SurrogateRegressor` can
learn annual and monthly ET from parameters plus climate summaries
(:func:`cell_climate`); :func:`calibrate` then fits the parameters to tower ET
with the emulator and :func:`simulate_year` checks the result.

Bucket (the same form as the virtual land's): the store starts at 70 % of
``whc``; stress is ``clip((W - 0.15 whc) / (0.5 whc), 0, 1)`` from the
start-of-day store; ET cannot exceed the water present; excess above ``whc``
runs off.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd
import xarray as xr
from scipy import optimize
from scipy.stats import qmc
from tqdm.auto import tqdm

from ..physics.canopy import CANOPY_INPUTS, CANOPY_PARAMETERS, _namespace, canopy_fluxes
from ..units import convert
from .._warn import warn as _warn

__all__ = ["EMULATOR_PARAMETERS", "CLIMATE_FEATURES", "simulate_year", "bucket_stress", "bucket_update", "cell_climate",
           "emulator_dataset", "emulator_features", "emulator_targets", "calibrate", "stack_cells", "monthly_et",
           "tower_monthly_et", "calibration_profile"]

#: Model parameters the emulator takes: name -> (lo, hi, units, long_name).
EMULATOR_PARAMETERS = {
    "vcmax25": (20.0, 120.0, "umol m-2 s-1", "maximum carboxylation rate at 25 degC"),
    "g1": (1.5, 8.0, "kPa0.5", "Medlyn stomatal slope"),
    "whc": (40.0, 300.0, "mm", "rooting-zone water holding capacity"),
}
_FORCING = ("rs", "tmean", "vpd", "wind", "pressure", "lai", "precip")
_FORCING_UNITS = {**{k: v[0] for k, v in CANOPY_INPUTS.items()}, "precip": "mm d-1"}
_SEASONS = {"djf": (12, 1, 2), "mam": (3, 4, 5), "jja": (6, 7, 8), "son": (9, 10, 11)}
#: Climate summaries used as emulator features (annual means, seasonal means, precip totals).
CLIMATE_FEATURES = [f"{v}_mean" for v in _FORCING] + [f"{v}_{s}" for v in ("precip", "rs", "tmean", "vpd", "lai")
                                                      for s in _SEASONS]
_CO2 = 400.0


def stack_cells(land: xr.Dataset, variables=_FORCING) -> xr.Dataset:
    """Forcing of a gridded (time, lat, lon) dataset as (time, cell), with lat/lon kept as coords."""
    ds = land[list(variables)]
    spatial = [d for d in ds.dims if d != "time"]
    return ds.stack(cell=spatial).reset_index("cell").transpose("time", "cell")


def _forcing_arrays(forcing: xr.Dataset) -> tuple[dict, xr.DataArray]:
    missing = [k for k in _FORCING if k not in forcing]
    if missing:
        raise ValueError(f"forcing is missing {missing}; simulate_year needs {list(_FORCING)}")
    if "time" not in forcing.dims:
        raise ValueError("forcing needs a 'time' dimension of daily steps")
    arrays = {k: convert(forcing[k], _FORCING_UNITS[k], name=k) for k in _FORCING}
    arrays = dict(zip(arrays, xr.broadcast(*arrays.values())))
    template = arrays["rs"].transpose("time", ...)
    return {k: np.asarray(v.transpose(*template.dims).values, dtype=float) for k, v in arrays.items()}, template


def _param_array(value, name, shape):
    arr = np.asarray(value.values if isinstance(value, xr.DataArray) else value, dtype=float)
    try:
        return np.broadcast_to(arr, shape).astype(float)
    except ValueError:
        raise ValueError(f"parameter {name!r} of shape {arr.shape} does not broadcast to the points {shape}") \
            from None


def bucket_stress(store, cap):
    """Soil-water stress [1] from the start-of-day store: ``clip((W - 0.15 whc) / (0.5 whc), 0, 1)``.

    Works on NumPy arrays and torch tensors alike (the differentiable year of
    :mod:`workbench.calibrate` steps the same bucket).
    """
    xp = _namespace(store, cap)
    return xp.clip((store - 0.15 * cap) / (0.5 * cap), 0.0, 1.0)


def bucket_update(store, cap, le, tmean, precip):
    """One day of the bucket: ET limited by the water present, overflow above ``whc`` runs off.

    Parameters
    ----------
    store, cap : array-like
        Start-of-day store and capacity ``whc`` [mm].
    le : array-like
        Canopy latent heat flux [W m-2]; dew (negative LE) is not added to the store.
    tmean : array-like
        Air temperature [degC] (for the latent heat of vaporisation).
    precip : array-like
        Precipitation [mm d-1].

    Returns
    -------
    tuple
        ``et`` [mm d-1], ``le`` [W m-2] scaled to the water present, ``runoff``
        [mm d-1] and the next day's store [mm]; NumPy arrays or torch tensors
        like the inputs.

    Examples
    --------
    >>> et, le, runoff, store = bucket_update(1.0, 100.0, 200.0, 20.0, 0.0)
    >>> float(et), float(store)  # 7 mm of demand, 1 mm of water
    (1.0, 0.0)
    """
    from ..physics.et import le_to_et

    xp = _namespace(store, cap, le, tmean, precip)
    le_pos = xp.clip(le, 0.0, None)
    et_pot = le_to_et.kernel(le_pos, tmean)
    available = store + precip
    et = xp.minimum(et_pot, available)
    le_used = le_pos * xp.where(et_pot > 0, et / xp.where(et_pot > 0, et_pot, 1.0), 1.0)
    runoff = xp.clip(available - et - cap, 0.0, None)
    return et, le_used, runoff, xp.minimum(available - et, cap)


def _process_step(model):
    """Canopy fluxes for one day: the physics, or a process surrogate with the same inputs."""
    if model is None:
        def physics(inputs, g1):
            out = canopy_fluxes(**inputs, g1=g1, warn=False)
            return out["le"], out["an"], np.zeros(out["le"].shape, dtype=bool)
        return physics
    if list(model.feature_names_) != list(CANOPY_INPUTS):
        raise ValueError(f"the process surrogate must take the canopy inputs {list(CANOPY_INPUTS)}, "
                         f"it takes {model.feature_names_}")

    def surrogate(inputs, g1):
        if not np.allclose(g1, CANOPY_PARAMETERS["g1"]):
            raise ValueError(f"the process surrogate was trained at g1={CANOPY_PARAMETERS['g1']}; "
                             "it cannot run with other g1 values")
        xm = np.stack([np.broadcast_to(inputs[k], inputs["rs"].shape).ravel() for k in CANOPY_INPUTS], axis=1)
        ym = model.predict_array(xm)
        cols = {n: ym[:, i].reshape(inputs["rs"].shape) for i, n in enumerate(model.target_names_)}
        return cols["le"], cols["an"], model.out_of_range(xm).any(1).reshape(inputs["rs"].shape)
    return surrogate


def simulate_year(forcing: xr.Dataset, *, vcmax25=60.0, g1=CANOPY_PARAMETERS["g1"], whc=150.0, co2=_CO2,
                  process_model=None, progress: bool = False) -> xr.Dataset:
    """Run the canopy model with a soil-water bucket through daily forcing.

    Parameters
    ----------
    forcing : xarray.Dataset
        Daily ``rs`` [W m-2], ``tmean`` [degC], ``vpd`` [kPa], ``wind`` [m s-1],
        ``pressure`` [kPa], ``lai`` [m2 m-2] and ``precip`` [mm d-1] on
        ``time`` plus any point dims (e.g. ``cell`` or ``site``); units are
        converted from the attributes.
    vcmax25 : float or array-like
        [umol m-2 s-1], broadcast against the point dims.
    g1 : float or array-like
        Medlyn slope [kPa^0.5].
    whc : float or array-like
        Rooting-zone water holding capacity [mm].
    co2 : float, default 400
        [umol mol-1].
    process_model : SurrogateRegressor, optional
        A canopy process surrogate to use instead of the physics (its inputs
        must be :data:`~workbench.physics.canopy.CANOPY_INPUTS`).
    progress : bool, default False
        Show a progress bar over days.

    Returns
    -------
    xarray.Dataset
        ``et`` [mm d-1], ``le`` [W m-2] (limited by the water present; dew is
        not counted), ``an`` [umol m-2 s-1],
        ``water_stress`` [1], ``soil_water`` [mm] and ``runoff`` [mm d-1] on (time, points);
        ``et_annual`` [mm] (the period total) and ``et_monthly`` [mm month-1]
        (dims month, points); with a ``process_model``, an ``out_of_range``
        mask (time, points) of point-days where the surrogate extrapolated
        (and a warning when there are any); attribute ``wall_s`` is the run's wall time.
    """
    t0 = time.perf_counter()
    f, template = _forcing_arrays(forcing)
    shape = f["rs"].shape[1:]
    vc, g1a, cap = (_param_array(v, n, shape) for v, n in ((vcmax25, "vcmax25"), (g1, "g1"), (whc, "whc")))
    step = _process_step(process_model)
    n_days = f["rs"].shape[0]
    out = {k: np.empty((n_days, *shape)) for k in ("et", "le", "an", "water_stress", "soil_water", "runoff")}
    flagged = np.zeros((n_days, *shape), dtype=bool)
    store = 0.7 * cap
    days = tqdm(range(n_days), desc="simulate_year", disable=not progress, leave=False)
    try:
        for i in days:
            stress = bucket_stress(store, cap)
            inputs = {"rs": f["rs"][i], "tmean": f["tmean"][i], "vpd": f["vpd"][i], "co2": np.full(shape, co2),
                      "wind": f["wind"][i], "pressure": f["pressure"][i], "lai": f["lai"][i], "vcmax25": vc,
                      "water_stress": stress}
            le, an, flagged[i] = step(inputs, g1a)
            et, out["le"][i], out["runoff"][i], new_store = bucket_update(store, cap, le, f["tmean"][i],
                                                                         f["precip"][i])
            out["et"][i], out["an"][i], out["water_stress"][i], out["soil_water"][i] = et, an, stress, store
            store = new_store
    finally:
        days.close()
    ds = xr.Dataset(coords=template.coords)
    units = {"et": ("mm d-1", "evapotranspiration"), "le": ("W m-2", "latent heat flux"),
             "an": ("umol m-2 s-1", "canopy net CO2 assimilation"), "water_stress": ("1", "soil water stress"),
             "soil_water": ("mm", "soil water store at the start of the day"),
             "runoff": ("mm d-1", "bucket overflow")}
    for k, v in out.items():
        ds[k] = (template.dims, v, {"units": units[k][0], "long_name": units[k][1]})
    if process_model is not None:
        ds["out_of_range"] = (template.dims, flagged, {"long_name": "process surrogate inputs outside its "
                                                                    "training ranges"})
        if flagged.any():
            _warn(f"simulate_year: the process surrogate extrapolated at {int(flagged.sum())} of "
                  f"{flagged.size} point-days (inputs outside its training ranges); see 'out_of_range'")
    ds["et_annual"] = ds["et"].sum("time").assign_attrs(units="mm", long_name="total evapotranspiration")
    ds["et_monthly"] = monthly_et(ds["et"])
    ds.attrs["wall_s"] = time.perf_counter() - t0
    ds.attrs["process_model"] = "physics" if process_model is None else "surrogate"
    return ds


def monthly_et(et: xr.DataArray) -> xr.DataArray:
    """Monthly ET totals [mm month-1] from daily ET [mm d-1], per calendar month.

    Each month's days are summed (a month with no valid day is NaN); with
    several years, the totals of the same calendar month are averaged.
    (A plain ``et.groupby("time.month").sum()`` gives the same numbers for
    one year but keeps the daily unit ``mm d-1`` in its attributes.)

    Examples
    --------
    >>> import pandas as pd
    >>> time = pd.date_range("2020-01-01", "2020-03-31", freq="D")
    >>> et = xr.DataArray(np.ones(time.size), dims="time", coords={"time": time}, attrs={"units": "mm d-1"})
    >>> m = monthly_et(et)
    >>> m.values.tolist(), m.attrs["units"]
    ([31.0, 29.0, 31.0], 'mm month-1')
    """
    daily = convert(et, "mm d-1", name="et")
    totals = daily.resample(time="MS").sum(min_count=1)
    out = totals.groupby("time.month").mean("time")
    return out.assign_attrs(units="mm month-1", long_name="monthly evapotranspiration")


def tower_monthly_et(towers: xr.Dataset, *, closure: bool = True) -> xr.DataArray:
    """Monthly tower ET [mm month-1], closure-corrected (Bowen-ratio preserving) by default.

    The towers' ``le``, ``h``, ``rn``, ``g`` and ``et`` are averaged per
    month first, then :func:`workbench.intercompare.closure_correct` scales
    ``et`` by ``(rn - g) / (le + h)`` of that month (the FLUXNET2015
    ``LE_CORR`` idea over a window, here one month). Per day the factor is
    unstable: on winter days ``le + h`` is near zero and dominated by the
    measurement noise.

    Parameters
    ----------
    towers : xarray.Dataset
        E.g. :func:`workbench.data.virtual_towers` (dims site, time).
    closure : bool, default True
        False returns the measured ET as it is.

    Returns
    -------
    xarray.DataArray
        (site, month) [mm month-1]; ``attrs["closure_corrected"]`` is 0 or 1.
    """
    from ..intercompare.towers import closure_correct

    needed = ("et", "le", "h", "rn", "g") if closure else ("et",)
    missing = [v for v in needed if v not in towers]
    if missing:
        raise ValueError(f"towers lack {missing}; tower_monthly_et(closure={closure}) needs {list(needed)}")
    fluxes = xr.Dataset({v: convert(towers[v], "W m-2", name=v) for v in needed if v != "et"})
    fluxes["et"] = convert(towers["et"], "mm d-1", name="et")
    monthly = fluxes.resample(time="MS").mean()
    if closure:
        monthly = closure_correct(monthly, window=1)  # one factor per month: the month is the window
    totals = monthly["et"] * monthly["time"].dt.days_in_month
    out = totals.groupby("time.month").mean("time").transpose(..., "month")
    long_name = "monthly tower evapotranspiration" + (" (closure-corrected)" if closure else " (measured)")
    return out.assign_attrs(units="mm month-1", long_name=long_name, closure_corrected=int(closure))


def cell_climate(forcing: xr.Dataset) -> xr.Dataset:
    """Climate summaries of each point: annual and seasonal means (:data:`CLIMATE_FEATURES`).

    Precipitation summaries are means in [mm d-1]; the others keep the
    forcing's units.
    """
    f, template = _forcing_arrays(forcing)
    months = pd.DatetimeIndex(forcing["time"].values).month.to_numpy()
    coords = {k: v for k, v in template.coords.items() if "time" not in v.dims}
    dims = template.dims[1:]
    out = xr.Dataset(coords=coords)
    for v in _FORCING:
        out[f"{v}_mean"] = (dims, f[v].mean(0), {"units": _FORCING_UNITS[v], "long_name": f"annual mean {v}"})
    for v in ("precip", "rs", "tmean", "vpd", "lai"):
        for s, ms in _SEASONS.items():
            sel = np.isin(months, ms)
            if not sel.any():
                raise ValueError(f"the forcing has no day in season {s.upper()}; cell_climate needs a full year")
            out[f"{v}_{s}"] = (dims, f[v][sel].mean(0), {"units": _FORCING_UNITS[v],
                                                         "long_name": f"{s.upper()} mean {v}"})
    return out


def emulator_targets(sim: xr.Dataset) -> xr.Dataset:
    """Annual and monthly ET of a :func:`simulate_year` result as separate variables (emulator targets)."""
    out = xr.Dataset({"et_annual": sim["et_annual"]})
    for m in sim["month"].values:
        out[f"et_m{int(m):02d}"] = sim["et_monthly"].sel(month=m, drop=True).assign_attrs(
            units="mm month-1", long_name=f"ET in month {int(m)}")
    return out


def emulator_features(climate: xr.Dataset, params: dict) -> xr.Dataset:
    """Join parameters (broadcast against the points) and climate summaries into one feature Dataset."""
    out = xr.Dataset(coords=climate.coords)
    dims = next(iter(climate.data_vars.values())).dims
    shape = next(iter(climate.data_vars.values())).shape
    for k, (lo, hi, units, long_name) in EMULATOR_PARAMETERS.items():
        if k not in params:
            raise ValueError(f"parameter {k!r} missing; the emulator needs {list(EMULATOR_PARAMETERS)}")
        out[k] = (dims, _param_array(params[k], k, shape), {"units": units, "long_name": long_name})
    for k in CLIMATE_FEATURES:
        out[k] = climate[k]
    return out


def emulator_dataset(land: xr.Dataset, n: int, *, seed: int = 0, ranges: dict | None = None,
                     progress: bool = False) -> tuple[xr.Dataset, xr.Dataset]:
    """Training data for the simulation emulator: Sobol parameters on random cells, each run for a year.

    Parameters
    ----------
    land : xarray.Dataset
        Gridded daily forcing, e.g. :func:`workbench.data.virtual_land`.
    n : int
        Number of (parameter set, cell) pairs.
    seed : int, default 0
    ranges : dict, optional
        ``{name: (lo, hi)}`` overriding :data:`EMULATOR_PARAMETERS` ranges.

    Returns
    -------
    X, y : xarray.Dataset
        Features (parameters + climate) and targets (``et_annual``,
        ``et_m01``..``et_m12``) along ``sample``; ``y.attrs["wall_s"]`` is the
        simulation time.
    """
    ranges = {k: (ranges or {}).get(k, v[:2]) for k, v in EMULATOR_PARAMETERS.items()}
    cells = stack_cells(land)
    rng = np.random.default_rng(seed)
    pick = rng.integers(0, cells.sizes["cell"], n)
    forcing = cells.isel(cell=pick).rename(cell="sample")
    u = qmc.Sobol(d=len(ranges), scramble=True, seed=seed).random(n)
    lo, hi = np.array([r[0] for r in ranges.values()]), np.array([r[1] for r in ranges.values()])
    params = {k: lo[i] + u[:, i] * (hi[i] - lo[i]) for i, k in enumerate(ranges)}
    sim = simulate_year(forcing, **params, progress=progress)
    X = emulator_features(cell_climate(forcing), params)
    y = emulator_targets(sim)
    y.attrs["wall_s"] = sim.attrs["wall_s"]
    return X, y


def calibrate(emulator, forcing: xr.Dataset, obs_et: xr.DataArray, *, n_candidates: int = 4096,
              seed: int = 0, fixed: dict | None = None, bound_tol: float = 0.01, warn: bool = True) -> dict:
    """Fit shared parameters to observed monthly ET with the emulator; flag parameters left at a bound.

    A Sobol search over :data:`EMULATOR_PARAMETERS` (``n_candidates`` sets, each
    evaluated at every site in one batched emulator call), refined with
    Nelder-Mead inside the ranges.

    Parameters
    ----------
    emulator : SurrogateRegressor
        Trained on :func:`emulator_dataset`.
    forcing : xarray.Dataset
        Daily forcing of the sites (dims time, site), e.g. virtual towers.
    obs_et : xarray.DataArray
        Observed ET, either daily [mm d-1] on (time, site) or monthly totals
        [mm month-1] on (site, month), e.g. :func:`tower_monthly_et` (closure-corrected).
    fixed : dict, optional
        Parameters held at given values instead of fitted.
    bound_tol : float, default 0.01
        A fitted value within ``bound_tol`` of its range width from a bound is
        reported in ``at_bound`` and warned about: the data pull it beyond
        the range, so the value is not an estimate (look for a bias in the
        data, a range too narrow or a structural error of the model).
    warn : bool, default True
        Warn when a parameter ends at a bound (``at_bound`` is filled either way).

    Returns
    -------
    dict
        ``params`` (best values), ``at_bound`` (``{name: "lower" | "upper"}``,
        empty when every fitted parameter is inside), ``bounds``,
        ``rmse_monthly`` [mm month-1] predicted by the emulator,
        ``n_evaluations`` and ``wall_s``.
    """
    t0 = time.perf_counter()
    if "month" in obs_et.dims:
        if obs_et.attrs.get("units") != "mm month-1":
            raise ValueError(f"monthly obs_et must be in 'mm month-1' (totals), got units "
                             f"{obs_et.attrs.get('units')!r}; pass daily ET [mm d-1] on time or tower_monthly_et()")
        obs_m = obs_et
    else:
        obs_m = monthly_et(obs_et)
    site_dim = [d for d in obs_m.dims if d != "month"][0]
    obs_m = obs_m.sel(month=list(range(1, 13))).transpose(site_dim, "month").values
    climate = cell_climate(forcing)
    n_sites = climate.sizes[site_dim]
    names = list(EMULATOR_PARAMETERS)
    fixed = dict(fixed or {})
    free = [k for k in names if k not in fixed]
    lo = np.array([EMULATOR_PARAMETERS[k][0] for k in free])
    hi = np.array([EMULATOR_PARAMETERS[k][1] for k in free])
    month_cols = [emulator.target_names_.index(f"et_m{m:02d}") for m in range(1, 13)]
    feat_clim = np.stack([climate[k].values for k in CLIMATE_FEATURES], axis=1)  # (site, n_clim)
    order = emulator.feature_names_
    evaluations = 0

    def misfit(theta):  # theta: (k, n_free) -> rmse (k,)
        nonlocal evaluations
        k = theta.shape[0]
        cols = {}
        for i, name in enumerate(free):
            cols[name] = np.repeat(theta[:, i], n_sites)
        for name, val in fixed.items():
            cols[name] = np.full(k * n_sites, float(val))
        for j, name in enumerate(CLIMATE_FEATURES):
            cols[name] = np.tile(feat_clim[:, j], k)
        xm = np.stack([cols[c] for c in order], axis=1)
        pred = emulator.predict_array(xm)[:, month_cols].reshape(k, n_sites, 12)
        evaluations += k
        return np.sqrt(np.nanmean((pred - obs_m[None]) ** 2, axis=(1, 2)))

    u = qmc.Sobol(d=len(free), scramble=True, seed=seed).random(n_candidates)
    cand = lo + u * (hi - lo)
    scores = misfit(cand)
    best = cand[np.argmin(scores)]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = optimize.minimize(lambda t: float(misfit(np.clip(t, lo, hi)[None])[0]), best,
                                method="Nelder-Mead", options={"xatol": 1e-3, "fatol": 1e-4, "maxiter": 400})
    theta = np.clip(res.x, lo, hi)
    params = {**{k: float(v) for k, v in zip(free, theta)}, **{k: float(v) for k, v in fixed.items()}}
    tol = bound_tol * (hi - lo)
    at_bound = {k: ("lower" if v <= a + t else "upper") for k, v, a, b, t in zip(free, theta, lo, hi, tol)
                if v <= a + t or v >= b - t}
    if at_bound and warn:
        parts = [f"{k} = {params[k]:.4g} {EMULATOR_PARAMETERS[k][2]} at its {side} bound "
                 f"({EMULATOR_PARAMETERS[k][0 if side == 'lower' else 1]:g})" for k, side in at_bound.items()]
        _warn("calibrate: " + "; ".join(parts) + ". The data pull these parameters beyond their ranges, so the "
              "values are not estimates: look for a bias in the observations (an unclosed energy balance?), "
              "a range too narrow, or a structural error of the model (see the result's 'at_bound')")
    return {"params": params, "at_bound": at_bound, "bounds": {k: (float(a), float(b)) for k, a, b in zip(free, lo, hi)},
            "rmse_monthly": float(misfit(theta[None])[0]), "n_evaluations": evaluations,
            "wall_s": time.perf_counter() - t0}


def calibration_profile(emulator, forcing: xr.Dataset, obs_et: xr.DataArray, name: str, values, *,
                        n_candidates: int = 256, seed: int = 0) -> xr.DataArray:
    """Profile of the calibration misfit over one parameter: the others re-fitted at each value.

    A flat profile means the data do not pin the parameter down (another
    parameter compensates: equifinality); a minimum at or beyond a range end
    means the data pull it out of its range.

    Parameters
    ----------
    emulator, forcing, obs_et
        As for :func:`calibrate`.
    name : str
        One of :data:`EMULATOR_PARAMETERS`.
    values : array-like
        Values at which ``name`` is held fixed [its units].

    Returns
    -------
    xarray.DataArray
        Emulator misfit ``rmse_monthly`` [mm month-1] on dim ``name``; the
        re-fitted other parameters as coordinates.
    """
    if name not in EMULATOR_PARAMETERS:
        raise ValueError(f"unknown parameter {name!r}; the emulator's parameters are {list(EMULATOR_PARAMETERS)}")
    values = np.asarray(values, dtype=float)
    fits = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the others may end at a bound for some fixed values; see the coords
        for v in values:
            fits.append(calibrate(emulator, forcing, obs_et, n_candidates=n_candidates, seed=seed,
                                  fixed={name: float(v)}))
    lo, hi, units, long_name = EMULATOR_PARAMETERS[name]
    coords = {name: (name, values, {"units": units, "long_name": long_name})}
    for other in EMULATOR_PARAMETERS:
        if other != name:
            coords[other] = (name, [f["params"][other] for f in fits], {"units": EMULATOR_PARAMETERS[other][2],
                                                                         "long_name": f"re-fitted {other}"})
    return xr.DataArray([f["rmse_monthly"] for f in fits], dims=name, coords=coords, name="rmse_monthly",
                        attrs={"units": "mm month-1", "long_name": f"calibration misfit with {name} held fixed"})
