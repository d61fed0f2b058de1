"""Calibration data: twin towers with known parameters, virtual towers, real FLUXNET sites, and site attributes.

Every site dataset has dims (site, time), the model forcing (``rs``, ``tmean``,
``vpd``, ``wind``, ``pressure``, ``lai``, ``precip``), observations
``obs_et`` [mm d-1] (and ``obs_soil_water`` [mm] where a sensor exists) and the
coordinates ``igbp``, ``lat``, ``lon``.

* :func:`twin_sites` ("identical twin"): observations made by the model itself
  with per-land-cover parameters (:data:`TWIN_PARAMETERS`), so calibration can
  be checked against the truth.
* :func:`tower_sites`: the virtual towers (the virtual land's Jarvis-Penman-Monteith
  truth, measured with noise and an energy-balance closure gap), optionally
  closure-corrected (:func:`workbench.intercompare.closure_correct`). Only
  ``whc`` is a true parameter there: the virtual land has no g1 or Vcmax25.
* :func:`fluxnet_sites`: FLUXNET2015 SUBSET daily sites, ET from the
  closure-corrected ``LE_CORR``.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import xarray as xr

from ..data.landcover import LAND_COVER
from ..surrogates.emulator import _FORCING

__all__ = ["TWIN_PARAMETERS", "twin_sites", "tower_sites", "fluxnet_sites", "site_attributes", "IGBP_TO_CLASS",
           "climatological_lai"]

#: The twin's true parameters per land cover: g1 [kPa0.5] after Lin et al. (2015) / CLM5 PFT values,
#: Vcmax25 [umol m-2 s-1] typical of each class (Kattge et al. 2009), whc [mm] from the virtual land's table.
TWIN_PARAMETERS = pd.DataFrame({
    "g1": {"ENF": 2.35, "DBF": 4.45, "GRA": 5.25, "CRO": 5.79, "SAV": 4.0, "SHR": 3.2},
    "vcmax25": {"ENF": 55.0, "DBF": 57.0, "GRA": 78.0, "CRO": 100.0, "SAV": 50.0, "SHR": 62.0},
    "whc": LAND_COVER["whc"].to_dict(),
})[["vcmax25", "g1", "whc"]]

#: FLUXNET IGBP classes -> the virtual land's classes whose LAI range and whc stand in for them.
IGBP_TO_CLASS = {"ENF": "ENF", "EBF": "ENF", "DNF": "DBF", "DBF": "DBF", "MF": "DBF", "GRA": "GRA", "WET": "GRA",
                 "CRO": "CRO", "SAV": "SAV", "WSA": "SAV", "OSH": "SHR", "CSH": "SHR"}


def _forcing_of(towers: xr.Dataset) -> xr.Dataset:
    out = towers[list(_FORCING)].transpose("site", "time")
    return out.assign_coords(igbp=towers["igbp"], lat=towers["lat"], lon=towers["lon"])


def twin_sites(land: xr.Dataset, *, n_sites: int = 6, seed: int = 0, noise: float = 0.0) -> xr.Dataset:
    """Towers whose ET and soil water the model itself made, with the parameters of :data:`TWIN_PARAMETERS`.

    Parameters
    ----------
    land : xarray.Dataset
        A :func:`workbench.data.virtual_land` (its forcing is used).
    n_sites : int, default 6
    seed : int, default 0
    noise : float, default 0
        Relative error of the measured LE, as :func:`workbench.data.virtual_towers`
        (sd ``5 W m-2 + noise |LE|``, converted to ET) and a soil-water sensor
        error of ``noise * 10`` mm; 0 gives noise-free observations.

    Returns
    -------
    xarray.Dataset
        Forcing, ``obs_et``, ``obs_soil_water``, ``sigma_et`` (the error sd,
        for a likelihood) and the truth ``true_<param>`` on ``site``.
    """
    from ..data import virtual_towers
    from ..physics.et import le_to_et
    from ..surrogates import simulate_year

    towers = virtual_towers(land, n_sites=n_sites, seed=seed, noise=0.0, closure_gap=0.0)
    out = _forcing_of(towers)
    truth = TWIN_PARAMETERS.loc[out["igbp"].values]
    params = {k: xr.DataArray(truth[k].to_numpy(), dims="site") for k in TWIN_PARAMETERS}
    sim = simulate_year(out, **params).transpose("site", "time", ...)
    rng = np.random.default_rng(seed + 1)
    sigma = le_to_et.kernel(5.0 + noise * np.abs(sim["le"].values), out["tmean"].values)
    sigma_sw = np.full(sigma.shape, 10.0 * noise)
    out["obs_et"] = (("site", "time"), sim["et"].values + sigma * rng.standard_normal(sigma.shape) * (noise > 0),
                     {"units": "mm d-1", "long_name": "twin-tower evapotranspiration"})
    out["obs_soil_water"] = (("site", "time"), sim["soil_water"].values + sigma_sw * rng.standard_normal(sigma.shape),
                             {"units": "mm", "long_name": "twin soil-water sensor"})
    out["sigma_et"] = (("site", "time"), sigma if noise > 0 else np.full(sigma.shape, np.nan),
                       {"units": "mm d-1", "long_name": "ET measurement error sd"})
    for k in TWIN_PARAMETERS:
        out[f"true_{k}"] = ("site", truth[k].to_numpy(), {"long_name": f"true {k}"})
    out.attrs = {"source": "twin towers (the model with TWIN_PARAMETERS)", "noise": noise}
    return out


def tower_sites(land: xr.Dataset, *, n_sites: int = 6, seed: int = 0, noise: float = 0.1,
                closure: bool = True) -> xr.Dataset:
    """Virtual towers as calibration data: ET (closure-corrected or not) and the cell's soil water.

    Parameters
    ----------
    closure : bool, default True
        Apply :func:`workbench.intercompare.closure_correct` (Bowen-ratio
        preserving) before taking ET; False keeps the under-closed measured ET.

    Returns
    -------
    xarray.Dataset
        Forcing, ``obs_et``, ``obs_soil_water`` (the virtual land's root-zone
        water at the tower cell), ``et_true`` and ``true_whc``.
    """
    from ..data import virtual_towers
    from ..intercompare import closure_correct, extract_at_sites

    towers = virtual_towers(land, n_sites=n_sites, seed=seed, noise=noise)
    measured = closure_correct(towers) if closure else towers
    out = _forcing_of(towers)
    out["obs_et"] = measured["et"].transpose("site", "time").assign_attrs(
        units="mm d-1", long_name="tower ET" + (" (closure-corrected)" if closure else " (as measured)"))
    sw = extract_at_sites(land["soil_water"], towers["lat"].values, towers["lon"].values,
                          site=towers["site"].values)
    out["obs_soil_water"] = sw.reset_coords(drop=True).transpose("site", "time").assign_attrs(
        units="mm", long_name="root-zone soil water at the tower cell")
    out["et_true"] = towers["et_true"].transpose("site", "time")
    out["true_whc"] = ("site", LAND_COVER.loc[out["igbp"].values, "whc"].to_numpy(), {"units": "mm"})
    out["closure"] = towers["closure"]
    out.attrs = {"source": "virtual towers", "closure_corrected": int(closure), "noise": noise}
    return out


def climatological_lai(tmean: xr.DataArray, land_cover: str) -> xr.DataArray:
    """A stand-in LAI [m2 m-2] for towers without one: the class's LAI range with a warmth-driven phenology.

    ``lai = lai_min + (lai_max - lai_min) * p`` with
    ``p = 1 / (1 + exp(-(T15 - 8) / 2.5))`` from the 15-day running mean air
    temperature ``T15`` [degC] (evergreen classes: ``p = 0.8 + 0.2 p``); LAI
    ranges from :data:`workbench.data.LAND_COVER`. FLUXNET SUBSET files carry
    no LAI; this is the choice made here, stated wherever it is used.
    """
    row = LAND_COVER.loc[land_cover]
    t15 = tmean.rolling(time=15, center=True, min_periods=1).mean()
    warm = 1.0 / (1.0 + np.exp(-(t15 - 8.0) / 2.5))
    phen = 0.8 + 0.2 * warm if row["evergreen"] else warm
    return (row["lai_min"] + (row["lai_max"] - row["lai_min"]) * phen).assign_attrs(
        units="m2 m-2", long_name=f"climatological LAI ({land_cover} range, warmth phenology)")


def _real_files(sites):
    """FLUXNET SUBSET DD files through the project's fetch layer (raises RealDataUnavailable when none can be had)."""
    from ..data import fetch_real, real_files

    paths = {n.split("/")[-1].split("_")[1]: n for n in real_files("fluxnet2015_subset_dd/*.csv")}
    chosen = list(sites) if sites is not None else sorted(paths)
    unknown = [s for s in chosen if s not in paths]
    if unknown:
        raise ValueError(f"no FLUXNET file for site(s) {unknown}; available: {sorted(paths)}")
    return [(s, fetch_real(paths[s])) for s in chosen]


