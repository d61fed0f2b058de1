"""Physical constants used by the reference evapotranspiration formulas.

Values and units as in FAO-56 (Allen et al. 1998; full reference in
:mod:`workbench.physics`), Chapter 3 and Annex 3.
"""

from __future__ import annotations

__all__ = [
    "SOLAR_CONSTANT",
    "STEFAN_BOLTZMANN_DAY",
    "STEFAN_BOLTZMANN_HOUR",
    "SPECIFIC_HEAT_AIR",
    "RATIO_MOLECULAR_WEIGHT",
    "LATENT_HEAT_FAO",
    "GAS_CONSTANT_DRY_AIR",
    "VON_KARMAN",
    "ZERO_CELSIUS",
    "SECONDS_PER_DAY",
    "SECONDS_PER_HOUR",
]

#: Solar constant G_sc [MJ m-2 min-1] (FAO-56 Eq. 21).
SOLAR_CONSTANT = 0.0820
#: Stefan-Boltzmann constant per day [MJ K-4 m-2 d-1] (FAO-56 Eq. 39).
STEFAN_BOLTZMANN_DAY = 4.903e-9
#: Stefan-Boltzmann constant per hour [MJ K-4 m-2 h-1] (FAO-56 Eq. 39, hourly).
STEFAN_BOLTZMANN_HOUR = 2.043e-10
#: Specific heat of moist air at constant pressure c_p [MJ kg-1 degC-1] (FAO-56 Eq. 8).
SPECIFIC_HEAT_AIR = 1.013e-3
#: Ratio of molecular weights of water vapour and dry air epsilon [-] (FAO-56 Eq. 8).
RATIO_MOLECULAR_WEIGHT = 0.622
#: Latent heat of vaporisation FAO-56 uses at about 20 degC [MJ kg-1] (FAO-56 Eq. 8, Annex 3).
LATENT_HEAT_FAO = 2.45
#: Specific gas constant of dry air R [kJ kg-1 K-1] (FAO-56 Annex 3 Eq. 3-5).
GAS_CONSTANT_DRY_AIR = 0.287
#: von Karman's constant k [-] (FAO-56 Eq. 4).
VON_KARMAN = 0.41
#: 0 degC in kelvin as FAO-56 writes it in Eqs. 39 and 3-7 [K].
ZERO_CELSIUS = 273.16
#: Seconds in a day and in an hour [s].
SECONDS_PER_DAY = 86400.0
SECONDS_PER_HOUR = 3600.0
