"""Evapotranspiration formulas: FAO-56 Penman-Monteith (daily, hourly), Priestley-Taylor,
Hargreaves-Samani and Penman-Monteith with a surface resistance.

The FAO-56 formulas (Allen et al. 1998; full reference in :mod:`workbench.physics`)
work in MJ m-2 d-1 (or MJ m-2 h-1) and return mm d-1 (mm h-1); :func:`penman_monteith`
works in W m-2 and returns the latent heat flux, which :func:`le_to_et` turns into mm.
No result is clipped at zero: negative values (dew, night-time condensation) are
returned as computed.
"""

from __future__ import annotations

import numpy as np

from .._config import warn_user
from ._formula import check_celsius, check_mj_day, check_mj_hour, formula
from .constants import SECONDS_PER_DAY, SECONDS_PER_HOUR, SPECIFIC_HEAT_AIR, VON_KARMAN
from .psychrometrics import (
    air_density,
    latent_heat_vaporisation,
    psychrometric_constant,
    saturation_vapour_pressure,
    slope_saturation_vapour_pressure,
)
from .radiation import _temperature_range_sqrt

__all__ = [
    "fao56_penman_monteith",
    "fao56_penman_monteith_hourly",
    "soil_heat_flux_hourly",
    "priestley_taylor",
    "hargreaves_samani",
    "wind_speed_2m",
    "aerodynamic_resistance",
    "penman_monteith",
    "le_to_et",
    "et_to_le",
]

_MJ_DAY = "MJ m-2 d-1"
_MJ_HOUR = "MJ m-2 h-1"
_SECONDS = {"day": SECONDS_PER_DAY, "hour": SECONDS_PER_HOUR}
_ET_UNITS = {"day": "mm d-1", "hour": "mm h-1"}


def _check_wind_and_vapour(wind, es, ea):
    """Refuse negative wind and air far wetter than saturation (a unit or argument mix-up); warn, with a count,
    where ea is somewhat above es, as happens in real daily data (dew, es from tmax/tmin)."""
    wind, es, ea = (np.asarray(v, dtype=float) for v in (wind, es, ea))
    negative = wind < 0
    if negative.any():
        raise ValueError(f"'wind' has {int(negative.sum())} negative value(s) (smallest {float(np.nanmin(wind)):g} m s-1): "
                         "expected a wind speed >= 0 m s-1")
    excess = ea - es
    wetter = excess > 0
    if wetter.any():
        far = excess > 0.5 * np.abs(es) + 0.05
        if far.any():
            raise ValueError(f"'ea' exceeds the saturation vapour pressure 'es' at {int(far.sum())} point(s) by more than "
                             f"50 % (largest excess {float(np.nanmax(excess)):.3g} kPa): expected ea <= es; are ea and es "
                             "swapped, or is ea in hPa?")
        warn_user(f"'ea' is above 'es' at {int(wetter.sum())} point(s) (by at most {float(np.nanmax(excess)):.2g} kPa): "
                  "the aerodynamic term is negative there (condensation), as FAO-56 computes it", RuntimeWarning)


def _fao56_combination(rn, g, tmean, wind, es, ea, pressure, c_n):
    """FAO-56 Eqs. 6 and 53: the grass reference combination equation with numerator constant c_n."""
    _check_wind_and_vapour(wind, es, ea)
    delta = slope_saturation_vapour_pressure.kernel(tmean)
    gamma = psychrometric_constant.kernel(pressure)
    radiation = 0.408 * delta * (rn - g)
    aerodynamic = gamma * c_n / (tmean + 273.0) * wind * (es - ea)
    return (radiation + aerodynamic) / (delta + gamma * (1.0 + 0.34 * wind))


_DAILY_INPUTS = {"rn": _MJ_DAY, "tmean": "degC", "wind": "m s-1", "es": "kPa", "ea": "kPa", "g": _MJ_DAY, "pressure": "kPa"}


