"""Radiation for reference evapotranspiration: extraterrestrial, solar, clear-sky and net radiation.

FAO-56 (Allen et al. 1998; full reference in :mod:`workbench.physics`),
Chapter 3, Eqs. 21-40 and 50. Daily quantities are in MJ m-2 d-1, hourly ones
in MJ m-2 h-1; latitude and longitude are in degrees (north and east positive).
"""

from __future__ import annotations

import numpy as np

from ._formula import check_celsius, check_mj_day, check_mj_hour, formula
from .constants import SOLAR_CONSTANT, STEFAN_BOLTZMANN_DAY, STEFAN_BOLTZMANN_HOUR, ZERO_CELSIUS

__all__ = [
    "inverse_relative_distance",
    "solar_declination",
    "sunset_hour_angle",
    "extraterrestrial_radiation",
    "extraterrestrial_radiation_hourly",
    "daylight_hours",
    "solar_radiation_from_sunshine",
    "clear_sky_radiation",
    "net_shortwave_radiation",
    "net_longwave_radiation",
    "net_radiation",
    "solar_radiation_hargreaves",
]

_MJ_DAY = "MJ m-2 d-1"
_MJ_HOUR = "MJ m-2 h-1"


def _check_lat(value, arg, arguments=None) -> None:
    lat = np.asarray(value, dtype=float)
    if lat.size and np.nanmax(np.abs(lat)) > 90.0:
        raise ValueError(
            f"{arg!r} must be a latitude in degrees (-90..90), but a value of "
            f"{float(np.nanmax(np.abs(lat))):g} was given"
        )


@formula(
    name="dr",
    long_name="inverse relative distance Earth-Sun",
    units="1",
    inputs={"doy": None},
)
def inverse_relative_distance(doy):
    r"""Inverse relative distance Earth-Sun (FAO-56 Eq. 23).

    .. math:: d_r = 1 + 0.033 \cos\left(\frac{2\pi}{365} J\right)

    Parameters
    ----------
    doy : int, numpy.ndarray or xarray.DataArray
        Day of the year J (1-365 or 366) [-].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        d_r [-].

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 23.

    Examples
    --------
    >>> print(f"{inverse_relative_distance(246):.3f}")  # FAO-56 Example 8
    0.985
    """
    return 1.0 + 0.033 * np.cos(2.0 * np.pi / 365.0 * doy)


@formula(name="declination", long_name="solar declination", units="rad", inputs={"doy": None})
def solar_declination(doy):
    r"""Solar declination (FAO-56 Eq. 24).

    .. math:: \delta = 0.409 \sin\left(\frac{2\pi}{365} J - 1.39\right)

    Parameters
    ----------
    doy : int, numpy.ndarray or xarray.DataArray
        Day of the year J [-].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Solar declination δ [rad].

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 24.

    Examples
    --------
    >>> print(f"{solar_declination(246):.3f}")  # FAO-56 Example 8
    0.120
    """
    return 0.409 * np.sin(2.0 * np.pi / 365.0 * doy - 1.39)


@formula(
    name="omega_s",
    long_name="sunset hour angle",
    units="rad",
    inputs={"lat": "degree", "doy": None},
    checks={"lat": _check_lat},
)
def sunset_hour_angle(lat, doy):
    r"""Sunset hour angle (FAO-56 Eq. 25).

    .. math:: \omega_s = \arccos(-\tan\varphi \tan\delta)

    The argument of arccos is clipped to [-1, 1], which gives 0 in polar
    night and π in polar day (the limits of Eq. 25).

    Parameters
    ----------
    lat : float, numpy.ndarray or xarray.DataArray
        Latitude φ [degrees north].
    doy : int, numpy.ndarray or xarray.DataArray
        Day of the year J [-].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Sunset hour angle ω_s [rad].

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 25.

    Examples
    --------
    >>> print(f"{sunset_hour_angle(-20.0, 246):.3f}")  # FAO-56 Example 8
    1.527
    """
    phi = np.deg2rad(lat)
    return np.arccos(np.clip(-np.tan(phi) * np.tan(solar_declination.kernel(doy)), -1.0, 1.0))


