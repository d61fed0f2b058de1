"""workbench.data.fluxnet: every real FLUXNET/FluxDataKit/PLUMBER2 file, checked against the raw files.

The raw CSVs are read here independently (``csv`` module, strings) and compared
with the reader's Dataset at sample points; the row counts and valid-value
counts are checked against the per-file records of the real-data MANIFEST.md.
Half-hourly FLUXNET CSV parsing is covered with a synthetic file written in
``tmp_path`` in the ONEFlux HH layout (no real HH CSV is available here; the
real half-hourly data are the PLUMBER2 netCDF files).
"""

import csv
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from workbench.data._checks import real_data_dir
from workbench.units import UnitError
from workbench.data.fluxnet import (
    fluxnet_units,
    list_fluxnet_files,
    open_plumber2,
    parse_fluxnet_filename,
    read_bigleaf,
    read_fluxdatakit,
    read_fluxnet,
)

REAL = Path(__file__).parents[1] / ".." / "shared" / "data" / "real"
needs_real = pytest.mark.skipif(not REAL.is_dir(), reason=f"real data folder {REAL} is absent")
SITE_LIST = REAL / "site_metadata" / "fluxnet2015_site_list.csv"


def _raw_rows(path):
    """The CSV as (header, rows of strings), read without pandas."""
    with open(path, newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, list(reader)


def _raw_value(text, missing=()):
    """A CSV cell as the reader should give it: the number, or NaN for -9999 / a missing token."""
    if text.strip() in missing or float(text) == -9999:
        return np.nan
    return float(text)


def _manifest_records():
    """{relative path: {rows, cols, start, end, LE_valid, NETRAD_valid, G_valid}} from MANIFEST.md."""
    text = (REAL / "MANIFEST.md").read_text()
    records = {}
    for m in re.finditer(r"### `(fluxnet2015_\w+_dd/[^`]+)`.*?period/shape: (.*?)\n", text, re.S):
        fields = dict(kv.split("=") for kv in m.group(2).split())
        records[m.group(1)] = fields
    return records


@pytest.fixture(scope="module")
def real_files():
    if not REAL.is_dir():
        pytest.skip(f"real data folder {REAL} is absent")
    files = list_fluxnet_files(REAL / "fluxnet2015_subset_dd") + list_fluxnet_files(REAL / "fluxnet2015_fullset_dd")
    return files


@pytest.fixture(scope="module")
def datasets(real_files):
    """Every real FLUXNET2015 file, parsed once for the module."""
    return {p: read_fluxnet(p, metadata=SITE_LIST) for p in real_files}


@needs_real
def test_all_real_files_are_found(real_files):
    assert len(real_files) == 25  # 24 SUBSET + 1 FULLSET daily files (MANIFEST.md)
    assert sum(parse_fluxnet_filename(p)["product"] == "FULLSET" for p in real_files) == 1


@needs_real
def test_every_file_matches_its_manifest_record(datasets):
    records = _manifest_records()
    assert len(records) == 25
    for path, ds in datasets.items():
        rec = records[f"{path.parent.name}/{path.name}"]
        assert ds.sizes["time"] == int(rec["rows"]), path.name
        columns = [v for v in ds.data_vars if "fluxnet_name" not in ds[v].attrs and v != "et"]
        assert len(columns) + 1 == int(rec["cols"]), path.name  # + TIMESTAMP
        start, end = rec["period"].split("..")
        assert ds["time"].values[0] == np.datetime64(pd.Timestamp(start)), path.name
        assert ds["time"].values[-1] == np.datetime64(pd.Timestamp(end)), path.name
        assert int(ds["LE_F_MDS"].count()) == int(rec["LE_valid"]), path.name
        assert int(ds["NETRAD"].count()) == int(rec["NETRAD_valid"]), path.name
        assert int(ds["G_F_MDS"].count()) == int(rec["G_valid"]), path.name


@needs_real
def test_site_product_and_daily_time_axis(datasets):
    for path, ds in datasets.items():
        site = path.name.split("_")[1]
        assert ds.attrs["site_id"] == site
        assert ds.attrs["product"] in ("SUBSET", "FULLSET") and ds.attrs["product"] in path.name
        assert ds.attrs["resolution"] == "DD" and ds.attrs["source_file"] == path.name
        steps = np.diff(ds["time"].values)
        assert (steps == np.timedelta64(1, "D")).all(), path.name


@needs_real
def test_values_match_raw_csv_at_sample_points(datasets):
    rng = np.random.default_rng(2015)
    checked = 0
    for path, ds in datasets.items():
        header, rows = _raw_rows(path)
        for i in rng.choice(len(rows), size=6, replace=False):
            assert pd.Timestamp(ds["time"].values[i]).strftime("%Y%m%d") == rows[i][0]
            for j in rng.choice(np.arange(1, len(header)), size=8, replace=False):
                expected = _raw_value(rows[i][j])
                assert_allclose(ds[header[j]].values[i], expected, rtol=0, atol=0, err_msg=f"{path.name} {header[j]} row {i}")
                checked += 1
        # the core ET columns at the first and last rows
        for col in ("LE_F_MDS", "TA_F", "VPD_F", "NETRAD", "G_F_MDS", "LE_F_MDS_QC"):
            j = header.index(col)
            assert_allclose(ds[col].values[[0, -1]], [_raw_value(rows[0][j]), _raw_value(rows[-1][j])], rtol=0)
    assert checked == 25 * 6 * 8


@needs_real
def test_missing_value_count_equals_nan_count_in_every_column(datasets, real_files):
    path = next(p for p in real_files if "DE-Hai" in p.name)
    header, rows = _raw_rows(path)
    ds = datasets[path]
    for j, col in enumerate(header[1:], start=1):
        sentinels = sum(float(r[j]) == -9999 for r in rows)
        assert int(ds[col].isnull().sum()) == sentinels, col
    assert int(ds["NETRAD"].isnull().sum()) == 4749 - 4664  # MANIFEST: NETRAD_valid=4664 of 4749


@needs_real
def test_qc_flags_kept_next_to_their_variables(datasets):
    for path, ds in datasets.items():
        qcs = [v for v in ds.data_vars if v.endswith("_QC")]
        assert "LE_F_MDS_QC" in qcs
        for qc in qcs:
            parent = qc[:-3]
            if parent in ds:
                assert ds[parent].attrs["ancillary_variables"] == qc, (path.name, qc)
            assert ds[qc].attrs["units"] == "1"
            values = ds[qc].values[np.isfinite(ds[qc].values)]
            assert ((values >= 0) & (values <= 3)).all(), (path.name, qc)
        for qc in ("TA_F_QC", "SW_IN_F_QC", "VPD_F_QC", "LE_F_MDS_QC", "H_F_MDS_QC"):
            values = ds[qc].values[np.isfinite(ds[qc].values)]
            assert ((values >= 0) & (values <= 1)).all(), (path.name, qc)  # DD flags: fraction of good data
        assert ds["le"].attrs["ancillary_variables"] == "LE_F_MDS_QC"


@needs_real
def test_units_attributes(datasets):
    expected = {
        "TA_F": "degC", "SW_IN_F": "W m-2", "VPD_F": "hPa", "PA_F": "kPa", "P_F": "mm d-1", "WS_F": "m s-1",
        "USTAR": "m s-1", "NETRAD": "W m-2", "G_F_MDS": "W m-2", "LE_F_MDS": "W m-2", "LE_CORR": "W m-2",
        "H_F_MDS": "W m-2", "NEE_VUT_REF": "g m-2 d-1", "GPP_NT_VUT_REF": "g m-2 d-1", "RECO_NT_VUT_REF": "g m-2 d-1",
        "SWC_F_MDS_1": "%", "TS_F_MDS_1": "degC", "PPFD_IN": "umol m-2 s-1", "CO2_F_MDS": "umol mol-1",
        "tmean": "degC", "rs": "W m-2", "vpd": "kPa", "pressure": "kPa", "precip": "mm d-1", "et": "mm d-1",
    }
    for path, ds in datasets.items():
        for var, units in expected.items():
            if var in ds:
                assert ds[var].attrs["units"] == units, (path.name, var)
        without = [v for v in ds.data_vars if "units" not in ds[v].attrs or "long_name" not in ds[v].attrs]
        assert without == [], path.name


@needs_real
def test_vocabulary_names_and_conversions(datasets, real_files):
    path = next(p for p in real_files if "DE-Hai" in p.name)
    ds = datasets[path]
    pairs = {"tmean": "TA_F", "rs": "SW_IN_F", "rn": "NETRAD", "g": "G_F_MDS", "wind": "WS_F", "pressure": "PA_F",
             "precip": "P_F", "le": "LE_F_MDS", "le_corr": "LE_CORR", "h": "H_F_MDS"}
    for name, col in pairs.items():
        assert ds[name].attrs["fluxnet_name"] == col
        assert_array_equal(ds[name].values, ds[col].values)
    assert_allclose(ds["vpd"].values, ds["VPD_F"].values / 10.0, rtol=1e-12)  # hPa -> kPa
    # ET by hand: LE [W m-2] * 86400 s / (lambda(T) [MJ kg-1] * 1e6), lambda = 2.501 - 0.002361 T (FAO-56 Eq. 3-1)
    lam = 2.501 - 0.002361 * ds["TA_F"].values
    assert_allclose(ds["et"].values, ds["LE_F_MDS"].values * 86400 / (lam * 1e6), rtol=1e-10)
    assert 0.5 < float(ds["et"].mean()) < 3.0  # a temperate deciduous forest, mm d-1


@needs_real
def test_site_metadata_from_site_list(datasets, real_files):
    path = next(p for p in real_files if "DE-Hai" in p.name)
    ds = datasets[path]
    assert float(ds["lat"]) == pytest.approx(51.0792) and float(ds["lon"]) == pytest.approx(10.4522)
    assert ds["lat"].attrs["units"] == "degrees_north" and ds.attrs["igbp"] == "DBF"
    table = pd.DataFrame({"id": ["DE-Hai"], "latitude": [1.5], "longitude": [2.5]})
    small = read_fluxnet(path, variables="TA_F", metadata=table)
    assert float(small["lat"]) == 1.5 and "elevation" not in small.coords
    with pytest.raises(ValueError, match=r"'DE-Hai' \(no close match\) not found in 'metadata DataFrame'"):
        read_fluxnet(path, variables="TA_F", metadata=table.assign(id=["XX-Abc"]))


@needs_real
def test_variable_selection_keeps_qc_and_vocabulary(real_files):
    path = next(p for p in real_files if "DE-Hai" in p.name)
    ds = read_fluxnet(path, variables=["LE_F_MDS", "vpd"])
    assert sorted(ds.data_vars) == ["LE_F_MDS", "LE_F_MDS_QC", "VPD_F", "VPD_F_QC", "le", "vpd"]
    et = read_fluxnet(path, variables="et")
    assert {"et", "le", "tmean", "LE_F_MDS", "TA_F"} <= set(et.data_vars)
    raw = read_fluxnet(path, variables=["TA_F"], rename=False)
    assert sorted(raw.data_vars) == ["TA_F", "TA_F_QC"]


@needs_real
def test_missing_column_names_file_and_close_matches(real_files):
    path = real_files[0]
    with pytest.raises(ValueError) as err:
        read_fluxnet(path, variables=["LE_F_MSD", "TA_F"])
    msg = str(err.value)
    assert "'LE_F_MSD'" in msg and "LE_F_MDS" in msg and path.name in msg


@needs_real
def test_all_missing_requested_variable_is_an_error(real_files):
    spw = next(p for p in real_files if "DE-Spw" in p.name)  # MANIFEST: DE-Spw has no valid G
    with pytest.raises(ValueError, match=r"\['G_F_MDS'\].*DE-Spw.*entirely missing"):
        read_fluxnet(spw, variables=["G_F_MDS", "LE_F_MDS"])
    ds = read_fluxnet(spw)  # not requested: kept, all NaN, not dropped
    assert int(ds["G_F_MDS"].count()) == 0 and ds.sizes["time"] == 1826


def test_missing_file_is_named(tmp_path):
    with pytest.raises(FileNotFoundError, match=r"FLX_XX-Abc_FLUXNET2015_SUBSET_DD_2000-2001_1-4\.csv"):
        read_fluxnet(tmp_path / "FLX_XX-Abc_FLUXNET2015_SUBSET_DD_2000-2001_1-4.csv")


def _write_dd(path, stamps, extra=""):
    lines = ["TIMESTAMP,TA_F,TA_F_QC,LE_F_MDS,LE_F_MDS_QC" + extra]
    lines += [f"{s},{10 + i},1,{50 + i},0.5" + (",x" if extra else "") for i, s in enumerate(stamps)]
    path.write_text("\n".join(lines) + "\n")
    return path


def test_non_monotonic_time_names_file_and_index(tmp_path):
    bad = _write_dd(tmp_path / "FLX_XX-Abc_FLUXNET2015_SUBSET_DD_2000-2000_1-4.csv", ["20000101", "20000102", "20000104", "20000103"])
    with pytest.raises(ValueError, match=r"FLX_XX-Abc.*not increasing at index 3: 2000-01-04.* followed by 2000-01-03"):
        read_fluxnet(bad)
    dup = _write_dd(tmp_path / "FLX_XX-Abd_FLUXNET2015_SUBSET_DD_2000-2000_1-4.csv", ["20000101", "20000101"])
    with pytest.raises(ValueError, match=r"duplicated at index 1"):
        read_fluxnet(dup)


def test_non_numeric_values_are_refused(tmp_path):
    bad = _write_dd(tmp_path / "FLX_XX-Abc_FLUXNET2015_SUBSET_DD_2000-2000_1-4.csv", ["20000101", "20000102"], extra=",NOTE")
    with pytest.raises(ValueError, match=r"column 'NOTE' .* non-numeric values \(first 'x'"):
        read_fluxnet(bad, rename=False)


def test_empty_file_and_unknown_columns(tmp_path):
    empty = tmp_path / "FLX_XX-Abc_FLUXNET2015_SUBSET_DD_2000-2000_1-4.csv"
    empty.write_text("TIMESTAMP,TA_F\n")
    with pytest.raises(ValueError, match=r"FLX_XX-Abc.*no data rows"):
        read_fluxnet(empty)
    empty.write_text("TIMESTAMP,TA_F,MY_SENSOR\n20000101,1.5,-9999\n20000102,2.5,7\n")
    with pytest.warns(UserWarning, match=r"kept without 'units': \['MY_SENSOR'\]"):
        ds = read_fluxnet(empty)
    assert_array_equal(ds["MY_SENSOR"].values, [np.nan, 7.0])  # kept, not dropped
    assert "units" not in ds["MY_SENSOR"].attrs and ds["tmean"].attrs["units"] == "degC"


def test_site_id_from_name_or_argument(tmp_path):
    odd = _write_dd(tmp_path / "my_tower.csv", ["20000101", "20000102"])
    with pytest.raises(ValueError, match=r"cannot read the site id from the file name 'my_tower\.csv'"):
        read_fluxnet(odd)
    ds = read_fluxnet(odd, site="XX-Abc", rename=False)
    assert ds.attrs["site_id"] == "XX-Abc" and ds.attrs["resolution"] == "DD"  # from the 1-day step
    std = _write_dd(tmp_path / "FLX_XX-Abc_FLUXNET2015_SUBSET_DD_2000-2000_1-4.csv", ["20000101"])
    with pytest.raises(ValueError, match=r"site='YY-Abc' disagrees with the site 'XX-Abc'"):
        read_fluxnet(std, site="YY-Abc")


@pytest.fixture
def hh_csv(tmp_path):
    """Two days of a synthetic ONEFlux FULLSET HH file (layout of the FLUXNET2015 HH product)."""
    start = pd.date_range("2005-06-01", periods=96, freq="30min")
    rng = np.random.default_rng(7)
    frame = pd.DataFrame(
        {
            "TIMESTAMP_START": start.strftime("%Y%m%d%H%M"),
            "TIMESTAMP_END": (start + pd.Timedelta("30min")).strftime("%Y%m%d%H%M"),
            "TA_F": np.round(rng.normal(15, 3, 96), 3),
            "TA_F_QC": rng.integers(0, 3, 96),
            "SW_IN_F": np.round(rng.uniform(0, 800, 96), 3),
            "SW_IN_F_QC": 0,
            "VPD_F": np.round(rng.uniform(0, 20, 96), 3),
            "VPD_F_QC": 0,
            "PA_F": 99.5,
            "PA_F_QC": 0,
            "P_F": np.round(rng.exponential(0.1, 96), 3),
            "P_F_QC": 0,
            "WS_F": 2.5,
            "WS_F_QC": 0,
            "LE_F_MDS": np.round(rng.normal(80, 30, 96), 3),
            "LE_F_MDS_QC": rng.integers(0, 4, 96),
            "NEE_VUT_REF": np.round(rng.normal(-5, 3, 96), 3),
            "NEE_VUT_REF_QC": 1,
        }
    )
    frame.loc[[3, 50], "LE_F_MDS"] = -9999
    frame.loc[10, "TA_F_QC"] = -9999
    path = tmp_path / "FLX_XX-Syn_FLUXNET2015_FULLSET_HH_2005-2005_1-4.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_half_hourly_csv(hh_csv):
    path, frame = hh_csv
    ds = read_fluxnet(path)
    assert ds.attrs["resolution"] == "HH" and ds.attrs["product"] == "FULLSET" and ds.attrs["site_id"] == "XX-Syn"
    assert ds["time"].values[0] == np.datetime64("2005-06-01T00:00")  # interval start
    assert_array_equal(ds["time_end"].values - ds["time"].values, np.full(96, np.timedelta64(30, "m")))
    assert int(ds["LE_F_MDS"].isnull().sum()) == 2 and np.isnan(ds["TA_F_QC"].values[10])
    assert_array_equal(ds["LE_F_MDS"].values[[0, 95]], frame["LE_F_MDS"].values[[0, 95]])
    assert ds["NEE_VUT_REF"].attrs["units"] == "umol m-2 s-1" and "as CO2" in ds["NEE_VUT_REF"].attrs["long_name"]
    assert ds["P_F"].attrs["units"] == "mm" and "0 measured" in ds["LE_F_MDS_QC"].attrs["long_name"]
    assert_allclose(ds["precip"].values, frame["P_F"].values * 48)  # mm per 30 min -> mm d-1
    assert_allclose(ds["precip"].mean().item(), frame["P_F"].sum() / 2)  # two days
    lam = 2.501 - 0.002361 * frame["TA_F"].values
    expected = np.where(frame["LE_F_MDS"] == -9999, np.nan, frame["LE_F_MDS"]) * 86400 / (lam * 1e6)
    assert_allclose(ds["et"].values, expected, rtol=1e-10)


def test_resolution_in_name_must_match_time_step(tmp_path):
    wrong = _write_dd(tmp_path / "FLX_XX-Abc_FLUXNET2015_SUBSET_HH_2000-2000_1-4.csv", ["20000101", "20000102"])
    with pytest.raises(ValueError, match=r"says resolution 'HH' but the shortest time step is 1 days"):
        read_fluxnet(wrong)


@pytest.mark.parametrize(
    ("resolution", "stamps", "first", "precip_units", "nee_units", "precip_per_day"),
    [
        ("MM", ["200001", "200002"], "2000-01-01", "mm d-1", "g m-2 d-1", 2.0),
        ("YY", ["2000", "2001"], "2000-01-01", "mm yr-1", "g m-2 yr-1", 2.0 / 365.25),
    ],
)
def test_monthly_and_yearly_files(tmp_path, resolution, stamps, first, precip_units, nee_units, precip_per_day):
    path = tmp_path / f"FLX_XX-Abc_FLUXNET2015_FULLSET_{resolution}_2000-2001_1-4.csv"
    path.write_text("TIMESTAMP,P_F,NEE_VUT_REF\n" + "".join(f"{s},2.0,-9999\n" for s in stamps))
    ds = read_fluxnet(path)
    assert ds["time"].values[0] == np.datetime64(first) and ds.attrs["resolution"] == resolution
    assert ds["P_F"].attrs["units"] == precip_units and ds["NEE_VUT_REF"].attrs["units"] == nee_units
    assert_allclose(ds["precip"].values, precip_per_day)  # pint's year is 365.25 d
    assert int(ds["NEE_VUT_REF"].count()) == 0


def test_hourly_resolution_inferred_from_time_step(tmp_path):
    start = pd.date_range("2005-06-01", periods=5, freq="h")
    frame = pd.DataFrame({"TIMESTAMP_START": start.strftime("%Y%m%d%H%M"), "TIMESTAMP_END": (start + pd.Timedelta("1h")).strftime("%Y%m%d%H%M"), "P_F": [0, 1, 2, 0, 0.5]})
    frame.to_csv(tmp_path / "hourly.csv", index=False)
    ds = read_fluxnet(tmp_path / "hourly.csv", site="XX-Abc")
    assert ds.attrs["resolution"] == "HR"
    assert_allclose(ds["precip"].values, [0, 24, 48, 0, 12])


def test_fluxnet_units_table():
    assert fluxnet_units("P_F", "DD") == ("mm d-1", "precipitation (gap-filled)")
    assert fluxnet_units("P_F", "HH")[0] == "mm"
    assert fluxnet_units("GPP_DT_VUT_REF", "YY")[0] == "g m-2 yr-1"
    assert fluxnet_units("SWC_F_MDS_2")[1].endswith("level 2)")
    assert fluxnet_units("NIGHT_RANDUNC_N")[0] == "1"
    assert fluxnet_units("FOO_BAR") is None
    with pytest.raises(ValueError, match=r"unknown FLUXNET resolution 'XX'"):
        fluxnet_units("TA_F", "XX")


@needs_real
def test_list_fluxnet_files_filters():
    hai = list_fluxnet_files(REAL / "fluxnet2015_subset_dd", site="DE-Hai", resolution="DD")
    assert [p.name for p in hai] == ["FLX_DE-Hai_FLUXNET2015_SUBSET_DD_2000-2012_1-4.csv"]
    assert list_fluxnet_files(REAL / "fluxnet2015_subset_dd", product="FULLSET") == []
    assert len(list_fluxnet_files(REAL / "fluxdatakit_dd", site=["CH-Lae", "FR-Pue"])) == 2


def test_real_data_dir_follows_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("WORKBENCH_REAL_DATA", str(tmp_path))
    (tmp_path / "sub").mkdir()
    assert real_data_dir() == tmp_path and real_data_dir("sub") == tmp_path / "sub"
    assert real_data_dir("absent") is None
    with pytest.raises(FileNotFoundError, match=r"absent.*WORKBENCH_REAL_DATA"):
        real_data_dir("absent", must_exist=True)


# ---- FluxDataKit daily CSV ----

@needs_real
@pytest.mark.parametrize("name", ["FLX_CH-Lae_FLUXDATAKIT_FULLSET_DD_2004_2014_2-3.csv", "FLX_FR-Pue_FLUXDATAKIT_FULLSET_DD_2000_2014_2-3.csv"])
def test_fluxdatakit_matches_raw(name):
    path = REAL / "fluxdatakit_dd" / name
    ds = read_fluxdatakit(path)
    header, rows = _raw_rows(path)
    assert ds.sizes["time"] == len(rows) and ds.attrs["site_id"] == name.split("_")[1]
    assert pd.Timestamp(ds["time"].values[0]).strftime("%Y-%m-%d") == rows[0][0]
    for j, col in enumerate(header[1:], start=1):
        na = sum(r[j] == "NA" for r in rows)
        assert int(ds[col].isnull().sum()) == na, col
    rng = np.random.default_rng(3)
    for i in rng.choice(len(rows), 10, replace=False):
        for j in rng.choice(np.arange(1, len(header)), 10, replace=False):
            assert_allclose(ds[header[j]].values[i], _raw_value(rows[i][j], missing=("NA",)), rtol=0)
    # FluxDataKit names some flags without the _MDS of their variable (CH-Lae: TA_F_QC for TA_F_MDS)
    qc = "TA_F_QC" if "TA_F_QC" in ds else "TA_F_MDS_QC"
    assert ds["TA_F_MDS"].attrs["ancillary_variables"] == ds["tmean"].attrs["ancillary_variables"] == qc
    if "TMIN_F_QC" in ds:
        assert ds["TMIN_F_MDS"].attrs["ancillary_variables"] == "TMIN_F_QC"
    assert ds["tmin"].attrs["fluxnet_name"] == "TMIN_F_MDS" and ds["tmean"].attrs["fluxnet_name"] == "TA_F_MDS"
    assert ds["lai"].attrs["units"] == "m2 m-2"
    assert (ds["tmin"] <= ds["tmax"]).sum() == (ds["tmin"].notnull() & ds["tmax"].notnull()).sum()


@needs_real
def test_fluxdatakit_all_na_netrad_requested_is_an_error():
    path = REAL / "fluxdatakit_dd" / "FLX_CH-Lae_FLUXDATAKIT_FULLSET_DD_2004_2014_2-3.csv"
    with pytest.raises(ValueError, match=r"\['NETRAD'\].*CH-Lae.*entirely missing"):
        read_fluxdatakit(path, variables=["rn"])


# ---- PLUMBER2 netCDF pairs ----

@needs_real
def test_plumber2_pair_matches_raw_netcdf():
    import xarray as xr

    folder = REAL / "plumber2_hh"
    met, flux = folder / "DK-Fou_2005-2005_FLUXNET2015_Met.nc", folder / "DK-Fou_2005-2005_FLUXNET2015_Flux.nc"
    ds = open_plumber2(met, flux)
    with xr.open_dataset(met) as m, xr.open_dataset(flux) as f:
        assert ds.sizes == {"time": 17520}
        assert (np.diff(ds["time"].values) == np.timedelta64(30, "m")).all()
        assert float(ds["lat"]) == float(m["latitude"].squeeze()) and float(ds["lon"]) == float(m["longitude"].squeeze())
        assert ds.attrs["site_id"] == "DK-Fou"
        i = [0, 1000, 9000, 17519]
        assert_allclose(ds["tmean"].values[i], m["Tair"].values[i, 0, 0] - 273.15, rtol=1e-6)
        assert_allclose(ds["pressure"].values[i], m["Psurf"].values[i, 0, 0] / 1000, rtol=1e-6)
        assert_allclose(ds["vpd"].values[i], m["VPD"].values[i, 0, 0] / 10, rtol=1e-6)
        assert_allclose(ds["precip"].values[i], m["Precip"].values[i, 0, 0] * 86400, rtol=1e-6)
        assert_allclose(ds["le"].values[i], f["Qle"].values[i, 0, 0], rtol=1e-6)
        assert_array_equal(ds["Qle_qc"].values, f["Qle_qc"].values[:, 0, 0])
    assert ds["le"].attrs["plumber2_name"] == "Qle" and ds["le"].attrs["ancillary_variables"] == "Qle_qc"
    lam = 2.501 - 0.002361 * ds["tmean"].values
    assert_allclose(ds["et"].values, ds["le"].values * 86400 / (lam * 1e6), rtol=1e-5)


@needs_real
def test_plumber2_fluxdatakit_format_and_site_mismatch():
    folder = REAL / "fluxdatakit_plumber_format_hh"
    ds = open_plumber2(folder / "US-Wi7_2005-2005_FLUXNET2015_Met.nc", folder / "US-Wi7_2005-2005_FLUXNET2015_Flux.nc")
    assert ds.attrs["site_id"] == "US-Wi7" and "g" not in ds  # this file has Qg_qc but no Qg
    # its yearly precipitation equals the FLUXNET2015 FULLSET daily file's P_F sum
    dd = read_fluxnet(REAL / "fluxnet2015_fullset_dd" / "FLX_US-Wi7_FLUXNET2015_FULLSET_DD_2005-2005_1-4.csv", variables="P_F")
    assert float(ds["precip"].mean() * 365) == pytest.approx(float(dd["P_F"].sum()), rel=1e-3)
    with pytest.raises(ValueError, match=r"US-Wi7_2005-2005_FLUXNET2015_Met\.nc.*'US-Wi7'.*DK-Fou.*different sites"):
        open_plumber2(folder / "US-Wi7_2005-2005_FLUXNET2015_Met.nc", REAL / "plumber2_hh" / "DK-Fou_2005-2005_FLUXNET2015_Flux.nc")


@needs_real
def test_plumber2_wrong_or_missing_units_name_the_variable(tmp_path):
    import xarray as xr

    met = REAL / "plumber2_hh" / "DK-Fou_2005-2005_FLUXNET2015_Met.nc"
    with xr.open_dataset(met) as raw:
        small = raw.isel(time=slice(0, 48)).load()
    small["Tair"].attrs["units"] = "m s-1"
    small.to_netcdf(tmp_path / "wrong_Met.nc")
    with pytest.raises(UnitError, match=r"'Tair' has units 'm s-1'.*expected 'degC'"):
        open_plumber2(tmp_path / "wrong_Met.nc")
    del small["Tair"].attrs["units"]
    small.to_netcdf(tmp_path / "none_Met.nc")
    with pytest.raises(UnitError, match=r"'Tair' has no 'units'"):
        open_plumber2(tmp_path / "none_Met.nc")
    assert open_plumber2(tmp_path / "none_Met.nc", rename=False).sizes == {"time": 48}


# ---- bigleaf half-hourly .rda ----

@needs_real
@pytest.mark.parametrize(
    ("name", "dd_name", "month"),
    [
        ("AT_Neu_Jul_2010.rda", "FLX_AT-Neu_FLUXNET2015_SUBSET_DD_2002-2012_1-4.csv", "2010-07"),
        ("FR_Pue_May_2012.rda", "FLX_FR-Pue_FLUXNET2015_SUBSET_DD_2000-2014_2-4.csv", "2012-05"),
    ],
)
def test_bigleaf_half_hours_average_to_the_fluxnet_daily_file(datasets, name, dd_name, month):
    """FLUXNET DD values are daily means of the HH values: an independent check of time axis and units."""
    hh = read_bigleaf(REAL / "bigleaf_hh" / name)
    assert hh.attrs["site_id"] == dd_name.split("_")[1] and hh.attrs["resolution"] == "HH"
    assert (np.diff(hh["time"].values) == np.timedelta64(30, "m")).all()
    assert str(hh["time"].values[0])[:7] == month and str(hh["time"].values[-1])[:7] == month
    daily = hh.resample(time="1D").mean()
    dd = datasets[REAL / "fluxnet2015_subset_dd" / dd_name].sel(time=month)
    assert daily.sizes["time"] == dd.sizes["time"]
    for ours, theirs in [("le", "LE_F_MDS"), ("tmean", "TA_F"), ("rn", "NETRAD"), ("h", "H_F_MDS"), ("precip", "P_F")]:
        assert_allclose(daily[ours].values, dd[theirs].values, atol=2e-3, err_msg=ours)
    assert_allclose(daily["vpd"].values, dd["vpd"].values, atol=2e-4)  # bigleaf kPa vs FLUXNET hPa / 10
    assert_allclose(daily["et"].values, dd["et"].values, rtol=0.02)  # mean of HH ET vs ET of mean LE and T
    assert hh["LE"].attrs["ancillary_variables"] == "LE_qc" and hh["le"].attrs["bigleaf_name"] == "LE"


def test_et_corr_comes_from_le_corr():
    folder = real_data_dir("fluxnet2015_subset_dd")
    if folder is None:
        pytest.skip("../shared/data/real is absent here")
    from workbench.physics import le_to_et

    ds = read_fluxnet(folder / "FLX_DE-Hai_FLUXNET2015_SUBSET_DD_2000-2012_1-4.csv")
    raw = pd.read_csv(folder / "FLX_DE-Hai_FLUXNET2015_SUBSET_DD_2000-2012_1-4.csv", usecols=["LE_CORR", "TA_F"]).replace(-9999, np.nan)
    np.testing.assert_allclose(ds.et_corr.values, le_to_et(raw.LE_CORR.to_numpy(), raw.TA_F.to_numpy()), rtol=1e-6)
    assert ds.et_corr.attrs["units"] == "mm d-1" and "LE_CORR" in ds.et_corr.attrs["derived_from"]
