"""Explainer explorer: choose a model or product, a regime and an explainer; see what drives its error.

The widget holds the choices and calls pure functions of :mod:`workbench.explain`
(error model, SHAP, permutation importance, partial dependence, regimes) and
:mod:`workbench.viz.explain`; it computes no science itself. Fitted error models
and attributions are cached, so moving a control redraws in about a second.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np

from ..explain import ErrorModel, dominant_driver_map, partial_dependence_curve, permutation_importances, regime_labels, \
    shap_values
from ..viz.explain import plot_dependence, plot_dominant_map, plot_effects, plot_importance
from ._base import PlotExplorer

__all__ = ["ExplainExplorer"]

_REGIMES = ("all", "dry", "wet", "DJF", "MAM", "JJA", "SON")
_EXPLAINERS = {"TreeSHAP": "tree_shap", "permutation importance": "permutation_importance"}


class ExplainExplorer(PlotExplorer):
    """Attribution summary, dependence plot and dominant-driver map of one model's error.

    Parameters
    ----------
    tables : dict
        Name -> ``sample`` table with drivers and ``residual`` (e.g. from
        :func:`workbench.explain.planted_residuals` or :mod:`workbench.explain.real`).
    max_explain : int, default 800
        Held-out rows explained per model.
    seed : int, default 0

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> rng = np.random.default_rng(0)
    >>> t = xr.Dataset({k: ("sample", rng.normal(size=600), {"units": "1"}) for k in "ab"},
    ...                coords={"group": ("sample", np.arange(600) % 20)})
    >>> t["residual"] = ("sample", 2 * t.a.values, {"units": "W m-2"})
    >>> ExplainExplorer({"toy": t}).settings()
    {'model': 'toy', 'regime': 'all', 'explainer': 'tree_shap'}
    """

    def __init__(self, tables: dict, *, max_explain: int = 800, seed: int = 0):
        if not tables:
            raise ValueError("tables is empty; pass {name: sample table with 'residual'}")
        self.tables = dict(tables)
        self.max_explain = max_explain
        self.seed = seed
        self._models, self._shap = {}, {}
        names = list(self.tables)
        self.model = widgets.Dropdown(options=names, value=names[0], description="Model")
        self.regime = widgets.Dropdown(options=_REGIMES, value="all", description="Regime")
        self.explainer = widgets.ToggleButtons(options=list(_EXPLAINERS), value="TreeSHAP", description="Explainer")
        self._watch(self.model, self.regime, self.explainer)

    def settings(self) -> dict:
        """The current choice as keyword arguments."""
        return {"model": self.model.value, "regime": self.regime.value, "explainer": _EXPLAINERS[self.explainer.value]}

    def error_model(self, name: str) -> ErrorModel:
        """The fitted (cached) error model of ``name``."""
        if name not in self._models:
            self._models[name] = ErrorModel("gbm", max_explain=self.max_explain, seed=self.seed).fit(self.tables[name])
        return self._models[name]

    def _mask(self, table, em):
        held = table.sel(sample=em.explain_samples_)
        regime = self.regime.value
        if regime == "all":
            return np.ones(held.sizes["sample"], bool)
        kind = "wetness" if regime in ("dry", "wet") else "season"
        try:
            return regime_labels(held, kind).values == regime
        except ValueError:
            return np.ones(held.sizes["sample"], bool)

    def plot(self):
        s = self.settings()
        table = self.tables[s["model"]]
        em = self.error_model(s["model"])
        if s["model"] not in self._shap:
            self._shap[s["model"]] = shap_values(em, explainer="tree", seed=self.seed)
        sv = self._shap[s["model"]]
        mask = self._mask(table, em)
        if mask.sum() < 30:
            mask[:] = True  # too few rows in this regime: fall back to all (the title says so)
        title = f"{s['model']}, {s['regime']} ({int(mask.sum())} rows, R2 {em.score_:.2f})"
        sub = sv.isel(sample=np.flatnonzero(mask))
        if s["explainer"] == "tree_shap":
            scores = sub
            top = str(abs(sub).mean("sample").idxmax("driver").values)
            second = plot_dependence(sub, table, top)
        else:
            scores = permutation_importances(em, n_repeats=3, rows=mask, seed=self.seed)
            top = str(scores.idxmax("driver").values)
            second = plot_effects({"partial dependence": partial_dependence_curve(em, top)})
        panels = plot_importance(scores, title=title) + second
        if "lat" in table.coords and "lon" in table.coords:
            panels = panels + plot_dominant_map(dominant_driver_map(sub, table), frame_width=300)
        return panels.cols(3)

    def _controls(self):
        return widgets.HBox([self.model, self.regime, self.explainer])
