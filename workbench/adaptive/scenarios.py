"""Worlds that change under a running model: scenarios with known regime shifts, deterministic from a seed.

Each scenario is one virtual-land cell over two years. Year 1 is stable (the
static model is calibrated on it); in year 2, on a known day, the world
changes:

``drought``
    Precipitation falls to a tenth and the vegetation's stomatal slope g1
    acclimates down by ~40 % over three weeks (Zhou et al. 2013).
``land_cover``
    Forest to grass on one day: Vcmax25 x0.6, g1 x1.5, rooting depth (whc)
    x0.4, and the observed LAI halves.
``greening``
    Slow change: Vcmax25 rises by ~60 % and LAI by ~30 % linearly over 150 days.
``sensor_drift``
    Nothing changes on the land; the tower's LE gains an additive offset
    growing by ~0.1 W m-2 per day. An adaptive method must *not* learn it.

The truth is the running model itself (:func:`~workbench.adaptive.model.step_day`)
with the true parameter trajectory, so parameter recovery can be checked.
Observations follow the virtual towers' noise model
(:func:`workbench.data.towers.flux_error_sd`: ``5 W m-2 + noise |LE|``; energy
balance taken as closed), with a fraction of days missing (gaps).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ..data.towers import flux_error_sd
from ..data.virtual_land import virtual_land
from ..physics import le_to_et
from .model import FORCING, PARAM_NAMES, PARAMETERS, step_day

__all__ = ["KINDS", "make_scenarios", "scenario_forcing"]

KINDS = ("drought", "land_cover", "greening", "sensor_drift")
_YEAR = 365


def _trajectories(kind, n_time, t_shift, base, m):
    """True parameters (time, 3), forcing multipliers for precip and LAI, and the LE sensor offset [W m-2]."""
    t = np.arange(n_time)
    params = np.tile(base, (n_time, 1))
    precip_f, lai_f, offset = np.ones(n_time), np.ones(n_time), np.zeros(n_time)
    after = t >= t_shift
    if kind == "drought":
        ramp = np.clip((t - t_shift) / 21.0, 0.0, 1.0)
        params[:, 1] *= 1.0 - 0.4 * m * ramp
        precip_f[after] = 0.1
    elif kind == "land_cover":
        params[after] *= np.array([0.6, 1.5, 0.4]) ** m
        lai_f[after] = 0.5
    elif kind == "greening":
        ramp = np.clip((t - t_shift) / 150.0, 0.0, 1.0)
        params[:, 0] *= 1.0 + 0.6 * m * ramp
        lai_f *= 1.0 + 0.3 * m * ramp
    elif kind == "sensor_drift":
        offset = 0.1 * m * np.clip(t - t_shift, 0, None)
    else:
        raise ValueError(f"unknown scenario kind {kind!r}; expected one of {KINDS}")
    return params, precip_f, lai_f, offset


def make_scenarios(n: int, *, seed: int = 0, kinds=KINDS, noise: float = 0.1, gap_fraction: float = 0.1,
                   land: xr.Dataset | None = None, progress: bool = False) -> xr.Dataset:
    """Build ``n`` scenarios (kinds in turn), deterministic from ``seed``.

    Parameters
    ----------
    n : int
        Number of scenarios; kind ``i`` is ``kinds[i % len(kinds)]``.
    seed : int, default 0
        Scenario ``i`` draws its cell, parameters, shift day and magnitude from
        ``numpy.random.default_rng([seed, i])``: training and held-out sets are
        disjoint when their seeds differ.
    kinds : sequence of str
        Among :data:`KINDS`.
    noise : float, default 0.1
        Relative random error of the tower LE [1].
    gap_fraction : float, default 0.1
        Fraction of days with no observation.
    land : xarray.Dataset, optional
        Two years of virtual land (default: a 16 x 20 degree box of Europe,
        2 degree cells, 2019-2020, seed 42).

    Returns
    -------
    xarray.Dataset
        On (scenario, time): the forcing (:data:`FORCING`, CF units), ``et_true``
        and ``le_true`` (the truth), ``et_obs`` (NaN in gaps), ``obs_sd`` (the
        observation error standard deviation [mm d-1]), ``sensor_offset``
        [W m-2]; ``params_true`` on (scenario, time, param). Coordinates
        ``kind``, ``shift_day`` (index into time of the change), ``lat``, ``lon``.
        Attribute ``calibration_days`` = 365 (year 1).

    Examples
    --------
    >>> scen = make_scenarios(4, seed=1, land=virtual_land(lat=(44, 48), lon=(0, 4), resolution=2.0,
    ...                       start="2019-01-01", end="2020-12-30"))
    >>> scen.kind.values.tolist()
    ['drought', 'land_cover', 'greening', 'sensor_drift']
    """
    if n < 1:
        raise ValueError(f"n must be >= 1; got {n}")
    bad = [k for k in kinds if k not in KINDS]
    if bad:
        raise ValueError(f"unknown scenario kinds {bad}; expected some of {KINDS}")
    if land is None:
        land = virtual_land(lat=(38, 54), lon=(-4, 16), resolution=2.0, start="2019-01-01", end="2020-12-30",
                            seed=42)
    n_time = land.sizes["time"]
    if n_time < 2 * _YEAR:
        raise ValueError(f"land must cover two years ({2 * _YEAR} days); it has {n_time}")
    cells = land[list(FORCING)].stack(cell=("lat", "lon"))
    forcing = {k: np.empty((n, n_time)) for k in FORCING}
    params = np.empty((n, n_time, len(PARAM_NAMES)))
    offset = np.empty((n, n_time))
    kind_list, shifts, lats, lons, noise_draws, gaps = [], [], [], [], [], []
    for i in range(n):
        rng = np.random.default_rng([seed, i])
        kind = kinds[i % len(kinds)]
        c = int(rng.integers(cells.sizes["cell"]))
        base = np.array([rng.uniform(40, 90), rng.uniform(3, 5), rng.uniform(80, 200)])
        t_shift = _YEAR + int(rng.integers(120, 200))
        m = rng.uniform(0.7, 1.3)
        params[i], precip_f, lai_f, offset[i] = _trajectories(kind, n_time, t_shift, base, m)
        cell = cells.isel(cell=c)
        for k in FORCING:
            forcing[k][i] = cell[k].values
        forcing["precip"][i] *= precip_f
        forcing["lai"][i] *= lai_f
        kind_list.append(kind)
        shifts.append(t_shift)
        lats.append(float(cell["lat"]))
        lons.append(float(cell["lon"]))
        noise_draws.append(rng.standard_normal(n_time))
        gaps.append(rng.random(n_time) < gap_fraction)
    store = 0.7 * params[:, 0, 2]
    et_true, le_true = np.empty((n, n_time)), np.empty((n, n_time))
    from tqdm.auto import tqdm

    for t in tqdm(range(n_time), desc="truth", disable=not progress, leave=False):
        day = {k: forcing[k][:, t] for k in FORCING}
        et_true[:, t], le_true[:, t], store = step_day(store, day, params[:, t])
    le_obs = le_true + offset + flux_error_sd(le_true, noise) * np.array(noise_draws)
    tmean = forcing["tmean"]
    et_obs = np.asarray(le_to_et(le_obs, tmean), dtype=float)
    et_obs[np.array(gaps)] = np.nan
    obs_sd = np.asarray(le_to_et(flux_error_sd(le_true, noise), tmean), dtype=float)

    dims = ("scenario", "time")
    ds = xr.Dataset(coords={"scenario": np.arange(n), "time": land["time"].values, "param": list(PARAM_NAMES),
                            "kind": ("scenario", kind_list), "shift_day": ("scenario", np.array(shifts)),
                            "lat": ("scenario", lats), "lon": ("scenario", lons)})
    for k in FORCING:
        ds[k] = (dims, forcing[k], dict(land[k].attrs))
    ds["et_true"] = (dims, et_true, {"units": "mm d-1", "long_name": "evapotranspiration (true)"})
    ds["le_true"] = (dims, le_true, {"units": "W m-2", "long_name": "latent heat flux (true)"})
    ds["et_obs"] = (dims, et_obs, {"units": "mm d-1", "long_name": "evapotranspiration (tower, measured)"})
    ds["obs_sd"] = (dims, obs_sd, {"units": "mm d-1", "long_name": "observation error standard deviation"})
    ds["sensor_offset"] = (dims, offset, {"units": "W m-2", "long_name": "tower LE offset (sensor drift)"})
    ds["params_true"] = (("scenario", "time", "param"), params, {"long_name": "true model parameters",
                         "units_by_param": [v[2] for v in PARAMETERS.values()]})
    ds.attrs.update(seed=seed, noise=noise, gap_fraction=gap_fraction, calibration_days=_YEAR,
                    title="Adaptive-modelling scenarios: virtual-land cells with known regime shifts")
    return ds


def scenario_forcing(scen: xr.Dataset) -> dict:
    """The forcing of a scenario set as a dict of (scenario, time) NumPy arrays in the model's units."""
    from ..units import convert

    missing = [k for k in FORCING if k not in scen]
    if missing:
        raise ValueError(f"scenarios are missing the forcing {missing}; build them with make_scenarios()")
    units = {"rs": "W m-2", "tmean": "degC", "vpd": "kPa", "wind": "m s-1", "pressure": "kPa", "lai": "m2 m-2",
             "precip": "mm d-1"}
    return {k: np.asarray(convert(scen[k], units[k], name=k).transpose("scenario", "time").values, dtype=float)
            for k in FORCING}
