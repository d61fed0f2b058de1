"""Independent cross-checks: pyet 1.5.0 on the same inputs, and CGMS ET0 on real station data.

pyet is a test-only dependency (``[project.optional-dependencies] test``).
Inputs are a seeded year of realistic days; pyet wants pandas Series with a
DatetimeIndex and latitude in radians, the workbench takes arrays, day of
year and degrees.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from numpy.testing import assert_allclose

from workbench import physics

pyet = pytest.importorskip("pyet")

REAL = Path(__file__).parents[1] / ".." / "shared" / "data" / "real"

# Floating-point agreement: pyet writes 24 * 60 / pi * 0.082 as 118.08 / 3.141592654.
RTOL_SAME_FORMULA = 1e-8


@pytest.fixture(scope="module")
def days():
    rng = np.random.default_rng(20240607)
    index = pd.date_range("2021-01-01", "2021-12-31", freq="D")
    n = len(index)
    lat, elevation = 47.3, 350.0
    doy = index.dayofyear.values
    tmin = 8.0 - 10.0 * np.cos(2 * np.pi * (doy - 15) / 365) + rng.normal(0, 3, n)
    tmax = tmin + rng.uniform(3.0, 15.0, n)
    rhmax = rng.uniform(70.0, 100.0, n)
    rhmin = rhmax * rng.uniform(0.3, 0.9, n)
    ra = physics.extraterrestrial_radiation(lat, doy)
    rs = ra * rng.uniform(0.2, 0.75, n)
    return {
        "index": index,
        "doy": doy,
        "lat": lat,
        "elevation": elevation,
        "tmin": tmin,
        "tmax": tmax,
        "tmean": (tmax + tmin) / 2,
        "rhmax": rhmax,
        "rhmin": rhmin,
        "wind": rng.uniform(0.5, 6.0, n),
        "rs": rs,
        "ra": ra,
        "g": rng.normal(0.0, 0.3, n),
    }


def _series(d, key):
    return pd.Series(d[key], index=d["index"])


def test_psychrometrics_agree_with_pyet(days):
    t = days["tmean"]
    from pyet import meteo_utils as mu

    assert_allclose(physics.saturation_vapour_pressure(t), mu.calc_e0(t), rtol=1e-12)
    assert_allclose(physics.slope_saturation_vapour_pressure(t), mu.calc_vpc(t), rtol=1e-12)
    assert_allclose(physics.latent_heat_vaporisation(t), mu.calc_lambda(t), rtol=1e-12)
    assert_allclose(physics.atmospheric_pressure(days["elevation"]), mu.calc_press(days["elevation"]), rtol=1e-12)
    assert_allclose(physics.psychrometric_constant(97.0), mu.calc_psy(97.0), rtol=1e-12)
    # FAO-56 Eq. 3-5 prints 1/R = 1/0.287 rounded to 3.486, which pyet uses: 5e-4 apart
    assert_allclose(physics.air_density(t, 97.0, 1.2), mu.calc_rho(97.0, t, 1.2) / (3.486 * 0.287), rtol=1e-12)
    ea = physics.actual_vapour_pressure_from_rh(days["tmax"], days["tmin"], days["rhmax"], days["rhmin"])
    assert_allclose(
        ea, mu.calc_ea(tmax=days["tmax"], tmin=days["tmin"], rhmax=days["rhmax"], rhmin=days["rhmin"]), rtol=1e-12
    )
    wind = days["wind"]
    assert_allclose(
        physics.aerodynamic_resistance(wind, 0.5, z_wind=3.0, z_humidity=2.5),
        mu.calc_res_aero(wind, croph=0.5, zw=3.0, zh=2.5, ra_method=1),
        rtol=2e-3,  # pyet rounds d = 2/3 h to 0.667 h
    )


def test_radiation_agrees_with_pyet(days):
    from pyet import meteo_utils as mu

    lat_rad = np.deg2rad(days["lat"])
    assert_allclose(days["ra"], mu.extraterrestrial_r(days["index"], lat_rad), rtol=RTOL_SAME_FORMULA)
    assert_allclose(
        physics.daylight_hours(days["lat"], days["doy"]), mu.daylight_hours(days["index"], lat_rad), rtol=1e-12
    )


def test_fao56_penman_monteith_agrees_with_pyet_from_raw_weather(days):
    d = days
    # the workbench chain, one formula per step
    pressure = physics.atmospheric_pressure(d["elevation"])
    es = physics.mean_saturation_vapour_pressure(d["tmax"], d["tmin"])
    ea = physics.actual_vapour_pressure_from_rh(d["tmax"], d["tmin"], d["rhmax"], d["rhmin"])
    rn = physics.net_radiation(d["rs"], d["tmax"], d["tmin"], ea, d["ra"], d["elevation"])
    ours = physics.fao56_penman_monteith(rn, d["tmean"], d["wind"], es, ea, g=d["g"], pressure=pressure)
    # pyet computes pressure, es, ea, Ra, Rso and Rn itself from the same raw weather
    theirs = pyet.pm_fao56(
        _series(d, "tmean"),
        _series(d, "wind"),
        rs=_series(d, "rs"),
        g=_series(d, "g"),
        tmax=_series(d, "tmax"),
        tmin=_series(d, "tmin"),
        rhmax=_series(d, "rhmax"),
        rhmin=_series(d, "rhmin"),
        elevation=d["elevation"],
        lat=np.deg2rad(d["lat"]),
        clip_zero=False,
    )
    assert_allclose(ours, theirs.values, rtol=RTOL_SAME_FORMULA)
    assert ours.min() < 1.0 < ours.max() < 10.0  # a realistic spread, not a degenerate sample


def test_priestley_taylor_agrees_with_pyet(days):
    d = days
    rn = 0.6 * d["rs"]
    ours = physics.priestley_taylor(rn, d["tmean"], g=d["g"], pressure=96.5, alpha=1.3)
    theirs = pyet.priestley_taylor(
        _series(d, "tmean"), rn=pd.Series(rn, index=d["index"]), g=_series(d, "g"), pressure=96.5, alpha=1.3,
        clip_zero=False,
    )
    assert_allclose(ours, theirs.values, rtol=1e-12)


def test_hargreaves_samani_agrees_with_pyet(days):
    d = days
    ours = physics.hargreaves_samani(d["tmean"], d["tmax"], d["tmin"], d["ra"])
    theirs = pyet.hargreaves(
        _series(d, "tmean"), _series(d, "tmax"), _series(d, "tmin"), np.deg2rad(d["lat"]), clip_zero=False
    ).values
    # FAO-56 Eq. 52 converts with 0.408 = 1/2.45; pyet divides by lambda(tmean) (FAO-56 Eq. 3-1):
    # after undoing that one documented difference the two agree to rounding ...
    lam = physics.latent_heat_vaporisation(d["tmean"])
    assert_allclose(ours, theirs * lam * 0.408, rtol=RTOL_SAME_FORMULA)
    # ... and as published they differ by lambda(T)/2.45 - 1, within -2.5 %..+3.1 % for -10..40 degC
    assert d["tmean"].min() > -10 and d["tmean"].max() < 40
    assert_allclose(ours, theirs, rtol=0.031)


def test_dataarray_inputs_agree_with_pyet_on_a_grid(days):
    # pyet and the workbench on the same (time, site) DataArrays
    d = days
    sites = [0.8, 1.0, 1.2]

    def grid(key, units):
        values = np.outer(d[key], sites) if key != "tmean" else np.add.outer(d[key], [0.0, 1.0, 2.0])
        return xr.DataArray(values, dims=("time", "site"), coords={"time": d["index"]}, attrs={"units": units})

    rn, tmean = grid("rs", "MJ m-2 d-1"), grid("tmean", "degC")
    ours = physics.priestley_taylor(rn, tmean, pressure=100.0)
    theirs = pyet.priestley_taylor(tmean, rn=rn, pressure=100.0, clip_zero=False)
    assert ours.name == "et_priestley_taylor" and ours.attrs["units"] == "mm d-1"
    xr.testing.assert_allclose(ours, theirs.rename("et_priestley_taylor").assign_attrs(ours.attrs), rtol=1e-12)


def _read_cgms(path: Path) -> pd.DataFrame:
    # CGMS export: values in hPa, kJ m-2 d-1 and m/s at 10 m; lines end with ");" on some files
    frame = pd.read_csv(path)
    frame["E0"] = frame["E0"].astype(str).str.rstrip("); ").astype(float)
    frame["DAY"] = pd.to_datetime(frame["DAY"], format="%d-%b-%y")
    return frame


def test_fao56_chain_reproduces_cgms_et0_at_munich_airport():
    path = REAL / "pcse_cgms_weather_et0" / "10870_munchen_flughafen.csv"
    if not path.exists():
        pytest.skip(f"real data folder not found at {path.parent} (shared/data/real is not mounted here)")
    frame = _read_cgms(path)
    assert len(frame) == 527
    # The file carries no coordinates: WMO station 10870 (Munich airport) is at about 48.35 N, 447 m a.s.l.
    lat, elevation = 48.35, 447.0
    tmax, tmin = frame["TEMPERATURE_MAX"].to_numpy(), frame["TEMPERATURE_MIN"].to_numpy()
    ea = frame["VAPOURPRESSURE"].to_numpy() / 10.0  # hPa -> kPa
    rs = frame["RADIATION"].to_numpy() / 1000.0  # kJ -> MJ m-2 d-1
    u2 = physics.wind_speed_2m(frame["WINDSPEED_10M"].to_numpy(), 10.0)
    ra = physics.extraterrestrial_radiation(lat, frame["DAY"].dt.dayofyear.to_numpy())
    rso = physics.clear_sky_radiation(ra, elevation)
    # CGMS applies FAO-56's Rs/Rso <= 1 only (no 0.3 floor) and reports negative ET0 as 0
    rn = physics.net_shortwave_radiation(rs) - physics.net_longwave_radiation(tmax, tmin, ea, rs, rso, rs_rso_min=0.0)
    # On 15 winter days the station's vapour pressure exceeds es from tmax/tmin: FAO-56 (and CGMS) keep the
    # negative aerodynamic term; the workbench says so with a count.
    with pytest.warns(RuntimeWarning, match="'ea' is above 'es' at 15 point"):
        et = physics.fao56_penman_monteith(
            rn, (tmax + tmin) / 2, u2, physics.mean_saturation_vapour_pressure(tmax, tmin), ea,
            pressure=physics.atmospheric_pressure(elevation),
        )
    error = np.maximum(et, 0.0) - frame["ET0"].to_numpy()
    # CGMS prints ET0 to 0.01 mm/d, so half the days must agree to the rounding; the rest stay close
    # (remaining differences: days with Rs/Rso > 1, which CGMS does not cap, and the station coordinates).
    assert np.median(np.abs(error)) < 0.005
    assert np.percentile(np.abs(error), 99) < 0.05
    assert abs(error.mean()) < 0.005
    assert np.corrcoef(et, frame["ET0"])[0, 1] > 0.9999
