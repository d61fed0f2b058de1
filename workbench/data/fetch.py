"""Real data on any machine: a hash-checked registry of the workbench's real sample files, fetched with pooch.

Every real file a study uses has an entry in ``real_registry.csv`` (beside this
module): its name (the path below the real-data root, e.g.
``"fluxnet2015_subset_dd/FLX_DE-Hai_FLUXNET2015_SUBSET_DD_2000-2012_1-4.csv"``),
its size and SHA-256, and the public place it comes from (a file at a pinned
commit of a public repository, or a member of a wheel on PyPI). The registry is
built from the real-data folder's ``MANIFEST.md`` by :func:`build_registry`.

:func:`fetch_real` looks for a file in this order:

1. the real-data folder: ``$WORKBENCH_REAL_DATA``, or ``../shared/data/real``
   beside the checkout (:func:`workbench.data.real_data_dir`);
2. an installed package that ships the file (the ECOSTRESS tables are in the
   PyPI package ``ECOv002-calval-tables``);
3. the user cache (``$WORKBENCH_CACHE``, default the platform's cache folder,
   e.g. ``~/.cache/land-ai-workbench``);
4. a download into that cache (``pooch``, hash-checked; wheel members are
   extracted after the wheel's own hash is checked). ``$WORKBENCH_DATA_MIRROR``
   replaces the public origin by a mirror holding the files under their
   registry names (``https://...`` or ``file:///...``). ``WORKBENCH_OFFLINE=1``
   switches downloads off.

Every file found is checked against its registry hash once per session, so a
truncated or edited file is never read silently. When a file cannot be had,
:class:`RealDataUnavailable` says which file, where it was looked for, where it
would come from, and how to supply it by hand.

The first tests of the workbench never touch the internet: they fetch from a
local ``file://`` mirror into an empty cache.
"""

from __future__ import annotations

import csv
import fnmatch
import hashlib
import importlib.util
import os
import re
import shutil
import zipfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse
from urllib.request import url2pathname

from .._config import _TRUE
from ._checks import REAL_DATA_ENV, real_data_dir

__all__ = [
    "RealDataUnavailable",
    "RealFile",
    "fetch_real",
    "real_files",
    "real_registry",
    "real_data_status",
    "cache_dir",
    "build_registry",
]

CACHE_ENV = "WORKBENCH_CACHE"
MIRROR_ENV = "WORKBENCH_DATA_MIRROR"
OFFLINE_ENV = "WORKBENCH_OFFLINE"
REGISTRY_FILE = Path(__file__).with_name("real_registry.csv")
_FIELDS = ("name", "size", "sha256", "url", "member", "archive_sha256", "package", "dataset", "license")


class RealDataUnavailable(FileNotFoundError):
    """A real data file is neither on this machine nor downloadable now."""


@dataclass(frozen=True)
class RealFile:
    """One registry entry.

    Attributes
    ----------
    name : str
        Path below the real-data root (``"<folder>/<file>"``).
    size : int
        Size [bytes].
    sha256 : str
        SHA-256 of the file itself.
    url : str
        Public origin: the file, or the wheel that holds it as ``member``.
    member : str
        Path inside the wheel at ``url`` ("" for a plain file).
    archive_sha256 : str
        SHA-256 of the wheel ("" for a plain file).
    package : str
        Importable package that ships the file under ``member`` ("" if none).
    dataset, license : str
        What the file is and its licence, for citation.
    """

    name: str
    size: int
    sha256: str
    url: str
    member: str = ""
    archive_sha256: str = ""
    package: str = ""
    dataset: str = ""
    license: str = ""


@lru_cache(maxsize=1)
def real_registry() -> dict[str, RealFile]:
    """The registry of real files, by name.

    Returns
    -------
    dict of str to RealFile

    Examples
    --------
    >>> reg = real_registry()
    >>> entry = reg["site_metadata/fluxnet2015_site_list.csv"]
    >>> len(entry.sha256), entry.url.startswith("https://")
    (64, True)
    """
    with REGISTRY_FILE.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {r["name"]: RealFile(**{**r, "size": int(r["size"])}) for r in rows}


