"""Plot wrappers: each returns a HoloViews object labelled from CF attributes."""

from ._base import label, plot_et_comparison, plot_map, plot_scatter, plot_series

__all__ = ["label", "plot_map", "plot_series", "plot_scatter", "plot_et_comparison"]
