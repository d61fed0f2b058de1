"""ipywidgets controls that drive plots from :mod:`workbench.viz`; no science is computed here.

:class:`SeriesExplorer` serves the tour; each study's widgets live in a
submodule (:mod:`.symbolic`, :mod:`.surrogates`, :mod:`.intercompare`) and are
also reachable from here, loaded on first use (they import their study's
methods, e.g. torch for the surrogates).
"""

import importlib

from ._base import SeriesExplorer

_STUDIES = ("symbolic", "surrogates", "intercompare")

__all__ = ["SeriesExplorer", *_STUDIES]


def __getattr__(name: str):
    if name in _STUDIES:
        return importlib.import_module(f".{name}", __name__)
    for study in _STUDIES:
        module = importlib.import_module(f".{study}", __name__)
        if name in module.__all__:
            return getattr(module, name)
    raise AttributeError(f"module 'workbench.widgets' has no attribute {name!r}")
