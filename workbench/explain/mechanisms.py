"""Planted error mechanisms: models of the virtual land that are wrong for a known reason.

Each :class:`Mechanism` adds a physically motivated error to the true latent
heat flux of :func:`workbench.data.virtual_land`; the planted driver(s) are
known, so an explanation of the resulting residual can be scored. The
observations are the truth plus tower-like random error (5 W m-2 + 10 % of
the flux, Richardson et al. 2006), so the residual ``model - observation`` is
the planted error plus noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import xarray as xr

from .. import physics
from ..data import LAND_COVER
from .drivers import land_drivers, stack_samples

__all__ = ["MECHANISMS", "Mechanism", "planted_residuals"]


@dataclass(frozen=True)
class Mechanism:
    """A planted error: a name, its true driver(s), a story and the error it adds.

    Attributes
    ----------
    name : str
    drivers : tuple of str
        The planted cause(s), names from :data:`workbench.explain.DRIVERS`.
    description : str
        The physical story of the error.
    error : callable
        ``error(land, drivers) -> xarray.DataArray``: the error added to the
        true latent heat flux [W m-2].
    kind : {"single", "combination", "interaction", "hidden"}
        ``hidden``: the cause is not among the drivers an error model sees.
    """

    name: str
    drivers: tuple[str, ...]
    description: str
    error: Callable[[xr.Dataset, xr.Dataset], xr.DataArray] = field(repr=False)
    kind: str = "single"


def _no_water_stress(land, d):
    # A bucket model's LE is beta * LE_pot; a model without water stress keeps beta = 1 and so
    # over-estimates LE by (1 - beta) LE_pot, with LE_pot from Priestley-Taylor (1972).
    pt = physics.priestley_taylor(land["rn"], land["tmean"], g=land["g"], pressure=land["pressure"])
    le_pot = physics.et_to_le(pt, land["tmean"]).clip(min=0.0)
    return (1.0 - land["water_stress"]) * le_pot


def _land_cover_bias(land, d):
    code = LAND_COVER["code"]
    bias = xr.zeros_like(d["land_cover"])
    bias = bias.where(d["land_cover"] != code["CRO"], 35.0)   # irrigation not modelled
    return bias.where(d["land_cover"] != code["ENF"], -25.0)  # needleleaf conductance too low


def _timing_lag(land, d):
    le = land["le"].astype(float)
    return (le.shift(time=1) - le).fillna(0.0)  # the model is one day late


def _lai(land, d):
    return 15.0 * (d["lai"] - 2.0)  # canopy conductance linear in LAI, no saturation


def _wind(land, d):
    return 12.0 * (d["wind"] - 2.5)  # aerodynamic term with a wrong roughness


def _cloud(land, d):
    return 90.0 * d["cloudiness"]  # cloud radiative effect under-estimated


def _dry_vpd(land, d):
    return 40.0 * d["vpd"] * (1.0 - land["water_stress"])


def _interception(land, d):
    return -4.0 * land["precip"]


def _sum(*parts):
    return lambda land, d: sum(p(land, d) for p in parts)


MECHANISMS: dict[str, Mechanism] = {m.name: m for m in (
    Mechanism("no_water_stress", ("soil_wetness",),
              "no soil-water stress: LE = LE_pot where the land has beta * LE_pot", _no_water_stress),
    Mechanism("lai_conductance", ("lai",), "canopy conductance linear in LAI (no saturation): 15 (LAI - 2) W m-2", _lai),
    Mechanism("land_cover_bias", ("land_cover",),
              "class biases: croplands +35 W m-2 (irrigation), needleleaf forest -25 W m-2", _land_cover_bias),
    Mechanism("cloud_radiation", ("cloudiness",),
              "shortwave too high under clouds: 90 x cloudiness W m-2", _cloud),
    Mechanism("wind_aerodynamic", ("wind",), "wrong roughness: 12 (u - 2.5) W m-2", _wind),
    Mechanism("timing_lag", ("rn_change",),
              "the model runs one day late: LE(t-1) - LE(t), which follows the change of the forcing", _timing_lag),
    Mechanism("vpd_response", ("vpd",), "no stomatal closure with VPD: 30 VPD W m-2",
              lambda land, d: 30.0 * d["vpd"]),
    Mechanism("temperature_bias", ("tmean",), "temperature response too steep: 2.5 (T - 12) W m-2",
              lambda land, d: 2.5 * (d["tmean"] - 12.0)),
    Mechanism("net_radiation_scale", ("rn",), "net radiation 15 % too high: 0.15 Rn",
              lambda land, d: 0.15 * d["rn"]),
    Mechanism("dry_and_cloudy", ("soil_wetness", "cloudiness"),
              "no water stress and the cloud bias together", _sum(_no_water_stress, _cloud), "combination"),
    Mechanism("lai_and_wind", ("lai", "wind"), "the LAI and the roughness errors together", _sum(_lai, _wind),
              "combination"),
    Mechanism("lai_x_wind", ("lai", "wind"), "an interaction: 6 (LAI - 2)(u - 2.5) W m-2",
              lambda land, d: 6.0 * (d["lai"] - 2.0) * (d["wind"] - 2.5), "interaction"),
    Mechanism("dry_air_on_dry_soil", ("vpd", "soil_wetness"),
              "an interaction of correlated drivers: 40 VPD (1 - beta) W m-2", _dry_vpd, "interaction"),
    Mechanism("rain_interception", ("precip",),
              "interception loss not modelled: -4 W m-2 per mm d-1 of rain; precip is NOT among the drivers, "
              "so an explanation can only blame its correlates (a hidden cause)", _interception, "hidden"),
)}


def planted_residuals(land: xr.Dataset, mechanism: str | Mechanism, *, seed: int = 0, noise: float = 0.1,
                      stack: bool = True) -> xr.Dataset:
    """Drivers and the residual of a model with a planted error, against noisy observations.

    Parameters
    ----------
    land : xarray.Dataset
        Output of :func:`workbench.data.virtual_land`.
    mechanism : str or Mechanism
        A key of :data:`MECHANISMS` or a :class:`Mechanism`.
    seed : int, default 0
        Seed of the observation noise.
    noise : float, default 0.1
        Relative random error of the observations [1]; its standard deviation
        is ``5 W m-2 + noise * |le|``.
    stack : bool, default True
        Return a ``sample`` table (:func:`stack_samples`, one group per cell)
        instead of the grid.

    Returns
    -------
    xarray.Dataset
        The drivers of :func:`land_drivers`, ``residual`` (model - observation),
        ``error`` (the planted error, noise-free) and ``le_obs`` [W m-2];
        ``attrs["mechanism"]`` and ``attrs["planted"]`` (space-separated drivers).

    Examples
    --------
    >>> from workbench.data import virtual_land
    >>> land = virtual_land(lat=(40, 42), lon=(0, 2), start="2020-06-01", end="2020-06-10")
    >>> t = planted_residuals(land, "wind_aerodynamic", noise=0.0)
    >>> bool(abs(t.residual - 12.0 * (t.wind - 2.5)).max() < 0.01), t.attrs["planted"]
    (True, 'wind')
    """
    if isinstance(mechanism, str):
        if mechanism not in MECHANISMS:
            raise ValueError(f"unknown mechanism {mechanism!r}; available: {sorted(MECHANISMS)}")
        mechanism = MECHANISMS[mechanism]
    if noise < 0:
        raise ValueError(f"noise must be >= 0, got {noise}")
    d = land_drivers(land)
    truth = land["le"].astype(float)
    error = mechanism.error(land, d).astype(float).transpose(*truth.dims)
    rng = np.random.default_rng(seed)
    obs = truth + (5.0 * (noise > 0) + noise * np.abs(truth)) * rng.standard_normal(truth.shape)
    flux = {"units": "W m-2"}
    out = d.assign(
        residual=(error + truth - obs).assign_attrs(flux, long_name=f"residual model - observation ({mechanism.name})"),
        error=error.assign_attrs(flux, long_name=f"planted error ({mechanism.name})"),
        le_obs=obs.assign_attrs(flux, long_name="latent heat flux, observed (truth + noise)"),
    )
    out.attrs = {"mechanism": mechanism.name, "planted": " ".join(mechanism.drivers), "description": mechanism.description}
    return stack_samples(out) if stack else out
