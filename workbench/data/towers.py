"""Virtual flux towers: point series sampled from the virtual land, measured like real eddy-covariance sites."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .landcover import LAND_COVER

__all__ = ["virtual_towers", "flux_error_sd"]

_FORCING = ("rs", "rn", "g", "tmean", "tmin", "tmax", "rh", "vpd", "ea", "wind", "pressure", "precip", "lai")


def _choose_cells(land: xr.Dataset, n_sites: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Pick cells spread over land-cover classes (round-robin over the classes present)."""
    cover = np.asarray(land["land_cover"].values)
    by_class = {}
    for code in np.unique(cover):
        cells = np.argwhere(cover == code)
        by_class[int(code)] = [tuple(c) for c in cells[rng.permutation(len(cells))]]
    if n_sites > cover.size:
        raise ValueError(f"n_sites={n_sites} exceeds the {cover.size} cells of the land")
    chosen: list[tuple[int, int]] = []
    while len(chosen) < n_sites:
        for code in sorted(by_class):
            if by_class[code] and len(chosen) < n_sites:
                chosen.append(by_class[code].pop())
    return chosen


def flux_error_sd(flux, noise: float = 0.1):
    """Random-error standard deviation of an eddy-covariance flux: ``5 W m-2 + noise * |flux|``.

    The towers' noise model (random error grows with the flux; Richardson et al. 2006).

    Parameters
    ----------
    flux : array-like
        Latent or sensible heat flux [W m-2].
    noise : float, default 0.1
        Relative error [1].

    Examples
    --------
    >>> float(flux_error_sd(100.0, 0.1))
    15.0
    """
    return 5.0 + noise * np.abs(flux)


def virtual_towers(
    land: xr.Dataset,
    *,
    n_sites: int = 8,
    seed: int = 0,
    noise: float = 0.1,
    closure_gap: float = 0.15,
) -> xr.Dataset:
    """Sample flux-tower series from a virtual land.

    Towers see the true forcing of their cell, but measure turbulent fluxes as
    eddy covariance does: each site under-closes its energy balance by its own
    fraction (on average ``closure_gap``; Wilson et al. 2002 report ~20 %), and
    random error grows with the flux (Richardson et al. 2006).

    Parameters
    ----------
    land : xarray.Dataset
        Output of :func:`virtual_land`.
    n_sites : int, default 8
        Number of towers, spread over the land-cover classes present.
    seed : int, default 0
        Seed for site choice, closure gaps and noise.
    noise : float, default 0.1
        Relative random error of LE and H [1]; the error standard deviation is
        ``5 W m-2 + noise * |flux|``.
    closure_gap : float, default 0.15
        Mean fraction of available energy (rn - g) missing from le + h [1].

    Returns
    -------
    xarray.Dataset
        Dimensions ``(site, time)``; coordinates ``site`` ("VL-01", ...),
        ``lat``, ``lon``, ``land_cover`` and ``igbp``. The forcing of each
        cell, measured ``le`` and ``h`` [W m-2] and ``et`` [mm d-1] from the
        measured ``le``, the truth ``le_true``, ``h_true``, ``et_true``, and
        the site's ``closure`` fraction.

    Examples
    --------
    >>> from workbench.data import virtual_land
    >>> land = virtual_land(lat=(40, 46), lon=(0, 6), start="2020-06-01", end="2020-06-30")
    >>> towers = virtual_towers(land, n_sites=3, seed=1)
    >>> towers.sizes["site"], towers.site.values.tolist()
    (3, ['VL-01', 'VL-02', 'VL-03'])
    """
    from ..physics import le_to_et

    if not 0.0 <= closure_gap < 1.0:
        raise ValueError(f"closure_gap must be in [0, 1); got {closure_gap}")
    if noise < 0:
        raise ValueError(f"noise must be >= 0; got {noise}")
    missing = [v for v in (*_FORCING, "le", "h", "et", "land_cover") if v not in land]
    if missing:
        raise ValueError(f"land is missing the variables {missing}; pass the output of virtual_land()")

    rng = np.random.default_rng(seed)
    cells = _choose_cells(land, n_sites, rng)
    ilat = xr.DataArray([c[0] for c in cells], dims="site")
    ilon = xr.DataArray([c[1] for c in cells], dims="site")
    point = land.isel(lat=ilat, lon=ilon).compute()
    point = point.transpose("site", "time")

    site_ids = [f"VL-{i + 1:02d}" for i in range(n_sites)]
    codes = point["land_cover"].values.astype(int)
    code_to_name = dict(zip(LAND_COVER["code"], LAND_COVER.index))
    closure = np.clip(1.0 - closure_gap * rng.uniform(0.5, 1.5, n_sites), 0.5, 1.0)

    towers = point[list(_FORCING)].copy()
    towers = towers.assign_coords(
        site=("site", site_ids),
        lat=("site", point["lat"].values, dict(land["lat"].attrs)),
        lon=("site", point["lon"].values, dict(land["lon"].attrs)),
        land_cover=("site", codes),
        igbp=("site", [code_to_name[c] for c in codes]),
    )
    shape = (n_sites, point.sizes["time"])
    for flux in ("le", "h"):
        true = point[flux].values.astype(float)
        sigma = flux_error_sd(true, noise)
        measured = closure[:, None] * true + sigma * rng.standard_normal(shape)
        attrs = dict(point[flux].attrs)
        towers[f"{flux}_true"] = (("site", "time"), true, attrs)
        towers[flux] = (("site", "time"), measured, {**attrs, "long_name": attrs["long_name"].replace("(true)", "(measured)")})
    towers["et_true"] = (("site", "time"), point["et"].values.astype(float), dict(point["et"].attrs))
    et = le_to_et(towers["le"], towers["tmean"])
    towers["et"] = et.rename("et").assign_attrs(units="mm d-1", long_name="evapotranspiration (from measured le)")
    towers["closure"] = ("site", closure, {"units": "1", "long_name": "energy-balance closure fraction (le + h)/(rn - g)"})
    towers.attrs = {"title": "Virtual flux towers", "source": "workbench.data.virtual_towers", "seed": seed, "noise": noise, "closure_gap": closure_gap}
    return towers