@formula(
    name="ra",
    long_name="extraterrestrial radiation",
    units=_MJ_DAY,
    inputs={"lat": "degree", "doy": None},
    checks={"lat": _check_lat},
)
def extraterrestrial_radiation(lat, doy):
    r"""Daily extraterrestrial radiation (FAO-56 Eqs. 21-25).

    .. math::

        R_a = \frac{24 \cdot 60}{\pi} G_{sc} d_r
              \left[\omega_s \sin\varphi \sin\delta + \cos\varphi \cos\delta \sin\omega_s\right]

    Parameters
    ----------
    lat : float, numpy.ndarray or xarray.DataArray
        Latitude φ [degrees north].
    doy : int, numpy.ndarray or xarray.DataArray
        Day of the year J [-].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Extraterrestrial radiation R_a [MJ m-2 d-1].

    See Also
    --------
    pyet.meteo_utils.extraterrestrial_r : the same formula (latitude in radians, dates as index).

    References
    ----------
    Allen et al. (1998) FAO-56, Eqs. 21, 23, 24, 25.

    Examples
    --------
    >>> print(f"{extraterrestrial_radiation(-20.0, 246):.1f}")  # FAO-56 Example 8
    32.2
    """
    phi = np.deg2rad(lat)
    delta = solar_declination.kernel(doy)
    omega_s = sunset_hour_angle.kernel(lat, doy)
    return (
        24.0
        * 60.0
        / np.pi
        * SOLAR_CONSTANT
        * inverse_relative_distance.kernel(doy)
        * (omega_s * np.sin(phi) * np.sin(delta) + np.cos(phi) * np.cos(delta) * np.sin(omega_s))
    )


@formula(
    name="ra",
    long_name="extraterrestrial radiation",
    units=_MJ_HOUR,
    inputs={"lat": "degree", "lon": "degree", "doy": None, "hour_mid": "h", "lon_tz": "degree"},
    checks={"lat": _check_lat},
)
def extraterrestrial_radiation_hourly(lat, lon, doy, hour_mid, lon_tz, *, period=1.0):
    r"""Extraterrestrial radiation for an hourly or shorter period (FAO-56 Eqs. 28-33).

    .. math::

        R_a = \frac{12 \cdot 60}{\pi} G_{sc} d_r \left[(\omega_2 - \omega_1)\sin\varphi\sin\delta
              + \cos\varphi\cos\delta(\sin\omega_2 - \sin\omega_1)\right]

    with :math:`\omega = \frac{\pi}{12}[(t + 0.06667 (L_z - L_m) + S_c) - 12]`
    (Eq. 31), :math:`\omega_{1,2} = \omega \mp \pi t_1 / 24` (Eqs. 29-30) and
    the seasonal correction :math:`S_c` (Eqs. 32-33). FAO-56 writes longitudes
    in degrees west; here they are in degrees east (CF convention), so
    :math:`L_z - L_m` = ``lon - lon_tz``. The end angles are limited to
    :math:`[-\omega_s, \omega_s]`, so R_a is 0 when the sun is below the horizon.

    Parameters
    ----------
    lat : float, numpy.ndarray or xarray.DataArray
        Latitude φ [degrees north].
    lon : float, numpy.ndarray or xarray.DataArray
        Longitude of the site [degrees east].
    doy : int, numpy.ndarray or xarray.DataArray
        Day of the year J [-].
    hour_mid : float, numpy.ndarray or xarray.DataArray
        Standard clock time at the midpoint of the period t [h], e.g. 14.5 for 14:00-15:00.
    lon_tz : float, numpy.ndarray or xarray.DataArray
        Longitude of the centre of the local time zone [degrees east], e.g. 0 for GMT, -75 for US Eastern.
    period : float, optional
        Length of the period t_1 [h]: 1 for hourly, 0.5 for 30-minute periods.

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Extraterrestrial radiation over the period R_a [MJ m-2 per period].

    References
    ----------
    Allen et al. (1998) FAO-56, Eqs. 28-33.

    Examples
    --------
    >>> # FAO-56 Example 19: N'Diaye, 1 October, 14:00-15:00 (lon 16.25 W, zone 15 W)
    >>> print(f"{extraterrestrial_radiation_hourly(16.217, -16.25, 274, 14.5, -15.0):.3f}")
    3.543
    """
    phi = np.deg2rad(lat)
    delta = solar_declination.kernel(doy)
    b = 2.0 * np.pi * (doy - 81.0) / 364.0
    sc = 0.1645 * np.sin(2.0 * b) - 0.1255 * np.cos(b) - 0.025 * np.sin(b)
    omega = np.pi / 12.0 * ((hour_mid + 0.06667 * (lon - lon_tz) + sc) - 12.0)
    omega_s = sunset_hour_angle.kernel(lat, doy)
    omega1 = np.clip(omega - np.pi * period / 24.0, -omega_s, omega_s)
    omega2 = np.clip(omega + np.pi * period / 24.0, -omega_s, omega_s)
    return (
        12.0
        * 60.0
        / np.pi
        * SOLAR_CONSTANT
        * inverse_relative_distance.kernel(doy)
        * ((omega2 - omega1) * np.sin(phi) * np.sin(delta) + np.cos(phi) * np.cos(delta) * (np.sin(omega2) - np.sin(omega1)))
    )


