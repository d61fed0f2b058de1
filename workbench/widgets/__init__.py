"""ipywidgets controls that drive plots from :mod:`workbench.viz`; no science is computed here.

:class:`SeriesExplorer` serves the tour; each study's widgets live in a
submodule (:mod:`.symbolic`, :mod:`.surrogates`, :mod:`.intercompare`, :mod:`.qc`) and are
submodule (:mod:`.symbolic`, :mod:`.surrogates`, :mod:`.intercompare`, :mod:`.downscale`) and are
also reachable from here, loaded on first use.
"""

from .._lazy import study_getattr
from ._base import SeriesExplorer

_STUDIES = ("symbolic", "surrogates", "intercompare", "adaptive", "explain", "calibrate", "qc", "downscale")

__all__ = ["SeriesExplorer", *_STUDIES]

__getattr__ = study_getattr(__name__, _STUDIES)
