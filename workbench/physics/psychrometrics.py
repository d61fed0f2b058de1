"""Psychrometrics: vapour pressure, its slope, the psychrometric constant, latent heat and air density.

All formulas follow FAO-56 (Allen et al. 1998), Chapter 3 and Annex 3; the
full reference is in :mod:`workbench.physics`. They accept numbers, NumPy
arrays (in the documented units) and xarray DataArrays (converted from
``attrs["units"]``; the result is a named DataArray; dask stays lazy).
"""

from __future__ import annotations

import numpy as np

from ._formula import check_celsius, check_percent, formula
from .constants import (
    GAS_CONSTANT_DRY_AIR,
    ZERO_CELSIUS,
)

__all__ = [
    "saturation_vapour_pressure",
    "slope_saturation_vapour_pressure",
    "atmospheric_pressure",
    "psychrometric_constant",
    "latent_heat_vaporisation",
    "air_density",
    "mean_saturation_vapour_pressure",
    "actual_vapour_pressure_from_rh",
    "actual_vapour_pressure_from_rhmean",
    "vapour_pressure_deficit",
]

_T = {"t": "degC"}
_CHECK_T = {"t": check_celsius}


def _exp(x):
    # Torch tensors keep their own exp (device, gradients): the canopy solver runs these kernels on torch.
    return x.exp() if hasattr(x, "exp") and not isinstance(x, np.ndarray) else np.exp(x)


@formula(name="es", long_name="saturation vapour pressure", units="kPa", inputs=_T, checks=_CHECK_T)
def saturation_vapour_pressure(t):
    r"""Saturation vapour pressure over water at air temperature (FAO-56 Eq. 11).

    .. math:: e^\circ(T) = 0.6108 \exp\left(\frac{17.27\,T}{T + 237.3}\right)

    Parameters
    ----------
    t : float, numpy.ndarray or xarray.DataArray
        Air temperature [degC].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Saturation vapour pressure e° [kPa].

    See Also
    --------
    pyet.meteo_utils.calc_e0 : the same formula.

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 11; Tetens (1930).

    Examples
    --------
    >>> print(f"{saturation_vapour_pressure(21.5):.3f}")  # FAO-56 Example 18
    2.564
    """
    return 0.6108 * _exp(17.27 * t / (t + 237.3))


@formula(
    name="delta",
    long_name="slope of the saturation vapour pressure curve",
    units="kPa degC-1",
    inputs=_T,
    checks=_CHECK_T,
)
def slope_saturation_vapour_pressure(t):
    r"""Slope of the saturation vapour pressure curve at air temperature (FAO-56 Eq. 13).

    .. math:: \Delta = \frac{4098\, e^\circ(T)}{(T + 237.3)^2}

    Parameters
    ----------
    t : float, numpy.ndarray or xarray.DataArray
        Air temperature [degC].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Slope Δ [kPa degC-1].

    See Also
    --------
    pyet.meteo_utils.calc_vpc : the same formula.

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 13.

    Examples
    --------
    >>> print(f"{slope_saturation_vapour_pressure(16.9):.3f}")  # FAO-56 Example 18
    0.122
    """
    return 4098.0 * saturation_vapour_pressure.kernel(t) / (t + 237.3) ** 2


@formula(name="pressure", long_name="atmospheric pressure", units="kPa", inputs={"elevation": "m"})
def atmospheric_pressure(elevation):
    r"""Atmospheric pressure from elevation for a standard atmosphere at 20 degC (FAO-56 Eq. 7).

    .. math:: P = 101.3 \left(\frac{293 - 0.0065\,z}{293}\right)^{5.26}

    Parameters
    ----------
    elevation : float, numpy.ndarray or xarray.DataArray
        Elevation above sea level z [m].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Atmospheric pressure P [kPa].

    See Also
    --------
    pyet.meteo_utils.calc_press : the same formula.

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 7.

    Examples
    --------
    >>> print(f"{atmospheric_pressure(1800.0):.1f}")  # FAO-56 Example 2
    81.8
    """
    return 101.3 * ((293.0 - 0.0065 * elevation) / 293.0) ** 5.26


