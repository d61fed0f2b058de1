"""Widgets of the downscaling study: explore the maps by variable, method and day; retrain the U-Net with a click.

They hold choices and call :mod:`workbench.viz.downscale` and
:class:`workbench.downscale.NetworkDownscaler`; they compute no science themselves.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
from IPython.display import display

from ..viz.downscale import plot_method_maps, plot_training
from ._base import PlotExplorer

__all__ = ["DownscaleExplorer", "RetrainPanel"]


class DownscaleExplorer(PlotExplorer):
    """Truth beside one downscaling method and their difference, for a chosen variable and day.

    Parameters
    ----------
    fields : dict
        ``"truth"`` and each method's Dataset (same grid and days).
    method : str, optional
        Method shown first (default the last one, e.g. the network).

    Examples
    --------
    >>> import numpy as np, pandas as pd, xarray as xr
    >>> grid = {"time": pd.date_range("2021-01-01", periods=3), "lat": [0.5, 1.5], "lon": [0.5, 1.5]}
    >>> truth = xr.Dataset({"tmean": (("time", "lat", "lon"), np.zeros((3, 2, 2)), {"units": "degC"})}, coords=grid)
    >>> ex = DownscaleExplorer({"truth": truth, "bilinear": truth + 1})
    >>> ex.settings()
    {'variable': 'tmean', 'method': 'bilinear', 'day': '2021-01-01'}
    """

    def __init__(self, fields: dict, method: str | None = None):
        if "truth" not in fields or len(fields) < 2:
            raise ValueError(f"fields needs 'truth' and at least one method; got {list(fields)}")
        self.fields = fields
        truth = fields["truth"]
        methods = [k for k in fields if k != "truth"]
        variables = [v for v in truth.data_vars if all(v in f for f in fields.values())]
        days = [str(d)[:10] for d in np.datetime_as_string(truth["time"].values, unit="D")]
        self.variable = widgets.Dropdown(options=variables, value=variables[0], description="Variable")
        self.method = widgets.Dropdown(options=methods, value=method or methods[-1], description="Method")
        self.day = widgets.SelectionSlider(options=days, value=days[0], description="Day", continuous_update=False,
                                           layout=widgets.Layout(width="420px"))
        self._watch(self.variable, self.method, self.day)

    def settings(self) -> dict:
        """The current choice as keyword arguments."""
        return {"variable": self.variable.value, "method": self.method.value, "day": self.day.value}

    def plot(self):
        """Truth, the chosen method and method minus truth, for the current settings."""
        s = self.settings()
        truth, pred = self.fields["truth"], self.fields[s["method"]]
        diff = (pred[s["variable"]] - truth[s["variable"]]).assign_attrs(truth[s["variable"]].attrs)
        maps = plot_method_maps({"truth": truth, s["method"]: pred}, s["variable"], day=s["day"], cols=3)
        error = plot_method_maps({f"{s['method']} - truth": diff.to_dataset(name=s["variable"])}, s["variable"], day=s["day"])
        return (maps + error).cols(3)

    def _controls(self):
        return widgets.VBox([widgets.HBox([self.variable, self.method]), self.day])


class RetrainPanel:
    """A button that retrains the U-Net from scratch on a case and shows the learning curve.

    Parameters
    ----------
    model_factory : callable
        Returns a fresh, untrained :class:`~workbench.downscale.NetworkDownscaler`.
    case : workbench.downscale.study.Case
        Training data (coarse, static, fine).
    on_trained : callable, optional
        Called with the trained model (e.g. to recompute the maps).
    """

    def __init__(self, model_factory, case, on_trained=None):
        self.model_factory, self.case, self.on_trained = model_factory, case, on_trained
        self.button = widgets.Button(description="Retrain U-Net", icon="refresh", button_style="primary")
        self.output = widgets.Output()
        self.model = None
        self.button.on_click(self.retrain)

    def settings(self) -> dict:
        """The hyper-parameters the button trains with."""
        return self.model_factory().get_params()

    def retrain(self, _button=None):
        """Train a fresh model (progress streams below the button); returns it."""
        self.output.clear_output()
        with self.output:
            model = self.model_factory()
            model.fit(self.case.coarse, self.case.static, self.case.fine)
            display(plot_training(model.history_))
        self.model = model
        if self.on_trained is not None:
            self.on_trained(model)
        return model

    def _ipython_display_(self):
        display(widgets.VBox([self.button, self.output]))
