"""Reference land-surface physics: psychrometrics, radiation and evapotranspiration formulas.

One function per formula, with the FAO-56 argument names and units listed in
CONTRIBUTING.md. Each accepts numbers, NumPy arrays (in the documented units)
and xarray DataArrays (converted from their ``units`` attribute; the result is
a named DataArray with ``units`` and ``long_name``; dask stays lazy).

Examples
--------
>>> from workbench import physics
>>> et = physics.fao56_penman_monteith(13.28, 16.9, 2.078, 1.997, 1.409, pressure=100.1)
>>> print(f"{et:.2f}")  # FAO-56 Example 18
3.88
"""

from . import constants
from .et import (
    aerodynamic_resistance,
    et_to_le,
    fao56_penman_monteith,
    fao56_penman_monteith_hourly,
    hargreaves_samani,
    le_to_et,
    penman_monteith,
    priestley_taylor,
    soil_heat_flux_hourly,
    wind_speed_2m,
)
from .psychrometrics import (
    actual_vapour_pressure_from_rh,
    actual_vapour_pressure_from_rhmean,
    air_density,
    atmospheric_pressure,
    latent_heat_vaporisation,
    mean_saturation_vapour_pressure,
    psychrometric_constant,
    saturation_vapour_pressure,
    slope_saturation_vapour_pressure,
    vapour_pressure_deficit,
)
from .radiation import (
    clear_sky_radiation,
    daylight_hours,
    extraterrestrial_radiation,
    extraterrestrial_radiation_hourly,
    inverse_relative_distance,
    net_longwave_radiation,
    net_radiation,
    net_shortwave_radiation,
    solar_declination,
    solar_radiation_from_sunshine,
    solar_radiation_hargreaves,
    sunset_hour_angle,
)

__all__ = [
    "constants",
    # psychrometrics
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
    # radiation
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
    # evapotranspiration
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

from .reference import REFERENCE_METHODS, reference_et  # noqa: E402  (uses the formulas above)

__all__ += ["REFERENCE_METHODS", "reference_et"]
