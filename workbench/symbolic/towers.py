"""Tower data for the symbolic ET study: drivers that carry water limitation, and derived physical features.

:func:`tower_table` reads the FLUXNET2015 SUBSET daily files of all sites
(through the real-data fetch layer) or, when none is available, virtual
towers, and returns one table of site-days with

- the forcing: net radiation ``rn`` and soil heat flux ``g`` [MJ m-2 d-1],
  shortwave ``rs`` [W m-2], ``tmean`` [degC], ``vpd`` [kPa], ``wind`` [m s-1],
  ``pressure`` [kPa], ``precip`` [mm d-1];
- water: a bucket water index ``water`` [0-1] built from precipitation and
  the equilibrium evaporation (:func:`water_index`; it exists at every site),
  and the soil water content ``swc`` scaled to [0-1] per site (NaN where the
  site has none);
- vegetation: MODIS ``lai``/``fpar`` from FluxDataKit where it has the site;
- derived features (:func:`tower_features`): Δ, γ, λ, available energy, its
  equivalent evaporation, the Priestley-Taylor equilibrium rate and the
  radiative and aerodynamic terms of FAO-56 Penman-Monteith.

``attrs["sites"]`` describes each site (IGBP class, mean annual precipitation,
aridity index and class, days kept, soil water and LAI coverage) and
``attrs["dropped"]`` counts the days removed and why.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from .._warn import warn
from ..units import convert

__all__ = ["tower_table", "tower_features", "water_index", "aridity_class", "TOWER_UNITS", "SEASONS",
           "DERIVED_FEATURES"]

SEASONS = {12: "DJF", 1: "DJF", 2: "DJF", 3: "MAM", 4: "MAM", 5: "MAM", 6: "JJA", 7: "JJA", 8: "JJA",
           9: "SON", 10: "SON", 11: "SON"}
_MJ = "MJ m-2 d-1"
# Units of the tower table's columns (radiation in the FAO-56 formulas' MJ m-2 d-1).
TOWER_UNITS = {"rn": _MJ, "g": _MJ, "rs": "W m-2", "tmean": "degC", "vpd": "kPa", "wind": "m s-1",
               "pressure": "kPa", "precip": "mm d-1", "ra": _MJ, "tmax": "degC", "tmin": "degC", "water": "1",
               "swc": "1", "lai": "m2 m-2", "fpar": "1", "et": "mm d-1", "delta": "kPa degC-1",
               "gamma": "kPa degC-1", "lambda_v": "MJ kg-1", "avail": _MJ, "ae": "mm d-1", "eq": "mm d-1",
               "pm_rad": "mm d-1", "pm_aero": "mm d-1"}
#: The columns :func:`tower_features` adds, with their meaning.
DERIVED_FEATURES = {
    "delta": "slope of the saturation vapour pressure curve (FAO-56 Eq. 13)",
    "gamma": "psychrometric constant (FAO-56 Eq. 8)",
    "lambda_v": "latent heat of vaporisation",
    "avail": "available energy rn - g",
    "ae": "equivalent evaporation of the available energy (rn - g) / lambda",
    "eq": "Priestley-Taylor equilibrium rate delta / (delta + gamma) (rn - g) / lambda",
    "pm_rad": "radiative term of FAO-56 Penman-Monteith 0.408 delta (rn - g) / (delta + gamma (1 + 0.34 u))",
    "pm_aero": "aerodynamic term of FAO-56 PM gamma 900 / (T + 273) u vpd / (delta + gamma (1 + 0.34 u))",
}
_REQUIRED = ("et", "rn", "tmean", "vpd", "wind", "pressure")
_SUBSET = "fluxnet2015_subset_dd"
_META = "site_metadata/fluxnet2015_site_list.csv"
#: Bucket capacity of :func:`water_index` [mm].
BUCKET_MM = 150.0


# --------------------------------------------------------------------------- physics of the features

def tower_features(drivers: pd.DataFrame) -> pd.DataFrame:
    """The drivers plus the derived physical features (:data:`DERIVED_FEATURES`).

    Parameters
    ----------
    drivers : DataFrame
        Columns ``rn``, ``tmean``, ``vpd``, ``wind``, ``pressure`` and optional
        ``g`` (0 where absent or NaN), in :data:`TOWER_UNITS`.

    Returns
    -------
    pandas.DataFrame
        A copy with the columns of :data:`DERIVED_FEATURES` added.

    Examples
    --------
    >>> d = pd.DataFrame({"rn": [13.28], "g": [0.0], "tmean": [16.9], "vpd": [0.589], "wind": [2.078],
    ...                   "pressure": [100.1]})
    >>> f = tower_features(d)
    >>> print(f"{float(f.pm_rad.iloc[0] + f.pm_aero.iloc[0]):.2f}")  # FAO-56 PM from tmean alone (Example 18: 3.88)
    3.88
    """
    from .. import physics

    missing = [c for c in ("rn", "tmean", "vpd", "wind", "pressure") if c not in drivers]
    if missing:
        raise ValueError(f"the drivers lack the column(s) {missing}; they have {list(drivers.columns)}")
    out = drivers.copy()
    t, u, vpd = (drivers[c].to_numpy(dtype=float) for c in ("tmean", "wind", "vpd"))
    g = np.nan_to_num(drivers["g"].to_numpy(dtype=float)) if "g" in drivers else 0.0
    delta = physics.slope_saturation_vapour_pressure.kernel(t)
    gamma = physics.psychrometric_constant.kernel(drivers["pressure"].to_numpy(dtype=float))
    lam = physics.latent_heat_vaporisation.kernel(t)
    avail = drivers["rn"].to_numpy(dtype=float) - g
    denominator = delta + gamma * (1.0 + 0.34 * u)
    out["delta"], out["gamma"], out["lambda_v"], out["avail"] = delta, gamma, lam, avail
    out["ae"] = avail / lam
    out["eq"] = delta / (delta + gamma) * out["ae"]
    out["pm_rad"] = 0.408 * delta * avail / denominator
    out["pm_aero"] = gamma * 900.0 / (t + 273.0) * u * vpd / denominator
    return out


def water_index(precip, demand, *, capacity: float = BUCKET_MM, start: float = 1.0) -> np.ndarray:
    r"""A bucket water index [0-1] from daily precipitation and evaporative demand.

    .. math::

        W_t = \min(C, \max(0, W_{t-1} + P_t - E_t W_{t-1}/C)), \qquad w_t = W_{t-1} / C

    The store fills with precipitation and empties by the demand scaled by its
    own fullness (supply-limited evaporation). The index of day ``t`` is the
    store at the start of the day, so it uses no information of that day.

    Parameters
    ----------
    precip : array
        Precipitation [mm d-1]; NaN counts as 0.
    demand : array
        Evaporative demand [mm d-1] (e.g. 1.26 times the equilibrium rate);
        NaN and negative values count as 0.
    capacity : float
        Bucket size C [mm].
    start : float
        Initial fullness [0-1].

    Returns
    -------
    numpy.ndarray
        Water index w [0-1], one value per day.

    Examples
    --------
    >>> water_index([0, 0, 10, 0], [5, 5, 5, 5], capacity=20).round(3).tolist()
    [1.0, 0.75, 0.562, 0.922]
    """
    p = np.nan_to_num(np.asarray(precip, dtype=float), nan=0.0)
    e = np.clip(np.nan_to_num(np.asarray(demand, dtype=float), nan=0.0), 0.0, None)
    if p.shape != e.shape:
        raise ValueError(f"precip has shape {p.shape} but demand has {e.shape}; they must match")
    if np.any(p < 0):
        raise ValueError(f"precip has {int((p < 0).sum())} negative value(s); precipitation is >= 0 mm d-1")
    store, out = start * capacity, np.empty(p.shape)
    for i in range(p.size):
        out[i] = store / capacity
        store = min(capacity, max(0.0, store + p[i] - e[i] * store / capacity))
    return out


def aridity_class(index) -> np.ndarray:
    """UNEP aridity classes of the index P / ET_o: arid < 0.2 <= semi-arid < 0.5 <= dry sub-humid < 0.65 <= humid."""
    index = np.asarray(index, dtype=float)
    classes = np.select([index < 0.2, index < 0.5, index < 0.65], ["arid", "semi-arid", "dry sub-humid"], "humid")
    return np.where(np.isfinite(index), classes, "unknown")


def _scaled(values: np.ndarray) -> np.ndarray:
    """Per-site scaling to [0-1] between the 2nd and 98th percentiles."""
    finite = values[np.isfinite(values)]
    if finite.size < 30:
        return np.full(values.shape, np.nan)
    lo, hi = np.percentile(finite, [2, 98])
    return np.clip((values - lo) / max(hi - lo, 1e-9), 0.0, 1.0)


# --------------------------------------------------------------------------- sources

def _fetch(name: str):
    """A real file by registry name: ``workbench.data.fetch_real`` when there is one, else the local folder."""
    from .. import data

    if hasattr(data, "fetch_real"):
        return data.fetch_real(name)
    path = data.real_data_dir(name)
    if path is None:
        raise FileNotFoundError(f"real data file {name!r} is not available (no ../shared/data/real and no "
                                f"$WORKBENCH_REAL_DATA)")
    return path


def _unavailable():
    from .. import data

    return (getattr(data, "RealDataUnavailable", FileNotFoundError), FileNotFoundError)


def _subset_names() -> list[str]:
    from .. import data

    if hasattr(data, "real_files"):
        return sorted(data.real_files(f"{_SUBSET}/*.csv"))
    folder = data.real_data_dir(_SUBSET)
    return [] if folder is None else sorted(f"{_SUBSET}/{p.name}" for p in folder.glob("FLX_*.csv"))


def _site_of(name: str) -> str:
    return name.rsplit("/", 1)[-1].split("_")[1]


def _column(ds, name, units=None):
    if name not in ds:
        return np.full(ds.sizes["time"], np.nan)
    return (convert(ds[name], units, name=name) if units else ds[name]).values.astype(float)


def _read_site(name: str, years: int | None, meta) -> tuple[pd.DataFrame, dict]:
    from ..data import read_fluxnet

    path = _fetch(name)
    header = set(pd.read_csv(path, nrows=0).columns)
    wanted = [c for c in ("TA_F", "NETRAD", "G_F_MDS", "SW_IN_F", "VPD_F", "WS_F", "PA_F", "P_F", "SW_IN_POT",
                          "SWC_F_MDS_1", "LE_F_MDS") if c in header] + ["et"]
    try:
        ds = read_fluxnet(path, variables=wanted, metadata=meta)
    except ValueError:  # a column that is entirely missing (e.g. DE-Spw's G): read them all, keep what is there
        ds = read_fluxnet(path, metadata=meta)
    if years is not None:
        ds = ds.isel(time=slice(0, 366 * years))
    site = ds.attrs["site_id"]
    frame = pd.DataFrame({
        "site": site, "time": ds["time"].values,
        "rn": _column(ds, "rn", _MJ), "g": _column(ds, "g", _MJ), "rs": _column(ds, "rs", "W m-2"),
        "tmean": _column(ds, "tmean"), "vpd": _column(ds, "vpd", "kPa"), "wind": _column(ds, "wind"),
        "pressure": _column(ds, "pressure", "kPa"), "precip": _column(ds, "precip", "mm d-1"),
        "ra": _column(ds, "SW_IN_POT", _MJ), "swc_raw": _column(ds, "SWC_F_MDS_1"),
        "et": _column(ds, "et", "mm d-1"), "le_qc": _column(ds, "LE_F_MDS_QC"),
    })
    info = {"site": site, "igbp": ds.attrs.get("igbp", "unknown"),
            "lat": float(ds["lat"]) if "lat" in ds.coords else np.nan}
    return frame, info


def _add_fluxdatakit(frame: pd.DataFrame, site: str, notes: list) -> pd.DataFrame:
    """LAI, FPAR (MODIS) and tmax/tmin from the FluxDataKit daily file of the site, where there is one."""
    from .. import data

    names = (sorted(data.real_files(f"fluxdatakit_dd/FLX_{site}_*.csv")) if hasattr(data, "real_files")
             else [f"fluxdatakit_dd/{p.name}" for p in sorted((data.real_data_dir("fluxdatakit_dd") or
                                                                 _NoDir()).glob(f"FLX_{site}_*.csv"))])
    if not names:
        return frame
    try:
        fdk = data.read_fluxdatakit(_fetch(names[0]), variables=["LAI", "FPAR", "TMIN_F_MDS", "TMAX_F_MDS"],
                                    rename=False)
    except _unavailable():
        return frame
    extra = pd.DataFrame({"time": fdk["time"].values, "lai": fdk["LAI"].values.astype(float),
                          "fpar": fdk["FPAR"].values.astype(float), "tmin": fdk["TMIN_F_MDS"].values.astype(float),
                          "tmax": fdk["TMAX_F_MDS"].values.astype(float)})
    spread = (extra["tmax"] - extra["tmin"]).median()
    if not spread > 0.5:  # FluxDataKit v3 writes the daily mean into TMIN/TMAX at some sites
        extra[["tmin", "tmax"]] = np.nan
        notes.append(f"{site}: FluxDataKit's TMIN_F_MDS/TMAX_F_MDS equal the daily mean (median range "
                     f"{spread:.2f} degC), so they are not used (no Hargreaves-Samani, es from tmean)")
    return frame.drop(columns=[c for c in ("lai", "fpar", "tmin", "tmax") if c in frame]).merge(extra, on="time",
                                                                                               how="left")


class _NoDir:
    def glob(self, pattern):
        return []


def _from_fluxnet(sites, n_sites, years, notes):
    names = _subset_names()
    if not names:
        raise FileNotFoundError(f"no FLUXNET2015 SUBSET DD files are available ({_SUBSET}/*.csv)")
    by_site = {_site_of(n): n for n in names}
    if sites is None:
        sites = sorted(by_site)[: n_sites or len(by_site)]
    unknown = [s for s in sites if s not in by_site]
    if unknown:
        raise ValueError(f"no FLUXNET file for site(s) {unknown}; available: {sorted(by_site)}")
    try:
        meta = pd.read_csv(_fetch(_META))
    except _unavailable():
        meta = None
    frames, infos = [], []
    for s in sites:
        frame, info = _read_site(by_site[s], years, meta)
        frames.append(_add_fluxdatakit(frame, s, notes))
        if meta is not None:
            row = meta[meta.iloc[:, 0] == s]
            info["map"] = float(row["MAP"].iloc[0]) if len(row) and pd.notna(row["MAP"].iloc[0]) else np.nan
        infos.append(info)
    return pd.concat(frames, ignore_index=True), infos


def _from_virtual(n_sites, years, seed):
    from .. import physics
    from ..data import virtual_land, virtual_towers

    land = virtual_land(lat=(35.0, 60.0), lon=(-10.0, 30.0), resolution=2.5, start="2020-01-01",
                        end=f"{2019 + (years or 1)}-12-31", seed=seed)
    tw = virtual_towers(land, n_sites=n_sites or 8, seed=seed)
    frames, infos = [], []
    for site in tw["site"].values:
        s = tw.sel(site=site)
        cell = land.sel(lat=float(s["lat"]), lon=float(s["lon"]))
        doy = s["time"].dt.dayofyear.values
        f = {name: convert(s[name], TOWER_UNITS[name], name=name).values.astype(float)
             for name in ("rn", "g", "rs", "tmean", "tmax", "tmin", "vpd", "wind", "pressure", "precip", "lai", "et")}
        frames.append(pd.DataFrame({
            "site": str(site), "time": s["time"].values, **f,
            "ra": physics.extraterrestrial_radiation(np.full(doy.shape, float(s["lat"])), doy),
            "swc_raw": (cell["soil_water"] / cell["whc"]).values.astype(float), "fpar": np.nan, "le_qc": 1.0,
        }))
        infos.append({"site": str(site), "igbp": str(s["igbp"].values), "lat": float(s["lat"]),
                      "map": float(s["precip"].mean()) * 365.25})
    return pd.concat(frames, ignore_index=True), infos


# --------------------------------------------------------------------------- the table

def tower_table(source: str = "auto", *, sites: Sequence[str] | None = None, n_sites: int | None = None,
                years: int | None = None, min_quality: float = 0.8, seed: int = 0) -> pd.DataFrame:
    """Daily tower data as one table (rows: site-days) for the ET study.

    Parameters
    ----------
    source : {"auto", "fluxnet", "virtual"}
        ``"fluxnet"``: the FLUXNET2015 SUBSET daily files (24 sites) through
        the real-data fetch layer; ``"virtual"``: virtual-land towers;
        ``"auto"``: FLUXNET when available, else virtual towers with a warning
        that names what is missing.
    sites : sequence of str, optional
        Site ids (default: the first ``n_sites`` alphabetically, all by default).
    n_sites : int, optional
    years : int, optional
        Keep only the first ``years`` years of each site (fast mode).
    min_quality : float
        Keep days whose LE quality (fraction of measured half-hours) is at least this.
    seed : int
        Seed of the virtual land and towers.

    Returns
    -------
    pandas.DataFrame
        One row per kept site-day; columns site, time, season, igbp, aridity,
        the forcing and water/vegetation drivers, ``et`` [mm d-1] and the
        derived features (module docstring). ``attrs``: ``units``
        (:data:`TOWER_UNITS`), ``source``, ``sites`` (a DataFrame),
        ``dropped`` (days removed per site and why) and ``notes``.

    Notes
    -----
    The water index is computed on each site's whole record before any day is
    removed (a bucket needs every day); missing soil heat flux is taken as 0
    (FAO-56 Eq. 42) and counted in ``attrs["dropped"]`` as ``g_filled``.
    """
    from ..physics.reference import fao56_reference

    if source not in ("auto", "fluxnet", "virtual"):
        raise ValueError(f"source must be 'auto', 'fluxnet' or 'virtual', not {source!r}")
    notes = []
    table = None
    if source in ("auto", "fluxnet"):
        try:
            table, infos = _from_fluxnet(sites, n_sites, years, notes)
            origin = "FLUXNET2015 SUBSET DD"
        except _unavailable() as err:
            if source == "fluxnet":
                raise
            message = f"real tower data unavailable ({err}); using virtual towers instead"
            warn(message)
            notes.append(message)
    if table is None:
        table, infos = _from_virtual(n_sites, years, seed)
        if sites is not None:
            table = table[table["site"].isin(sites)]
        origin = "virtual towers"
    for col in ("tmax", "tmin", "lai", "fpar"):
        if col not in table:
            table[col] = np.nan

    # whole-record derived drivers, per site, before any day is dropped
    g_missing = table["g"].isna()
    table["g"] = table["g"].fillna(0.0)
    feats = tower_features(table.assign(rn=table["rn"].fillna(0.0), tmean=table["tmean"].fillna(10.0),
                                        vpd=table["vpd"].fillna(0.5), wind=table["wind"].fillna(2.0),
                                        pressure=table["pressure"].fillna(table["pressure"].median())))
    table["water"] = np.nan
    table["swc"] = np.nan
    for site, idx in table.groupby("site").groups.items():
        rows = table.index.get_indexer(idx)
        table.iloc[rows, table.columns.get_loc("water")] = water_index(
            table["precip"].to_numpy()[rows], 1.26 * feats["eq"].to_numpy()[rows])
        table.iloc[rows, table.columns.get_loc("swc")] = _scaled(table["swc_raw"].to_numpy()[rows])
    table["et0_all"] = fao56_reference(table["rn"].to_numpy(), table["tmean"].to_numpy(), table["wind"].to_numpy(),
                                       table["vpd"].to_numpy(), g=table["g"].to_numpy(),
                                       pressure=table["pressure"].to_numpy())

    missing = table[list(_REQUIRED)].isna().any(axis=1)
    low_quality = ~missing & (table["le_qc"] < min_quality)
    dropped = pd.DataFrame({"missing_values": missing, "low_le_quality": low_quality,
                            "g_filled": g_missing & ~missing & ~low_quality}).groupby(table["site"]).sum()
    keep = ~missing & ~low_quality
    # site description: aridity from the whole record's mean ET_o
    site_info = pd.DataFrame(infos).set_index("site")
    et0 = table.groupby("site")["et0_all"].mean() * 365.25
    site_info["et0_mm_yr"] = et0
    site_info["map"] = site_info["map"].where(site_info["map"].notna(), table.groupby("site")["precip"].mean() * 365.25)
    site_info["aridity_index"] = site_info["map"] / site_info["et0_mm_yr"]
    site_info["aridity"] = aridity_class(site_info["aridity_index"])
    table = table[keep].drop(columns=["le_qc", "swc_raw", "et0_all"]).reset_index(drop=True)
    site_info["days"] = table.groupby("site").size()
    site_info["swc_share"] = table.groupby("site")["swc"].apply(lambda s: float(s.notna().mean()))
    site_info["lai_share"] = table.groupby("site")["lai"].apply(lambda s: float(s.notna().mean()))
    site_info["tmax_share"] = table.groupby("site")["tmax"].apply(lambda s: float(s.notna().mean()))
    site_info = site_info[site_info["days"].fillna(0) > 0]
    table = tower_features(table)
    table["season"] = pd.DatetimeIndex(table["time"]).month.map(SEASONS)
    table["igbp"] = table["site"].map(site_info["igbp"])
    table["aridity"] = table["site"].map(site_info["aridity"])
    no_swc = sorted(site_info.index[site_info["swc_share"] == 0])
    if no_swc:
        notes.append(f"no soil water content at {len(no_swc)} of {len(site_info)} sites ({', '.join(no_swc)}): "
                     f"the bucket water index stands in for it everywhere")
    table.attrs["units"] = {k: v for k, v in TOWER_UNITS.items() if k in table}
    table.attrs["source"] = origin
    table.attrs["sites"] = site_info.reset_index()
    table.attrs["dropped"] = dropped.to_dict(orient="index")
    table.attrs["notes"] = notes
    return table
