"""Warnings that point at the user's line, not at the library line that raised them."""

from __future__ import annotations

import os
import sys
import warnings

_PACKAGE = os.path.dirname(os.path.realpath(__file__))  # .../workbench
# Libraries a workbench kernel may be called through (xarray.apply_ufunc, dask blocks): a warning raised in the
# kernel still belongs to the user's line that asked for the computation.
_THROUGH = ("xarray", "dask", "numpy", "pandas")


def _inside_package(frame) -> bool:
    if os.path.realpath(frame.f_code.co_filename).startswith(_PACKAGE + os.sep):
        return True
    return frame.f_globals.get("__name__", "").split(".", 1)[0] in _THROUGH


def user_stacklevel() -> int:
    """The ``stacklevel`` that makes a warning raised here name the first caller outside ``workbench``.

    Counted from the function that calls :func:`warn` (level 1); walks up
    the stack past every frame whose file lies in the workbench package (the
    role of ``skip_file_prefixes`` in Python 3.12's :func:`warnings.warn`).
    """
    frame = sys._getframe(2)  # the function that called warn()
    level = 1
    while frame is not None and _inside_package(frame):
        frame = frame.f_back
        level += 1
    return level


def warn(message: str, category=UserWarning) -> None:
    """:func:`warnings.warn` with the stack level of the user's call (see :func:`user_stacklevel`)."""
    warnings.warn(message, category, stacklevel=user_stacklevel() + 1)
