"""Eddy-covariance tower data: FLUXNET2015 / ONEFlux CSV, FluxDataKit CSV and PLUMBER2 netCDF.

The readers return an :class:`xarray.Dataset` on a ``time`` dimension with

* every column of the file (nothing is dropped), missing values (``-9999`` in
  FLUXNET, ``NA`` in FluxDataKit) turned into NaN;
* each ``*_QC`` flag kept next to its variable and linked to it through the
  CF attribute ``ancillary_variables``;
* ``units`` and ``long_name`` from the FLUXNET2015 variable table (units
  depend on the time resolution for precipitation and carbon fluxes);
* with ``rename=True``, the core variables also under the workbench
  vocabulary (``tmean``, ``rs``, ``rn``, ``g``, ``vpd``, ``wind``,
  ``pressure``, ``precip``, ``le``, ``le_corr``, ``h``, ...) in the dataset
  units of CONTRIBUTING.md, each with ``attrs["fluxnet_name"]``, plus ``et``
  [mm d-1] from ``le`` and ``tmean`` (:func:`workbench.physics.le_to_et`), and ``et_corr`` from ``le_corr``.

References
----------
Pastorello, G. et al. (2020) The FLUXNET2015 dataset and the ONEFlux processing
pipeline for eddy covariance data. Scientific Data 7, 225.
https://fluxnet.org/data/fluxnet2015-dataset/fullset-data-product/

Ukkola, A. M. et al. (2022) FLUXNET-derived PLUMBER2 dataset. Earth System
Science Data 14, 449-461.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..units import convert, parse_units, units_of
from ._checks import check_not_all_missing, check_time_axis, missing_names_error, require_path

__all__ = [
    "read_fluxnet",
    "read_fluxdatakit",
    "open_plumber2",
    "read_bigleaf",
    "list_fluxnet_files",
    "parse_fluxnet_filename",
    "fluxnet_units",
    "FLUXNET_MISSING",
]

#: The missing-value sentinel of FLUXNET2015 / ONEFlux files.
FLUXNET_MISSING = -9999.0

_NAME_RE = re.compile(
    r"^FLX_(?P<site>[A-Z]{2}-[A-Za-z0-9]{3})_(?P<source>[A-Z0-9]+)_(?P<product>FULLSET|SUBSET|ERAI)"
    r"_(?P<resolution>HH|HR|DD|WW|MM|YY)_(?P<first_year>\d{4})[-_](?P<last_year>\d{4})_(?P<version>[\d-]+)\.csv$"
)
_STEP_SECONDS = {"HH": 1800, "HR": 3600, "DD": 86400}

# FLUXNET2015 variable roots: units (or a per-resolution token) and meaning.
# A column matches the longest root it equals or starts with followed by "_".
_CARBON, _PRECIP = "<carbon>", "<precip>"
_ROOTS = {
    "TA": ("degC", "air temperature"),
    "TMIN": ("degC", "minimum air temperature"),
    "TMAX": ("degC", "maximum air temperature"),
    "TS": ("degC", "soil temperature"),
    "SW_IN_POT": ("W m-2", "potential (top-of-atmosphere) incoming shortwave radiation"),
    "SW_IN": ("W m-2", "incoming shortwave radiation"),
    "SW_OUT": ("W m-2", "outgoing shortwave radiation"),
    "SW_DIF": ("W m-2", "diffuse incoming shortwave radiation"),
    "LW_IN": ("W m-2", "incoming longwave radiation"),
    "LW_OUT": ("W m-2", "outgoing longwave radiation"),
    "PPFD_IN": ("umol m-2 s-1", "incoming photosynthetic photon flux density"),
    "PPFD_OUT": ("umol m-2 s-1", "outgoing photosynthetic photon flux density"),
    "PPFD_DIF": ("umol m-2 s-1", "diffuse photosynthetic photon flux density"),
    "NETRAD": ("W m-2", "net radiation"),
    "VPD": ("hPa", "vapour pressure deficit"),
    "RH": ("%", "relative humidity"),
    "PA": ("kPa", "air pressure"),
    "P": (_PRECIP, "precipitation"),
    "WS": ("m s-1", "wind speed at the tower measurement height"),
    "WD": ("degree", "wind direction"),
    "USTAR": ("m s-1", "friction velocity"),
    "CO2": ("umol mol-1", "CO2 mole fraction"),
    "SWC": ("%", "soil water content (volumetric)"),
    "G": ("W m-2", "ground heat flux"),
    "LE": ("W m-2", "latent heat flux"),
    "H": ("W m-2", "sensible heat flux"),
    "NEE": (_CARBON, "net ecosystem exchange of CO2"),
    "GPP": (_CARBON, "gross primary production"),
    "RECO": (_CARBON, "ecosystem respiration"),
    "LAI": ("m2 m-2", "leaf area index"),
    "FPAR": ("1", "fraction of absorbed photosynthetically active radiation"),
    "NIGHT_D": ("1", "number of night-time half-hours in the period"),
    "DAY_D": ("1", "number of day-time half-hours in the period"),
    "EBC_CF_N": ("1", "number of values used for the energy-balance correction factor"),
    "EBC_CF_METHOD": ("1", "method used for the energy-balance correction factor (code)"),
}
_PER_RESOLUTION = {
    # (carbon flux, precipitation); HH/HR precipitation is the depth fallen in the step.
    "HH": ("umol m-2 s-1", "mm"),
    "HR": ("umol m-2 s-1", "mm"),
    "DD": ("g m-2 d-1", "mm d-1"),
    "WW": ("g m-2 d-1", "mm d-1"),
    "MM": ("g m-2 d-1", "mm d-1"),
    "YY": ("g m-2 yr-1", "mm yr-1"),
}
_QUALIFIERS = {
    "F": "gap-filled",
    "MDS": "marginal distribution sampling",
    "ERA": "downscaled ERA-Interim",
    "JSB": "JSBACH model",
    "CORR": "energy-balance corrected",
    "VUT": "variable u* threshold",
    "CUT": "constant u* threshold",
    "NT": "night-time partitioning",
    "DT": "day-time partitioning",
    "SR": "soil-respiration model",
    "DAY": "day-time",
    "NIGHT": "night-time",
    "SD": "standard deviation",
    "SE": "standard error",
    "RANDUNC": "random uncertainty",
    "JOINTUNC": "joint uncertainty",
}

# Workbench vocabulary (CONTRIBUTING.md): dataset units and long_name.
_VOCABULARY = {
    "tmean": ("degC", "mean air temperature"),
    "tmin": ("degC", "minimum air temperature"),
    "tmax": ("degC", "maximum air temperature"),
    "rs": ("W m-2", "incoming shortwave radiation"),
    "rn": ("W m-2", "net radiation"),
    "g": ("W m-2", "ground heat flux"),
    "vpd": ("kPa", "vapour pressure deficit"),
    "rh": ("%", "relative humidity"),
    "wind": ("m s-1", "wind speed at the tower measurement height (not adjusted to 2 m)"),
    "pressure": ("kPa", "air pressure"),
    "precip": ("mm d-1", "precipitation"),
    "le": ("W m-2", "latent heat flux"),
    "le_corr": ("W m-2", "latent heat flux, energy-balance corrected"),
    "h": ("W m-2", "sensible heat flux"),
    "lai": ("m2 m-2", "leaf area index"),
}
# Where each vocabulary name comes from, in order of preference.
_FLUXNET_SOURCES = {
    "tmean": ("TA_F", "TA_F_MDS"),
    "tmin": ("TMIN_F_MDS", "TMIN_F", "TMIN"),
    "tmax": ("TMAX_F_MDS", "TMAX_F", "TMAX"),
    "rs": ("SW_IN_F", "SW_IN_F_MDS"),
    "rn": ("NETRAD",),
    "g": ("G_F_MDS",),
    "vpd": ("VPD_F", "VPD_F_MDS"),
    "rh": ("RH",),
    "wind": ("WS_F",),
    "pressure": ("PA_F",),
    "precip": ("P_F",),
    "le": ("LE_F_MDS",),
    "le_corr": ("LE_CORR",),
    "h": ("H_F_MDS",),
    "lai": ("LAI",),
}
_PLUMBER2_SOURCES = {  # ALMA names of PLUMBER2 / FluxDataKit netCDF
    "tmean": ("Tair",),
    "rs": ("SWdown",),
    "vpd": ("VPD",),
    "rh": ("RH",),
    "wind": ("Wind",),
    "pressure": ("Psurf",),
    "precip": ("Precip",),
    "lai": ("LAI",),
    "rn": ("Rnet",),
    "g": ("Qg",),
    "le": ("Qle",),
    "le_corr": ("Qle_cor",),
    "h": ("Qh",),
}
_BIGLEAF_SOURCES = {  # bigleaf R package example data (renamed FLUXNET2015 HH columns)
    "tmean": ("Tair",),
    "vpd": ("VPD",),
    "pressure": ("pressure",),
    "precip": ("precip",),
    "wind": ("wind",),
    "rn": ("Rn",),
    "g": ("G",),
    "le": ("LE",),
    "h": ("H",),
}
# Units of the bigleaf example data (bigleaf documentation of AT_Neu_Jul_2010 & co.);
# precip is the depth fallen in the half-hour.
_BIGLEAF_UNITS = {
    "Tair": ("degC", "air temperature (FLUXNET TA_F)"),
    "PPFD": ("umol m-2 s-1", "incoming photosynthetic photon flux density (FLUXNET PPFD_IN)"),
    "VPD": ("kPa", "vapour pressure deficit (FLUXNET VPD_F, converted to kPa)"),
    "pressure": ("kPa", "air pressure (FLUXNET PA_F)"),
    "precip": ("mm", "precipitation in the half-hour (FLUXNET P_F)"),
    "ustar": ("m s-1", "friction velocity (FLUXNET USTAR)"),
    "wind": ("m s-1", "wind speed at the tower measurement height (FLUXNET WS_F)"),
    "Ca": ("umol mol-1", "CO2 mole fraction (FLUXNET CO2_F_MDS)"),
    "LW_up": ("W m-2", "outgoing longwave radiation (FLUXNET LW_OUT)"),
    "LW_down": ("W m-2", "incoming longwave radiation (FLUXNET LW_IN_F)"),
    "Rn": ("W m-2", "net radiation (FLUXNET NETRAD)"),
    "LE": ("W m-2", "latent heat flux (FLUXNET LE_F_MDS)"),
    "H": ("W m-2", "sensible heat flux (FLUXNET H_F_MDS)"),
    "G": ("W m-2", "ground heat flux (FLUXNET G_F_MDS)"),
    "NEE": ("umol m-2 s-1", "net ecosystem exchange of CO2"),
    "GPP": ("umol m-2 s-1", "gross primary production (as CO2)"),
    "Reco": ("umol m-2 s-1", "ecosystem respiration (as CO2)"),
}
_WATER_DENSITY = 1000.0  # kg m-3: 1 kg m-2 of water is 1 mm


def parse_fluxnet_filename(path) -> dict | None:
    """Split a standard FLUXNET file name into its parts.

    Parameters
    ----------
    path : str or os.PathLike
        E.g. ``FLX_DE-Hai_FLUXNET2015_SUBSET_DD_2000-2012_1-4.csv``.

    Returns
    -------
    dict or None
        Keys ``site``, ``source`` (``FLUXNET2015``, ``FLUXDATAKIT``, ...),
        ``product`` (``FULLSET``/``SUBSET``/``ERAI``), ``resolution``
        (``HH``/``HR``/``DD``/``WW``/``MM``/``YY``), ``first_year``,
        ``last_year`` (int) and ``version``; None if the name is not standard.

    Examples
    --------
    >>> parse_fluxnet_filename("FLX_DE-Hai_FLUXNET2015_SUBSET_DD_2000-2012_1-4.csv")["site"]
    'DE-Hai'
    """
    m = _NAME_RE.match(Path(path).name)
    if m is None:
        return None
    info = m.groupdict()
    info["first_year"], info["last_year"] = int(info["first_year"]), int(info["last_year"])
    return info


def list_fluxnet_files(directory, *, site=None, resolution=None, product=None) -> list[Path]:
    """List the standard-named FLUXNET CSV files in ``directory``, sorted by name.

    Parameters
    ----------
    directory : str or os.PathLike
        The folder to search (not recursive).
    site, resolution, product : str or sequence of str, optional
        Keep only files with these site ids, resolutions (``"DD"``, ``"HH"``)
        or products (``"SUBSET"``, ``"FULLSET"``).

    Returns
    -------
    list of pathlib.Path

    Raises
    ------
    FileNotFoundError
        If ``directory`` does not exist.
    """
    folder = require_path(directory, what="FLUXNET folder")
    wanted = {"site": site, "resolution": resolution, "product": product}
    wanted = {k: {v} if isinstance(v, str) else set(v) for k, v in wanted.items() if v is not None}
    files = []
    for p in sorted(folder.glob("FLX_*.csv")):
        info = parse_fluxnet_filename(p)
        if info is not None and all(info[k] in v for k, v in wanted.items()):
            files.append(p)
    return files


def _root_of(name: str) -> str | None:
    matches = [r for r in _ROOTS if name == r or name.startswith(r + "_")]
    return max(matches, key=len) if matches else None


def fluxnet_units(name: str, resolution: str = "DD") -> tuple[str, str] | None:
    """Units and long name of a FLUXNET2015 column.

    Parameters
    ----------
    name : str
        The column name, e.g. ``"LE_F_MDS"``, ``"NEE_VUT_REF_QC"``, ``"SWC_F_MDS_2"``.
    resolution : {"HH", "HR", "DD", "WW", "MM", "YY"}
        Precipitation and carbon-flux units depend on it: ``P`` is mm per step
        in HH/HR and mm d-1 in DD-MM; ``NEE``/``GPP``/``RECO`` are
        umolCO2 m-2 s-1 in HH/HR and gC m-2 d-1 in DD-MM (written
        ``"umol m-2 s-1"`` and ``"g m-2 d-1"`` so that they can be converted).

    Returns
    -------
    (units, long_name) or None
        None for a column the FLUXNET2015 table does not describe.

    Examples
    --------
    >>> fluxnet_units("VPD_F")
    ('hPa', 'vapour pressure deficit (gap-filled)')
    >>> fluxnet_units("NEE_VUT_REF", "HH")[0]
    'umol m-2 s-1'
    """
    if resolution not in _PER_RESOLUTION:
        raise ValueError(f"unknown FLUXNET resolution {resolution!r}; expected one of {sorted(_PER_RESOLUTION)}")
    if name.endswith("_QC"):
        parent = fluxnet_units(name[:-3], resolution)
        meaning = parent[1] if parent else name[:-3]
        flag = "fraction of good-quality data" if resolution not in ("HH", "HR") else "0 measured, 1-3 gap-filled"
        return "1", f"quality flag of {meaning} ({flag})"
    if name.endswith("_N"):  # counts: EBC_CF_N, NIGHT_RANDUNC_N, RECO_SR_N, ...
        return "1", f"number of values used for {name[:-2]}"
    root = _root_of(name)
    if root is None:
        return None
    units, meaning = _ROOTS[root]
    carbon, precip = _PER_RESOLUTION[resolution]
    if units == _CARBON:
        meaning += " (as CO2)" if resolution in ("HH", "HR") else " (as carbon)"
    units = {_CARBON: carbon, _PRECIP: precip}.get(units, units)
    tokens = name[len(root) :].split("_")
    extra = [_QUALIFIERS[t] for t in tokens if t in _QUALIFIERS]
    levels = [t for t in tokens if t.isdigit()]
    if levels:
        extra.append(("percentile " if len(levels[-1]) == 2 else "level ") + levels[-1])
    return units, meaning + (f" ({', '.join(extra)})" if extra else "")


def _parse_times(values: pd.Series, *, source: str, column: str) -> pd.DatetimeIndex:
    text = values.astype(str).str.strip()
    width = text.str.len().iloc[0]
    fmt = {4: "%Y", 6: "%Y%m", 8: "%Y%m%d", 10: "%Y-%m-%d", 12: "%Y%m%d%H%M"}.get(width)
    if fmt is None:
        raise ValueError(
            f"column {column!r} in {source!r}: cannot read time stamp {text.iloc[0]!r}; expected "
            f"YYYY, YYYYMM, YYYYMMDD, YYYY-MM-DD or YYYYMMDDHHMM"
        )
    try:
        return pd.DatetimeIndex(pd.to_datetime(text, format=fmt))
    except (ValueError, TypeError) as err:
        raise ValueError(f"column {column!r} in {source!r}: cannot read time stamps with format {fmt!r}: {err}") from None


def _min_step(times: pd.DatetimeIndex) -> pd.Timedelta:
    return (times[1:] - times[:-1]).min() if len(times) > 1 else pd.Timedelta(days=1)


def _infer_resolution(times: pd.DatetimeIndex, *, source: str) -> str:
    step = _min_step(times)
    for res, seconds in _STEP_SECONDS.items():
        if step == pd.Timedelta(seconds=seconds):
            return res
    raise ValueError(
        f"cannot tell the time resolution of {source!r} from its name or its time step {step}; "
        f"expected a 30-min (HH), hourly (HR) or daily (DD) step"
    )


def _qc_parent(qc: str, columns) -> str | None:
    base = qc[:-3]
    # FluxDataKit names some flags without the _MDS of their variable (TMIN_F_QC for TMIN_F_MDS).
    for candidate in (base, base + "_MDS"):
        if candidate in columns:
            return candidate
    return None


def _resolve_requested(variables, columns, *, source: str) -> tuple[list[str], list[str]]:
    """Map requested names (FLUXNET columns or vocabulary names) to columns."""
    if isinstance(variables, str):
        variables = [variables]
    cols, missing = [], []
    for name in variables:
        if name in columns:
            cols.append(name)
        elif name == "et":
            cols += [_first_present(_FLUXNET_SOURCES[v], columns) or _FLUXNET_SOURCES[v][0] for v in ("le", "tmean")]
        elif name in _FLUXNET_SOURCES and _first_present(_FLUXNET_SOURCES[name], columns):
            cols.append(_first_present(_FLUXNET_SOURCES[name], columns))
        else:
            missing.append(name)
    missing += [c for c in cols if c not in columns]
    if missing:
        raise missing_names_error(missing, columns, source=source)
    return list(dict.fromkeys(cols)), list(variables)


def _first_present(candidates, columns) -> str | None:
    return next((c for c in candidates if c in columns), None)


_TIME_COLUMNS = ("TIMESTAMP", "TIMESTAMP_START", "TIMESTAMP_END")


def _time_axis(df: pd.DataFrame, *, source: str):
    """(times, interval ends or None) from TIMESTAMP or TIMESTAMP_START/END, checked."""
    if "TIMESTAMP" in df.columns:
        times, time_end = _parse_times(df["TIMESTAMP"], source=source, column="TIMESTAMP"), None
    elif "TIMESTAMP_START" in df.columns:
        times = _parse_times(df["TIMESTAMP_START"], source=source, column="TIMESTAMP_START")
        time_end = None
        if "TIMESTAMP_END" in df.columns:
            time_end = _parse_times(df["TIMESTAMP_END"], source=source, column="TIMESTAMP_END")
    else:
        raise missing_names_error(["TIMESTAMP"], df.columns, source=source)
    check_time_axis(times.values, source=source)
    return times, time_end


def _resolution(info: dict, times: pd.DatetimeIndex, *, source: str) -> str:
    """The resolution from the file name (checked against the time step), else from the step."""
    resolution = info.get("resolution") or _infer_resolution(times, source=source)
    if resolution in _STEP_SECONDS and len(times) > 1:
        expected = pd.Timedelta(seconds=_STEP_SECONDS[resolution])
        if _min_step(times) != expected:
            raise ValueError(
                f"{source!r}: the file name says resolution {resolution!r} but the shortest time step is "
                f"{_min_step(times)}; expected {expected}"
            )
    return resolution


def _tower_variables(df, columns, resolution, *, source, missing_tokens) -> dict:
    """One xarray.Variable per column: -9999 -> NaN, units from the table, QC linked to its variable."""
    data_vars, unknown = {}, []
    for col in columns:
        values = df[col]
        if not pd.api.types.is_numeric_dtype(values):
            bad = values[pd.to_numeric(values, errors="coerce").isna() & values.notna()]
            raise ValueError(
                f"column {col!r} in {source!r} holds non-numeric values (first {bad.iloc[0]!r} at row "
                f"{bad.index[0]}); expected numbers with {missing_tokens} for missing"
            )
        arr = values.to_numpy(dtype=float)
        arr = np.where(arr == FLUXNET_MISSING, np.nan, arr)
        described = fluxnet_units(col, resolution)
        if described is None:
            unknown.append(col)
            attrs = {"long_name": col, "comment": "not in the FLUXNET2015 variable table: unit unknown"}
        else:
            attrs = {"units": described[0], "long_name": described[1]}
        data_vars[col] = xr.Variable("time", arr, attrs)
    for col in columns:
        if col.endswith("_QC") and (parent := _qc_parent(col, columns)) is not None:
            data_vars[parent].attrs["ancillary_variables"] = col
    if unknown:
        warnings.warn(f"{source!r}: columns without a known FLUXNET2015 unit kept without 'units': {unknown}", stacklevel=4)
    return data_vars


def _read_tower_csv(path, *, missing_tokens, variables, rename, site, metadata, label):
    p = require_path(path, what=f"{label} CSV file")
    source = str(p)
    info = parse_fluxnet_filename(p) or {}
    if site is not None and info.get("site") not in (None, site):
        raise ValueError(f"site={site!r} disagrees with the site {info['site']!r} in the file name {p.name!r}")
    site = site or info.get("site")
    if site is None:
        raise ValueError(
            f"cannot read the site id from the file name {p.name!r}: expected "
            f"FLX_<SITE>_FLUXNET2015_<SET>_<RES>_<y0>-<y1>_<ver>.csv; pass site='CC-Xxx' explicitly"
        )
    df = pd.read_csv(
        p,
        dtype={c: str for c in _TIME_COLUMNS},
        na_values=list(missing_tokens),
        keep_default_na=False,
        float_precision="round_trip",  # values exactly as written in the file
    )
    if df.empty:
        raise ValueError(f"{source!r} has a header but no data rows; expected at least one time step")
    times, time_end = _time_axis(df, source=source)
    resolution = _resolution(info, times, source=source)
    columns = [c for c in df.columns if c not in _TIME_COLUMNS]
    requested = None
    if variables is not None:
        selected, requested = _resolve_requested(variables, columns, source=source)
        qcs = [c for c in columns if c.endswith("_QC") and _qc_parent(c, selected) is not None]
        columns = [c for c in columns if c in selected or c in qcs]
    data_vars = _tower_variables(df, columns, resolution, source=source, missing_tokens=missing_tokens)

    coords = {"time": ("time", times.values, {"long_name": _time_meaning(resolution, time_end is not None)})}
    if time_end is not None:
        coords["time_end"] = ("time", time_end.values, {"long_name": "end of the averaging interval"})
    ds = xr.Dataset(data_vars, coords=coords)
    ds.attrs = {
        "site_id": site,
        "source": label,
        "product": info.get("product", "unknown"),
        "resolution": resolution,
        "source_file": p.name,
        "missing_values": f"{' and '.join(map(str, missing_tokens))} in the file -> NaN",
    }
    if "version" in info:
        ds.attrs["version"] = info["version"]
    if requested is not None:
        check_not_all_missing(ds, [c for c in selected if c in ds], source=source)
    if rename:
        step = _STEP_SECONDS.get(resolution, 86400)
        ds = _add_vocabulary(ds, _FLUXNET_SOURCES, origin="fluxnet_name", step_seconds=step, wanted=requested)
    if metadata is not None:
        ds = _attach_site_metadata(ds, metadata, site=site)
    return ds


def _time_meaning(resolution: str, has_end: bool) -> str:
    # FLUXNET2015 time stamps are local standard time (no daylight saving).
    if has_end:
        return "start of the averaging interval, local standard time (TIMESTAMP_START; end in time_end)"
    period = {"DD": "day", "MM": "month", "YY": "year"}.get(resolution, "period")
    return f"{period}, local standard time (TIMESTAMP)"


def _add_vocabulary(ds: xr.Dataset, sources: dict, *, origin: str, step_seconds: float, wanted=None) -> xr.Dataset:
    """Add the vocabulary variables found through ``sources``, in dataset units, and ``et``.

    ``origin`` names the attribute that records the source variable
    (``"fluxnet_name"``, ``"plumber2_name"``); ``wanted`` limits the names added.
    """
    added = {}
    needed = None if wanted is None else set(wanted) | ({"le", "tmean"} if "et" in wanted else set())
    for name, candidates in sources.items():
        col = _first_present(candidates, ds.data_vars)
        if col is None or (needed is not None and name not in needed and col not in needed):
            continue
        src = ds[col]
        units, long_name = _VOCABULARY[name]
        da = _precip_rate(src, col, step_seconds) if name == "precip" else convert(src, units, name=col)
        da.attrs = {"units": units, "long_name": long_name, origin: col}
        if "ancillary_variables" in src.attrs:
            da.attrs["ancillary_variables"] = src.attrs["ancillary_variables"]
        added[name] = da
    if "le" in added and "tmean" in added and (wanted is None or "et" in wanted):
        names = f"{added['le'].attrs[origin]}, {added['tmean'].attrs[origin]}"
        added["et"] = _et_from(added["le"], added["tmean"], derived_from=names)
    if "le_corr" in added and "tmean" in added and (wanted is None or "et_corr" in wanted):
        names = f"{added['le_corr'].attrs[origin]}, {added['tmean'].attrs[origin]}"
        added["et_corr"] = _et_from(added["le_corr"], added["tmean"], derived_from=names).rename("et_corr")
        added["et_corr"].attrs["long_name"] = "evapotranspiration from energy-balance corrected latent heat flux"
    return ds.assign(added)


def _precip_rate(src: xr.DataArray, name: str, step_seconds: float) -> xr.DataArray:
    """Precipitation [mm d-1] from a depth per time step [mm], a water mass flux or a rate."""
    units = units_of(src, name)
    if units.strip() == "mm":  # depth fallen in the step (FLUXNET HH/HR) -> mean rate
        return src * (86400.0 / step_seconds)
    if parse_units(units).dimensionality == parse_units("kg m-2 s-1").dimensionality:
        return convert(src, "kg m-2 d-1", name=name) * (1000.0 / _WATER_DENSITY)
    return convert(src, "mm d-1", name=name)


def _et_from(le: xr.DataArray, tmean: xr.DataArray, *, derived_from: str) -> xr.DataArray:
    from ..physics import le_to_et  # physics sits after data in the layers; imported on use

    et = le_to_et(le, tmean).rename("et")
    et.attrs = {
        "units": "mm d-1",
        "long_name": "evapotranspiration from latent heat flux",
        "derived_from": derived_from,
    }
    return et


def _pick_column(frame: pd.DataFrame, aliases) -> str | None:
    lower = {c.lower(): c for c in frame.columns}
    return next((lower[a.lower()] for a in aliases if a.lower() in lower), None)


def _attach_site_metadata(ds, metadata, *, site):
    if isinstance(metadata, pd.DataFrame):
        table, where = metadata, "metadata DataFrame"
    else:
        where = str(require_path(metadata, what="site metadata file"))
        table = pd.read_csv(where)
    id_col = _pick_column(table, ("id", "site", "site_id", "sitename", "SITE_ID"))
    lat_col = _pick_column(table, ("latitude", "lat", "LOCATION_LAT"))
    lon_col = _pick_column(table, ("longitude", "lon", "LOCATION_LONG"))
    if None in (id_col, lat_col, lon_col):
        raise ValueError(
            f"{where}: expected columns for the site id, latitude and longitude "
            f"(e.g. id, latitude, longitude); found {list(table.columns)}"
        )
    rows = table[table[id_col].astype(str) == site]
    if rows.empty:
        raise missing_names_error([site], table[id_col].astype(str), source=where, kind="site")
    row = rows.iloc[0]
    coords = {
        "lat": ((), float(row[lat_col]), {"units": "degrees_north", "long_name": "latitude"}),
        "lon": ((), float(row[lon_col]), {"units": "degrees_east", "long_name": "longitude"}),
    }
    elev_col = _pick_column(table, ("altitude", "elevation", "elv", "LOCATION_ELEV"))
    if elev_col is not None:
        coords["elevation"] = ((), float(row[elev_col]), {"units": "m", "long_name": "height above sea level"})
    ds = ds.assign_coords(coords)
    igbp_col = _pick_column(table, ("IGBP", "igbp_land_use"))
    if igbp_col is not None:
        ds.attrs["igbp"] = str(row[igbp_col])
    return ds


def read_fluxnet(path, *, variables=None, rename: bool = True, site: str | None = None, metadata=None) -> xr.Dataset:
    """Read a FLUXNET2015 / ONEFlux CSV file (FULLSET or SUBSET; HH, HR, DD, WW, MM or YY).

    Parameters
    ----------
    path : str or os.PathLike
        The CSV file. The site id, product and resolution are read from the
        standard name ``FLX_<SITE>_FLUXNET2015_<SET>_<RES>_<y0>-<y1>_<ver>.csv``;
        other names need ``site=`` (the resolution is then taken from the time step).
    variables : str or list of str, optional
        Columns to keep (FLUXNET names such as ``"LE_F_MDS"`` or vocabulary
        names such as ``"le"``; ``"et"`` brings ``LE_F_MDS`` and ``TA_F``).
        Their ``*_QC`` flags come along. Default: every column.
    rename : bool, default True
        Also provide the core variables under the workbench vocabulary in
        dataset units (``vpd`` in kPa, ``precip`` in mm d-1, ...), and ``et``
        [mm d-1] from ``le`` [W m-2] and ``tmean`` [degC] with the latent heat
        of vaporisation as a function of temperature. The FLUXNET columns stay.
    site : str, optional
        The site id (``"DE-Hai"``); required when the file name is not standard,
        checked against the name when it is.
    metadata : str, os.PathLike or pandas.DataFrame, optional
        A site table (e.g. ``site_metadata/fluxnet2015_site_list.csv`` with
        ``id, latitude, longitude, altitude, IGBP``); adds scalar coordinates
        ``lat`` [degrees_north], ``lon`` [degrees_east], ``elevation`` [m] and
        ``attrs["igbp"]``.

    Returns
    -------
    xarray.Dataset
        On dimension ``time``: for DD the day (from ``TIMESTAMP``); for HH/HR
        the *start* of each interval (``TIMESTAMP_START``) with the end in the
        coordinate ``time_end``. ``-9999`` is NaN. ``attrs`` hold ``site_id``,
        ``product``, ``resolution`` and ``source_file``.

    Raises
    ------
    FileNotFoundError
        If ``path`` does not exist.
    ValueError
        For a requested column that is missing (with close matches), a
        requested variable that is entirely missing, non-numeric values, a
        time axis with duplicated or decreasing stamps, or no site id.

    Notes
    -----
    Daily ``*_QC`` columns are the fraction of good-quality half-hours in the
    day (0-1); half-hourly ones are 0 (measured) to 3 (poor gap-filling).
    ``wind`` is the wind speed at the tower measurement height: it is not
    converted to 2 m here.

    Examples
    --------
    >>> from workbench.data._checks import real_data_dir
    >>> folder = real_data_dir("fluxnet2015_subset_dd")
    >>> if folder is not None:
    ...     ds = read_fluxnet(folder / "FLX_DE-Hai_FLUXNET2015_SUBSET_DD_2000-2012_1-4.csv")
    ...     print(ds.attrs["site_id"], ds["vpd"].attrs["units"], ds["LE_F_MDS"].attrs["ancillary_variables"])
    ... else:
    ...     print("DE-Hai kPa LE_F_MDS_QC")
    DE-Hai kPa LE_F_MDS_QC
    """
    return _read_tower_csv(
        path,
        missing_tokens=(FLUXNET_MISSING,),
        variables=variables,
        rename=rename,
        site=site,
        metadata=metadata,
        label="FLUXNET2015",
    )


def read_fluxdatakit(path, *, variables=None, rename: bool = True, site: str | None = None, metadata=None) -> xr.Dataset:
    """Read a FluxDataKit daily CSV (FLUXNET column names, ``NA`` for missing).

    FluxDataKit (Hufkens et al., https://github.com/geco-bern/FluxDataKit) writes
    FLUXNET2015-style columns with ``*_F_MDS`` names (``TA_F_MDS``,
    ``SW_IN_F_MDS``, ``VPD_F_MDS``, ``TMIN_F_MDS``), ISO dates and ``NA`` for
    missing values; MODIS ``LAI`` and ``FPAR`` are added. Parameters, returns
    and errors are those of :func:`read_fluxnet`; both ``NA`` and ``-9999``
    count as missing.
    """
    return _read_tower_csv(
        path,
        missing_tokens=("NA", FLUXNET_MISSING),
        variables=variables,
        rename=rename,
        site=site,
        metadata=metadata,
        label="FluxDataKit",
    )


def _open_point_netcdf(path) -> xr.Dataset:
    p = require_path(path, what="PLUMBER2 netCDF file")
    with xr.open_dataset(p) as raw:
        ds = raw.load()
    extra = {d: n for d, n in ds.sizes.items() if d in ("x", "y") and n != 1}
    if extra:
        raise ValueError(f"{str(p)!r} is not single-site data: expected x and y of size 1, found {extra}")
    ds = ds.squeeze([d for d in ("x", "y") if d in ds.dims], drop=True)
    check_time_axis(ds["time"].values, source=str(p))
    return ds


def open_plumber2(met_path, flux_path=None, *, rename: bool = True) -> xr.Dataset:
    """Open a PLUMBER2 (or FluxDataKit PLUMBER-format) Met and Flux netCDF pair as one site Dataset.

    Parameters
    ----------
    met_path : str or os.PathLike
        The ``*_Met.nc`` file (forcing: Tair, SWdown, VPD, Psurf, Precip, ...).
    flux_path : str or os.PathLike, optional
        The matching ``*_Flux.nc`` file (Qle, Qh, Rnet, Qg, NEE, GPP, ...).
    rename : bool, default True
        Also provide the vocabulary names (``tmean`` [degC], ``rs``, ``vpd``
        [kPa], ``pressure`` [kPa], ``precip`` [mm d-1], ``rn``, ``g``, ``le``,
        ``le_corr``, ``h``, ``lai``, ``rh``, ``wind``) converted from the
        files' ``units``, each with ``attrs["plumber2_name"]``, plus ``et``
        [mm d-1] from ``le`` and ``tmean``. The original variables stay.

    Returns
    -------
    xarray.Dataset
        On ``time`` only (the size-1 ``x``/``y`` dims are squeezed); scalar
        coordinates ``lat``, ``lon`` (and ``elevation`` when present);
        ``attrs["site_id"]`` from the files' ``site_code``.

    Raises
    ------
    FileNotFoundError
        If a file does not exist.
    ValueError
        If the two files are for different sites or time axes, or are not
        single-site; :class:`~workbench.units.UnitError` if a unit is missing
        or unexpected.

    Notes
    -----
    PLUMBER2 time stamps are the start of each 30-min step. Precipitation
    [kg m-2 s-1] becomes mm d-1 with a water density of 1000 kg m-3.
    """
    ds = _open_point_netcdf(met_path)
    if flux_path is not None:
        flux = _open_point_netcdf(flux_path)
        if ds.attrs.get("site_code") != flux.attrs.get("site_code"):
            raise ValueError(
                f"{str(met_path)!r} (site {ds.attrs.get('site_code')!r}) and {str(flux_path)!r} "
                f"(site {flux.attrs.get('site_code')!r}) are for different sites"
            )
        if not np.array_equal(ds["time"].values, flux["time"].values):
            raise ValueError(
                f"time axes differ: {str(met_path)!r} has {ds.sizes['time']} steps from {ds['time'].values[0]}, "
                f"{str(flux_path)!r} has {flux.sizes['time']} from {flux['time'].values[0]}"
            )
        shared = [v for v in flux.data_vars if v in ds.data_vars]
        ds = xr.merge([ds, flux.drop_vars(shared)], combine_attrs="override")
    coords = {}
    for short, long_, unit in (("lat", "latitude", "degrees_north"), ("lon", "longitude", "degrees_east"), ("elevation", "elevation", "m")):
        if long_ in ds:
            coords[short] = ((), float(ds[long_]), {"units": unit, "long_name": ds[long_].attrs.get("long_name", long_)})
    ds = ds.drop_vars([v for v in ("latitude", "longitude", "elevation") if v in ds]).assign_coords(coords)
    ds.attrs["site_id"] = ds.attrs.get("site_code", "unknown")
    ds.attrs["source_file"] = ", ".join(Path(p).name for p in (met_path, flux_path) if p is not None)
    if rename:
        step = float((ds["time"][1] - ds["time"][0]) / np.timedelta64(1, "s")) if ds.sizes["time"] > 1 else 1800.0
        ds = _add_vocabulary(ds, _PLUMBER2_SOURCES, origin="plumber2_name", step_seconds=step)
    return ds


def read_bigleaf(path, *, rename: bool = True, site: str | None = None) -> xr.Dataset:
    """Read a half-hourly example data set of the R package bigleaf (``.rda``), e.g. ``AT_Neu_Jul_2010.rda``.

    The files hold one month of renamed FLUXNET2015 FULLSET HH columns
    (``Tair``, ``VPD`` [kPa], ``Rn``, ``LE``, ``H``, ``G``, ``NEE``, ... with
    ``*_qc`` flags). They are parsed with the pure-Python ``rdata`` package.

    Parameters
    ----------
    path : str or os.PathLike
        The ``.rda`` file.
    rename : bool, default True
        Also provide the vocabulary names (``tmean``, ``vpd``, ``pressure``,
        ``precip`` [mm d-1], ``wind``, ``rn``, ``g``, ``le``, ``h``) with
        ``attrs["bigleaf_name"]``, and ``et`` [mm d-1].
    site : str, optional
        The site id; by default from the file name (``AT_Neu_...`` -> ``AT-Neu``).

    Returns
    -------
    xarray.Dataset
        On ``time`` = 1 January of ``year`` + (``doy`` - 1) days + ``hour``
        hours, the *start* of each half-hour (the daily means of this axis
        match the FLUXNET2015 DD files); ``attrs["site_id"]``.

    Raises
    ------
    FileNotFoundError, ValueError
        A missing file, a file that does not hold one data frame with
        ``year``/``doy``/``hour``, or a time axis that is not strictly increasing.

    References
    ----------
    Knauer, J. et al. (2018) Bigleaf - An R package for the calculation of
    physical and physiological ecosystem properties from eddy covariance data.
    PLoS ONE 13(8): e0201114.
    """
    import rdata  # pure Python; imported on use

    p = require_path(path, what="bigleaf .rda file")
    source = str(p)
    objects = rdata.conversion.convert(rdata.parser.parse_file(p))
    frames = [v for v in objects.values() if isinstance(v, pd.DataFrame)]
    if len(frames) != 1 or not {"year", "doy", "hour"} <= set(map(str, frames[0].columns)):
        raise ValueError(f"{source!r}: expected one data frame with columns year, doy and hour; found {list(objects)}")
    df = frames[0].rename(columns=str)
    times = pd.DatetimeIndex(
        pd.to_datetime(df["year"].astype(int).astype(str) + "-01-01")
        + pd.to_timedelta(df["doy"].to_numpy(float) - 1, unit="D")
        + pd.to_timedelta(df["hour"].to_numpy(float), unit="h")
    )
    check_time_axis(times.values, source=source)
    match = re.match(r"^([A-Z]{2})_([A-Za-z0-9]{3})_", p.name)
    site = site or (f"{match.group(1)}-{match.group(2)}" if match else None)
    if site is None:
        raise ValueError(f"cannot read the site id from the file name {p.name!r}; pass site='CC-Xxx' explicitly")
    data_vars, unknown = {}, []
    for col in df.columns:
        if col in ("year", "month", "doy", "hour"):
            continue
        if col.endswith("_qc"):
            attrs = {"units": "1", "long_name": f"quality flag of {col[:-3]} (0 measured, 1-3 gap-filled)"}
        elif col in _BIGLEAF_UNITS:
            units, long_name = _BIGLEAF_UNITS[col]
            attrs = {"units": units, "long_name": long_name}
            if f"{col}_qc" in df.columns:
                attrs["ancillary_variables"] = f"{col}_qc"
        else:
            unknown.append(col)
            attrs = {"long_name": col, "comment": "not in the bigleaf variable table: unit unknown"}
        data_vars[col] = xr.Variable("time", df[col].to_numpy(dtype=float, na_value=np.nan), attrs)
    if unknown:
        warnings.warn(f"{source!r}: columns without a known unit kept without 'units': {unknown}", stacklevel=2)
    ds = xr.Dataset(data_vars, coords={"time": ("time", times.values, {"long_name": "start of the half-hour"})})
    ds.attrs = {"site_id": site, "source": "bigleaf", "resolution": "HH", "source_file": p.name}
    if rename:
        ds = _add_vocabulary(ds, _BIGLEAF_SOURCES, origin="bigleaf_name", step_seconds=1800.0)
    return ds