@formula(
    name="daylight_hours",
    long_name="daylight hours",
    units="h",
    inputs={"lat": "degree", "doy": None},
    checks={"lat": _check_lat},
)
def daylight_hours(lat, doy):
    r"""Maximum possible duration of sunshine, the daylight hours (FAO-56 Eq. 34).

    .. math:: N = \frac{24}{\pi} \omega_s

    Parameters
    ----------
    lat : float, numpy.ndarray or xarray.DataArray
        Latitude φ [degrees north].
    doy : int, numpy.ndarray or xarray.DataArray
        Day of the year J [-].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Daylight hours N [h].

    See Also
    --------
    pyet.meteo_utils.daylight_hours : the same formula.

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 34.

    Examples
    --------
    >>> print(f"{daylight_hours(-20.0, 246):.1f}")  # FAO-56 Example 9
    11.7
    """
    return 24.0 / np.pi * sunset_hour_angle.kernel(lat, doy)


@formula(
    name="rs",
    long_name="incoming shortwave (solar) radiation",
    units=_MJ_DAY,
    inputs={"n": "h", "daylight": "h", "ra": _MJ_DAY, "a_s": None, "b_s": None},
    checks={"ra": check_mj_day},
)
def solar_radiation_from_sunshine(n, daylight, ra, a_s=0.25, b_s=0.5):
    r"""Solar radiation from relative sunshine duration, the Angström formula (FAO-56 Eq. 35).

    .. math:: R_s = \left(a_s + b_s \frac{n}{N}\right) R_a

    Parameters
    ----------
    n : float, numpy.ndarray or xarray.DataArray
        Actual duration of sunshine [h].
    daylight : float, numpy.ndarray or xarray.DataArray
        Maximum possible duration of sunshine N [h] (:func:`daylight_hours`).
    ra : float, numpy.ndarray or xarray.DataArray
        Extraterrestrial radiation [MJ m-2 d-1].
    a_s, b_s : float, optional
        Angström coefficients [-]; FAO-56 recommends 0.25 and 0.50 without calibration.

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Incoming solar radiation R_s [MJ m-2 d-1].

    References
    ----------
    Angström, A. (1924) Solar and terrestrial radiation. Q. J. R. Meteorol. Soc. 50, 121-126.
    Allen et al. (1998) FAO-56, Eq. 35.

    Examples
    --------
    >>> print(f"{solar_radiation_from_sunshine(7.1, 10.9, 25.1):.2f}")  # FAO-56 Example 10: 14.5
    14.45
    """
    return (a_s + b_s * n / daylight) * ra


@formula(
    name="rso",
    long_name="clear-sky solar radiation",
    units=_MJ_DAY,
    inputs={"ra": _MJ_DAY, "elevation": "m"},
    checks={"ra": check_mj_day},
)
def clear_sky_radiation(ra, elevation):
    r"""Clear-sky solar radiation (FAO-56 Eq. 37).

    .. math:: R_{so} = (0.75 + 2 \times 10^{-5} z) R_a

    Parameters
    ----------
    ra : float, numpy.ndarray or xarray.DataArray
        Extraterrestrial radiation [MJ m-2 d-1] (or [MJ m-2 h-1] for hourly R_a;
        the formula is the same, but plain arrays are checked against daily limits).
    elevation : float, numpy.ndarray or xarray.DataArray
        Elevation above sea level z [m].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Clear-sky solar radiation R_so [MJ m-2 d-1].

    See Also
    --------
    pyet.rad_utils.calc_rso : the same formula.

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 37.

    Examples
    --------
    >>> print(f"{clear_sky_radiation(41.09, 100.0):.2f}")  # FAO-56 Example 18
    30.90
    """
    return (0.75 + 2e-5 * elevation) * ra


