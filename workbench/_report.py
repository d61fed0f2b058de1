"""A study's headline results: shown in the notebook and recorded by ``make full`` (benchmarks/full_mode.py)."""

from __future__ import annotations

import html
import json
import math
import numbers

from ._config import fast_mode

__all__ = ["headline", "HEADLINE_MIME"]

#: MIME type of the headline record; ``benchmarks/full_mode.py`` collects it from executed notebooks.
HEADLINE_MIME = "application/vnd.land-ai-workbench.headline+json"


def _plain(key: str, value):
    if isinstance(value, bool) or isinstance(value, str):
        if isinstance(value, str) and len(value) > 120:
            raise ValueError(f"headline {key!r}: expected a number or a short string, got a string of {len(value)} characters")
        return value
    if hasattr(value, "item") and getattr(value, "size", 1) == 1:  # numpy / xarray / torch scalars
        value = value.item()
    if isinstance(value, numbers.Integral):
        return int(value)
    if isinstance(value, numbers.Real):
        value = float(value)
        if not math.isfinite(value):
            raise ValueError(f"headline {key!r} is {value}: a headline result must be a finite number "
                             "(an empty selection or a failed fit upstream?)")
        return value
    raise TypeError(f"headline {key!r}: expected a number, bool or short string, got {type(value).__name__}")


def _format(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


def headline(title: str, **results) -> dict:
    """Display a study's headline results as a table and mark them for the full-mode report.

    Call it once, in the Summary of a notebook, with the figures the study is
    about. ``make full`` (``benchmarks/full_mode.py``) runs each notebook in
    full mode and records these numbers in ``docs/full_mode.md``. In fast mode
    the table says that the run is reduced.

    Parameters
    ----------
    title : str
        What the numbers are, e.g. ``"Surrogates: accuracy and speed"``.
    **results : float, int, bool or str
        Named results, e.g. ``r2_le=0.9996``; NumPy/xarray scalars are
        converted. Units belong in the name (``rmse_mm_d=0.41``).

    Returns
    -------
    dict
        The results as plain Python values (also displayed).

    Raises
    ------
    ValueError
        If a result is NaN or infinite (a headline is never a silent NaN).

    Examples
    --------
    >>> out = headline("demo", rmse_mm_d=0.5, recovered="3 of 5")  # doctest: +ELLIPSIS
    demo (...)
      rmse_mm_d: 0.5
      recovered: 3 of 5
    """
    if not results:
        raise ValueError("headline() needs at least one named result, e.g. headline('study', rmse=0.4)")
    clean = {key: _plain(key, value) for key, value in results.items()}
    mode = "fast" if fast_mode() else "full"
    note = ("fast mode: a reduced run (smaller data, shorter training and searches); the full study's numbers "
            "are in docs/full_mode.md" if mode == "fast" else "full mode: the complete study")
    rows = "".join(f"<tr><td>{html.escape(k)}</td><td>{html.escape(_format(v))}</td></tr>" for k, v in clean.items())
    table = (f"<table><caption><b>{html.escape(title)}</b> ({html.escape(note)})</caption>"
             f"<tr><th>result</th><th>value</th></tr>{rows}</table>")
    text = f"{title} ({note})\n" + "\n".join(f"  {k}: {_format(v)}" for k, v in clean.items())
    record = {"title": title, "mode": mode, "results": clean}
    try:
        from IPython import get_ipython
        from IPython.display import display
    except ImportError:  # pragma: no cover - IPython is a dependency, but plain Python works too
        get_ipython = None
    if get_ipython is not None and get_ipython() is not None:
        display({HEADLINE_MIME: json.loads(json.dumps(record)), "text/html": table, "text/plain": text}, raw=True)
    else:
        print(text)
    return clean