@formula(
    name="et_fao56",
    long_name="FAO-56 Penman-Monteith grass reference evapotranspiration",
    units="mm d-1",
    inputs=_DAILY_INPUTS,
    checks={"rn": check_mj_day, "g": check_mj_day, "tmean": check_celsius},
)
def fao56_penman_monteith(rn, tmean, wind, es, ea, *, g=0.0, pressure=101.3):
    r"""FAO-56 Penman-Monteith reference evapotranspiration, daily (FAO-56 Eq. 6).

    .. math::

        ET_o = \frac{0.408\,\Delta (R_n - G) + \gamma \frac{900}{T + 273} u_2 (e_s - e_a)}
                    {\Delta + \gamma (1 + 0.34\, u_2)}

    Parameters
    ----------
    rn : float, numpy.ndarray or xarray.DataArray
        Net radiation at the crop surface [MJ m-2 d-1] (a DataArray in W m-2 is converted).
    tmean : float, numpy.ndarray or xarray.DataArray
        Mean daily air temperature at 2 m [degC].
    wind : float, numpy.ndarray or xarray.DataArray
        Wind speed at 2 m u_2 [m s-1] (see :func:`wind_speed_2m`).
    es : float, numpy.ndarray or xarray.DataArray
        Saturation vapour pressure [kPa] (FAO-56 Eq. 12, :func:`mean_saturation_vapour_pressure`).
    ea : float, numpy.ndarray or xarray.DataArray
        Actual vapour pressure [kPa].
    g : float, numpy.ndarray or xarray.DataArray, optional
        Soil heat flux density [MJ m-2 d-1]; 0 for daily periods (FAO-56 Eq. 42).
    pressure : float, numpy.ndarray or xarray.DataArray, optional
        Atmospheric pressure [kPa] (FAO-56 Eq. 7, :func:`atmospheric_pressure`).

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Grass reference evapotranspiration ET_o [mm d-1], named ``"et_fao56"``.

    Raises
    ------
    ValueError
        If ``rn`` or ``g`` given as a plain array exceed 100 MJ m-2 d-1 (W m-2 by mistake).

    See Also
    --------
    pyet.pm_fao56 : the same equation (with its own radiation and humidity options).

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 6.

    Examples
    --------
    >>> et = fao56_penman_monteith(13.28, 16.9, 2.078, 1.997, 1.409, pressure=100.1)
    >>> print(f"{et:.2f}")  # FAO-56 Example 18, Uccle 6 July
    3.88
    """
    return _fao56_combination(rn, g, tmean, wind, es, ea, pressure, 900.0)


@formula(
    name="g",
    long_name="soil heat flux density",
    units=_MJ_HOUR,
    inputs={"rn": _MJ_HOUR},
    checks={"rn": check_mj_hour},
)
def soil_heat_flux_hourly(rn):
    r"""Hourly soil heat flux under a grass reference surface (FAO-56 Eqs. 45-46).

    .. math:: G = 0.1 R_n \text{ (daylight, } R_n > 0), \qquad G = 0.5 R_n \text{ (night)}

    The sign of R_n stands in for day and night.

    Parameters
    ----------
    rn : float, numpy.ndarray or xarray.DataArray
        Hourly net radiation [MJ m-2 h-1].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Soil heat flux density G [MJ m-2 h-1].

    References
    ----------
    Allen et al. (1998) FAO-56, Eqs. 45 and 46.

    Examples
    --------
    >>> print(f"{soil_heat_flux_hourly(1.600):.3f} {soil_heat_flux_hourly(-0.100):.3f}")
    0.160 -0.050
    """
    return rn * np.where(rn > 0, 0.1, 0.5)


@formula(
    name="et_fao56_hourly",
    long_name="FAO-56 Penman-Monteith grass reference evapotranspiration, hourly",
    units="mm h-1",
    inputs={**_DAILY_INPUTS, "rn": _MJ_HOUR, "g": _MJ_HOUR},
    checks={"rn": check_mj_hour, "g": check_mj_hour, "tmean": check_celsius},
)
def fao56_penman_monteith_hourly(rn, tmean, wind, es, ea, *, g=None, pressure=101.3):
    r"""FAO-56 Penman-Monteith reference evapotranspiration, hourly (FAO-56 Eq. 53).

    .. math::

        ET_o = \frac{0.408\,\Delta (R_n - G) + \gamma \frac{37}{T_{hr} + 273} u_2 (e^\circ(T_{hr}) - e_a)}
                    {\Delta + \gamma (1 + 0.34\, u_2)}

    Parameters
    ----------
    rn : float, numpy.ndarray or xarray.DataArray
        Hourly net radiation [MJ m-2 h-1] (a DataArray in W m-2 is converted).
    tmean : float, numpy.ndarray or xarray.DataArray
        Mean hourly air temperature T_hr [degC].
    wind : float, numpy.ndarray or xarray.DataArray
        Mean hourly wind speed at 2 m [m s-1].
    es : float, numpy.ndarray or xarray.DataArray
        Saturation vapour pressure at T_hr [kPa].
    ea : float, numpy.ndarray or xarray.DataArray
        Mean hourly actual vapour pressure [kPa].
    g : float, numpy.ndarray or xarray.DataArray, optional
        Soil heat flux density [MJ m-2 h-1]; ``None`` uses FAO-56 Eqs. 45-46
        (:func:`soil_heat_flux_hourly`).
    pressure : float, numpy.ndarray or xarray.DataArray, optional
        Atmospheric pressure [kPa].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Grass reference evapotranspiration ET_o [mm h-1], named ``"et_fao56_hourly"``.

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 53 (with Eqs. 45-46 for G).

    Examples
    --------
    >>> et = fao56_penman_monteith_hourly(1.749, 38.0, 3.3, 6.625, 3.445, pressure=101.2)
    >>> print(f"{et:.2f}")  # FAO-56 Example 19, 14:00-15:00
    0.63
    """
    if g is None:
        g = soil_heat_flux_hourly.kernel(rn)
    return _fao56_combination(rn, g, tmean, wind, es, ea, pressure, 37.0)


