"""Run-mode switches shared by every study: fast mode for headless runs, and seeding."""

from __future__ import annotations

import os
import random

import numpy as np

_TRUE = {"1", "true", "yes", "on"}


def fast_mode() -> bool:
    """Whether the workbench runs in fast mode.

    Fast mode (environment variable ``WORKBENCH_FAST=1``) shrinks data sizes,
    epochs and search budgets so that every notebook runs headless in seconds
    under nbval. It never skips a section.

    Returns
    -------
    bool
        True when ``WORKBENCH_FAST`` is set to 1/true/yes/on.
    """
    return os.environ.get("WORKBENCH_FAST", "").strip().lower() in _TRUE


def pick(full, fast):
    """Return ``fast`` in fast mode and ``full`` otherwise.

    Examples
    --------
    >>> import os
    >>> os.environ["WORKBENCH_FAST"] = "1"
    >>> pick(full=1000, fast=10)
    10
    """
    return fast if fast_mode() else full


def seed_everything(seed: int) -> np.random.Generator:
    """Seed Python, NumPy and (when imported) PyTorch; return a NumPy generator.

    Parameters
    ----------
    seed : int
        The seed; the same seed gives the same results.

    Returns
    -------
    numpy.random.Generator
        A generator seeded with ``seed``, for code that takes one explicitly.
    """
    random.seed(seed)
    np.random.seed(seed % 2**32)
    import sys

    if "torch" in sys.modules:
        sys.modules["torch"].manual_seed(seed)
    return np.random.default_rng(seed)


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """Issue a warning that points at the user's code (a notebook cell), not at a line of the workbench.

    The warning is attributed to the first frame outside the workbench package and the libraries it calls
    through (xarray, dask, numpy, pandas), however deep the call that raised it.
    """
    import sys
    import warnings

    skip = ("workbench", "xarray", "dask", "numpy", "pandas", "concurrent", "threading")
    frame, level = sys._getframe(1), 1
    while frame is not None:
        module = frame.f_globals.get("__name__", "")
        if not module.split(".", 1)[0] in skip:
            break
        frame, level = frame.f_back, level + 1
    warnings.warn(message, category, stacklevel=level + 1)