def _meta_path():
    from ..data import fetch_real

    try:
        return fetch_real("site_metadata/fluxnet2015_site_list.csv")
    except FileNotFoundError:
        return None


def _gap_fill(da: xr.DataArray) -> xr.DataArray:
    """Linear interpolation over forcing gaps, the season mean at the ends (forcing only; never the observations)."""
    return da.interpolate_na("time").fillna(float(da.mean())).assign_attrs(da.attrs)


def fluxnet_sites(*, n_sites: int = 4, sites=None, start: str = "04-01", end: str = "09-30",
                  min_days: float = 0.9) -> xr.Dataset:
    """Real FLUXNET2015 SUBSET daily sites as calibration data, one season of the best-covered year each.

    ET is from ``LE_CORR`` (energy-balance corrected, FLUXNET2015) with the
    latent heat of vaporisation at air temperature. LAI: FLUXNET SUBSET has
    none, so :func:`climatological_lai` of the class in :data:`IGBP_TO_CLASS`
    stands in (stated in the dataset's ``lai`` attributes).

    Parameters
    ----------
    n_sites : int, default 4
        Sites kept (those with forcing on at least ``min_days`` of the season),
        in alphabetical order of their ids.
    sites : sequence of str, optional
        Site ids to try (default all available).
    start, end : str
        Season as "MM-DD".

    Raises
    ------
    workbench.data.RealDataUnavailable
        (a FileNotFoundError) when the files can be neither found nor
        downloaded; the caller falls back to virtual towers.
    """
    from ..data import read_fluxnet
    from ..physics.et import le_to_et
    from ..units import convert

    files = _real_files(sites)
    meta = _meta_path()
    out = []
    for site, path in files:
        ds = read_fluxnet(path, variables=["rs", "tmean", "vpd", "wind", "pressure", "precip", "le_corr"],
                          metadata=meta)
        igbp = str(ds.attrs.get("igbp", ds.coords["igbp"].item() if "igbp" in ds.coords else ""))
        if igbp not in IGBP_TO_CLASS:
            continue
        years = np.unique(ds["time"].dt.year.values)
        best = None
        for y in years:
            sel = ds.sel(time=slice(f"{y}-{start}", f"{y}-{end}"))
            need = [sel[v] for v in ("rs", "tmean", "vpd", "wind", "pressure", "precip")]
            ok = np.all([np.isfinite(v.values) for v in need], axis=0) & np.isfinite(sel["LE_CORR"].values)
            n_season = (pd.Timestamp(f"2001-{end}") - pd.Timestamp(f"2001-{start}")).days + 1
            if sel.sizes["time"] >= n_season and ok.mean() >= min_days and (best is None or ok.mean() > best[1]):
                best = (y, ok.mean())
        if best is None:
            continue
        sel = ds.sel(time=slice(f"{best[0]}-{start}", f"{best[0]}-{end}"))
        forcing = xr.Dataset({v: _gap_fill(convert(sel[v], u, name=v)) for v, u in (("rs", "W m-2"), ("tmean", "degC"), ("vpd", "kPa"), ("wind", "m s-1"),
                                           ("pressure", "kPa"), ("precip", "mm d-1"))})
        forcing["lai"] = climatological_lai(forcing["tmean"], IGBP_TO_CLASS[igbp])
        le = convert(sel["LE_CORR"], "W m-2", name="LE_CORR")
        forcing["obs_et"] = le_to_et(le, forcing["tmean"]).assign_attrs(
            units="mm d-1", long_name="tower ET from LE_CORR (closure-corrected)")
        forcing = forcing.assign_coords(time=pd.date_range(f"2001-{start}", periods=forcing.sizes["time"]))
        forcing = forcing.expand_dims(site=[site]).assign_coords(
            igbp=("site", [igbp]), lat=("site", [float(ds["lat"]) if "lat" in ds.coords else np.nan]),
            lon=("site", [float(ds["lon"]) if "lon" in ds.coords else np.nan]),
            year=("site", [int(best[0])]))
        out.append(forcing.reset_coords([c for c in forcing.coords if c not in ("site", "time", "igbp", "lat", "lon",
                                                                                 "year")], drop=True))
        if len(out) == n_sites:
            break
    if not out:
        raise ValueError(f"none of the FLUXNET sites {[s for s, _ in files]} has a complete season {start}..{end} "
                         "of forcing and LE_CORR")
    res = xr.concat(out, "site")
    res.attrs = {"source": "FLUXNET2015 SUBSET DD", "lai": "climatological stand-in (FLUXNET SUBSET has no LAI)",
                 "time_note": "each site's best-covered year, relabelled to a common season axis"}
    return res


