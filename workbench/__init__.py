"""Land-AI Workbench: reference land-surface physics, data and machine-learning methods for JupyterLab studies.

The package is layered, data flowing one way::

    data  ->  physics  ->  methods (surrogates, symbolic, intercompare)  ->  viz / widgets  ->  notebooks

Importing :mod:`workbench` is light: subpackages are loaded on first use, and
optional heavy back-ends (PySR, Julia) are never imported here.

Examples
--------
>>> import workbench as wb
>>> wb.fast_mode() in (True, False)
True
"""

from __future__ import annotations

import importlib

from ._config import fast_mode, pick, seed_everything
from ._report import headline
from ._setup import setup

__version__ = "0.1.0"

_SUBPACKAGES = ("data", "physics", "units", "viz", "widgets", "symbolic", "surrogates", "intercompare", "adaptive", "explain", "calibrate", "qc", "downscale")

__all__ = ["fast_mode", "pick", "seed_everything", "setup", "headline", "__version__", *_SUBPACKAGES]


def __getattr__(name: str):
    # Subpackages load lazily so that `import workbench` stays fast and
    # plotting / torch are only imported by the studies that use them.
    if name in _SUBPACKAGES:
        module = importlib.import_module(f".{name}", __name__)
        globals()[name] = module
        return module
    raise AttributeError(f"module 'workbench' has no attribute {name!r}")


def __dir__():
    return sorted(__all__)
