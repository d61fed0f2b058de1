"""ipywidgets controls for the tour: choose a site, variable and period and see the plot update.

Widgets hold state and call plotting functions from :mod:`workbench.viz`; they
compute no science themselves.
"""

from __future__ import annotations

import ipywidgets as widgets
import xarray as xr
from IPython.display import display

from ..viz import plot_series

__all__ = ["SeriesExplorer", "PlotExplorer"]


class PlotExplorer:
    """Base of the explorers: controls above an output that shows ``self.plot()``, redrawn on every change.

    Subclasses build their controls, call :meth:`_watch` with them, and define
    ``plot()`` (a HoloViews object from :mod:`workbench.viz`) and
    ``_controls()`` (the widget box shown above the plot).
    """

    def _watch(self, *controls) -> None:
        self.output = widgets.Output()
        for control in controls:
            control.observe(self._update, names="value")

    def _update(self, _change=None):
        self.output.clear_output(wait=True)
        with self.output:
            display(self.plot())

    def _ipython_display_(self):
        self._update()
        display(widgets.VBox([self._controls(), self.output]))


class SeriesExplorer(PlotExplorer):
    """Explore tower (or any ``site x time``) series: a site dropdown, a variable dropdown and a month range slider.

    Parameters
    ----------
    towers : xarray.Dataset
        Data with dimensions ``(site, time)``.
    variables : list of str, optional
        Variables offered; defaults to all with both dimensions.
    variable : str, optional
        Variable shown first.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> ds = xr.Dataset({"le": (("site", "time"), np.ones((2, 31)), {"units": "W m-2"})},
    ...                 coords={"site": ["A", "B"], "time": pd.date_range("2020-01-01", periods=31)})
    >>> explorer = SeriesExplorer(ds)
    >>> explorer.settings()["site"]
    'A'
    """

    def __init__(self, towers: xr.Dataset, variables=None, variable: str | None = None):
        if "site" not in towers.dims or "time" not in towers.dims:
            raise ValueError(f"SeriesExplorer needs dimensions ('site', 'time'); got {tuple(towers.dims)}")
        self.towers = towers
        options = list(variables or [v for v in towers.data_vars if set(towers[v].dims) == {"site", "time"}])
        if not options:
            raise ValueError("towers has no variable with dimensions ('site', 'time')")
        months = sorted(set(towers.indexes["time"].strftime("%Y-%m")))
        self.site = widgets.Dropdown(options=[str(s) for s in towers.site.values], description="Site")
        self.variable = widgets.Dropdown(options=options, value=variable or options[0], description="Variable")
        self.period = widgets.SelectionRangeSlider(
            options=months, index=(0, len(months) - 1), description="Months", continuous_update=False, layout=widgets.Layout(width="500px")
        )
        self._watch(self.site, self.variable, self.period)

    def settings(self) -> dict:
        """The current choice as keyword arguments, to reproduce the plot in a plain cell."""
        first, last = self.period.value
        return {"site": self.site.value, "variable": self.variable.value, "start": first, "end": last}

    def plot(self):
        """The HoloViews plot for the current settings."""
        s = self.settings()
        series = self.towers[s["variable"]].sel(site=s["site"]).sel(time=slice(s["start"], s["end"]))
        return plot_series(series, title=f"{s['variable']} at {s['site']}")

    def _controls(self):
        return widgets.VBox([widgets.HBox([self.site, self.variable]), self.period])