@formula(
    name="rns",
    long_name="net shortwave radiation",
    units=_MJ_DAY,
    inputs={"rs": _MJ_DAY, "albedo": "1"},
    checks={"rs": check_mj_day},
)
def net_shortwave_radiation(rs, albedo=0.23):
    r"""Net shortwave radiation (FAO-56 Eq. 38).

    .. math:: R_{ns} = (1 - \alpha) R_s

    Parameters
    ----------
    rs : float, numpy.ndarray or xarray.DataArray
        Incoming solar radiation [MJ m-2 d-1].
    albedo : float, numpy.ndarray or xarray.DataArray, optional
        Albedo α [-]; 0.23 for the hypothetical grass reference crop.

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Net shortwave radiation R_ns [MJ m-2 d-1].

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 38.

    Examples
    --------
    >>> print(f"{net_shortwave_radiation(22.07):.2f}")  # FAO-56 Example 18
    16.99
    """
    return (1.0 - albedo) * rs


def _flux_unit(arguments) -> str:
    return _MJ_HOUR if arguments.get("per", "day") == "hour" else _MJ_DAY


def _check_flux(value, arg, arguments) -> None:
    (check_mj_hour if arguments.get("per", "day") == "hour" else check_mj_day)(value, arg)


@formula(
    name="rnl",
    long_name="net outgoing longwave radiation",
    units=_flux_unit,
    inputs={"tmax": "degC", "tmin": "degC", "ea": "kPa", "rs": _flux_unit, "rso": _flux_unit, "rs_rso": None},
    checks={"tmax": check_celsius, "tmin": check_celsius, "rs": _check_flux, "rso": _check_flux},
)
def net_longwave_radiation(tmax, tmin, ea, rs, rso, *, per="day", rs_rso=None, rs_rso_min=0.3):
    r"""Net outgoing longwave radiation (FAO-56 Eq. 39).

    .. math::

        R_{nl} = \sigma \frac{T_{max,K}^4 + T_{min,K}^4}{2}
                 (0.34 - 0.14\sqrt{e_a}) \left(1.35 \frac{R_s}{R_{so}} - 0.35\right)

    with :math:`T_K = T + 273.16`. The relative shortwave radiation
    :math:`R_s/R_{so}` is limited to [``rs_rso_min``, 1.0] (FAO-56 states ≤ 1.0;
    the lower bound 0.3 is ASCE-EWRI 2005's and pyet's), and set to
    ``rs_rso_min`` where R_so = 0 (polar night) unless ``rs_rso`` is given.

    Parameters
    ----------
    tmax, tmin : float, numpy.ndarray or xarray.DataArray
        Maximum and minimum air temperature of the period [degC]; for hourly
        periods pass the hourly mean temperature as both.
    ea : float, numpy.ndarray or xarray.DataArray
        Actual vapour pressure [kPa].
    rs, rso : float, numpy.ndarray or xarray.DataArray
        Incoming and clear-sky solar radiation [MJ m-2 d-1], or [MJ m-2 h-1] when ``per="hour"``.
    per : {"day", "hour"}, optional
        Period: selects σ per day (4.903e-9) or per hour (2.043e-10 MJ K-4 m-2 h-1).
    rs_rso : float, numpy.ndarray or xarray.DataArray, optional
        The relative shortwave radiation to use instead of rs/rso [-]; FAO-56
        recommends the value of 2-3 hours before sunset for night-time hours.
    rs_rso_min : float, optional
        Lower limit of the relative shortwave radiation [-]: 0.3 (ASCE-EWRI 2005,
        pyet) keeps the cloudiness factor positive; 0 applies FAO-56's ≤ 1.0 limit only.

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Net outgoing longwave radiation R_nl [MJ m-2 d-1] (or [MJ m-2 h-1]).

    See Also
    --------
    pyet.rad_utils.calc_rad_long : the same formula.

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 39 (hourly: Chapter 3, "Net longwave radiation").
    ASCE-EWRI (2005) The ASCE standardized reference evapotranspiration equation, Eq. 18.

    Examples
    --------
    >>> print(f"{net_longwave_radiation(21.5, 12.3, 1.409, 22.07, 30.90):.2f}")  # FAO-56 Example 18
    3.71
    """
    if per not in ("day", "hour"):
        raise ValueError(f"'per' must be 'day' or 'hour', not {per!r}")
    sigma = STEFAN_BOLTZMANN_HOUR if per == "hour" else STEFAN_BOLTZMANN_DAY
    if rs_rso is None:
        rs, rso = np.broadcast_arrays(np.asarray(rs, dtype=float), np.asarray(rso, dtype=float))
        rs_rso = np.divide(rs, rso, out=np.full(rs.shape, float(rs_rso_min)), where=rso > 0)
    ratio = np.clip(rs_rso, rs_rso_min, 1.0)
    emitted = sigma * 0.5 * ((tmax + ZERO_CELSIUS) ** 4 + (tmin + ZERO_CELSIUS) ** 4)
    return emitted * (0.34 - 0.14 * np.sqrt(ea)) * (1.35 * ratio - 0.35)


