"""Lazy access to the studies' submodules of a layer package (viz, widgets)."""

from __future__ import annotations

import importlib


def study_getattr(package: str, studies: tuple[str, ...]):
    """Return a module ``__getattr__`` that finds ``name`` in the package's study submodules.

    Study submodules import their methods (torch for the surrogates, pyoperon
    for symbolic regression), so they load on first use instead of with the
    package.
    """

    def __getattr__(name: str):
        if name in studies:
            return importlib.import_module(f".{name}", package)
        for study in studies:
            module = importlib.import_module(f".{study}", package)
            if name in module.__all__:
                return getattr(module, name)
        raise AttributeError(f"module {package!r} has no attribute {name!r}")

    return __getattr__
