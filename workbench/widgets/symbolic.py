"""Controls for the symbolic ET search: choose inputs, operators, complexity and budget; watch the front grow.

The widget holds the choices and calls :class:`workbench.symbolic.SymbolicRegressor`
and the plots of :mod:`workbench.viz.symbolic`; it computes no science itself.
"""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd
from IPython.display import display

from ..symbolic import OPERATORS, SymbolicRegressor
from ..viz.symbolic import equation_table, plot_pareto_front, plot_predictions
from ._base import PlotExplorer

__all__ = ["SymbolicSearchExplorer", "HeldOutSiteExplorer"]


class HeldOutSiteExplorer(PlotExplorer):
    """Observed and predicted ET at one held-out site: a site dropdown and a choice of methods.

    Parameters
    ----------
    predictions : pandas.DataFrame
        ``CVResult.predictions`` (site, time, method, obs, sim).
    methods : list of str, optional
        Methods ticked at the start (default: the symbolic equation, the
        fitted-conductance Penman-Monteith and FAO-56 PM).
    site : str, optional
        Site shown first when the predictions have it (else the first site
        alphabetically, e.g. offline with virtual towers).

    Examples
    --------
    >>> import pandas as pd
    >>> p = pd.DataFrame({"site": ["A", "A", "B", "B"], "time": pd.to_datetime(["2020-01-01", "2020-01-03"] * 2),
    ...                   "method": "symbolic", "obs": [1.0, 2, 3, 4], "sim": [1.1, 2, 3, 4]})
    >>> HeldOutSiteExplorer(p, methods=["symbolic"], site="B").settings()
    {'site': 'B', 'methods': ['symbolic']}
    """

    def __init__(self, predictions: pd.DataFrame, *, methods=None, site: str | None = None):
        if not isinstance(predictions, pd.DataFrame):
            raise TypeError(f"predictions must be a pandas DataFrame, not {type(predictions).__name__}")
        self.predictions = predictions
        sites = sorted(predictions["site"].unique())
        offered = list(predictions["method"].unique())
        default = [m for m in ("symbolic", "pm_jarvis", "fao56_pm") if m in offered] or offered[:1]
        self.site = widgets.Dropdown(options=sites, value=site if site in sites else sites[0], description="Site")
        self.methods = widgets.SelectMultiple(options=offered, value=list(methods or default), description="Methods",
                                              rows=min(7, len(offered)))
        self._watch(self.site, self.methods)

    def settings(self) -> dict:
        """The current choice, as keyword arguments of :func:`workbench.viz.symbolic.plot_predictions`."""
        return {"site": self.site.value, "methods": list(self.methods.value)}

    def plot(self):
        """The plot for the current settings."""
        s = self.settings()
        return plot_predictions(self.predictions, s["site"], methods=s["methods"], title=f"ET at {s['site']} (held out)")

    def _controls(self):
        return widgets.HBox([self.site, self.methods])


class SymbolicSearchExplorer:
    """Run a symbolic search from controls; the Pareto front redraws after every chunk.

    Parameters
    ----------
    X : pandas.DataFrame
        Candidate inputs (``X.attrs["units"]`` gives their units).
    y : pandas.Series
        Target (``y.attrs["units"]``).
    inputs : list of str, optional
        Inputs ticked at the start (default: all columns).
    operators : list of str, optional
        Operators ticked at the start.
    max_complexity, niterations, seed : int
        Starting values of the sliders.
    time_budget : float
        Starting wall-clock budget [s].
    run_name : str, optional
        Save runs under ``runs/symbolic/<run_name>``.

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> X = pd.DataFrame({"a": np.linspace(1, 2, 20), "b": np.linspace(2, 3, 20)})
    >>> ui = SymbolicSearchExplorer(X, X["a"] * X["b"], max_complexity=9)
    >>> ui.settings()["inputs"], ui.settings()["search"]["max_complexity"]
    (['a', 'b'], 9)
    """

    def __init__(self, X: pd.DataFrame, y: pd.Series, *, inputs=None, operators=("+", "-", "*", "/"),
                 max_complexity: int = 20, niterations: int = 50, time_budget: float = 30.0, seed: int = 0,
                 backend: str = "auto", run_name: str | None = None):
        if not isinstance(X, pd.DataFrame):
            raise TypeError(f"X must be a pandas DataFrame of candidate inputs, not {type(X).__name__}")
        self.X, self.y, self.run_name = X, y, run_name
        self.result: SymbolicRegressor | None = None
        self.inputs = widgets.SelectMultiple(options=list(X.columns), value=list(inputs or X.columns),
                                             description="Inputs", rows=min(8, len(X.columns)))
        self.operators = widgets.SelectMultiple(options=list(OPERATORS), value=list(operators),
                                                description="Operators", rows=8)
        self.max_complexity = widgets.IntSlider(value=max_complexity, min=5, max=50, description="Max size",
                                                continuous_update=False)
        self.niterations = widgets.IntSlider(value=niterations, min=10, max=1000, step=10,
                                             description="Generations", continuous_update=False)
        self.time_budget = widgets.FloatSlider(value=time_budget, min=5, max=600, step=5, description="Budget [s]",
                                               continuous_update=False)
        self.seed = widgets.IntText(value=seed, description="Seed")
        self.backend = widgets.Dropdown(options=["auto", "pyoperon", "gplearn", "pysr"], value=backend,
                                        description="Backend")
        self.button = widgets.Button(description="Run search", button_style="primary", icon="play")
        self.status = widgets.HTML("")
        self.plot_out = widgets.Output()
        self.table_out = widgets.Output()
        self.button.on_click(lambda _b: self.run())

    def settings(self) -> dict:
        """The current choices: ``inputs`` and the ``search`` keyword arguments of :class:`SymbolicRegressor`."""
        return {
            "inputs": list(self.inputs.value),
            "search": {"backend": self.backend.value, "operators": list(self.operators.value),
                       "max_complexity": int(self.max_complexity.value), "niterations": int(self.niterations.value),
                       "time_budget": float(self.time_budget.value), "seed": int(self.seed.value),
                       "run_name": self.run_name},
        }

    def _show(self, front, info=None):
        self.plot_out.clear_output(wait=True)
        with self.plot_out:
            display(plot_pareto_front(front))
        self.table_out.clear_output(wait=True)
        with self.table_out:
            display(equation_table(front))
        if info is not None:
            self.status.value = (f"{info['generations']} generations, {info['seconds']:.1f} s, "
                                 f"{info['front_size']} equations, lowest loss {info['best_loss']:.4g}")

    def run(self) -> SymbolicRegressor:
        """Run the search with the current settings; the front redraws as it grows. Returns the fitted search."""
        s = self.settings()
        if not s["inputs"]:
            raise ValueError("choose at least one input")
        X = self.X[s["inputs"]].copy()
        X.attrs = {"units": {k: v for k, v in self.X.attrs.get("units", {}).items() if k in s["inputs"]}}
        self.button.disabled = True
        try:
            sr = SymbolicRegressor(progress=False, **s["search"])
            self.result = sr.fit(X, self.y, callback=lambda front, info: self._show(front, info))
        finally:
            self.button.disabled = False
        self._show(self.result.front_)
        return self.result

    def _ipython_display_(self):
        controls = widgets.HBox([
            widgets.VBox([self.inputs, self.operators]),
            widgets.VBox([self.backend, self.max_complexity, self.niterations, self.time_budget, self.seed,
                          self.button, self.status]),
        ])
        display(widgets.VBox([controls, self.plot_out, self.table_out]))
