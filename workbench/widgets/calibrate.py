"""Objective chooser for the parameter-optimisation study: pick an application, see which front member it selects.

The widget holds the choice and calls
:func:`workbench.calibrate.choose_on_front` and the plots of
:mod:`workbench.viz.calibrate`; it computes no science itself.
"""

from __future__ import annotations

import holoviews as hv
import ipywidgets as widgets

from ..calibrate.objectives import APPLICATIONS, choose_on_front
from ..viz.calibrate import plot_fit, plot_pareto
from ._base import PlotExplorer

__all__ = ["ObjectiveExplorer"]


class ObjectiveExplorer(PlotExplorer):
    """Choose the application (ET weight) and see the chosen Pareto member and its ET and soil-water fit.

    Parameters
    ----------
    table : pandas.DataFrame
        Output of :func:`workbench.calibrate.pareto_search` (``pareto`` column).
    sims : xarray.Dataset
        Model output (``et``, ``soil_water``) of the front members on (time,
        member), ``member`` labelled by the table's index.
    obs : xarray.Dataset
        ``obs_et`` and ``obs_soil_water`` on ``time``.

    Examples
    --------
    >>> import numpy as np, pandas as pd, xarray as xr
    >>> table = pd.DataFrame({"g1": [2.0, 4.0], "loss_et": [0.1, 0.3], "loss_soil_water": [5.0, 1.0],
    ...                       "pareto": [True, True]})
    >>> t = pd.date_range("2020-06-01", periods=3)
    >>> sims = xr.Dataset({v: (("time", "member"), np.ones((3, 2))) for v in ("et", "soil_water")},
    ...                   coords={"time": t, "member": [0, 1]})
    >>> obs = xr.Dataset({"obs_et": ("time", np.ones(3)), "obs_soil_water": ("time", np.ones(3))}, coords={"time": t})
    >>> ex = ObjectiveExplorer(table, sims, obs)
    >>> ex.settings()
    {'weight_et': 0.5, 'pick': 0}
    """

    def __init__(self, table, sims, obs):
        self.table, self.sims, self.obs = table, sims, obs
        self.front = table[table["pareto"]]
        options = list(APPLICATIONS)
        self.application = widgets.Dropdown(options=options, value=options[1], description="Application",
                                            layout=widgets.Layout(width="420px"))
        self.weight = widgets.FloatSlider(value=APPLICATIONS[options[1]], min=0.0, max=1.0, step=0.05,
                                          description="ET weight", continuous_update=False)
        self.application.observe(self._set_weight, names="value")
        self._watch(self.weight)

    def _set_weight(self, change):
        self.weight.value = APPLICATIONS[change["new"]]

    def settings(self) -> dict:
        """The current choice: ``weight_et`` and the chosen front member ``pick`` (a table index)."""
        return {"weight_et": float(self.weight.value), "pick": int(choose_on_front(self.front, self.weight.value))}

    def plot(self):
        pick = self.settings()["pick"]
        sim = self.sims.sel(member=pick)
        et = plot_fit(self.obs["obs_et"], {"chosen": sim["et"]}, title="ET of the chosen parameters")
        sw = plot_fit(self.obs["obs_soil_water"], {"chosen": sim["soil_water"]},
                      title="soil water of the chosen parameters")
        return hv.Layout([plot_pareto(self.table, pick=pick, weight_et=float(self.weight.value)), et, sw]).cols(1)

    def _controls(self):
        return widgets.HBox([self.application, self.weight])
