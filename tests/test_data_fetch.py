"""The fetch layer: registry against the real files, fetching from a local mirror into an empty cache, clear offline errors."""

from __future__ import annotations

import hashlib
import shutil
import sys
import zipfile
from pathlib import Path

import pytest

import workbench.data as wd
from workbench.data import fetch as F

REAL = wd.real_data_dir()
needs_real = pytest.mark.skipif(REAL is None, reason="the real-data folder (../shared/data/real) is absent here")
SMALL = "modis_mod16a2_appeears/ET-Periodically-Repeating-Data-request.json"  # 1298 bytes


def _sha(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@pytest.fixture
def nowhere(tmp_path, monkeypatch):
    """No real-data folder, an empty cache, no mirror, downloads allowed unless a test switches them off."""
    empty = tmp_path / "empty-real"
    empty.mkdir()
    monkeypatch.setenv("WORKBENCH_REAL_DATA", str(empty))
    monkeypatch.setenv("WORKBENCH_CACHE", str(tmp_path / "cache"))
    monkeypatch.delenv("WORKBENCH_DATA_MIRROR", raising=False)
    monkeypatch.delenv("WORKBENCH_OFFLINE", raising=False)
    return tmp_path


@needs_real
def test_every_registry_hash_matches_the_local_real_file():
    registry = wd.real_registry()
    on_disk = sorted(str(p.relative_to(REAL)) for p in REAL.rglob("*") if p.is_file() and p.name != "MANIFEST.md")
    assert sorted(registry) == on_disk
    for name, entry in registry.items():
        path = REAL / name
        assert path.stat().st_size == entry.size, name
        assert _sha(path) == entry.sha256, name


@needs_real
def test_registry_is_built_from_the_manifest():
    built = {e.name: e for e in F.build_registry(REAL / "MANIFEST.md")}
    assert built == wd.real_registry()
    hai = built["fluxnet2015_subset_dd/FLX_DE-Hai_FLUXNET2015_SUBSET_DD_2000-2012_1-4.csv"]
    assert hai.url == ("https://raw.githubusercontent.com/Absar-Gull/ML-FLUXNET/529caa50e4926adb2aff97c03a5bd81f39dcd17f/"
                       "datasets/Subsets_Forest/FLX_DE-Hai_FLUXNET2015_SUBSET_DD_2000-2012_1-4.csv")
    eco = built["ecostress_calval_ameriflux/combined_eco_flux_EC_filtered.csv"]
    assert eco.member == "ECOv002_calval_tables/combined_eco_flux_EC_filtered.csv"
    assert eco.package == "ECOv002_calval_tables" and eco.url.endswith("ecov002_calval_tables-1.13.0-py3-none-any.whl")
    assert eco.archive_sha256 == "8d92e101405ae8a78632c49e6fc777d9cc5fcb396b7a363643c9b2e46af2d5cd"


def test_manifest_record_without_hash_is_refused(tmp_path):
    manifest = tmp_path / "MANIFEST.md"
    manifest.write_text("### `a/b.csv`\n- origin: github:o/r — `x/b.csv` @ `" + "0" * 40 + "`\n")
    with pytest.raises(ValueError, match=r"'a/b.csv' has no \['sha256', 'size'\]"):
        F.build_registry(manifest)


@needs_real
def test_real_folder_is_used_first(monkeypatch):
    monkeypatch.delenv("WORKBENCH_REAL_DATA", raising=False)
    assert wd.fetch_real(SMALL) == REAL / SMALL
    assert wd.real_data_status(SMALL) == {SMALL: "real-data folder"}


@needs_real
def test_fetch_from_a_local_mirror_into_an_empty_cache(nowhere, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATA_MIRROR", REAL.as_uri())
    assert wd.real_data_status(SMALL) == {SMALL: "download"}
    path = wd.fetch_real(SMALL)
    assert path == nowhere / "cache" / SMALL
    assert _sha(path) == wd.real_registry()[SMALL].sha256
    # Once cached, the mirror is no longer needed, even offline.
    monkeypatch.delenv("WORKBENCH_DATA_MIRROR")
    monkeypatch.setenv("WORKBENCH_OFFLINE", "1")
    assert wd.fetch_real(SMALL) == path
    assert wd.real_data_status(SMALL) == {SMALL: "cache"}


@needs_real
def test_a_corrupt_mirror_file_is_refused(nowhere, monkeypatch):
    mirror = nowhere / "mirror"
    (mirror / SMALL).parent.mkdir(parents=True)
    (mirror / SMALL).write_bytes((REAL / SMALL).read_bytes()[:-10])
    monkeypatch.setenv("WORKBENCH_DATA_MIRROR", mirror.as_uri())
    with pytest.raises(ValueError, match="SHA256"):
        wd.fetch_real(SMALL)
    assert not (nowhere / "cache" / SMALL).exists()


@needs_real
def test_an_edited_local_file_is_refused(nowhere, monkeypatch):
    real = nowhere / "empty-real"
    (real / SMALL).parent.mkdir(parents=True)
    (real / SMALL).write_bytes((REAL / SMALL).read_bytes() + b" ")
    with pytest.raises(ValueError, match=r"does not match the registry: expected sha256 0c05cceb"):
        wd.fetch_real(SMALL)


def test_offline_with_nothing_cached_says_what_and_how(nowhere, monkeypatch):
    monkeypatch.setenv("WORKBENCH_OFFLINE", "1")
    name = "fluxnet2015_subset_dd/FLX_DE-Hai_FLUXNET2015_SUBSET_DD_2000-2012_1-4.csv"
    with pytest.raises(wd.RealDataUnavailable) as err:
        wd.fetch_real(name)
    text = str(err.value)
    assert name in text and "WORKBENCH_OFFLINE=1" in text
    assert "https://raw.githubusercontent.com/Absar-Gull/ML-FLUXNET/529caa5" in text  # where it comes from
    assert f"save it as {nowhere / 'cache' / name}" in text and "WORKBENCH_REAL_DATA" in text  # how to supply it
    assert isinstance(err.value, FileNotFoundError)


def test_failed_download_is_reported_as_unavailable(nowhere, monkeypatch):
    monkeypatch.setenv("WORKBENCH_DATA_MIRROR", (nowhere / "no-such-mirror").as_uri())
    with pytest.raises(wd.RealDataUnavailable, match=r"the download failed \(FileNotFoundError"):
        wd.fetch_real(SMALL)


def test_unknown_name_lists_close_matches():
    with pytest.raises(KeyError, match="FLX_DE-Hai_FLUXNET2015_SUBSET_DD_2000-2012_1-4.csv"):
        wd.fetch_real("fluxnet2015_subset_dd/FLX_DE-Hai_FLUXNET2015_SUBSET_DD_2000-2013_1-4.csv")


def _fake_entry(monkeypatch, **fields) -> dict:
    content = b"a,b\n1,2\n3,4\n"
    entry = F.RealFile(name="demo/table.csv", size=len(content), sha256=hashlib.sha256(content).hexdigest(),
                       dataset="demo table", license="CC0", **fields)
    registry = {**F.real_registry(), entry.name: entry}
    monkeypatch.setattr(F, "real_registry", lambda: registry)
    return registry


def test_wheel_member_is_extracted_after_the_wheel_hash_is_checked(nowhere, monkeypatch):
    wheel = nowhere / "demo_pkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("demo_pkg/table.csv", b"a,b\n1,2\n3,4\n")
        archive.writestr("demo_pkg/__init__.py", b"")
    registry = _fake_entry(monkeypatch, url=wheel.as_uri(), member="demo_pkg/table.csv", archive_sha256=_sha(wheel))
    path = F.fetch_real("demo/table.csv")
    assert path == nowhere / "cache" / "demo" / "table.csv"
    assert path.read_bytes() == b"a,b\n1,2\n3,4\n"
    # A wheel whose own hash is wrong is never opened.
    path.unlink()
    shutil.rmtree(nowhere / "cache" / "_archives")
    registry["demo/table.csv"] = F.RealFile(**{**registry["demo/table.csv"].__dict__, "archive_sha256": "0" * 64})
    with pytest.raises(ValueError, match="SHA256"):
        F.fetch_real("demo/table.csv")
    assert not path.exists()


def test_installed_package_that_ships_the_file_is_used_without_download(nowhere, monkeypatch):
    site = nowhere / "site"
    (site / "demo_pkg").mkdir(parents=True)
    (site / "demo_pkg" / "__init__.py").write_text("raise ImportError('importing the package is not needed')\n")
    (site / "demo_pkg" / "table.csv").write_bytes(b"a,b\n1,2\n3,4\n")
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.setenv("WORKBENCH_OFFLINE", "1")
    _fake_entry(monkeypatch, url="https://example.invalid/demo.whl", member="demo_pkg/table.csv", package="demo_pkg")
    assert F.fetch_real("demo/table.csv") == site / "demo_pkg" / "table.csv"
    assert "demo_pkg" not in sys.modules


def test_example_site_offline_stands_in_for_the_requested_period(nowhere, monkeypatch):
    monkeypatch.setenv("WORKBENCH_OFFLINE", "1")
    with pytest.warns(UserWarning, match="Using a virtual tower instead of the real site DE-Hai") as record:
        site = wd.example_site("DE-Hai", start="2004-01-01", end="2008-12-31")
    assert record[0].filename == __file__  # the warning points at the caller
    assert site.sizes["time"] == 1827 and str(site.time.values[0])[:10] == "2004-01-01"
    assert int(site.et.count()) == 1827
    assert "virtual tower near DE-Hai (51.08, 10.45)" in site.attrs["source"]


@needs_real
def test_example_site_real_and_empty_selection_is_an_error():
    site = wd.example_site("DE-Hai", start="2008-01-01", end="2008-12-31")
    assert site.sizes["time"] == 366 and site.attrs["source"].startswith("FLUXNET2015 SUBSET DD")
    with pytest.raises(ValueError, match=r"the record covers 2000-01-01..2012-12-31"):
        wd.example_site("DE-Hai", start="2015-01-01", end="2015-12-31")


def test_fluxnet_site_names_cover_the_24_sites():
    names = wd.fluxnet_site_names()
    assert len(names) == 24 and len({wd.parse_fluxnet_filename(n)["site"] for n in names}) == 24
    assert wd.fluxnet_site_names("US-Wi7", product="FULLSET") == [
        "fluxnet2015_fullset_dd/FLX_US-Wi7_FLUXNET2015_FULLSET_DD_2005-2005_1-4.csv"]
