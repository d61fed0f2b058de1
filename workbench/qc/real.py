"""Real tower data for the QC study and agreement of the detectors with the ONEFlux quality flags.

Real files come through :func:`workbench.data.fetch_real`. When a file cannot
be had (offline, no real-data folder), the loaders say so in a printed line
naming the file and return a virtual stand-in instead: virtual towers with
planted faults, whose "ONEFlux" QC marks the planted days as gap-filled, so
that every section still shows data.

On real data there is no label. The ONEFlux flags say how much of a day (or
whether a half-hour) was measured rather than gap-filled (``LE_F_MDS_QC``:
the fraction of measured or good-quality gap-filled half-hours in the day;
PLUMBER2 ``Qle_qc``: 0 measured, 1-3 gap-filled with falling quality).
Agreement of our flags with them is reported, not accuracy.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["DAILY_FILES", "HALFHOURLY_FILES", "load_daily_sites", "load_halfhourly_site", "oneflux_agreement", "SCREEN_VARIABLES"]

DAILY_FILES = (
    "fluxnet2015_subset_dd/FLX_DE-Hai_FLUXNET2015_SUBSET_DD_2000-2012_1-4.csv",
    "fluxnet2015_subset_dd/FLX_DE-Geb_FLUXNET2015_SUBSET_DD_2001-2014_1-4.csv",
    "fluxnet2015_subset_dd/FLX_US-ARM_FLUXNET2015_SUBSET_DD_2003-2012_1-4.csv",
    "fluxnet2015_subset_dd/FLX_FR-Pue_FLUXNET2015_SUBSET_DD_2000-2014_2-4.csv",
    "fluxnet2015_subset_dd/FLX_NL-Hor_FLUXNET2015_SUBSET_DD_2004-2011_1-4.csv",
    "fluxnet2015_subset_dd/FLX_US-Var_FLUXNET2015_SUBSET_DD_2000-2014_1-4.csv",
)
HALFHOURLY_FILES = ("plumber2_hh/DK-Fou_2005-2005_FLUXNET2015_Met.nc", "plumber2_hh/DK-Fou_2005-2005_FLUXNET2015_Flux.nc")
SCREEN_VARIABLES = ("le", "h", "rn", "tmean")
_KEEP = ("le", "h", "rn", "g", "tmean", "rs", "vpd", "wind")


def _site_dataset(ds: xr.Dataset, site: str, qc: xr.DataArray, *, source: str) -> xr.Dataset:
    keep = [v for v in _KEEP if v in ds]
    empty = [v for v in keep if int(ds[v].count()) == 0]
    if empty:
        print(f"{source}: {empty} entirely missing, left out of the screening")
    out = ds[[v for v in keep if v not in empty]].copy()
    for v in out.data_vars:
        out[v] = out[v].astype(float)
    out["oneflux_qc"] = qc.astype(float).assign_attrs(dict(qc.attrs))
    for c in list(out.coords):
        if c != "time":
            out = out.drop_vars(c)
    out = out.expand_dims(site=[site])
    out.attrs = {"source": source}
    return out


def _stand_in_daily(n_sites: int, days: int, seed: int) -> list[xr.Dataset]:
    from ..data import virtual_land, virtual_towers
    from .anomalies import plant_anomalies, truth_name

    end = (pd.Timestamp("2010-01-01") + pd.Timedelta(days=days - 1)).strftime("%Y-%m-%d")
    land = virtual_land(lat=(44, 52), lon=(2, 10), start="2010-01-01", end=end)
    towers = virtual_towers(land, n_sites=n_sites, seed=seed)
    bad, _ = plant_anomalies(towers, variables=list(SCREEN_VARIABLES), fraction=0.03, seed=seed)
    planted = sum((bad[truth_name(v)] > 0).astype(int) for v in SCREEN_VARIABLES) > 0
    qc = xr.where(planted, 0.2, 1.0).assign_attrs(long_name="stand-in for LE_F_MDS_QC: 0.2 on days with planted faults", units="1")
    out = []
    for i, site in enumerate(bad.site.values):
        one = bad.isel(site=[i])[list(_KEEP)].drop_vars([c for c in bad.coords if c not in ("site", "time")])
        one["oneflux_qc"] = qc.isel(site=[i])
        one.attrs = {"source": f"virtual stand-in {site}"}
        out.append(one)
    return out


def load_daily_sites(names=None, *, years: int | None = None, seed: int = 0) -> tuple[list[xr.Dataset], bool]:
    """FLUXNET2015 daily sites (``(site=1, time)`` each) with the ONEFlux ``LE_F_MDS_QC`` as ``oneflux_qc``.

    Parameters
    ----------
    names : sequence of str, optional
        Registry names (:data:`DAILY_FILES` by default).
    years : int, optional
        Keep only the first ``years`` years of each site.
    seed : int
        Seed of the stand-in.

    Returns
    -------
    sites : list of xarray.Dataset
    real : bool
        False when no file could be had and virtual stand-ins are returned
        (a printed line says which files are missing).
    """
    from ..data import RealDataUnavailable, fetch_real, read_fluxnet

    names = list(names or DAILY_FILES)
    sites, missing, first = [], [], ""
    for name in names:
        try:
            path = fetch_real(name)
        except RealDataUnavailable as err:
            missing.append(name)
            first = str(err).splitlines()[0]
            continue
        ds = read_fluxnet(path)
        if years is not None:
            ds = ds.sel(time=slice(None, str(ds.indexes["time"][0].year + years - 1)))
        site = name.split("_")[1] if name.split("/")[-1].startswith("FLX_") else path.stem
        qc = ds["LE_F_MDS_QC"] if "LE_F_MDS_QC" in ds else xr.full_like(ds["le"], np.nan)
        sites.append(_site_dataset(ds, site, qc, source=name))
    if missing:
        print(f"real data unavailable: {len(missing)} of {len(names)} FLUXNET2015 daily files ({', '.join(m.split('/')[-1] for m in missing)}); {first}")
    if not sites:
        print("no real daily file available: using virtual stand-in towers (planted faults, stand-in QC) instead")
        return _stand_in_daily(len(names), 365 * (years or 2), seed), False
    return sites, True


def load_halfhourly_site(*, days: int | None = None, seed: int = 0) -> tuple[xr.Dataset, bool]:
    """The PLUMBER2 half-hourly site DK-Fou (2005) with ``Qle_qc`` as ``oneflux_qc`` and potential radiation.

    Parameters
    ----------
    days : int, optional
        Keep only ``days`` days from 1 May.
    seed : int
        Seed of the stand-in.

    Returns
    -------
    site : xarray.Dataset
        ``(site=1, time)``, with ``sw_in_pot`` [W m-2] computed from the
        site's coordinates (FAO-56 Eq. 28), so the night-time test applies.
    real : bool
        False for the virtual stand-in (a printed line says why).
    """
    from ..data import RealDataUnavailable, fetch_real, open_plumber2
    from ..physics import extraterrestrial_radiation_hourly

    try:
        met, flux = (fetch_real(n) for n in HALFHOURLY_FILES)
    except RealDataUnavailable as err:
        print(f"real data unavailable: {str(err).splitlines()[0]}; using a virtual half-hourly stand-in tower instead")
        return _stand_in_halfhourly(days or 30, seed), False
    ds = open_plumber2(met, flux)
    lat, lon = float(ds["lat"]), float(ds["lon"])
    if days is not None:
        ds = ds.sel(time=slice("2005-05-01", None)).isel(time=slice(0, days * 48))
    t = ds.indexes["time"]
    hour_mid = t.hour.to_numpy() + t.minute.to_numpy() / 60.0 + 0.25
    ra = np.maximum(np.asarray(extraterrestrial_radiation_hourly(lat, lon, t.dayofyear.to_numpy(), hour_mid, 15.0 * round(lon / 15.0), period=0.5)), 0.0)
    out = _site_dataset(ds, "DK-Fou", ds["Qle_qc"], source="PLUMBER2 DK-Fou 2005")
    out["sw_in_pot"] = (("site", "time"), ra[None] * 1e6 / 1800.0, {"units": "W m-2", "long_name": "potential incoming shortwave radiation (FAO-56 Eq. 28)"})
    return out, True


def _stand_in_halfhourly(days: int, seed: int) -> xr.Dataset:
    from ..data import virtual_land, virtual_towers, virtual_towers_halfhourly
    from .anomalies import plant_anomalies, truth_name

    land = virtual_land(lat=(54, 58), lon=(8, 12), start="2005-05-01", end=str((pd.Timestamp("2005-05-01") + pd.Timedelta(days=days - 1)).date()))
    hh = virtual_towers_halfhourly(virtual_towers(land, n_sites=1, seed=seed), seed=seed)
    bad, _ = plant_anomalies(hh, variables=list(SCREEN_VARIABLES), fraction=0.03, seed=seed)
    qc = xr.where(bad[truth_name("le")] > 0, 2.0, 0.0).assign_attrs(long_name="stand-in for Qle_qc: 2 where le has a planted fault", units="1")
    out = bad[[v for v in (*_KEEP, "sw_in_pot") if v in bad]].drop_vars([c for c in bad.coords if c not in ("site", "time")])
    out["oneflux_qc"] = qc
    out.attrs = {"source": "virtual half-hourly stand-in"}
    return out


def oneflux_agreement(suspect: xr.DataArray, oneflux_qc: xr.DataArray, *, poor: str = "below", limit: float = 0.5) -> dict:
    """Agreement of our flags with the ONEFlux quality flags (no labels on real data: agreement, not accuracy).

    Parameters
    ----------
    suspect : xarray.DataArray
        Our ensemble flags (0/1 or bool).
    oneflux_qc : xarray.DataArray
        ONEFlux QC of the same steps.
    poor : {"below", "above"}
        ``"below"``: QC values below ``limit`` are poor (daily fraction of good
        half-hours); ``"above"``: values above ``limit`` are poor (half-hourly
        0 measured, 1-3 gap-filled).
    limit : float, default 0.5

    Returns
    -------
    dict
        ``steps``, ``flagged`` (share we flag), ``poor`` (share ONEFlux marks
        poor), ``flagged_if_poor``, ``flagged_if_good`` (shares), ``agreement``
        (share of steps where both agree) and Cohen's ``kappa``.

    Examples
    --------
    >>> s = xr.DataArray([1, 1, 0, 0, 0, 0]); q = xr.DataArray([0.1, 0.9, 0.2, 1, 1, 1])
    >>> r = oneflux_agreement(s, q)
    >>> r["flagged_if_poor"], round(r["kappa"], 3)
    (0.5, 0.25)
    """
    a = np.asarray(suspect.values, dtype=float).ravel()
    q = np.asarray(oneflux_qc.values, dtype=float).ravel()
    if a.size != q.size:
        raise ValueError(f"suspect and oneflux_qc must have the same size; got {a.size} and {q.size}")
    ok = np.isfinite(a) & np.isfinite(q)
    a, q = a[ok] > 0, q[ok]
    if poor not in ("below", "above"):
        raise ValueError(f"poor must be 'below' or 'above'; got {poor!r}")
    bad = q < limit if poor == "below" else q > limit
    n = a.size
    agree = float(np.mean(a == bad)) if n else np.nan
    pa, pb = a.mean() if n else np.nan, bad.mean() if n else np.nan
    expected = pa * pb + (1 - pa) * (1 - pb)
    kappa = (agree - expected) / (1 - expected) if n and expected < 1 else np.nan
    return {
        "steps": int(n),
        "flagged": float(pa),
        "poor": float(pb),
        "flagged_if_poor": float(a[bad].mean()) if bad.any() else np.nan,
        "flagged_if_good": float(a[~bad].mean()) if (~bad).any() else np.nan,
        "agreement": agree,
        "kappa": float(kappa),
    }
