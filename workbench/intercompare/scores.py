"""ILAMB-style scores (0 to 1, comparable across variables) and a products x scores x regions table.

Following Collier et al. (2018), errors are made relative to the reference's
own variability, mapped through ``exp(-x)`` per cell and then area-averaged:

.. math::

    S_{bias} = \\exp(-|\\bar{s} - \\bar{o}| / \\sigma_o), \\quad
    S_{rmse} = \\exp(-\\mathrm{crmse} / \\sigma_o), \\quad
    S_{phase} = \\tfrac12 (1 + \\cos(2\\pi \\Delta t / 365.25)),

    S_{dist} = 2 (1 + R) / (\\sigma + 1/\\sigma)^2 \\ \\text{(spatial pattern of the means)}, \\quad
    S_{iav} = \\exp(-|iav_s - iav_o| / iav_o)

with ``sigma_o`` the reference's standard deviation over time in each cell. The
overall score weights them as ILAMB does (bias 1, RMSE 2, phase 1, spatial
distribution 1, interannual variability 1; a component that cannot be
computed, e.g. IAV with one year, is left out of the weighted mean).

References
----------
Collier, N. et al. (2018). The International Land Model Benchmarking (ILAMB) system:
design, theory, and implementation. JAMES 10, 2731-2754.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from .aggregate import area_mean, area_weights
from .metrics import _harmonise, compute_metrics, interannual_variability, phase_shift
from .regrid import stack_products

__all__ = ["ilamb_scores", "score_table", "SCORE_WEIGHTS"]

SCORE_WEIGHTS = {"bias": 1.0, "rmse": 2.0, "phase": 1.0, "spatial_distribution": 1.0, "iav": 1.0}


def _spatial_distribution(obs_mean, sim_mean, mask):
    w = area_weights(obs_mean).broadcast_like(obs_mean).where(mask & obs_mean.notnull() & sim_mean.notnull(), 0.0)
    stats = compute_metrics(obs_mean, sim_mean, ["std_ratio", "pearson_r"], dim=["lat", "lon"], weights=w, skipna=True)
    s, r = stats.std_ratio, stats.pearson_r
    return 2 * (1 + r) / (s + 1 / s) ** 2


def _cell_scores(obs: xr.DataArray, sim: xr.DataArray) -> xr.Dataset:
    """Per-cell score maps and time means of one product (computed once, then reduced per region)."""
    obs, sim = _harmonise(obs, sim)
    valid = obs.notnull() & sim.notnull()
    o, s = obs.where(valid), sim.where(valid)
    m = compute_metrics(o, s, ["bias", "ubrmse"], dim="time", skipna=True)
    sigma = o.std("time", skipna=True)
    cells = xr.Dataset(
        {
            "bias": np.exp(-abs(m.bias) / sigma),
            "rmse": np.exp(-m.ubrmse / sigma),
            "phase": 0.5 * (1 + np.cos(2 * np.pi * phase_shift(o, s, skipna=True) / 365.25)),
            "obs_mean": o.mean("time"),
            "sim_mean": s.mean("time"),
        }
    )
    if _years(obs) > 1:
        iav_o, iav_s = interannual_variability(o, skipna=True), interannual_variability(s, skipna=True)
        cells["iav"] = np.exp(-abs(iav_s - iav_o) / iav_o)
    return cells.compute()


def _region_scores(cells: xr.Dataset, mask, region: str) -> xr.Dataset:
    region_mask = xr.ones_like(cells.obs_mean, dtype=bool) if mask is None else mask
    out = {k: area_mean(cells[k].where(region_mask), region=region) for k in ("bias", "rmse", "phase")}
    out["spatial_distribution"] = _spatial_distribution(cells.obs_mean, cells.sim_mean, region_mask)
    out["iav"] = area_mean(cells["iav"].where(region_mask), region=region) if "iav" in cells else xr.DataArray(np.nan)
    ds = xr.Dataset({k: v.astype(float).assign_attrs(units="1", long_name=f"ILAMB {k} score") for k, v in out.items()})
    num = sum(SCORE_WEIGHTS[k] * ds[k].fillna(0.0) for k in SCORE_WEIGHTS)
    den = sum(SCORE_WEIGHTS[k] * ds[k].notnull() for k in SCORE_WEIGHTS)
    ds["overall"] = (num / den).assign_attrs(units="1", long_name="ILAMB overall score (weighted)")
    return ds


def ilamb_scores(obs: xr.DataArray, sim: xr.DataArray, *, mask=None, region: str = "domain") -> xr.Dataset:
    """ILAMB scores of one product against a reference over a region.

    Parameters
    ----------
    obs, sim : xarray.DataArray
        (time, lat, lon) on the same grid; ``sim`` converted to ``obs`` units.
        Missing values are masked consistently (a value is used only where
        both have one).
    mask : bool DataArray (lat, lon), optional
        The region.
    region : str
        Name for error messages.

    Returns
    -------
    xarray.Dataset
        Scalars ``bias``, ``rmse``, ``phase``, ``spatial_distribution``,
        ``iav`` and ``overall`` [1], each in [0, 1].
    """
    return _region_scores(_cell_scores(obs, sim), mask, region)


def _years(da):
    return np.unique(da["time"].dt.year.values).size


def score_table(products, reference: xr.DataArray, regions: dict | None = None) -> xr.Dataset:
    """Scores of every product against the reference, per region.

    Parameters
    ----------
    products : xarray.Dataset, dict or stacked DataArray
    reference : xarray.DataArray
        The reference (the known truth, or a chosen product).
    regions : dict of name -> bool mask, optional
        Default a single ``"all"`` region.

    Returns
    -------
    xarray.Dataset
        Variables per score, dims (``product``, ``region``) [1]: the portrait
        plot's data (:func:`workbench.viz.intercompare.plot_portrait`).
    """
    stacked = stack_products(products)
    regions = regions or {"all": None}
    rows = []
    for name in stacked["product"].values:
        cells = _cell_scores(reference, stacked.sel(product=name, drop=True).assign_attrs(units=stacked.attrs["units"]))
        try:
            per = [_region_scores(cells, m, r) for r, m in regions.items()]
        except ValueError as err:
            raise ValueError(f"product {str(name)!r}: {err}") from None
        rows.append(xr.concat(per, dim="region").assign_coords(region=list(regions)))
    return xr.concat(rows, dim="product").assign_coords(product=stacked["product"].values)