@formula(
    name="rn",
    long_name="net radiation",
    units=_MJ_DAY,
    inputs={"rs": _MJ_DAY, "tmax": "degC", "tmin": "degC", "ea": "kPa", "ra": _MJ_DAY, "elevation": "m", "albedo": "1"},
    checks={"rs": check_mj_day, "ra": check_mj_day, "tmax": check_celsius, "tmin": check_celsius},
)
def net_radiation(rs, tmax, tmin, ea, ra, elevation, albedo=0.23):
    r"""Daily net radiation from its FAO-56 components (FAO-56 Eqs. 37-40).

    .. math:: R_n = (1 - \alpha) R_s - R_{nl}(T_{max}, T_{min}, e_a, R_s, R_{so}),
              \qquad R_{so} = (0.75 + 2 \times 10^{-5} z) R_a

    Parameters
    ----------
    rs : float, numpy.ndarray or xarray.DataArray
        Incoming solar radiation [MJ m-2 d-1].
    tmax, tmin : float, numpy.ndarray or xarray.DataArray
        Daily maximum and minimum air temperature [degC].
    ea : float, numpy.ndarray or xarray.DataArray
        Actual vapour pressure [kPa].
    ra : float, numpy.ndarray or xarray.DataArray
        Extraterrestrial radiation [MJ m-2 d-1].
    elevation : float, numpy.ndarray or xarray.DataArray
        Elevation above sea level [m].
    albedo : float, numpy.ndarray or xarray.DataArray, optional
        Albedo [-]; 0.23 for the grass reference.

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Net radiation R_n [MJ m-2 d-1].

    See Also
    --------
    pyet.rad_utils.calc_rad_net : the same composition.

    References
    ----------
    Allen et al. (1998) FAO-56, Eqs. 37, 38, 39, 40.

    Examples
    --------
    >>> print(f"{net_radiation(22.07, 21.5, 12.3, 1.409, 41.09, 100.0):.2f}")  # FAO-56 Example 18
    13.28
    """
    rso = clear_sky_radiation.kernel(ra, elevation)
    rnl = net_longwave_radiation.kernel(tmax, tmin, ea, rs, rso)
    return net_shortwave_radiation.kernel(rs, albedo) - rnl


@formula(
    name="rs",
    long_name="incoming shortwave (solar) radiation",
    units=_MJ_DAY,
    inputs={"tmax": "degC", "tmin": "degC", "ra": _MJ_DAY, "krs": None},
    checks={"tmax": check_celsius, "tmin": check_celsius, "ra": check_mj_day},
)
def solar_radiation_hargreaves(tmax, tmin, ra, krs=0.16):
    r"""Solar radiation from the daily temperature range, Hargreaves' radiation formula (FAO-56 Eq. 50).

    .. math:: R_s = k_{Rs} \sqrt{T_{max} - T_{min}}\, R_a

    Parameters
    ----------
    tmax, tmin : float, numpy.ndarray or xarray.DataArray
        Daily maximum and minimum air temperature [degC].
    ra : float, numpy.ndarray or xarray.DataArray
        Extraterrestrial radiation [MJ m-2 d-1].
    krs : float, numpy.ndarray or xarray.DataArray, optional
        Adjustment coefficient [degC-0.5]: 0.16 for interior, 0.19 for coastal locations.

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Incoming solar radiation R_s [MJ m-2 d-1].

    Raises
    ------
    ValueError
        If ``tmax`` is below ``tmin`` anywhere.

    References
    ----------
    Hargreaves, G. H. (1994) Defining and using reference evapotranspiration.
    J. Irrig. Drain. Eng. 120, 1132-1139.
    Allen et al. (1998) FAO-56, Eq. 50.

    Examples
    --------
    >>> print(f"{solar_radiation_hargreaves(26.6, 14.8, 40.6):.2f}")  # FAO-56 Example 20 (Lyon)
    22.31
    """
    return krs * _temperature_range_sqrt(tmax, tmin) * ra


def _temperature_range_sqrt(tmax, tmin):
    """sqrt(tmax - tmin), refusing days where tmax < tmin instead of returning NaN."""
    diff = tmax - tmin
    if np.any(diff < 0):
        raise ValueError(
            f"'tmax' must not be below 'tmin', but tmax - tmin reaches {float(np.nanmin(diff)):g} degC "
            f"({int(np.sum(diff < 0))} value(s)); check for swapped columns"
        )
    return np.sqrt(diff)