@formula(
    name="gamma",
    long_name="psychrometric constant",
    units="kPa degC-1",
    inputs={"pressure": "kPa"},
)
def psychrometric_constant(pressure):
    r"""Psychrometric constant (FAO-56 Eq. 8).

    .. math:: \gamma = \frac{c_p P}{\varepsilon \lambda} = 0.665 \times 10^{-3} P

    with :math:`c_p = 1.013 \times 10^{-3}` MJ kg-1 degC-1, ε = 0.622 and
    λ = 2.45 MJ kg-1; the coefficient is used as FAO-56 prints it, 0.665e-3
    (the worked examples and Table 2.2 round it so).

    Parameters
    ----------
    pressure : float, numpy.ndarray or xarray.DataArray
        Atmospheric pressure P [kPa].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Psychrometric constant γ [kPa degC-1].

    See Also
    --------
    pyet.meteo_utils.calc_psy : the same formula when ``tmean`` is not given.

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 8.

    Examples
    --------
    >>> print(f"{psychrometric_constant(81.8):.3f}")  # FAO-56 Example 2
    0.054
    """
    return 0.665e-3 * pressure


@formula(
    name="lambda",
    long_name="latent heat of vaporisation",
    units="MJ kg-1",
    inputs=_T,
    checks=_CHECK_T,
)
def latent_heat_vaporisation(t):
    r"""Latent heat of vaporisation of water at air temperature (FAO-56 Annex 3 Eq. 3-1).

    .. math:: \lambda = 2.501 - 0.002361\,T

    Parameters
    ----------
    t : float, numpy.ndarray or xarray.DataArray
        Air temperature [degC].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Latent heat of vaporisation λ [MJ kg-1].

    See Also
    --------
    pyet.meteo_utils.calc_lambda : the same formula.

    References
    ----------
    Harrison, L. P. (1963) Fundamental concepts and definitions relating to
    humidity. In: Humidity and Moisture, Vol. 3, Reinhold, New York.
    Allen et al. (1998) FAO-56, Annex 3, Eq. 3-1.

    Examples
    --------
    >>> print(f"{latent_heat_vaporisation(20.0):.2f}")
    2.45
    """
    return 2.501 - 0.002361 * t


@formula(
    name="rho_air",
    long_name="mean air density at constant pressure",
    units="kg m-3",
    inputs={"t": "degC", "pressure": "kPa", "ea": "kPa"},
    checks=_CHECK_T,
)
def air_density(t, pressure, ea=0.0):
    r"""Mean air density from the virtual temperature (FAO-56 Annex 3 Eqs. 3-5 to 3-7).

    .. math::

        \rho_a = \frac{P}{T_{kv} R}, \qquad
        T_{kv} = \frac{T_K}{1 - 0.378\, e_a / P}, \qquad T_K = T + 273.16

    with R = 0.287 kJ kg-1 K-1.

    Parameters
    ----------
    t : float, numpy.ndarray or xarray.DataArray
        Air temperature [degC].
    pressure : float, numpy.ndarray or xarray.DataArray
        Atmospheric pressure P [kPa].
    ea : float, numpy.ndarray or xarray.DataArray, optional
        Actual vapour pressure [kPa]; 0 gives dry air.

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Air density ρ_a [kg m-3].

    See Also
    --------
    pyet.meteo_utils.calc_rho : the same formula.

    References
    ----------
    Allen et al. (1998) FAO-56, Annex 3, Eqs. 3-5, 3-6, 3-7.

    Examples
    --------
    >>> print(f"{air_density(20.0, 101.3):.3f}")
    1.204
    """
    virtual_temperature = (t + ZERO_CELSIUS) / (1.0 - 0.378 * ea / pressure)
    return pressure / (virtual_temperature * GAS_CONSTANT_DRY_AIR)


_TMAX_TMIN = {"tmax": "degC", "tmin": "degC"}
_CHECK_TMAX_TMIN = {"tmax": check_celsius, "tmin": check_celsius}


@formula(
    name="es",
    long_name="mean saturation vapour pressure",
    units="kPa",
    inputs=_TMAX_TMIN,
    checks=_CHECK_TMAX_TMIN,
)
def mean_saturation_vapour_pressure(tmax, tmin):
    r"""Mean saturation vapour pressure of a day from its extreme temperatures (FAO-56 Eq. 12).

    .. math:: e_s = \frac{e^\circ(T_{max}) + e^\circ(T_{min})}{2}

    Parameters
    ----------
    tmax, tmin : float, numpy.ndarray or xarray.DataArray
        Daily maximum and minimum air temperature [degC].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Mean saturation vapour pressure e_s [kPa].

    See Also
    --------
    pyet.meteo_utils.calc_es : the same formula when ``tmax``/``tmin`` are given.

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 12.

    Examples
    --------
    >>> print(f"{mean_saturation_vapour_pressure(21.5, 12.3):.3f}")  # FAO-56 Example 18
    1.997
    """
    es = saturation_vapour_pressure.kernel
    return 0.5 * (es(tmax) + es(tmin))