@formula(
    name="et_priestley_taylor",
    long_name="Priestley-Taylor potential evapotranspiration",
    units="mm d-1",
    inputs={"rn": _MJ_DAY, "tmean": "degC", "g": _MJ_DAY, "pressure": "kPa", "alpha": None},
    checks={"rn": check_mj_day, "g": check_mj_day, "tmean": check_celsius},
)
def priestley_taylor(rn, tmean, *, g=0.0, pressure=101.3, alpha=1.26):
    r"""Priestley-Taylor potential evapotranspiration.

    .. math:: ET = \frac{\alpha}{\lambda} \frac{\Delta (R_n - G)}{\Delta + \gamma}

    with λ from FAO-56 Eq. 3-1 at ``tmean`` and γ from FAO-56 Eq. 8 (as pyet does).

    Parameters
    ----------
    rn : float, numpy.ndarray or xarray.DataArray
        Net radiation [MJ m-2 d-1].
    tmean : float, numpy.ndarray or xarray.DataArray
        Mean daily air temperature [degC].
    g : float, numpy.ndarray or xarray.DataArray, optional
        Soil heat flux density [MJ m-2 d-1].
    pressure : float, numpy.ndarray or xarray.DataArray, optional
        Atmospheric pressure [kPa].
    alpha : float, numpy.ndarray or xarray.DataArray, optional
        Priestley-Taylor coefficient α [-]; 1.26 for wet surfaces.

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Potential evapotranspiration [mm d-1], named ``"et_priestley_taylor"``.

    See Also
    --------
    pyet.priestley_taylor : the same formula.

    References
    ----------
    Priestley, C. H. B. and Taylor, R. J. (1972) On the assessment of surface heat flux
    and evaporation using large-scale parameters. Mon. Weather Rev. 100, 81-92.

    Examples
    --------
    >>> print(f"{priestley_taylor(13.28, 16.9, pressure=100.1):.2f}")
    4.40
    """
    delta = slope_saturation_vapour_pressure.kernel(tmean)
    gamma = psychrometric_constant.kernel(pressure)
    return alpha * delta * (rn - g) / (latent_heat_vaporisation.kernel(tmean) * (delta + gamma))


@formula(
    name="et_hargreaves_samani",
    long_name="Hargreaves-Samani reference evapotranspiration",
    units="mm d-1",
    inputs={"tmean": "degC", "tmax": "degC", "tmin": "degC", "ra": _MJ_DAY},
    checks={"tmean": check_celsius, "tmax": check_celsius, "tmin": check_celsius, "ra": check_mj_day},
)
def hargreaves_samani(tmean, tmax, tmin, ra):
    r"""Hargreaves-Samani reference evapotranspiration (FAO-56 Eq. 52).

    .. math:: ET_o = 0.0023\,(T_{mean} + 17.8) \sqrt{T_{max} - T_{min}}\; 0.408\, R_a

    Parameters
    ----------
    tmean, tmax, tmin : float, numpy.ndarray or xarray.DataArray
        Mean, maximum and minimum daily air temperature [degC].
    ra : float, numpy.ndarray or xarray.DataArray
        Extraterrestrial radiation [MJ m-2 d-1] (:func:`extraterrestrial_radiation`).

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Reference evapotranspiration [mm d-1], named ``"et_hargreaves_samani"``.

    Raises
    ------
    ValueError
        If ``tmax`` is below ``tmin`` anywhere.

    See Also
    --------
    pyet.hargreaves : the same formula with 1/λ(T) in place of 0.408.

    References
    ----------
    Hargreaves, G. H. and Samani, Z. A. (1985) Reference crop evapotranspiration from
    temperature. Appl. Eng. Agric. 1, 96-99.
    Allen et al. (1998) FAO-56, Eq. 52.

    Examples
    --------
    >>> print(f"{hargreaves_samani(20.7, 26.6, 14.8, 40.6):.2f}")
    5.04
    """
    return 0.0023 * (tmean + 17.8) * _temperature_range_sqrt(tmax, tmin) * 0.408 * ra


