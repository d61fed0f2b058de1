"""Half-hourly virtual towers: a deterministic diurnal disaggregation of the daily virtual towers.

Each day of :func:`~workbench.data.virtual_towers` is spread over 48 half-hours
so that every daily mean is kept: shortwave radiation follows the solar
geometry (FAO-56 Eqs. 28-33), net radiation and ground heat flux follow
shortwave radiation, air temperature follows a cosine between ``tmin`` and
``tmax``, vapour pressure stays at the day's value (so VPD peaks in the
afternoon), the true latent heat follows available energy and is near zero at
night, and the true sensible heat closes the energy balance exactly. The
towers then measure the half-hours with the same closure gap and random
error model as the daily towers, plus small sensor noise on the weather.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["virtual_towers_halfhourly", "HALF_HOUR_STEPS"]

HALF_HOUR_STEPS = 48
_ALBEDO = 0.23  # FAO-56 reference albedo: rn follows rs with slope (1 - albedo)
_G_FRACTION = 0.1  # half-hourly G follows available energy (Choudhury et al. 1987 order of magnitude)
_NIGHT_LE_FRACTION = 0.05  # share of the daily mean LE that persists at night

_ATTRS = {
    "rs": ("W m-2", "incoming shortwave radiation"),
    "sw_in_pot": ("W m-2", "potential (top-of-atmosphere) incoming shortwave radiation"),
    "rn": ("W m-2", "net radiation"),
    "g": ("W m-2", "ground heat flux"),
    "tmean": ("degC", "air temperature"),
    "vpd": ("kPa", "vapour pressure deficit"),
    "ea": ("kPa", "actual vapour pressure"),
    "rh": ("%", "relative humidity"),
    "wind": ("m s-1", "wind speed"),
    "pressure": ("kPa", "air pressure"),
    "precip": ("mm d-1", "precipitation rate"),
    "lai": ("m2 m-2", "leaf area index"),
    "le": ("W m-2", "latent heat flux (measured)"),
    "h": ("W m-2", "sensible heat flux (measured)"),
    "le_true": ("W m-2", "latent heat flux (true)"),
    "h_true": ("W m-2", "sensible heat flux (true)"),
}


def _day_shape(values: np.ndarray) -> np.ndarray:
    """(site, day) -> (site, day, 1) for broadcasting against the 48 half-hours."""
    return np.asarray(values, dtype=float)[:, :, None]


def virtual_towers_halfhourly(towers: xr.Dataset, *, seed: int = 0, noise: float | None = None) -> xr.Dataset:
    """Disaggregate daily virtual towers into half-hourly series that keep every daily mean.

    Parameters
    ----------
    towers : xarray.Dataset
        Output of :func:`~workbench.data.virtual_towers` (dimensions
        ``(site, time)``, daily time steps).
    seed : int, default 0
        Seed of the half-hourly measurement errors.
    noise : float, optional
        Relative random error of ``le`` and ``h`` [1]; defaults to the daily
        towers' ``noise`` attribute. The error standard deviation is
        ``5 W m-2 + noise * |flux|`` (Richardson et al. 2006).

    Returns
    -------
    xarray.Dataset
        Dimensions ``(site, time)`` with 48 half-hours per day; ``time`` marks
        the start of each half-hour in local mean solar time. Variables
        ``rs``, ``sw_in_pot``, ``rn``, ``g``, ``tmean``, ``vpd``, ``ea``,
        ``rh``, ``wind``, ``pressure``, ``precip`` (rate), ``lai``, measured
        ``le``, ``h`` and the truth ``le_true``, ``h_true`` [W m-2], with the
        site coordinates and ``closure`` of the daily towers.

    Notes
    -----
    Radiation: :math:`R_s(t) = \\bar R_s\\, R_a(t) / \\bar R_a` with the
    half-hourly extraterrestrial radiation :math:`R_a(t)` (FAO-56 Eq. 28),
    :math:`R_n(t) = \\bar R_n + (1-\\alpha)(R_s(t) - \\bar R_s)`,
    :math:`G(t) = \\bar G + 0.1 (R_n(t) - \\bar R_n)`. Temperature:
    :math:`T(t) = \\bar T + \\tfrac12 (T_{max} - T_{min}) \\cos(2\\pi (t - 15\\,h)/24\\,h)`.
    True LE: :math:`\\overline{LE}\\,(0.05 + 0.95\\, A^+(t)/\\overline{A^+})` with
    :math:`A^+ = \\max(R_n - G, 0)` in day-time and 0 at night; true H = :math:`R_n - G - LE`.

    Examples
    --------
    >>> from workbench.data import virtual_land, virtual_towers
    >>> land = virtual_land(lat=(40, 44), lon=(0, 4), start="2020-06-01", end="2020-06-03")
    >>> daily = virtual_towers(land, n_sites=2, seed=1)
    >>> hh = virtual_towers_halfhourly(daily)
    >>> daily_le = hh.le_true.resample(time="1D").mean()
    >>> hh.sizes["time"], bool(abs(daily_le - daily.le_true).max() < 1e-3)
    (144, True)
    """
    from ..physics import extraterrestrial_radiation_hourly, saturation_vapour_pressure

    missing = [v for v in ("rs", "rn", "g", "tmean", "tmin", "tmax", "ea", "wind", "pressure", "precip", "lai", "le_true", "closure") if v not in towers]
    if missing:
        raise ValueError(f"towers is missing the variables {missing}; pass the output of virtual_towers()")
    times = towers.indexes["time"]
    if times.size > 1 and not (np.diff(times.values) == np.timedelta64(1, "D")).all():
        raise ValueError(f"towers 'time' must be daily and regular; got steps {sorted(set(np.diff(times.values).astype('timedelta64[h]').tolist()))[:5]}")
    noise = float(towers.attrs.get("noise", 0.1) if noise is None else noise)
    n_site, n_day, n = towers.sizes["site"], times.size, HALF_HOUR_STEPS
    hour_mid = (np.arange(n) + 0.5) * 24.0 / n
    doy = times.dayofyear.to_numpy()
    lat = towers["lat"].values.astype(float)[:, None, None]
    lon = towers["lon"].values.astype(float)[:, None, None]
    ra = np.asarray(extraterrestrial_radiation_hourly(np.broadcast_to(lat, (n_site, n_day, n)), lon, doy[None, :, None], hour_mid[None, None, :], lon, period=24.0 / n))
    ra = np.maximum(ra, 0.0) * 1e6 / (86400.0 / n)  # MJ m-2 per half-hour -> W m-2
    ra_mean = ra.mean(axis=2, keepdims=True)
    rng = np.random.default_rng([seed, 48])
    shape = (n_site, n_day, n)

    sky = 1.0 + 0.05 * rng.standard_normal(shape)  # passing clouds, renormalised to keep the daily mean
    weight = ra * sky
    weight = weight / np.where(weight.mean(axis=2, keepdims=True) > 0, weight.mean(axis=2, keepdims=True), 1.0)
    rs = _day_shape(towers["rs"].values) * np.where(ra_mean > 0, weight, 0.0)
    rn_day, g_day, rs_day = (_day_shape(towers[v].values) for v in ("rn", "g", "rs"))
    rn_true = rn_day + (1.0 - _ALBEDO) * (rs - rs_day)
    g = g_day + _G_FRACTION * (rn_true - rn_day)
    avail = rn_true - g
    pos = np.where(rs > 0, np.maximum(avail, 0.0), 0.0)  # day-time available energy
    pos_mean = pos.mean(axis=2, keepdims=True)
    le_day = np.maximum(_day_shape(towers["le_true"].values), 0.0)
    share = np.where(pos_mean > 0, pos / np.where(pos_mean > 0, pos_mean, 1.0), 1.0)
    le_true = le_day * (_NIGHT_LE_FRACTION + (1.0 - _NIGHT_LE_FRACTION) * share)
    h_true = avail - le_true

    phase = np.cos(2.0 * np.pi * (hour_mid - 15.0) / 24.0)[None, None, :]
    tmean = _day_shape(towers["tmean"].values) + 0.5 * (_day_shape(towers["tmax"].values) - _day_shape(towers["tmin"].values)) * phase
    ea = np.broadcast_to(_day_shape(towers["ea"].values), shape)
    es = np.asarray(saturation_vapour_pressure(tmean))
    ea = np.minimum(ea, es)
    vpd = es - ea
    wind = _day_shape(towers["wind"].values) * (1.0 + 0.35 * np.cos(2.0 * np.pi * (hour_mid - 14.0) / 24.0))[None, None, :]

    closure = towers["closure"].values.astype(float)[:, None, None]
    measured = {}
    for name, true in (("le", le_true), ("h", h_true)):
        sigma = 5.0 + noise * np.abs(true)
        measured[name] = closure * true + sigma * rng.standard_normal(shape)
    sensor = {
        "rs": rs * (1.0 + 0.02 * rng.standard_normal(shape)) * (rs > 0),
        "rn": rn_true + (2.0 + 0.02 * np.abs(rn_true)) * rng.standard_normal(shape),
        "tmean": tmean + 0.1 * rng.standard_normal(shape),
        "wind": np.maximum(wind + 0.1 * rng.standard_normal(shape), 0.05),
    }
    data = {
        "rs": sensor["rs"],
        "sw_in_pot": ra,
        "rn": sensor["rn"],
        "g": g,
        "tmean": sensor["tmean"],
        "vpd": vpd,
        "ea": ea,
        "rh": np.clip(100.0 * ea / es, 0.0, 100.0),
        "wind": sensor["wind"],
        "pressure": np.broadcast_to(_day_shape(towers["pressure"].values), shape),
        "precip": np.broadcast_to(_day_shape(towers["precip"].values), shape),
        "lai": np.broadcast_to(_day_shape(towers["lai"].values), shape),
        "le": measured["le"],
        "h": measured["h"],
        "le_true": le_true,
        "h_true": h_true,
    }
    time = pd.date_range(times[0], periods=n_day * n, freq=f"{24 * 60 // n}min")
    out = xr.Dataset(coords={"time": ("time", time, {"standard_name": "time", "long_name": "start of the half-hour (local mean solar time)"})})
    out = out.assign_coords({c: towers[c] for c in towers.coords if towers[c].dims == ("site",)})
    for name, values in data.items():
        units, long_name = _ATTRS[name]
        out[name] = (("site", "time"), np.ascontiguousarray(values, dtype=np.float64).reshape(n_site, n_day * n), {"units": units, "long_name": long_name})
    out["closure"] = towers["closure"]
    out.attrs = {
        "title": "Virtual flux towers, half-hourly",
        "source": "workbench.data.virtual_towers_halfhourly (diurnal disaggregation of workbench.data.virtual_towers)",
        "seed": seed,
        "noise": noise,
    }
    return out
