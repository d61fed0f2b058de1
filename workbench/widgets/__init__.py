"""ipywidgets controls that drive plots from :mod:`workbench.viz`; no science is computed here."""

from ._base import SeriesExplorer

__all__ = ["SeriesExplorer"]