@formula(
    name="wind",
    long_name="wind speed at 2 m",
    units="m s-1",
    inputs={"wind": "m s-1", "height": "m"},
)
def wind_speed_2m(wind, height):
    r"""Wind speed at 2 m from a measurement at another height, log profile (FAO-56 Eq. 47).

    .. math:: u_2 = u_z \frac{4.87}{\ln(67.8 z - 5.42)}

    Parameters
    ----------
    wind : float, numpy.ndarray or xarray.DataArray
        Wind speed measured at ``height`` u_z [m s-1].
    height : float, numpy.ndarray or xarray.DataArray
        Measurement height above ground z [m].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Wind speed at 2 m u_2 [m s-1].

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 47.

    Examples
    --------
    >>> print(f"{wind_speed_2m(10.0 / 3.6, 10.0):.3f}")  # FAO-56 Example 18 (10 km/h at 10 m)
    2.078
    """
    return wind * 4.87 / np.log(67.8 * height - 5.42)


@formula(
    name="r_aero",
    long_name="aerodynamic resistance",
    units="s m-1",
    inputs={"wind": "m s-1", "canopy_height": "m", "z_wind": "m", "z_humidity": "m"},
)
def aerodynamic_resistance(wind, canopy_height, *, z_wind=2.0, z_humidity=2.0):
    r"""Aerodynamic resistance for neutral stability (FAO-56 Eq. 4).

    .. math::

        r_a = \frac{\ln\frac{z_m - d}{z_{om}} \ln\frac{z_h - d}{z_{oh}}}{k^2 u_z},
        \qquad d = \tfrac{2}{3} h,\; z_{om} = 0.123 h,\; z_{oh} = 0.1 z_{om}

    Parameters
    ----------
    wind : float, numpy.ndarray or xarray.DataArray
        Wind speed at ``z_wind`` [m s-1]. Zero wind gives an infinite resistance.
    canopy_height : float, numpy.ndarray or xarray.DataArray
        Crop or canopy height h [m]; must be below 1.5 ``z_wind`` and ``z_humidity``.
    z_wind, z_humidity : float, numpy.ndarray or xarray.DataArray, optional
        Heights of the wind and humidity measurements z_m, z_h [m].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Aerodynamic resistance r_a [s m-1].

    See Also
    --------
    pyet.meteo_utils.calc_res_aero : the same formula (``ra_method=1``).

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 4 and Box 4 (grass: r_a = 208/u_2).

    Examples
    --------
    >>> print(f"{aerodynamic_resistance(1.0, 0.12):.0f}")  # FAO-56 Box 4
    208
    """
    d = 2.0 / 3.0 * canopy_height
    zom = 0.123 * canopy_height
    with np.errstate(divide="ignore"):
        return np.log((z_wind - d) / zom) * np.log((z_humidity - d) / (0.1 * zom)) / (VON_KARMAN**2 * wind)


_CP_J = SPECIFIC_HEAT_AIR * 1e6  # J kg-1 K-1