def real_files(pattern: str = "*") -> list[str]:
    """Names of registry files matching a glob pattern, sorted.

    Parameters
    ----------
    pattern : str, default "*"
        :mod:`fnmatch` pattern on the name, e.g. ``"fluxnet2015_subset_dd/*.csv"``.

    Returns
    -------
    list of str

    Examples
    --------
    >>> len(real_files("fluxnet2015_subset_dd/FLX_*_SUBSET_DD_*.csv"))
    24
    """
    return sorted(n for n in real_registry() if fnmatch.fnmatch(n, pattern))


def cache_dir() -> Path:
    """The user cache that downloads go to: ``$WORKBENCH_CACHE`` or the platform cache folder."""
    if os.environ.get(CACHE_ENV):
        return Path(os.environ[CACHE_ENV]).expanduser()
    import pooch

    return Path(pooch.os_cache("land-ai-workbench"))


def _offline() -> bool:
    return os.environ.get(OFFLINE_ENV, "").strip().lower() in _TRUE


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@lru_cache(maxsize=None)
def _verified(path: str, mtime_ns: int, size: int, sha256: str) -> bool:
    # Keyed on mtime and size too, so a file replaced during the session is checked again.
    return _sha256(Path(path)) == sha256


def _check_hash(path: Path, entry: RealFile, where: str) -> Path:
    stat = path.stat()
    if not _verified(str(path), stat.st_mtime_ns, stat.st_size, entry.sha256):
        raise ValueError(
            f"real data file {entry.name!r} in {where} ({path}) does not match the registry: expected sha256 "
            f"{entry.sha256} ({entry.size} bytes), found sha256 {_sha256(path)} ({stat.st_size} bytes). "
            f"Replace it with the original from {entry.url} or remove it so that it is fetched again."
        )
    return path