@formula(
    name="ea",
    long_name="actual vapour pressure",
    units="kPa",
    inputs={**_TMAX_TMIN, "rhmax": "%", "rhmin": "%"},
    checks={**_CHECK_TMAX_TMIN, "rhmax": check_percent},
)
def actual_vapour_pressure_from_rh(tmax, tmin, rhmax, rhmin):
    r"""Actual vapour pressure from daily maximum and minimum relative humidity (FAO-56 Eq. 17).

    .. math:: e_a = \frac{e^\circ(T_{min}) RH_{max}/100 + e^\circ(T_{max}) RH_{min}/100}{2}

    Parameters
    ----------
    tmax, tmin : float, numpy.ndarray or xarray.DataArray
        Daily maximum and minimum air temperature [degC].
    rhmax, rhmin : float, numpy.ndarray or xarray.DataArray
        Daily maximum and minimum relative humidity [%].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Actual vapour pressure e_a [kPa].

    Raises
    ------
    ValueError
        If ``rhmax`` given as a plain array looks like a fraction (all values <= 1).

    See Also
    --------
    pyet.meteo_utils.calc_ea : the same formula when ``rhmax``/``rhmin`` are given.

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 17.

    Examples
    --------
    >>> print(f"{actual_vapour_pressure_from_rh(21.5, 12.3, 84.0, 63.0):.3f}")  # FAO-56 Example 18
    1.409
    """
    es = saturation_vapour_pressure.kernel
    return 0.5 * (es(tmin) * rhmax / 100.0 + es(tmax) * rhmin / 100.0)


@formula(
    name="ea",
    long_name="actual vapour pressure",
    units="kPa",
    inputs={**_TMAX_TMIN, "rhmean": "%"},
    checks={**_CHECK_TMAX_TMIN, "rhmean": check_percent},
)
def actual_vapour_pressure_from_rhmean(tmax, tmin, rhmean):
    r"""Actual vapour pressure from daily mean relative humidity (FAO-56 Eq. 19).

    .. math:: e_a = \frac{RH_{mean}}{100} \frac{e^\circ(T_{max}) + e^\circ(T_{min})}{2}

    Parameters
    ----------
    tmax, tmin : float, numpy.ndarray or xarray.DataArray
        Daily maximum and minimum air temperature [degC].
    rhmean : float, numpy.ndarray or xarray.DataArray
        Daily mean relative humidity [%].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Actual vapour pressure e_a [kPa].

    References
    ----------
    Allen et al. (1998) FAO-56, Eq. 19.

    Examples
    --------
    >>> print(f"{actual_vapour_pressure_from_rhmean(25.0, 18.0, 68.0):.2f}")  # FAO-56 Example 5
    1.78
    """
    return rhmean / 100.0 * mean_saturation_vapour_pressure.kernel(tmax, tmin)


@formula(
    name="vpd",
    long_name="vapour pressure deficit",
    units="kPa",
    inputs={"tmean": "degC", "rh": "%"},
    checks={"tmean": check_celsius, "rh": check_percent},
)
def vapour_pressure_deficit(tmean, rh):
    r"""Vapour pressure deficit from air temperature and relative humidity.

    .. math:: VPD = e^\circ(T) \left(1 - \frac{RH}{100}\right)

    FAO-56 (Eq. 19 and Chapter 3) prefers :math:`e_s` from Eq. 12 for daily
    data; this form is for instantaneous or hourly values and for gridded
    inputs that only carry a mean temperature.

    Parameters
    ----------
    tmean : float, numpy.ndarray or xarray.DataArray
        Air temperature [degC].
    rh : float, numpy.ndarray or xarray.DataArray
        Relative humidity [%].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        Vapour pressure deficit e_s - e_a [kPa].

    References
    ----------
    Allen et al. (1998) FAO-56, Eqs. 11 and 10 (RH = 100 e_a / e°).

    Examples
    --------
    >>> print(f"{vapour_pressure_deficit(38.0, 52.0):.3f}")  # FAO-56 Example 19, 14-15 h
    3.180
    """
    return saturation_vapour_pressure.kernel(tmean) * (1.0 - rh / 100.0)