@formula(
    name="le",
    long_name="latent heat flux",
    units="W m-2",
    inputs={
        "rn": "W m-2",
        "tmean": "degC",
        "vpd": "kPa",
        "r_aero": "s m-1",
        "r_surface": "s m-1",
        "g": "W m-2",
        "pressure": "kPa",
    },
    checks={"tmean": check_celsius},
)
def penman_monteith(rn, tmean, vpd, r_aero, r_surface, *, g=0.0, pressure=101.3):
    r"""Penman-Monteith latent heat flux of a surface with a bulk surface resistance (FAO-56 Eq. 3).

    .. math::

        \lambda E = \frac{\Delta (R_n - G) + \rho_a c_p \, VPD / r_a}
                         {\Delta + \gamma (1 + r_s / r_a)}

    with Δ at ``tmean`` (FAO-56 Eq. 13), γ from FAO-56 Eq. 8, and ρ_a from the
    virtual temperature (FAO-56 Eq. 3-5) with e_a = e°(T) - VPD. One
    exponential per cell; no Python loops, so it scales to 1e8 cells.

    Parameters
    ----------
    rn : float, numpy.ndarray or xarray.DataArray
        Net radiation [W m-2].
    tmean : float, numpy.ndarray or xarray.DataArray
        Air temperature [degC].
    vpd : float, numpy.ndarray or xarray.DataArray
        Vapour pressure deficit [kPa].
    r_aero : float, numpy.ndarray or xarray.DataArray
        Aerodynamic resistance r_a [s m-1] (:func:`aerodynamic_resistance`); ``inf``
        gives the equilibrium evaporation Δ(R_n - G)/(Δ + γ).
    r_surface : float, numpy.ndarray or xarray.DataArray
        Bulk surface (canopy) resistance r_s [s m-1], the inverse of the surface conductance.
    g : float, numpy.ndarray or xarray.DataArray, optional
        Ground heat flux [W m-2].
    pressure : float, numpy.ndarray or xarray.DataArray, optional
        Atmospheric pressure [kPa].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Latent heat flux λE [W m-2], named ``"le"``.

    See Also
    --------
    pyet.pm : Penman-Monteith in mm d-1 with its own resistance options.
    le_to_et : convert the result to mm d-1 or mm h-1.

    References
    ----------
    Monteith, J. L. (1965) Evaporation and environment. Symp. Soc. Exp. Biol. 19, 205-234.
    Allen et al. (1998) FAO-56, Eq. 3 and Annex 3, Eq. 3-5.

    Examples
    --------
    >>> le = penman_monteith(400.0, 25.0, 1.5, 50.0, 70.0)
    >>> print(f"{le:.0f}")
    317
    """
    es = saturation_vapour_pressure.kernel(tmean)
    tk_inverse = 1.0 / (tmean + 237.3)
    delta = 4098.0 * es * tk_inverse * tk_inverse  # FAO-56 Eq. 13, reusing e°(T)
    gamma = psychrometric_constant.kernel(pressure)
    rho = air_density.kernel(tmean, pressure, es - vpd)
    with np.errstate(divide="ignore", invalid="ignore"):
        inverse_ra = 1.0 / r_aero
        numerator = delta * (rn - g) + rho * _CP_J * vpd * inverse_ra
        return numerator / (delta + gamma * (1.0 + r_surface * inverse_ra))


def _seconds(per) -> float:
    if per not in _SECONDS:
        raise ValueError(f"'per' must be 'day' or 'hour', not {per!r}")
    return _SECONDS[per]


def _et_units(arguments) -> str:
    per = arguments.get("per", "day")
    _seconds(per)
    return _ET_UNITS[per]


@formula(
    name="et",
    long_name="evapotranspiration",
    units=_et_units,
    inputs={"le": "W m-2", "tmean": "degC"},
    checks={"tmean": check_celsius},
)
def le_to_et(le, tmean, *, per="day"):
    r"""Convert a latent heat flux to an evapotranspiration depth.

    .. math:: ET = \frac{\lambda E \; t}{\lambda(T) \, 10^6}

    with t = 86400 s (``per="day"``) or 3600 s (``per="hour"``) and
    λ(T) from FAO-56 Eq. 3-1; 1 kg m-2 of water is 1 mm.

    Parameters
    ----------
    le : float, numpy.ndarray or xarray.DataArray
        Latent heat flux [W m-2].
    tmean : float, numpy.ndarray or xarray.DataArray
        Air temperature for λ [degC].
    per : {"day", "hour"}, optional
        Return mm d-1 or mm h-1.

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Evapotranspiration [mm d-1] or [mm h-1], named ``"et"``.

    References
    ----------
    Allen et al. (1998) FAO-56, Chapter 1 and Annex 3, Eq. 3-1.

    Examples
    --------
    >>> print(f"{le_to_et(100.0, 20.0):.3f}")
    3.521
    """
    return le * _seconds(per) / (latent_heat_vaporisation.kernel(tmean) * 1e6)


@formula(
    name="le",
    long_name="latent heat flux",
    units="W m-2",
    inputs={"et": _et_units, "tmean": "degC"},
    checks={"tmean": check_celsius},
)
def et_to_le(et, tmean, *, per="day"):
    r"""Convert an evapotranspiration depth to a latent heat flux (inverse of :func:`le_to_et`).

    .. math:: \lambda E = \frac{ET \, \lambda(T) \, 10^6}{t}

    Parameters
    ----------
    et : float, numpy.ndarray or xarray.DataArray
        Evapotranspiration [mm d-1], or [mm h-1] when ``per="hour"``.
    tmean : float, numpy.ndarray or xarray.DataArray
        Air temperature for λ [degC].
    per : {"day", "hour"}, optional
        Period of ``et`` given as a plain number or array.

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Latent heat flux [W m-2], named ``"le"``.

    Examples
    --------
    >>> print(f"{et_to_le(3.521, 20.0):.1f}")
    100.0
    """
    return et * latent_heat_vaporisation.kernel(tmean) * 1e6 / _seconds(per)
