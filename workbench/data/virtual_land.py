"""The virtual land: a deterministic gridded daily world with known "true" fluxes.

Every study's default data. Weather comes from travelling synoptic waves on
top of a seasonal climatology; land cover follows climate; the "true" latent
heat flux is Penman-Monteith with a Jarvis-type surface conductance limited by
a soil-water bucket, so the truth is physically consistent (the energy
balance ``rn = le + h + g`` closes exactly) and exactly known.

Everything is a function of the seed and of the cells' coordinates, never of
how the grid is cut into chunks: a dask-backed world built chunk by chunk is
identical to the one built in memory.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .. import physics
from .landcover import LAND_COVER

__all__ = ["virtual_land", "VARIABLE_ATTRS"]

_W_PER_MJ_DAY = 1e6 / 86400.0

VARIABLE_ATTRS: dict[str, dict[str, str]] = {
    "rs": {"units": "W m-2", "long_name": "incoming shortwave radiation", "standard_name": "surface_downwelling_shortwave_flux_in_air"},
    "rn": {"units": "W m-2", "long_name": "net radiation", "standard_name": "surface_net_downward_radiative_flux"},
    "g": {"units": "W m-2", "long_name": "ground heat flux", "standard_name": "downward_heat_flux_in_soil"},
    "tmean": {"units": "degC", "long_name": "daily mean air temperature", "standard_name": "air_temperature"},
    "tmin": {"units": "degC", "long_name": "daily minimum air temperature", "standard_name": "air_temperature", "cell_methods": "time: minimum"},
    "tmax": {"units": "degC", "long_name": "daily maximum air temperature", "standard_name": "air_temperature", "cell_methods": "time: maximum"},
    "rh": {"units": "%", "long_name": "relative humidity", "standard_name": "relative_humidity"},
    "vpd": {"units": "kPa", "long_name": "vapour pressure deficit", "standard_name": "water_vapor_saturation_deficit_in_air"},
    "ea": {"units": "kPa", "long_name": "actual vapour pressure", "standard_name": "water_vapor_partial_pressure_in_air"},
    "wind": {"units": "m s-1", "long_name": "wind speed at 2 m", "standard_name": "wind_speed"},
    "pressure": {"units": "kPa", "long_name": "air pressure", "standard_name": "surface_air_pressure"},
    "precip": {"units": "mm d-1", "long_name": "precipitation", "standard_name": "precipitation_amount"},
    "lai": {"units": "m2 m-2", "long_name": "leaf area index", "standard_name": "leaf_area_index"},
    "soil_water": {"units": "mm", "long_name": "root-zone soil water (start of day)"},
    "water_stress": {"units": "1", "long_name": "soil-water stress factor (1 = unstressed)"},
    "r_surface": {"units": "s m-1", "long_name": "surface (canopy) resistance"},
    "r_aero": {"units": "s m-1", "long_name": "aerodynamic resistance"},
    "le": {"units": "W m-2", "long_name": "latent heat flux (true)", "standard_name": "surface_upward_latent_heat_flux"},
    "h": {"units": "W m-2", "long_name": "sensible heat flux (true)", "standard_name": "surface_upward_sensible_heat_flux"},
    "et": {"units": "mm d-1", "long_name": "evapotranspiration (true)", "standard_name": "water_evapotranspiration_flux"},
}
_STATIC_ATTRS = {
    "elevation": {"units": "m", "long_name": "surface elevation", "standard_name": "surface_altitude"},
    "land_cover": {"units": "1", "long_name": "land-cover class"},
    "albedo": {"units": "1", "long_name": "surface albedo", "standard_name": "surface_albedo"},
    "whc": {"units": "mm", "long_name": "root-zone water-holding capacity"},
    "moisture_index": {"units": "1", "long_name": "climatic moisture index (0 dry, 1 wet)"},
}
_DYNAMIC = tuple(VARIABLE_ATTRS)
_STATIC = tuple(_STATIC_ATTRS)


# --- deterministic fields ---------------------------------------------------------------

def _hash_uniform(seed: int, stream: int, *keys: np.ndarray) -> np.ndarray:
    """Counter-based uniform(0, 1) numbers: a splitmix64 hash of (seed, stream, keys).

    Being a pure function of integer keys, the numbers do not depend on the
    order or chunking in which cells are generated.
    """
    with np.errstate(over="ignore"):
        x = np.uint64(seed * 0x9E3779B97F4A7C15 % 2**64) ^ np.uint64(stream * 0xBF58476D1CE4E5B9 % 2**64)
        for i, key in enumerate(keys):
            x = x + np.asarray(key, dtype=np.int64).astype(np.uint64) * np.uint64((0x94D049BB133111EB * (i + 1)) % 2**64)
            x = x ^ (x >> np.uint64(30))
            x = x * np.uint64(0xBF58476D1CE4E5B9)
            x = x ^ (x >> np.uint64(27))
            x = x * np.uint64(0x94D049BB133111EB)
            x = x ^ (x >> np.uint64(31))
    return (x >> np.uint64(11)).astype(np.float64) / float(2**53) + 0.5 / 2**53


def _hash_normal(seed: int, stream: int, *keys: np.ndarray) -> np.ndarray:
    u1 = _hash_uniform(seed, stream, *keys)
    u2 = _hash_uniform(seed, stream + 7919, *keys)
    return np.sqrt(-2.0 * np.log(u1)) * np.cos(2.0 * np.pi * u2)


def _smooth_field(seed: int, stream: int, lat2: np.ndarray, lon2: np.ndarray, n_modes: int = 6, wavelength_deg: float = 25.0) -> np.ndarray:
    """A smooth random field of unit-ish amplitude: a sum of seeded plane waves in lat/lon."""
    rng = np.random.default_rng([seed, stream])
    field = np.zeros_like(lat2, dtype=float)
    for _ in range(n_modes):
        k = 2 * np.pi / (wavelength_deg * rng.uniform(0.5, 2.0))
        angle = rng.uniform(0, 2 * np.pi)
        phase = rng.uniform(0, 2 * np.pi)
        field += np.cos(k * (np.cos(angle) * lon2 + np.sin(angle) * lat2) + phase)
    return field / np.sqrt(n_modes / 2.0)


def _cell_keys(lat: np.ndarray, lon: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    # Integer keys from coordinates (milli-degrees), independent of grid origin and chunking.
    return np.round((lat + 90.0) * 1000).astype(np.int64), np.round((lon + 360.0) * 1000).astype(np.int64)


def _static_maps(lat: np.ndarray, lon: np.ndarray, seed: int) -> dict[str, np.ndarray]:
    lat2, lon2 = np.meshgrid(lat, lon, indexing="ij")
    ridge = _smooth_field(seed, 1, lat2, lon2, n_modes=8, wavelength_deg=18.0)
    elevation = np.clip(350.0 + 650.0 * ridge + 250.0 * _smooth_field(seed, 2, lat2, lon2, 6, 6.0), 0.0, 3500.0)
    moisture = 1.0 / (1.0 + np.exp(-(1.2 * _smooth_field(seed, 3, lat2, lon2, 6, 30.0) + 0.02 * (np.abs(lat2) - 35.0))))
    t_annual = 27.0 - 0.45 * np.maximum(np.abs(lat2) - 10.0, 0.0) - 0.0065 * elevation
    return {"elevation": elevation, "moisture_index": moisture, "t_annual": t_annual, **_land_cover_maps(moisture, t_annual)}


def _land_cover_maps(moisture: np.ndarray, t_annual: np.ndarray) -> dict[str, np.ndarray]:
    """Land-cover class (from climate: moisture index and annual temperature) and its parameter maps."""
    names = np.empty(moisture.shape, dtype=object)
    names[:] = "GRA"
    names[(moisture > 0.55) & (t_annual < 8.0)] = "ENF"
    names[(moisture > 0.55) & (t_annual >= 8.0)] = "DBF"
    names[(moisture > 0.40) & (moisture <= 0.55)] = "CRO"
    names[(moisture <= 0.30) & (t_annual >= 15.0)] = "SAV"
    names[(moisture <= 0.22)] = "SHR"
    table = LAND_COVER.loc[names.ravel()]
    shape = moisture.shape
    return {
        "land_cover": table["code"].to_numpy().reshape(shape),
        "albedo": table["albedo"].to_numpy(dtype=float).reshape(shape),
        "whc": table["whc"].to_numpy(dtype=float).reshape(shape),
        "canopy_height": table["canopy_height"].to_numpy(dtype=float).reshape(shape),
        "lai_min": table["lai_min"].to_numpy(dtype=float).reshape(shape),
        "lai_max": table["lai_max"].to_numpy(dtype=float).reshape(shape),
        "g_max": table["g_max"].to_numpy(dtype=float).reshape(shape),
        "evergreen": table["evergreen"].to_numpy(dtype=bool).reshape(shape),
    }


def _synoptic(seed: int, day: np.ndarray, lat2: np.ndarray, lon2: np.ndarray, n_waves: int = 5) -> np.ndarray:
    """Eastward-travelling weather systems: (time, lat, lon) anomaly of unit-ish amplitude."""
    rng = np.random.default_rng([seed, 11])
    out = np.zeros((day.size,) + lat2.shape)
    t = day.astype(float)[:, None, None]
    for _ in range(n_waves):
        k_lon = 2 * np.pi / rng.uniform(15.0, 40.0)
        k_lat = 2 * np.pi / rng.uniform(20.0, 60.0)
        speed = rng.uniform(4.0, 9.0)  # degrees longitude per day
        phase = rng.uniform(0, 2 * np.pi)
        out += np.cos(k_lon * (lon2 - speed * t) + phase) * np.cos(k_lat * lat2 + 0.3 * phase)
    return out / np.sqrt(n_waves / 4.0)


# --- the simulation of one block of cells -------------------------------------------------

def _simulate_block(lat: np.ndarray, lon: np.ndarray, time: pd.DatetimeIndex, seed: int) -> dict[str, np.ndarray]:
    """Forcing and true fluxes for a (time, lat, lon) block; the core of :func:`virtual_land`."""
    static = _static_maps(lat, lon, seed)
    lat2, lon2 = np.meshgrid(lat, lon, indexing="ij")
    klat, klon = _cell_keys(lat2, lon2)
    day = ((time - pd.Timestamp("2000-01-01")) // pd.Timedelta("1D")).to_numpy()
    doy = time.dayofyear.to_numpy()
    dkey = day[:, None, None]
    shape3 = (time.size,) + lat2.shape
    moisture = static["moisture_index"]

    weather = _synoptic(seed, day, lat2, lon2)
    local = 0.35 * _hash_normal(seed, 21, dkey, klat, klon)
    cloud = 1.0 / (1.0 + np.exp(-(1.4 * (weather + local) + 2.5 * (moisture - 0.45))))

    ra = physics.extraterrestrial_radiation(np.broadcast_to(lat2, shape3), doy[:, None, None])
    rs_mj = ra * (0.25 + 0.50 * (1.0 - cloud))
    rso = physics.clear_sky_radiation(ra, static["elevation"])
    rs_mj = np.minimum(rs_mj, rso)

    hemisphere = np.where(lat2 >= 0, 1.0, -1.0)
    amplitude = 3.0 + 0.28 * np.abs(lat2) * (1.2 - 0.6 * moisture)
    season = -np.cos(2 * np.pi * (doy[:, None, None] - 20.0) / 365.25) * hemisphere
    tmean = static["t_annual"] + amplitude * season + 2.5 * weather + 0.8 * _hash_normal(seed, 22, dkey, klat, klon)
    dtr = 5.0 + 9.0 * (1.0 - cloud) * (1.0 - 0.5 * moisture)
    tmin, tmax = tmean - dtr / 2.0, tmean + dtr / 2.0

    es = 0.5 * (physics.saturation_vapour_pressure(tmax) + physics.saturation_vapour_pressure(tmin))
    rh = np.clip(35.0 + 40.0 * moisture + 25.0 * cloud + 4.0 * _hash_normal(seed, 23, dkey, klat, klon), 12.0, 99.0)
    ea = rh / 100.0 * es
    vpd = es - ea
    wind = np.clip(1.0 + 1.2 * np.abs(_smooth_field(seed, 4, lat2, lon2, 5, 12.0)) + 1.1 * np.abs(weather) + 0.6 * _hash_normal(seed, 24, dkey, klat, klon), 0.3, 15.0)
    pressure = physics.atmospheric_pressure(static["elevation"]) + 0.8 * weather

    wet_day = _hash_uniform(seed, 25, dkey, klat, klon) < 0.9 * cloud**2.2
    intensity = 2.0 + 10.0 * moisture
    precip = np.where(wet_day, -np.log(_hash_uniform(seed, 26, dkey, klat, klon)) * intensity, 0.0)

    # Phenology: green-up with warmth (deciduous), a weak cycle for evergreen classes.
    warmth = 1.0 / (1.0 + np.exp(-(tmean - weather * 2.5 - 8.0) / 2.5))
    evergreen_cycle = 0.8 + 0.2 * warmth
    phen = np.where(static["evergreen"], evergreen_cycle, warmth)
    lai = static["lai_min"] + (static["lai_max"] - static["lai_min"]) * phen

    rns = physics.net_shortwave_radiation(rs_mj, static["albedo"])
    rnl = physics.net_longwave_radiation(tmax, tmin, ea, rs_mj, rso)
    rn = (rns - rnl) * _W_PER_MJ_DAY
    # Daily soil heat flux: a canopy-shaded fraction of net radiation (Choudhury et al. 1987).
    g = 0.08 * np.exp(-0.5 * lai) * rn

    # Jarvis-Stewart surface conductance (Stewart 1988), LAI-scaled.
    rs_w = rs_mj * _W_PER_MJ_DAY
    f_light = rs_w * (1000.0 + 200.0) / (1000.0 * (rs_w + 200.0))
    f_vpd = np.exp(-0.55 * vpd)
    t_lo, t_hi, t_opt = -2.0, 42.0, 24.0
    a = (t_hi - t_opt) / (t_opt - t_lo)
    tc = np.clip(tmean, t_lo + 1e-3, t_hi - 1e-3)
    f_temp = (tc - t_lo) * (t_hi - tc) ** a / ((t_opt - t_lo) * (t_hi - t_opt) ** a)
    f_lai = np.minimum(lai / 3.0, 1.0)
    g_unstressed = static["g_max"] * f_lai * f_light * f_vpd * np.clip(f_temp, 0.0, 1.0)
    # Wind and humidity are taken 2 m above the canopy, as towers measure them.
    z_ref = static["canopy_height"] + 2.0
    r_aero = physics.aerodynamic_resistance(wind, static["canopy_height"], z_wind=z_ref, z_humidity=z_ref)

    # Soil-water bucket: stress from the start-of-day store, then update with P - ET.
    whc = static["whc"]
    store = 0.7 * whc
    soil_water = np.empty(shape3)
    stress = np.empty(shape3)
    le = np.empty(shape3)
    et = np.empty(shape3)
    for i in range(time.size):
        soil_water[i] = store
        stress[i] = np.clip((store - 0.15 * whc) / (0.5 * whc), 0.0, 1.0)
        gs = np.maximum(g_unstressed[i] * stress[i], 1e-5) + 5e-4  # cuticular + soil floor
        le_i = np.maximum(physics.penman_monteith(rn[i], tmean[i], vpd[i], r_aero[i], 1.0 / gs, g=g[i], pressure=pressure[i]), 0.0)
        et_i = physics.le_to_et(le_i, tmean[i])
        # Transpiration cannot exceed the water present: scale LE down where the bucket empties.
        available = store + precip[i]
        scale = np.where(et_i > available, available / np.maximum(et_i, 1e-12), 1.0)
        le[i], et[i] = le_i * scale, et_i * scale
        store = np.minimum(available - et[i], whc)
    r_surface = 1.0 / (np.maximum(g_unstressed * stress, 1e-5) + 5e-4)
    h = rn - g - le

    return {
        "rs": rs_w, "rn": rn, "g": g, "tmean": tmean, "tmin": tmin, "tmax": tmax,
        "rh": rh, "vpd": vpd, "ea": ea, "wind": wind, "pressure": pressure, "precip": precip,
        "lai": lai, "soil_water": soil_water, "water_stress": stress, "r_surface": r_surface,
        "r_aero": r_aero, "le": le, "h": h, "et": et,
        **{k: static[k] for k in _STATIC},
    }


# --- public API ----------------------------------------------------------------------------

def _axis(bounds: tuple[float, float], resolution: float, name: str, limit: float) -> np.ndarray:
    lo, hi = (float(b) for b in bounds)
    if not (-limit <= lo < hi <= limit):
        raise ValueError(f"{name} bounds must satisfy -{limit} <= start < end <= {limit}; got {bounds!r}")
    n = int(round((hi - lo) / resolution))
    if n < 1:
        raise ValueError(f"{name} range {bounds!r} is smaller than one cell of resolution {resolution}")
    return np.round(lo + resolution * (np.arange(n) + 0.5), 6)


def virtual_land(
    *,
    lat: tuple[float, float] = (30.0, 60.0),
    lon: tuple[float, float] = (-10.0, 30.0),
    resolution: float = 1.0,
    start: str = "2020-01-01",
    end: str = "2020-12-31",
    seed: int = 42,
    chunks: dict[str, int] | None = None,
    dtype: str = "float32",
) -> xr.Dataset:
    """Generate the virtual land: daily forcing and true fluxes on a lat/lon grid.

    Parameters
    ----------
    lat, lon : tuple of float
        Bounds of the box [degrees_north, degrees_east]; cells are centred
        inside them.
    resolution : float, default 1.0
        Grid spacing [degrees].
    start, end : str
        First and last day (inclusive), anything :func:`pandas.date_range` reads.
    seed : int, default 42
        The same seed gives the same world, whatever the chunking.
    chunks : dict, optional
        ``{"lat": n, "lon": m}`` builds a lazy, dask-backed dataset computed
        chunk by chunk (time is always one chunk, since the soil-water bucket
        runs through it). ``None`` computes in memory.
    dtype : str, default "float32"
        Storage type of the variables.

    Returns
    -------
    xarray.Dataset
        Dimensions ``(time, lat, lon)``. Forcing: ``rs``, ``rn``, ``g``,
        ``tmean``, ``tmin``, ``tmax``, ``rh``, ``vpd``, ``ea``, ``wind``,
        ``pressure``, ``precip``, ``lai``; state: ``soil_water``,
        ``water_stress``, ``r_surface``, ``r_aero``; true fluxes ``le``,
        ``h`` and ``et`` with ``rn = le + h + g`` exactly. Maps:
        ``elevation``, ``land_cover`` (codes of :data:`LAND_COVER`),
        ``albedo``, ``whc``, ``moisture_index``. Every variable has CF
        ``units`` and ``long_name``.

    Notes
    -----
    True latent heat is the Penman-Monteith equation (Monteith 1965) with a
    Jarvis-Stewart surface conductance (Stewart 1988) limited by a soil-water
    bucket; net radiation follows FAO-56 Eqs. 37-40 from the generated
    shortwave radiation, temperature and humidity.

    Examples
    --------
    >>> land = virtual_land(lat=(40, 44), lon=(0, 4), start="2020-06-01", end="2020-06-10")
    >>> land.sizes["time"], land.sizes["lat"], land.sizes["lon"]
    (10, 4, 4)
    >>> float(abs(land.rn - land.le - land.h - land.g).max()) < 1e-3
    True
    """
    if not (isinstance(resolution, (int, float, np.number)) and np.isfinite(resolution) and resolution > 0):
        raise ValueError(f"resolution must be a positive grid spacing in degrees (e.g. 0.5); got {resolution!r}")
    lat_c = _axis(lat, resolution, "lat", 90.0)
    lon_c = _axis(lon, resolution, "lon", 360.0)
    time = pd.date_range(start, end, freq="D")
    if time.size == 0:
        raise ValueError(f"the period start={start!r} .. end={end!r} contains no day")

    if chunks is None:
        block = _simulate_block(lat_c, lon_c, time, seed)
        data = {k: ((("time", "lat", "lon") if v.ndim == 3 else ("lat", "lon")), v) for k, v in block.items()}
    else:
        data = _lazy_variables(lat_c, lon_c, time, seed, chunks)

    ds = xr.Dataset(coords={"time": time, "lat": lat_c, "lon": lon_c})
    for name in _DYNAMIC + _STATIC:
        dims, values = data[name]
        if name != "land_cover":
            values = values.astype(dtype)
        ds[name] = (dims, values, dict({**VARIABLE_ATTRS, **_STATIC_ATTRS}[name]))
    codes = LAND_COVER["code"].to_numpy()
    ds["land_cover"].attrs.update(flag_values=codes, flag_meanings=" ".join(LAND_COVER.index))
    ds["lat"].attrs = {"units": "degrees_north", "standard_name": "latitude", "long_name": "latitude"}
    ds["lon"].attrs = {"units": "degrees_east", "standard_name": "longitude", "long_name": "longitude"}
    ds["time"].attrs = {"standard_name": "time", "long_name": "time"}
    ds.attrs = {
        "title": "Virtual land: synthetic daily land-surface forcing and true fluxes",
        "source": "workbench.data.virtual_land",
        "seed": seed,
        "resolution_deg": resolution,
        "Conventions": "CF-1.10",
    }
    return ds


def _lazy_variables(lat_c, lon_c, time, seed, chunks):
    import dask.array as da

    unknown = set(chunks) - {"lat", "lon", "time"}
    if unknown:
        raise ValueError(f"chunks may name 'lat' and 'lon' only; got {sorted(unknown)}")
    if "time" in chunks and chunks["time"] not in (-1, None, time.size):
        raise ValueError("the time axis cannot be chunked: the soil-water bucket runs through it (use chunks without 'time')")
    clat = min(int(chunks.get("lat", lat_c.size)), lat_c.size)
    clon = min(int(chunks.get("lon", lon_c.size)), lon_c.size)
    names = _DYNAMIC + _STATIC
    lat_blocks = da.from_array(lat_c, chunks=clat)
    lon_blocks = da.from_array(lon_c, chunks=clon)

    def stacked(lat_block, lon_block):
        block = _simulate_block(lat_block[:, 0], lon_block[0, :], time, seed)
        return np.stack([np.broadcast_to(block[n], (time.size, lat_block.shape[0], lon_block.shape[1])) for n in names]).astype(np.float32)

    cube = da.map_blocks(
        stacked,
        lat_blocks[:, None],
        lon_blocks[None, :],
        new_axis=[0, 1],
        chunks=((len(names),), (time.size,), lat_blocks.chunks[0], lon_blocks.chunks[0]),
        dtype=np.float32,
        name=f"virtual-land-{seed}",
    )
    out = {}
    for i, name in enumerate(names):
        if name in _STATIC:
            values = cube[i, 0]
            if name == "land_cover":
                values = values.astype(np.int64)
            out[name] = (("lat", "lon"), values)
        else:
            out[name] = (("time", "lat", "lon"), cube[i])
    return out
