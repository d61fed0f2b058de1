"""Fine-resolution forcing with sub-grid realism: the known truth of the downscaling study.

:func:`fine_forcing` generates daily forcing on a fine lat/lon grid (default
0.05 degrees) over a terrain whose elevation has a power-law spectrum down to
the grid scale. What a coarse grid cannot carry is made explicit:

* **temperature** follows a lapse rate that varies with season and weather,
  sun-facing slopes are warmer, valleys collect cold air on clear nights
  (lower ``tmin``) and the sea damps the seasonal and synoptic swings;
* **shortwave radiation** is terrain shaded: the direct beam scales with the
  cosine of the incidence angle on the slope at solar noon, the diffuse part
  with the sky-view factor; orographic cloud on windward slopes dims it;
* **precipitation** is enhanced on windward slopes and with height
  (orographic lift of the prevailing westerly flow) and carries small
  convective cells;
* **wind** speeds up on ridges, over the sea and open land, and slows in
  valleys and over forest (roughness);
* **land cover and coast**: a land-sea mask, climate-driven land cover (the
  virtual land's classes, which change with altitude) and a marine influence
  that decays inland.

The large-scale weather is the virtual land's machinery (its travelling
synoptic waves, seasonal climatology, counter-based random numbers and
land-cover table), evaluated at fine coordinates, plus travelling mesoscale
waves. :func:`virtual_land` itself is untouched: its outputs do not change.
Every field is a deterministic function of the seed and of the cells'
coordinates (smoothing filters aside, which see the box), so two boxes are two
windows onto the same world: a model trained on one can be tested on another.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr
from scipy import ndimage

from .. import physics
from .landcover import LAND_COVER
from .virtual_land import _W_PER_MJ_DAY, VARIABLE_ATTRS, _axis, _cell_keys, _hash_normal, _land_cover_maps, _smooth_field, _synoptic

__all__ = ["fine_forcing", "FINE_FORCING_VARIABLES", "FINE_STATIC_VARIABLES", "topographic_position", "marine_influence",
           "TPI_SCALE_DEG", "MARINE_SCALE_DEG"]

#: The dynamic variables of :func:`fine_forcing` (all ``(time, lat, lon)``).
FINE_FORCING_VARIABLES = ("tmean", "tmin", "tmax", "rs", "precip", "wind", "ea")
#: The static maps of :func:`fine_forcing` (``(lat, lon)``).
FINE_STATIC_VARIABLES = ("elevation", "slope", "aspect", "land_cover", "land_fraction", "albedo")

_STATIC_ATTRS = {
    "elevation": {"units": "m", "long_name": "surface elevation", "standard_name": "surface_altitude"},
    "slope": {"units": "degree", "long_name": "terrain slope"},
    "aspect": {"units": "degree", "long_name": "terrain aspect (direction the slope faces, clockwise from north)"},
    "land_cover": {"units": "1", "long_name": "land-cover class (0 water)"},
    "land_fraction": {"units": "1", "long_name": "land-sea mask (1 land, 0 sea)", "standard_name": "land_area_fraction"},
    "albedo": {"units": "1", "long_name": "surface albedo", "standard_name": "surface_albedo"},
}
_KM_PER_DEG = 111.195
_WATER_ALBEDO = 0.06
#: Prevailing (westerly) flow direction used for windward slopes: unit vector (east, north).
_FLOW = np.array([np.cos(np.deg2rad(-15.0)), np.sin(np.deg2rad(-15.0))])


def _fractal(seed: int, stream: int, lat2: np.ndarray, lon2: np.ndarray, *, n_waves: int = 260,
             wavelengths=(0.1, 6.0), hurst: float = 0.5) -> np.ndarray:
    """Unit-variance random field with a power-law spectrum: seeded plane waves, log-uniform wavelengths.

    With wavenumbers log-uniform in ``k`` and amplitudes ``~ k**-hurst`` the
    radially integrated power spectrum falls as ``k**-(2 hurst + 1)``
    (``k**-2`` for the default ``hurst=0.5``), the range observed for real terrain
    (e.g. Huang & Turcotte 1989).
    """
    rng = np.random.default_rng([seed, stream])
    lo, hi = np.log(wavelengths[0]), np.log(wavelengths[1])
    wl = np.exp(rng.uniform(lo, hi, n_waves))
    angle = rng.uniform(0, 2 * np.pi, n_waves)
    phase = rng.uniform(0, 2 * np.pi, n_waves)
    amp = wl**hurst
    x = lon2 * np.cos(np.deg2rad(lat2))  # roughly isotropic in km
    field = np.zeros_like(lat2, dtype=float)
    for w, a, ph, am in zip(wl, angle, phase, amp):
        k = 2 * np.pi / w
        field += am * np.cos(k * (np.cos(a) * x + np.sin(a) * lat2) + ph)
    return field / np.sqrt(0.5 * np.sum(amp**2))


#: Width of the surroundings of the topographic position index [degrees] (about 15 km).
TPI_SCALE_DEG = 0.15
#: Width of the sea-fraction window of the marine influence [degrees] (about 30 km).
MARINE_SCALE_DEG = 0.3


def topographic_position(elevation: np.ndarray, cells: float) -> np.ndarray:
    """Topographic position index [m]: height above a Gaussian-smoothed surface of ``cells`` grid cells.

    Positive on ridges (windy, exposed), negative in valleys (cold-air pooling);
    Weiss (2001), Topographic position and landforms analysis, ESRI User Conference.
    """
    return elevation - ndimage.gaussian_filter(np.asarray(elevation, dtype=float), sigma=cells, mode="nearest")


def marine_influence(sea_fraction: np.ndarray, cells: float) -> np.ndarray:
    """Sea fraction [1] within a Gaussian window of ``cells`` grid cells: damps temperature swings, speeds up wind."""
    return ndimage.gaussian_filter(sea_fraction, sigma=cells, mode="nearest")


def _terrain(lat2: np.ndarray, lon2: np.ndarray, resolution: float, seed: int) -> dict[str, np.ndarray]:
    coast = _smooth_field(seed, 101, lat2, lon2, n_modes=6, wavelength_deg=9.0) + 0.25 * _fractal(seed, 102, lat2, lon2, n_waves=80, wavelengths=(0.3, 4.0))
    land = coast > -0.55
    chains = 1.0 - np.abs(_smooth_field(seed, 103, lat2, lon2, n_modes=6, wavelength_deg=5.0))  # ridged mountain chains
    relief = _fractal(seed, 104, lat2, lon2)
    inland = np.clip((coast + 0.55) / 0.6, 0.0, 1.0)
    z = inland * (150.0 + 1700.0 * np.clip(chains, 0, None) ** 2 * (1.0 + 0.5 * relief) + 250.0 * relief)
    z = np.where(land, np.clip(z, 1.0, 4000.0), 0.0)
    dy = resolution * _KM_PER_DEG * 1000.0
    dx = dy * np.cos(np.deg2rad(lat2))
    gy, gx = np.gradient(z, axis=0), np.gradient(z, axis=1)
    gy, gx = gy / dy, gx / dx  # m per m, northward and eastward
    slope = np.degrees(np.arctan(np.hypot(gx, gy)))
    aspect = np.degrees(np.arctan2(-gx, -gy)) % 360.0
    tpi = topographic_position(z, TPI_SCALE_DEG / resolution)
    upslope = np.clip(gx * _FLOW[0] + gy * _FLOW[1], 0.0, None)  # windward rise per metre along the flow
    marine = marine_influence((~land).astype(float), MARINE_SCALE_DEG / resolution)
    return {"elevation": z, "land": land, "slope": slope, "aspect": aspect, "tpi": tpi, "upslope": upslope, "marine": marine}


def _travelling(seed: int, day: np.ndarray, lat2: np.ndarray, lon2: np.ndarray, n_waves: int = 6) -> np.ndarray:
    """Mesoscale weather: eastward-travelling waves of 1.5-5 degrees, (time, lat, lon), unit-ish amplitude."""
    rng = np.random.default_rng([seed, 111])
    out = np.zeros((day.size,) + lat2.shape)
    t = day.astype(float)[:, None, None]
    for _ in range(n_waves):
        k = 2 * np.pi / rng.uniform(1.5, 5.0)
        a = rng.uniform(-0.6, 0.6)
        speed = rng.uniform(2.0, 6.0)
        phase = rng.uniform(0, 2 * np.pi)
        out += np.cos(k * (np.cos(a) * (lon2 - speed * t) + np.sin(a) * lat2) + phase + 0.7 * np.sin(0.05 * t))
    return out / np.sqrt(n_waves / 2.0)


def _small_noise(seed: int, stream: int, dkey, klat, klon, cells: float) -> np.ndarray:
    """Unit-variance noise correlated over ``cells`` fine cells (hashed per cell and day, then smoothed)."""
    noise = ndimage.gaussian_filter(_hash_normal(seed, stream, dkey, klat, klon), sigma=(0, cells, cells), mode="nearest")
    return noise / max(float(noise.std()), 1e-12)


def _simulate(lat: np.ndarray, lon: np.ndarray, resolution: float, time: pd.DatetimeIndex, seed: int) -> dict[str, np.ndarray]:
    lat2, lon2 = np.meshgrid(lat, lon, indexing="ij")
    terrain = _terrain(lat2, lon2, resolution, seed)
    z, land, marine = terrain["elevation"], terrain["land"], terrain["marine"]
    klat, klon = _cell_keys(lat2, lon2)
    day = ((time - pd.Timestamp("2000-01-01")) // pd.Timedelta("1D")).to_numpy()
    doy = time.dayofyear.to_numpy()[:, None, None]
    dkey = day[:, None, None]

    moisture = 1.0 / (1.0 + np.exp(-(1.2 * _smooth_field(seed, 3, lat2, lon2, 6, 30.0) + 0.02 * (np.abs(lat2) - 35.0) + 1.5 * marine)))
    t_sea_level = 27.0 - 0.45 * np.maximum(np.abs(lat2) - 10.0, 0.0)
    cover = _land_cover_maps(moisture, t_sea_level - 0.0065 * z)
    land_cover = np.where(land, cover["land_cover"], 0)
    albedo = np.where(land, cover["albedo"], _WATER_ALBEDO)
    forest = land & (cover["canopy_height"] > 10.0)

    weather = _synoptic(seed, day, lat2, lon2)
    meso = _travelling(seed, day, lat2, lon2)
    upslope = terrain["upslope"] / 0.05  # ~1 on a 5 % windward slope
    oro_cloud = 0.6 * np.tanh(upslope) + 0.25 * z / 1000.0
    cloud = 1.0 / (1.0 + np.exp(-(1.3 * weather + 0.9 * meso + oro_cloud + 2.5 * (moisture - 0.5))))

    # Shortwave: horizontal from the virtual land's transmissivity, then terrain shading (noon geometry).
    ra = physics.extraterrestrial_radiation(np.broadcast_to(lat2, (time.size,) + lat2.shape), doy)
    rso = physics.clear_sky_radiation(ra, z)
    rs_h = np.minimum(ra * (0.25 + 0.50 * (1.0 - cloud)), rso)
    decl = physics.solar_declination(doy)
    zenith = np.abs(np.deg2rad(lat2) - decl)  # noon zenith angle
    s, asp = np.deg2rad(terrain["slope"]), np.deg2rad(terrain["aspect"])
    sun_azimuth = np.where(np.deg2rad(lat2) >= decl, np.pi, 0.0)  # the sun stands south of cells north of it
    cos_i = np.cos(s) * np.cos(zenith) + np.sin(s) * np.sin(zenith) * np.cos(asp - sun_azimuth)
    direct_factor = 1.0 + 0.75 * (np.clip(cos_i, 0.0, None) / np.maximum(np.cos(zenith), 0.1) - 1.0)
    diffuse = 0.15 + 0.7 * cloud
    sky_view = 0.5 * (1.0 + np.cos(s))
    rs_mj = rs_h * ((1.0 - diffuse) * direct_factor + diffuse * sky_view)

    # Temperature: sea-level climate, marine damping, lapse rate, sunny slopes, cold-air pooling.
    hemisphere = np.where(lat2 >= 0, 1.0, -1.0)
    season = -np.cos(2 * np.pi * (doy - 20.0) / 365.25) * hemisphere
    damp = 1.0 - 0.55 * marine
    amplitude = (3.0 + 0.28 * np.abs(lat2) * (1.2 - 0.6 * moisture)) * damp
    lapse = (6.0 + 0.8 * season + 0.5 * np.tanh(weather)) / 1000.0  # K per m
    tmean = (t_sea_level + 1.5 * marine + amplitude * season + (2.5 * weather + 1.2 * meso) * damp - lapse * z
             + 2.5 * (direct_factor - 1.0) * (1.0 - cloud) + 0.25 * _small_noise(seed, 121, dkey, klat, klon, 1.5))
    dtr = (5.0 + 9.0 * (1.0 - cloud) * (1.0 - 0.5 * moisture)) * (1.0 - 0.6 * marine)
    pooling = np.clip(-terrain["tpi"] / 60.0, 0.0, 3.0) * (1.0 - cloud) * 2.0  # K colder at night in valleys
    tmin = tmean - 0.5 * dtr - pooling
    tmax = tmean + 0.5 * dtr + 0.3 * pooling

    # Humidity: vapour pressure from the dew point, which falls with height more slowly than temperature.
    t_dew = np.minimum(tmin + 1.0 - 4.0 * (1.0 - moisture) - 3.0 * (1.0 - cloud) + 2.0 * marine, tmean)
    ea = physics.saturation_vapour_pressure(t_dew)

    # Precipitation: large-scale rate from cloud, orographic enhancement, convective cells.
    intensity = 2.0 + 10.0 * moisture
    rate = intensity * np.clip(cloud - 0.5, 0.0, None) * 3.0
    orographic = 1.0 + 1.6 * np.tanh(upslope) + 0.35 * z / 1000.0
    cells = np.exp(0.55 * _small_noise(seed, 126, dkey, klat, klon, 1.2) - 0.5 * 0.55**2)
    precip = rate * orographic * cells

    # Wind: large-scale speed, exposure (ridges up, valleys down), roughness (forest down, sea up).
    speed = 1.5 + 1.2 * np.abs(weather) + 0.8 * np.abs(meso) + 0.5 * _smooth_field(seed, 4, lat2, lon2, 5, 12.0) ** 2
    exposure = np.exp(np.clip(terrain["tpi"], -300, 300) / 250.0 + 0.12 * z / 1000.0)
    roughness = np.where(~land, 1.35, np.where(forest, 0.7, 1.0)) * (1.0 + 0.25 * marine)
    wind = np.clip(speed * exposure * roughness, 0.3, 30.0)

    return {
        "tmean": tmean, "tmin": tmin, "tmax": tmax, "rs": rs_mj * _W_PER_MJ_DAY, "precip": precip, "wind": wind, "ea": ea,
        "elevation": z, "slope": terrain["slope"], "aspect": terrain["aspect"], "land_cover": land_cover,
        "land_fraction": land.astype(float), "albedo": albedo,
    }


def fine_forcing(
    *,
    lat: tuple[float, float] = (44.0, 48.0),
    lon: tuple[float, float] = (4.0, 8.0),
    resolution: float = 0.05,
    start: str = "2020-01-01",
    end: str = "2020-03-31",
    seed: int = 42,
    dtype: str = "float32",
) -> xr.Dataset:
    """Generate fine-resolution daily forcing over realistic terrain: the truth a downscaler should recover.

    Parameters
    ----------
    lat, lon : tuple of float
        Bounds of the box [degrees_north, degrees_east]; cells are centred inside them.
    resolution : float, default 0.05
        Grid spacing [degrees] (0.05 degrees is about 5.6 km).
    start, end : str
        First and last day (inclusive).
    seed : int, default 42
        The same seed gives the same world.
    dtype : str, default "float32"
        Storage type of the variables.

    Returns
    -------
    xarray.Dataset
        ``tmean``, ``tmin``, ``tmax`` [degC], ``rs`` [W m-2], ``precip``
        [mm d-1], ``wind`` [m s-1], ``ea`` [kPa] on ``(time, lat, lon)``;
        maps ``elevation`` [m], ``slope``, ``aspect`` [degree],
        ``land_cover`` (0 water, otherwise the codes of
        :data:`~workbench.data.LAND_COVER`), ``land_fraction`` [1] and
        ``albedo`` [1]. CF ``units`` and ``long_name`` on every variable.

    Notes
    -----
    Clear-sky and extraterrestrial radiation are FAO-56 Eqs. 21 and 37
    (:mod:`workbench.physics`); the direct beam on a slope uses the incidence
    angle at solar noon, ``cos i = cos s cos Z + sin s sin Z cos(aspect - azimuth)``
    (Iqbal 1983), damped to a daily mean; the terrain spectrum follows a power
    law (Huang & Turcotte 1989); orographic precipitation scales with the
    windward slope as in the upslope model of Smith (1979).

    Examples
    --------
    >>> fine = fine_forcing(lat=(44, 45), lon=(4, 5), start="2020-07-01", end="2020-07-03")
    >>> fine.sizes["time"], fine.sizes["lat"], fine.sizes["lon"]
    (3, 20, 20)
    >>> bool((fine.precip >= 0).all() and (fine.rs >= 0).all())
    True
    """
    lat_c = _axis(lat, resolution, "lat", 90.0)
    lon_c = _axis(lon, resolution, "lon", 360.0)
    time = pd.date_range(start, end, freq="D")
    if time.size == 0:
        raise ValueError(f"the period start={start!r} .. end={end!r} contains no day")
    block = _simulate(lat_c, lon_c, float(resolution), time, seed)
    ds = xr.Dataset(coords={"time": time, "lat": lat_c, "lon": lon_c})
    for name in FINE_FORCING_VARIABLES:
        ds[name] = (("time", "lat", "lon"), block[name].astype(dtype), dict(VARIABLE_ATTRS[name]))
    ds["tmean"].attrs["long_name"] = "daily mean air temperature"
    for name in FINE_STATIC_VARIABLES:
        values = block[name] if name == "land_cover" else block[name].astype(dtype)
        ds[name] = (("lat", "lon"), values, dict(_STATIC_ATTRS[name]))
    ds["land_cover"].attrs.update(flag_values=np.r_[0, LAND_COVER["code"].to_numpy()], flag_meanings="WAT " + " ".join(LAND_COVER.index))
    ds["lat"].attrs = {"units": "degrees_north", "standard_name": "latitude", "long_name": "latitude"}
    ds["lon"].attrs = {"units": "degrees_east", "standard_name": "longitude", "long_name": "longitude"}
    ds["time"].attrs = {"standard_name": "time", "long_name": "time"}
    ds.attrs = {
        "title": "Fine-resolution forcing over realistic terrain (downscaling truth)",
        "source": "workbench.data.fine_forcing",
        "seed": seed,
        "resolution_deg": float(resolution),
        "Conventions": "CF-1.10",
    }
    return ds
