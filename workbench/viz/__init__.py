"""Plot wrappers: each returns a HoloViews object labelled from CF attributes.

The shared wrappers live here; each study's plots live in a submodule
(:mod:`.symbolic`, :mod:`.surrogates`, :mod:`.intercompare`, :mod:`.qc`) and are also
(:mod:`.symbolic`, :mod:`.surrogates`, :mod:`.intercompare`, :mod:`.downscale`) and are also
reachable from here, loaded on first use.
"""

from .._lazy import study_getattr
from ._base import label, plot_et_comparison, plot_map, plot_scatter, plot_series

_STUDIES = ("symbolic", "surrogates", "intercompare", "adaptive", "explain", "calibrate", "qc", "downscale")

__all__ = ["label", "plot_map", "plot_series", "plot_scatter", "plot_et_comparison", *_STUDIES]

__getattr__ = study_getattr(__name__, _STUDIES)