def _package_file(entry: RealFile) -> Path | None:
    # find_spec does not import the package (ECOv002-calval-tables imports geopandas on import).
    if not entry.package:
        return None
    try:
        spec = importlib.util.find_spec(entry.package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    relative = entry.member.split("/", 1)[1] if "/" in entry.member else entry.member
    for location in spec.submodule_search_locations:
        candidate = Path(location) / relative
        if candidate.is_file():
            return candidate
    return None


def _mirror_url(entry: RealFile) -> str | None:
    base = os.environ.get(MIRROR_ENV, "").strip()
    return f"{base.rstrip('/')}/{entry.name}" if base else None


def _download(url: str, output_file, pooch_instance=None) -> None:
    """pooch downloader that also reads ``file://`` URLs (local mirrors); others go to pooch's HTTP downloader."""
    parsed = urlparse(url)
    if parsed.scheme == "file":
        source = Path(url2pathname(parsed.path))
        if not source.is_file():
            raise FileNotFoundError(f"mirror file {source} does not exist")
        if isinstance(output_file, (str, os.PathLike)):
            shutil.copyfile(source, output_file)
        else:
            with open(source, "rb") as handle:
                shutil.copyfileobj(handle, output_file)
        return
    import pooch

    pooch.HTTPDownloader(progressbar=True, timeout=60)(url, output_file, pooch_instance)


def _retrieve(entry: RealFile, target: Path) -> Path:
    import pooch

    target.parent.mkdir(parents=True, exist_ok=True)
    mirror = _mirror_url(entry)
    if mirror or not entry.member:
        path = pooch.retrieve(mirror or entry.url, known_hash=f"sha256:{entry.sha256}", fname=target.name,
                              path=target.parent, downloader=_download, progressbar=True)
        return Path(path)
    # A member of a wheel: fetch the wheel (its own hash checked), then extract the member.
    wheel = pooch.retrieve(entry.url, known_hash=f"sha256:{entry.archive_sha256}", fname=Path(urlparse(entry.url).path).name,
                           path=cache_dir() / "_archives", downloader=_download, progressbar=True)
    with zipfile.ZipFile(wheel) as archive, archive.open(entry.member) as member, open(target, "wb") as out:
        shutil.copyfileobj(member, out)
    return target


def _unavailable(entry: RealFile, looked: list[str], reason: str) -> RealDataUnavailable:
    target = cache_dir() / entry.name
    origin = f"{entry.member!r} inside {entry.url}" if entry.member else entry.url
    return RealDataUnavailable(
        f"real data file {entry.name!r} ({entry.dataset}) is not available: looked in {'; '.join(looked)}; {reason}. "
        f"It comes from {origin} (sha256 {entry.sha256}). To supply it by hand, download it on a machine with "
        f"internet and save it as {target}, or point {REAL_DATA_ENV} at a folder that holds {entry.name}."
    )


def fetch_real(name: str) -> Path:
    """Path of a real data file, fetched and hash-checked if needed.

    Parameters
    ----------
    name : str
        Registry name: the path below the real-data root, e.g.
        ``"ecostress_calval_ameriflux/combined_eco_flux_EC_filtered.csv"``
        (see :func:`real_files`).

    Returns
    -------
    pathlib.Path
        A local file whose SHA-256 matches the registry.

    Raises
    ------
    KeyError
        If ``name`` is not in the registry (the message lists close names).
    RealDataUnavailable
        If the file is on no local source and cannot be downloaded now
        (offline, or ``WORKBENCH_OFFLINE=1``); the message says where it
        would come from and how to supply it by hand.
    ValueError
        If a local copy does not match its registry hash.

    Examples
    --------
    >>> try:
    ...     path = fetch_real("site_metadata/fluxnet2015_site_list.csv")
    ... except RealDataUnavailable:
    ...     path = None
    >>> path is None or path.name == "fluxnet2015_site_list.csv"
    True
    """
    registry = real_registry()
    if name not in registry:
        import difflib

        close = difflib.get_close_matches(name, list(registry), n=3, cutoff=0.5)
        raise KeyError(f"{name!r} is not a registered real data file; close matches: {close} "
                       f"(workbench.data.real_files() lists all {len(registry)})")
    entry = registry[name]
    looked = []

    local_root = real_data_dir()
    if local_root is not None and (local_root / name).is_file():
        return _check_hash(local_root / name, entry, f"the real-data folder {local_root}")
    looked.append(f"the real-data folder ({local_root or os.environ.get(REAL_DATA_ENV, '../shared/data/real')})")

    shipped = _package_file(entry)
    if shipped is not None:
        return _check_hash(shipped, entry, f"the installed package {entry.package}")
    if entry.package:
        looked.append(f"the package {entry.package} (not installed)")

    cached = cache_dir() / name
    if cached.is_file():
        return _check_hash(cached, entry, f"the cache {cache_dir()}")
    looked.append(f"the cache ({cache_dir()})")

    if _offline():
        raise _unavailable(entry, looked, f"downloads are switched off ({OFFLINE_ENV}=1)")
    try:
        return _check_hash(_retrieve(entry, cached), entry, f"the cache {cache_dir()}")
    except ValueError:
        raise
    except Exception as err:  # noqa: BLE001  (network errors of many kinds: all mean "not available now")
        raise _unavailable(entry, looked, f"the download failed ({type(err).__name__}: {err})") from err


def real_data_status(pattern: str = "*") -> dict[str, str]:
    """Where each registry file would be read from now, without downloading anything.

    Parameters
    ----------
    pattern : str, default "*"
        Glob on the registry names.

    Returns
    -------
    dict of str to str
        ``"real-data folder"``, ``"package"``, ``"cache"``, ``"download"`` or
        ``"unavailable (offline)"`` for each name.
    """
    local_root = real_data_dir()
    status = {}
    for name in real_files(pattern):
        entry = real_registry()[name]
        if local_root is not None and (local_root / name).is_file():
            status[name] = "real-data folder"
        elif _package_file(entry) is not None:
            status[name] = "package"
        elif (cache_dir() / name).is_file():
            status[name] = "cache"
        else:
            status[name] = "unavailable (offline)" if _offline() else "download"
    return status


# --- building the registry from the real-data folder's MANIFEST.md ------------------------------------------

_RECORD = re.compile(r"^### `(?P<name>[^`]+)`\s*$")
_GITHUB = re.compile(r"origin: github:(?P<repo>[\w.-]+/[\w.-]+) — `(?P<path>[^`]+)` @ `(?P<commit>[0-9a-f]{40})`")
_PYPI = re.compile(r"origin: pypi:(?P<package>[\w.-]+)==(?P<version>[\w.]+) — `(?P<member>[^`]+)` @ "
                   r"`wheel (?P<wheel>\S+\.whl) sha256=(?P<wheel_sha>[0-9a-f]{64})`")
_SIZE = re.compile(r"size: (?P<size>\d+) B; sha256: `(?P<sha>[0-9a-f]{64})`")
_WHAT = re.compile(r"product/site: (?P<what>.*)$")
_LICENSE = re.compile(r"license/credit: (?P<license>.+?)(?= \(|;|\. |$)")


def build_registry(manifest) -> list[RealFile]:
    """Registry entries parsed from a real-data ``MANIFEST.md``.

    Parameters
    ----------
    manifest : str or Path
        The manifest: one ``### `<name>``` record per file with its origin
        (``github:OWNER/REPO — `PATH` @ `COMMIT```, or ``pypi:PKG==VER — `MEMBER` @
        `wheel FILE sha256=...```), size and sha256.

    Returns
    -------
    list of RealFile
        Public URLs: ``raw.githubusercontent.com`` at the pinned commit, or the
        wheel on ``files.pythonhosted.org`` with the member to extract.

    Raises
    ------
    ValueError
        If a record lacks an origin, a size or a hash (naming the record).
    """
    entries, current = [], None
    for line in Path(manifest).read_text(encoding="utf-8").splitlines() + ["### `<end>`"]:
        match = _RECORD.match(line)
        if match:
            if current is not None:
                missing = [k for k in ("url", "sha256", "size") if k not in current]
                if missing:
                    raise ValueError(f"MANIFEST record {current['name']!r} has no {missing}")
                entries.append(RealFile(**current))
            current = {"name": match["name"]} if match["name"] != "<end>" else None
            continue
        if current is None:
            continue
        if m := _GITHUB.search(line):
            current["url"] = f"https://raw.githubusercontent.com/{m['repo']}/{m['commit']}/{m['path']}"
        elif m := _PYPI.search(line):
            package = m["package"]
            current["url"] = (f"https://files.pythonhosted.org/packages/py3/{package[0]}/{package}/{m['wheel']}")
            current["member"] = m["member"]
            current["archive_sha256"] = m["wheel_sha"]
            current["package"] = m["member"].split("/", 1)[0]  # the import package that ships it
        elif m := _SIZE.search(line):
            current["size"], current["sha256"] = int(m["size"]), m["sha"]
        elif m := _WHAT.search(line):
            current["dataset"] = m["what"].strip()
        elif m := _LICENSE.search(line):
            current["license"] = m["license"].strip()
    return entries


def write_registry(entries, path=REGISTRY_FILE) -> Path:
    """Write registry entries as the CSV that :func:`real_registry` reads."""
    with open(path, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=_FIELDS, lineterminator="\n")
        writer.writeheader()
        for e in sorted(entries, key=lambda e: e.name):
            writer.writerow({f: getattr(e, f) for f in _FIELDS})
    real_registry.cache_clear()
    return Path(path)
