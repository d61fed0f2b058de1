"""Checks shared by the readers: paths, column names, time axes and missing data.

Every check raises an error whose message names the file or variable, what
was expected and what was found, so that a bad input is never silently
dropped, filled or reordered.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

__all__ = [
    "real_data_dir",
    "require_path",
    "missing_names_error",
    "check_time_axis",
    "check_not_all_missing",
]

#: Environment variable that points the workbench at the real-data folder.
REAL_DATA_ENV = "WORKBENCH_REAL_DATA"


def real_data_dir(*parts: str, must_exist: bool = False) -> Path | None:
    """Return the folder of real (read-only) land-surface data, or None if it is absent.

    The folder is ``$WORKBENCH_REAL_DATA`` when that environment variable is
    set, and otherwise ``<repo>/../shared/data/real`` (the layout of the
    workbench checkout). Nothing is downloaded.

    Parameters
    ----------
    *parts : str
        Optional sub-path inside the folder, e.g. ``"fluxnet2015_subset_dd"``.
    must_exist : bool, default False
        If True, a missing folder raises instead of returning None.

    Returns
    -------
    pathlib.Path or None
        The folder (or sub-path) when it exists; None when it does not and
        ``must_exist`` is False.

    Raises
    ------
    FileNotFoundError
        If ``must_exist`` is True and the path does not exist; the message
        names the path and the environment variable to set.

    Examples
    --------
    >>> d = real_data_dir()
    >>> d is None or d.is_dir()
    True
    """
    default = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "real"
    root = Path(os.environ.get(REAL_DATA_ENV, default))
    path = root.joinpath(*parts)
    if path.exists():
        return path
    if must_exist:
        raise FileNotFoundError(
            f"real-data path {str(path)!r} does not exist; set the environment variable "
            f"{REAL_DATA_ENV} to the folder that holds the real data (found: {str(root)!r})"
        )
    return None


def require_path(path, *, what: str = "file") -> Path:
    """Return ``path`` as a :class:`~pathlib.Path`, raising if it does not exist.

    Parameters
    ----------
    path : str or os.PathLike
        The path to check.
    what : str, default "file"
        What the path should be, for the message (e.g. ``"FLUXNET CSV file"``).

    Raises
    ------
    FileNotFoundError
        Naming the path and, when the parent folder exists, what it holds.
    TypeError
        If ``path`` is not a string or path-like object.
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"expected a path (str or os.PathLike) for the {what}, got {type(path).__name__}")
    p = Path(path).expanduser()
    if p.exists():
        return p
    hint = ""
    if p.parent.is_dir():
        close = difflib.get_close_matches(p.name, [q.name for q in p.parent.iterdir()], n=3)
        if close:
            hint = f"; close matches in {str(p.parent)!r}: {close}"
    raise FileNotFoundError(f"{what} {str(p)!r} does not exist{hint}")


def missing_names_error(
    missing: Sequence[str], available: Iterable[str], *, source: str, kind: str = "column"
) -> ValueError:
    """Build the error for requested names that are not in a file.

    Parameters
    ----------
    missing : sequence of str
        The requested names that were not found.
    available : iterable of str
        The names the file does have (compared without regard to case).
    source : str
        The file (or dataset) name, for the message.
    kind : str, default "column"
        ``"column"`` or ``"variable"``, for the message.

    Returns
    -------
    ValueError
        The message lists each missing name with its closest available
        matches (:func:`difflib.get_close_matches`).
    """
    available = [str(a) for a in available]
    by_lower = {}
    for a in available:
        by_lower.setdefault(a.lower(), a)
    parts = []
    for name in missing:
        close = [by_lower[c] for c in difflib.get_close_matches(name.lower(), list(by_lower), n=3, cutoff=0.6)]
        parts.append(f"{name!r} (close matches: {close})" if close else f"{name!r} (no close match)")
    return ValueError(
        f"{kind}(s) {', '.join(parts)} not found in {source!r}; "
        f"it has {len(available)} {kind}s: {available[:12]}{' ...' if len(available) > 12 else ''}"
    )


def check_time_axis(times, *, source: str, name: str = "time") -> None:
    """Require a strictly increasing time axis (no duplicates, no steps back).

    Parameters
    ----------
    times : array-like of datetime64
        The time stamps in file order.
    source : str
        The file name, for the message.
    name : str, default "time"
        The coordinate name, for the message.

    Raises
    ------
    ValueError
        Naming the file, the first offending index and the two time stamps, or
        that time stamps are missing (NaT).
    """
    t = np.asarray(times)
    if t.size == 0:
        raise ValueError(f"{name!r} in {source!r} is empty: expected at least one time stamp")
    if np.issubdtype(t.dtype, np.datetime64) and np.isnat(t).any():
        i = int(np.flatnonzero(np.isnat(t))[0])
        raise ValueError(f"{name!r} in {source!r} has a missing/unreadable time stamp at index {i}")
    if t.size > 1:
        bad = np.flatnonzero(t[1:] <= t[:-1])
        if bad.size:
            i = int(bad[0]) + 1
            what = "duplicated" if t[i] == t[i - 1] else "not increasing"
            raise ValueError(
                f"{name!r} in {source!r} is {what} at index {i}: {t[i - 1]} is followed by {t[i]}; "
                f"expected strictly increasing time stamps ({bad.size} offending step(s) in all)"
            )


def check_not_all_missing(ds, names: Iterable[str], *, source: str) -> None:
    """Raise if any of ``names`` in ``ds`` holds no valid value at all.

    Parameters
    ----------
    ds : xarray.Dataset
    names : iterable of str
        The variables the caller asked for.
    source : str
        The file name, for the message.

    Raises
    ------
    ValueError
        Naming each all-missing variable, the file and how many values it has.
    """
    empty = [n for n in names if n in ds and int(ds[n].count()) == 0]
    if empty:
        sizes = {n: int(ds[n].size) for n in empty}
        raise ValueError(
            f"requested variable(s) {empty} in {source!r} are entirely missing "
            f"(no valid value among {sizes} values); expected at least one valid value"
        )
