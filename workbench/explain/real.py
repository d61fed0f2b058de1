"""Real diagnostics: why ECOSTRESS models miss AmeriFlux towers, and why FAO-56 PM misses FLUXNET tower ET.

Both loaders return ``sample`` tables ready for :class:`~workbench.explain.ErrorModel`
(one group per site: the error model is fitted on some towers and explained
on the others). When the real files cannot be had
(:class:`workbench.data.RealDataUnavailable`), they say so with a warning
naming what is missing and return a virtual stand-in of the same shape, built
on the virtual land, so every section still shows data.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from .. import physics
from ..data import (ECOSTRESS_MODELS, RealDataUnavailable, fetch_real, read_ecostress_calval, read_fluxnet,
                    real_files, virtual_land, virtual_towers)
from ..data.products import ECOSTRESS_COLUMNS
from .drivers import land_drivers, stack_samples
from .mechanisms import MECHANISMS, planted_residuals

__all__ = ["ECOSTRESS_DRIVERS", "FLUXNET_DRIVERS", "FLUXNET_SITES_FAST", "ecostress_tables", "fluxnet_pm_table"]

ECOSTRESS_CALVAL = "ecostress_calval_ameriflux/combined_eco_flux_EC_filtered.csv"
#: Drivers of the ECOSTRESS cal/val table: name -> (column, units, long_name).
ECOSTRESS_DRIVERS = {
    **{name: (col, *ECOSTRESS_COLUMNS[col]) for name, col in (
        ("soil_moisture", "SM"), ("ndvi", "NDVI"), ("rh", "RH"), ("lst", "LST"), ("rn", "Rn"), ("tair", "Ta"))},
    "land_cover": ("vegetation", "1", "IGBP class (code of attrs flag_meanings)"),
}
#: Drivers of the FAO-56 PM diagnostic at FLUXNET towers.
FLUXNET_DRIVERS = ("swc", "vpd", "tmean", "rn", "wind")
#: Towers of the fast run (dry-summer and semi-arid sites with soil water and net radiation).
FLUXNET_SITES_FAST = ("AU-Rig", "CN-Cng", "IT-Tor", "US-Var")


def _notice(what, err):
    warnings.warn(f"{what} is not available ({err}); using a VIRTUAL stand-in built on the virtual land, "
                  "so the numbers below are not real-data results", UserWarning, stacklevel=3)


def _codes(names):
    classes = sorted(set(names))
    return np.array([classes.index(n) for n in names], dtype=float), classes


def ecostress_tables(path=None, *, models=None) -> tuple[dict[str, xr.Dataset], str]:
    """Residual tables (model - tower LE) of the ECOSTRESS models, with the table's drivers.

    Parameters
    ----------
    path : str or Path, optional
        The cal/val CSV; default ``fetch_real("ecostress_calval_ameriflux/...")``.
    models : list of str, optional
        Names from :data:`workbench.data.ECOSTRESS_MODELS` (default all five).

    Returns
    -------
    tables : dict
        Model name -> ``sample`` table with the drivers of
        :data:`ECOSTRESS_DRIVERS`, ``residual`` (model - tower ``LE_filt``)
        and ``le_obs`` [W m-2]; one group per site. Rows with a missing value
        are dropped (and counted in ``attrs["dropped"]``).
    source : str
        ``"real"`` or ``"virtual"``.
    """
    try:
        path = path or fetch_real(ECOSTRESS_CALVAL)
        ds = read_ecostress_calval(path)
        frame = pd.read_csv(path, usecols=[c for c, _, _ in ECOSTRESS_DRIVERS.values()])
    except (RealDataUnavailable, FileNotFoundError) as err:
        _notice("the ECOSTRESS cal/val table", err)
        return _virtual_ecostress(), "virtual"
    codes, classes = _codes(frame["vegetation"].astype(str).tolist())
    site_codes, _ = _codes(ds["site"].values.tolist())
    tables = {}
    for name in models or ECOSTRESS_MODELS.values():
        cols = {}
        for drv, (col, units, long) in ECOSTRESS_DRIVERS.items():
            values = codes if drv == "land_cover" else frame[col].to_numpy(float)
            cols[drv] = ("sample", values, {"units": units, "long_name": long})
        cols["residual"] = ("sample", ds[name].values - ds["le"].values, {"units": "W m-2", "long_name": f"{name} - tower LE"})
        cols["le_obs"] = ("sample", ds["le"].values, {"units": "W m-2", "long_name": "tower LE (filtered)"})
        t = xr.Dataset(cols, coords={"sample": np.arange(ds.sizes["overpass"]), "group": ("sample", site_codes.astype(int)),
                                     "site": ("sample", ds["site"].values), "time": ("sample", ds["time"].values)})
        ok = np.all([np.isfinite(t[v].values) for v in t.data_vars], axis=0)
        t = t.isel(sample=ok)
        t["land_cover"].attrs["flag_meanings"] = " ".join(classes)
        t.attrs = {"model": name, "source": "ECOSTRESS Collection-2 cal/val vs AmeriFlux", "dropped": int((~ok).sum())}
        tables[name] = t
    return tables, "real"


def _virtual_ecostress():
    from .study import STUDY_LAND

    land = virtual_land(**(STUDY_LAND | {"resolution": 5.0}), seed=1)
    d = land_drivers(land)
    stand_in = xr.Dataset({
        "soil_moisture": (0.05 + 0.35 * d["soil_wetness"]).assign_attrs(units="m3 m-3", long_name="soil moisture (virtual)"),
        "ndvi": (0.9 * (1.0 - np.exp(-0.5 * d["lai"]))).assign_attrs(units="1", long_name="NDVI (virtual, from LAI)"),
        "rh": (land["rh"] / 100.0).assign_attrs(units="1", long_name="relative humidity (virtual)"),
        "lst": (land["tmax"] + 273.15).astype(float).assign_attrs(units="K", long_name="surface temperature (virtual)"),
        "rn": d["rn"], "tair": d["tmean"].assign_attrs(long_name="air temperature"),
        "land_cover": d["land_cover"],
    })
    tables = {}
    for name, mech in (("VL-nostress", "no_water_stress"), ("VL-cloud", "cloud_radiation")):
        planted = planted_residuals(land, MECHANISMS[mech], seed=7, stack=False)
        t = stack_samples(stand_in.assign(residual=planted["residual"].assign_attrs(long_name=f"{name} - tower LE"),
                                          le_obs=planted["le_obs"]))
        t = t.isel(sample=np.arange(0, t.sizes["sample"], 7))  # about one overpass a week
        t.attrs = {"model": name, "source": f"virtual stand-in ({mech})", "dropped": 0}
        tables[name] = t
    return tables


def fluxnet_pm_table(sites=None) -> tuple[xr.Dataset, str]:
    """Residual table of FAO-56 Penman-Monteith ET0 minus tower ET at FLUXNET sites.

    Parameters
    ----------
    sites : list of str, optional
        FLUXNET site ids (default: every SUBSET DD site of the registry).

    Returns
    -------
    table : xarray.Dataset
        ``sample`` table: ``swc`` (soil water content, SWC_F_MDS_1 [%]),
        ``vpd``, ``tmean``, ``rn``, ``wind``, ``residual`` (ET0 - tower ET
        [mm d-1]), ``et_obs`` [mm d-1]; one group per
        site-year (so the split keeps a site-year together); ``site``,
        ``time`` coordinates. Days with a missing value are dropped.
    source : str
        ``"real"`` or ``"virtual"``.
    """
    try:
        names = real_files("fluxnet2015_subset_dd/*.csv")
        if sites is not None:
            names = [n for n in names if any(f"_{s}_" in n for s in sites)]
        if not names:
            raise RealDataUnavailable(f"no FLUXNET2015 SUBSET DD file for the sites {sites}")
        frames = [_fluxnet_site(read_fluxnet(fetch_real(n))) for n in names]
    except (RealDataUnavailable, FileNotFoundError) as err:
        _notice("FLUXNET2015 tower data", err)
        return _virtual_fluxnet(), "virtual"
    return _pm_table(pd.concat([f for f in frames if f is not None], ignore_index=True), "FLUXNET2015 SUBSET DD"), "real"


def _fluxnet_site(ds):
    if "SWC_F_MDS_1" not in ds or "rn" not in ds:
        return None
    ds = ds.assign(swc=ds["SWC_F_MDS_1"])
    return _site_frame(ds, ds.attrs.get("site_id", "site"))


def _site_frame(ds, site):
    need = ("swc", "vpd", "tmean", "rn", "wind", "et")
    if any(v not in ds for v in need):
        return None
    ref = physics.reference_et(ds, ["fao56_penman_monteith"])
    f = pd.DataFrame({v: np.asarray(ds[v].values, float) for v in need})
    f["et0"] = np.asarray(ref["et_fao56_penman_monteith"].values, float)
    f["time"], f["site"] = pd.DatetimeIndex(ds["time"].values), site
    return f.replace([np.inf, -np.inf], np.nan).dropna()


_UNITS = {"swc": ("%", "soil water content"), "vpd": ("kPa", "vapour pressure deficit"),
          "tmean": ("degC", "mean air temperature"), "rn": ("W m-2", "net radiation"), "wind": ("m s-1", "wind speed")}


def _pm_table(f, source):
    key = f["site"] + "-" + f["time"].dt.year.astype(str)
    groups, _ = _codes(key.tolist())
    cols = {v: ("sample", f[v].to_numpy(float), {"units": u, "long_name": ln}) for v, (u, ln) in _UNITS.items()}
    cols["residual"] = ("sample", (f["et0"] - f["et"]).to_numpy(float), {"units": "mm d-1", "long_name": "FAO-56 PM ET0 - tower ET"})
    cols["et_obs"] = ("sample", f["et"].to_numpy(float), {"units": "mm d-1", "long_name": "tower ET"})
    return xr.Dataset(cols, coords={"sample": np.arange(len(f)), "group": ("sample", groups.astype(int)),
                                    "site": ("sample", f["site"].to_numpy(str)), "time": ("sample", f["time"].to_numpy())},
                      attrs={"source": source, "sites": " ".join(sorted(set(f["site"])))})


def _virtual_fluxnet():
    land = virtual_land(lat=(30, 60), lon=(-10, 30), resolution=5.0, start="2019-01-01", end="2020-12-31", seed=3)
    towers = virtual_towers(land, n_sites=6, seed=3)
    wet = land_drivers(land)["soil_wetness"]
    frames = []
    for i, site in enumerate(towers["site"].values):
        one = towers.isel(site=i)
        cell = wet.sel(lat=float(one["lat"]), lon=float(one["lon"]))
        one = one.assign(swc=(5.0 + 35.0 * cell.values).astype(float) * xr.ones_like(one["tmean"]))
        one["swc"].attrs = {"units": "%"}
        frames.append(_site_frame(one, str(site)))
    return _pm_table(pd.concat(frames, ignore_index=True), "virtual towers (stand-in)")
