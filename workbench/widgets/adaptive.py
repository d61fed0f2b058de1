"""Widgets for the adaptive-modelling study: play a scenario forward, and retrain the RL agent in one click.

The widgets hold choices and call :mod:`workbench.viz.adaptive` and
:mod:`workbench.adaptive`; they compute no science themselves.
"""

from __future__ import annotations

import ipywidgets as widgets
from IPython.display import display

from ..viz.adaptive import plot_run, plot_training_curve
from ._base import PlotExplorer

__all__ = ["AdaptiveExplorer", "RetrainPanel"]


class AdaptiveExplorer(PlotExplorer):
    """Choose a scenario and a method, play year 2 forward, watch ET, the running error and the parameters.

    Parameters
    ----------
    scen : xarray.Dataset
        Scenarios (:func:`workbench.adaptive.make_scenarios`).
    trajectories : dict
        ``{scheme: trajectory}`` computed beforehand (the widget only shows them).
    scenario : int, default 0
    """

    def __init__(self, scen, trajectories: dict, scenario: int = 0):
        if not trajectories:
            raise ValueError("trajectories is empty; pass {'scheme': trajectory, ...}")
        self.scen, self.trajectories = scen, trajectories
        labels = [(f"{i}: {k}", i) for i, k in enumerate(scen["kind"].values)]
        self.scenario = widgets.Dropdown(options=labels, value=scenario, description="Scenario")
        self.method = widgets.Dropdown(options=["all", *trajectories], value="all", description="Method")
        n = next(iter(trajectories.values())).sizes["time"]
        self.day = widgets.IntSlider(value=n, min=14, max=n, step=7, description="Day of year 2",
                                     continuous_update=False, layout=widgets.Layout(width="420px"))
        self.play = widgets.Play(value=n, min=14, max=n, step=7, interval=400, description="play")
        widgets.jslink((self.play, "value"), (self.day, "value"))
        self._watch(self.scenario, self.method, self.day)

    def settings(self) -> dict:
        """The current choice as keyword arguments of :func:`workbench.viz.adaptive.plot_run`."""
        return {"scenario": self.scenario.value, "schemes": self.method.value, "upto": self.day.value}

    def plot(self):
        s = self.settings()
        chosen = self.trajectories if s["schemes"] == "all" else {s["schemes"]: self.trajectories[s["schemes"]]}
        return plot_run(self.scen, chosen, s["scenario"], upto=s["upto"])

    def _controls(self):
        return widgets.VBox([widgets.HBox([self.scenario, self.method]), widgets.HBox([self.play, self.day])])


class RetrainPanel:
    """One click retrains the PPO agent on the training scenarios and shows the learning curve.

    Parameters
    ----------
    train : callable
        ``train(total_timesteps, on_update)`` returning ``(policy, info)``, e.g.
        ``functools.partial(workbench.adaptive.train_policy, scen_train, calibration_train)``.
    timesteps : int, default 20000
        Initial value of the budget box.
    """

    def __init__(self, train, timesteps: int = 20_000):
        self.train = train
        self.timesteps = widgets.BoundedIntText(value=timesteps, min=520, max=2_000_000, step=5200,
                                                description="Timesteps")
        self.button = widgets.Button(description="Retrain PPO", button_style="warning")
        self.output = widgets.Output()
        self.result = None
        self.button.on_click(self._run)

    def settings(self) -> dict:
        return {"total_timesteps": self.timesteps.value}

    def _run(self, _button=None):
        history = []
        self.output.clear_output()
        with self.output:
            self.result = self.train(self.timesteps.value, lambda t, r: history.append((t, r)))
            display(plot_training_curve(self.result[1]["history"]))
        return self.result

    def _ipython_display_(self):
        display(widgets.VBox([widgets.HBox([self.timesteps, self.button]), self.output]))
