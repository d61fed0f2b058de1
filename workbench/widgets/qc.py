"""Widget for the data quality control study: choose a site, variable, detector and threshold; see flags and the trade-off.

The widget holds state and calls :mod:`workbench.qc` (thresholding, scoring)
and :mod:`workbench.viz.qc` (plots); the detector scores are computed once,
before it is built.
"""

from __future__ import annotations

import ipywidgets as widgets
import numpy as np
import xarray as xr

from ._base import PlotExplorer

__all__ = ["QCExplorer"]


class QCExplorer(PlotExplorer):
    """Move a detector's threshold and watch its flags (coloured by planted type) and its precision and recall move.

    Parameters
    ----------
    data : xarray.Dataset
        Corrupted towers with ``<variable>_truth`` labels (:func:`workbench.qc.plant_anomalies`).
    scores : xarray.Dataset
        Detector scores (:func:`workbench.qc.score_all`).
    variables : sequence of str
        Variables offered.
    detector : str, default "model"
        Detector shown first.
    thresholds : dict, optional
        Starting thresholds ``{variable: {detector: t}}`` (e.g. calibrated).

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.date_range("2020-01-01", periods=50)
    >>> data = xr.Dataset({"le": (("site", "time"), np.ones((1, 50)), {"units": "W m-2"}),
    ...                    "le_truth": (("site", "time"), np.zeros((1, 50), int))}, coords={"site": ["A"], "time": t})
    >>> scores = xr.Dataset({"le_model_score": (("site", "time"), np.zeros((1, 50)))}, coords={"site": ["A"], "time": t})
    >>> QCExplorer(data, scores, ["le"]).settings()["detector"]
    'model'
    """

    def __init__(self, data: xr.Dataset, scores: xr.Dataset, variables, *, detector: str = "model", thresholds=None):
        from ..qc import DETECTORS

        self.data, self.scores = data, scores
        self.variables = [variables] if isinstance(variables, str) else list(variables)
        names = sorted({n for v in self.variables for n in DETECTORS if f"{v}_{n}_score" in scores}, key=list(DETECTORS).index)
        if not names:
            raise ValueError(f"scores hold no detector scores for {self.variables}; found {list(scores.data_vars)}")
        self.thresholds = thresholds or {}
        self.site = widgets.Dropdown(options=[str(s) for s in data.site.values], description="Site")
        self.variable = widgets.Dropdown(options=self.variables, description="Variable")
        self.detector = widgets.Dropdown(options=names, value=detector if detector in names else names[0], description="Detector")
        self.threshold = widgets.FloatLogSlider(value=1.0, base=10, min=-1, max=3, step=0.02, description="Threshold", continuous_update=False, readout_format=".3g", layout=widgets.Layout(width="520px"))
        self._reset_threshold()
        self.detector.observe(self._reset_threshold, names="value")
        self.variable.observe(self._reset_threshold, names="value")
        self._watch(self.threshold, self.site, self.variable, self.detector)

    def _default(self) -> float:
        from ..qc import DETECTORS

        per_var = self.thresholds.get(self.variable.value, {}) if isinstance(self.thresholds.get(self.variable.value), dict) else {}
        return float(per_var.get(self.detector.value, DETECTORS[self.detector.value].threshold))

    def _reset_threshold(self, _change=None):
        # The slider is logarithmic: a threshold of 0 (the range test) starts at its smallest value.
        self.threshold.value = float(np.clip(self._default(), 10 ** self.threshold.min, 10 ** self.threshold.max))

    def settings(self) -> dict:
        """The current choice as keyword arguments."""
        return {"site": self.site.value, "variable": self.variable.value, "detector": self.detector.value, "threshold": float(self.threshold.value)}

    def summary(self) -> dict:
        """Precision, recall and F1 over all sites of the current detector, variable and threshold."""
        from ..qc import prf, truth_name

        s = self.settings()
        hit = (self.scores[f"{s['variable']}_{s['detector']}_score"] > s["threshold"]).values
        pos = self.data[truth_name(s["variable"])].values > 0
        p, r, f = prf(int((hit & pos).sum()), int((hit & ~pos).sum()), int((~hit & pos).sum()))
        return {"precision": p, "recall": r, "f1": f}

    def plot(self):
        """Series with flags coloured by planted type (missed faults in grey), beside the precision-recall curve."""
        from ..qc import ANOMALY_TYPES, precision_recall_curve, truth_name
        from ..viz.qc import plot_flagged_series, plot_pr_curve

        s = self.settings()
        v, d = s["variable"], s["detector"]
        score = self.scores[f"{v}_{d}_score"]
        truth = self.data[truth_name(v)]
        hit = score > s["threshold"]
        names = np.array(("", *ANOMALY_TYPES), dtype=object)
        lab = truth.sel(site=s["site"]).values
        kinds = np.where(hit.sel(site=s["site"]).values, np.where(lab > 0, names[lab], "false alarm"), np.where(lab > 0, "missed", ""))
        kinds = xr.DataArray(kinds.astype(str), dims="time", coords={"time": self.data["time"]})
        p, r, f = (self.summary()[k] for k in ("precision", "recall", "f1"))
        series = plot_flagged_series(self.data[v].sel(site=s["site"]), kinds, title=f"{v} at {s['site']}: {d} > {s['threshold']:.3g}  (all sites: precision {p:.2f}, recall {r:.2f}, F1 {f:.2f})")
        curve = plot_pr_curve(precision_recall_curve(score, truth), current=(r, p), title=f"{d} on {v}, all sites")
        return (series + curve).cols(2)

    def _controls(self):
        return widgets.VBox([self.threshold, widgets.HBox([self.site, self.variable, self.detector])])
