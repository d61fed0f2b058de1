"""Training explorer for the surrogates study: choose architecture, sample size and constraint weight, re-train.

The widget holds the choices and calls :class:`workbench.surrogates.SurrogateRegressor`
and :func:`workbench.surrogates.evaluate`; it computes no science itself.
"""

from __future__ import annotations

import ipywidgets as widgets
from IPython.display import display

from ..surrogates import SurrogateRegressor, evaluate
from ..viz.surrogates import learning_curve_stream, plot_learning_curve

__all__ = ["TrainingExplorer"]


class TrainingExplorer:
    """Re-train a surrogate with the chosen width, depth, activation, sample size and constraint weight.

    The defaults (3x128 SiLU, no penalty) are the architecture of the
    pretrained ``process_unconstrained`` network, so one click on **Train**
    re-trains it from scratch on the notebook's data.

    Parameters
    ----------
    X, y : xarray.Dataset
        Training pool (``sample`` dim); the first ``n`` samples are used.
    X_test, y_test : xarray.Dataset
        Held-out data for the metrics table.
    epochs : int, default 50
    ranges : dict, optional
        Stated input ranges passed to ``fit`` (out-of-range flags).
    **fixed
        Other :class:`SurrogateRegressor` keyword arguments kept fixed.

    Examples
    --------
    >>> import workbench.surrogates as S
    >>> X = S.sobol_samples(64); y = S.simulate_process(X)[["le"]]
    >>> ex = TrainingExplorer(X, y, X, y, epochs=1)
    >>> sorted(ex.settings())
    ['activation', 'constraint_weight', 'depth', 'n_samples', 'width']
    """

    def __init__(self, X, y, X_test, y_test, *, epochs: int = 50, ranges=None, **fixed):
        self.X, self.y, self.X_test, self.y_test = X, y, X_test, y_test
        self.epochs, self.ranges, self.fixed = epochs, ranges, fixed
        n = X.sizes["sample"]
        sizes = sorted({min(n, 2**k) for k in range(6, 20)} | {n})
        self.width = widgets.Dropdown(options=[16, 32, 64, 128, 256], value=128, description="Width")
        self.depth = widgets.IntSlider(value=3, min=1, max=5, description="Depth")
        self.activation = widgets.Dropdown(options=["silu", "relu", "tanh", "gelu"], value="silu",
                                           description="Activation")
        self.n_samples = widgets.SelectionSlider(options=sizes, value=sizes[-1], description="Samples",
                                                 continuous_update=False)
        self.weight = widgets.FloatLogSlider(value=1e-3, base=10, min=-3, max=1, step=0.5,
                                             description="Energy w.", continuous_update=False)
        self.use_constraint = widgets.Checkbox(value=False, description="energy penalty")
        self.button = widgets.Button(description="Train", button_style="primary")
        self.output = widgets.Output()
        self.button.on_click(lambda _b: self.run())
        self.model = None
        self.evaluation = None

    def settings(self) -> dict:
        """The current choices as keyword arguments (reproducible in a plain cell)."""
        return {"width": self.width.value, "depth": self.depth.value, "activation": self.activation.value,
                "n_samples": self.n_samples.value,
                "constraint_weight": self.weight.value if self.use_constraint.value else 0.0}

    def regressor(self, callback=None) -> SurrogateRegressor:
        """The (unfitted) regressor the current settings describe."""
        s = self.settings()
        physics = {"energy": s["constraint_weight"]} if s["constraint_weight"] else None
        options = {"run_dir": False, "progress": False, **self.fixed}
        return SurrogateRegressor((s["width"],) * s["depth"], s["activation"], epochs=self.epochs,
                                  physics=physics, callback=callback, **options)

    def run(self, *, live: bool = True):
        """Train with the current settings, show the learning curve and the metrics; return the model."""
        s = self.settings()
        part = dict(sample=slice(0, s["n_samples"]))
        self.output.clear_output(wait=True)
        dmap, callback = learning_curve_stream() if live else (None, None)
        with self.output:
            if dmap is not None:
                display(dmap)
            self.model = self.regressor(callback).fit(self.X.isel(part), self.y.isel(part), ranges=self.ranges)
            self.evaluation = evaluate(self.model, self.X_test, self.y_test, ood=False)
            if dmap is None:
                display(plot_learning_curve(self.model.history_))
            display(self.evaluation.metrics.round(4))
            display(self.evaluation.violations.round(4).to_frame())
        return self.model

    def _ipython_display_(self):
        controls = widgets.VBox([widgets.HBox([self.width, self.depth, self.activation]),
                                 widgets.HBox([self.n_samples, self.use_constraint, self.weight]), self.button])
        display(widgets.VBox([controls, self.output]))