def site_attributes(sites: xr.Dataset) -> xr.DataArray:
    """Site attributes for dPL: season means of the forcing and a one-hot land cover (site, attribute).

    Attributes: mean ``precip`` [mm d-1], ``tmean`` [degC], ``vpd`` [kPa],
    ``rs`` [W m-2], ``lai`` [m2 m-2] and the LAI range, plus one column per
    class of :data:`workbench.data.LAND_COVER` (FLUXNET classes mapped by
    :data:`IGBP_TO_CLASS`).
    """
    missing = [v for v in ("precip", "tmean", "vpd", "rs", "lai") if v not in sites]
    if missing or "igbp" not in sites.coords:
        raise ValueError(f"site_attributes needs forcing precip, tmean, vpd, rs, lai and an 'igbp' coordinate; "
                         f"missing {missing + ([] if 'igbp' in sites.coords else ['igbp'])}")
    cols = {f"{v}_mean": sites[v].mean("time").values for v in ("precip", "tmean", "vpd", "rs", "lai")}
    cols["lai_range"] = (sites["lai"].max("time") - sites["lai"].min("time")).values
    classes = [IGBP_TO_CLASS.get(str(c), str(c)) for c in sites["igbp"].values]
    for c in LAND_COVER.index:
        cols[f"is_{c}"] = np.array([float(k == c) for k in classes])
    values = np.stack(list(cols.values()), axis=1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return xr.DataArray(values, dims=("site", "attribute"),
                            coords={"site": sites["site"].values, "attribute": list(cols)},
                            name="site_attributes")
