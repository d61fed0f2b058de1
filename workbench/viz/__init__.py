"""Plot wrappers: each returns a HoloViews object labelled from CF attributes.

The shared wrappers live here; each study's plots live in a submodule
(:mod:`.symbolic`, :mod:`.surrogates`, :mod:`.intercompare`) and are also
reachable from here, loaded on first use.
"""

import importlib

from ._base import label, plot_et_comparison, plot_map, plot_scatter, plot_series

_STUDIES = ("symbolic", "surrogates", "intercompare")

__all__ = ["label", "plot_map", "plot_series", "plot_scatter", "plot_et_comparison", *_STUDIES]


def __getattr__(name: str):
    # Study plots load lazily: importing workbench.viz must not pull in every study.
    if name in _STUDIES:
        return importlib.import_module(f".{name}", __name__)
    for study in _STUDIES:
        module = importlib.import_module(f".{study}", __name__)
        if name in module.__all__:
            return getattr(module, name)
    raise AttributeError(f"module 'workbench.viz' has no attribute {name!r}")
