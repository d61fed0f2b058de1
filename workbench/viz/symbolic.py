"""Plots of the symbolic ET study: Pareto fronts, recovery rates, skill scores and sensitivities.

Each function returns a HoloViews object (it does not display it); keyword
arguments are passed on to hvplot / ``.opts`` and override the defaults.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["plot_pareto_front", "plot_recovery", "plot_skill", "plot_sensitivities", "plot_predictions",
           "equation_table"]


def _hvplot():
    import hvplot.pandas  # noqa: F401  (registers DataFrame.hvplot)


def plot_pareto_front(front, *, title: str = "Pareto front", **hv_kwargs):
    """Loss against complexity, one point per equation, coloured by dimensional consistency.

    Parameters
    ----------
    front : ParetoFront or DataFrame
        A front, or its :meth:`~workbench.symbolic.ParetoFront.to_frame` table.
    **hv_kwargs
        Passed to ``DataFrame.hvplot.scatter``.
    """
    _hvplot()
    table = front if isinstance(front, pd.DataFrame) else front.to_frame()
    # a perfect fit has loss 0, which a log axis cannot show: floor it at 1e-30
    table = table.assign(loss=table["loss"].clip(lower=1e-30), units=table["consistent"].map({True: "consistent", False: "inconsistent"}).fillna("not checked"))
    options = dict(x="complexity", y="loss", by="units", logy=True, hover_cols=["equation"], size=60,
                   xlabel="complexity [nodes]", ylabel="loss (MSE)", title=title, frame_width=420,
                   frame_height=260, legend="top_right")
    options.update(hv_kwargs)
    line = table.hvplot.step(x="complexity", y="loss", logy=True, where="post", color="gray", alpha=0.5)
    return line * table.hvplot.scatter(**options)


def plot_recovery(results: pd.DataFrame, **hv_kwargs):
    """Share of seeds that recovered the law, by noise level (one bar group per law and back-end).

    Parameters
    ----------
    results : DataFrame
        From :func:`workbench.symbolic.studies.recovery_study`.
    """
    _hvplot()
    rate = (results.groupby(["law", "backend", "noise"])["recovered"].mean().rename("recovery rate")
            .reset_index().assign(noise=lambda d: d["noise"].map(lambda v: f"{v:.0%}")))
    options = dict(x="noise", y="recovery rate", by=["law", "backend"], ylim=(0, 1.05), xlabel="noise",
                   ylabel="recovered [fraction of seeds]", title="Exact-law recovery", frame_width=420,
                   frame_height=240)
    options.update(hv_kwargs)
    return rate.hvplot.bar(**options)


def plot_skill(scores: pd.DataFrame, metric: str = "rmse", *, by: str = "site", **hv_kwargs):
    """A metric per group (site or season) and method, as grouped bars.

    Parameters
    ----------
    scores : DataFrame
        From :func:`workbench.symbolic.studies.skill`.
    metric : {"rmse", "bias", "kge"}
    by : str
        The grouping column (``"site"`` or ``"season"``).
    """
    _hvplot()
    if metric not in scores:
        raise ValueError(f"metric {metric!r} is not a column of the scores; columns: {list(scores.columns)}")
    units = {"rmse": " [mm d-1]", "bias": " [mm d-1]", "kge": " [-]"}.get(metric, "")
    options = dict(x=by, y=metric, by="method", ylabel=f"{metric.upper()}{units}", title=f"{metric.upper()} by {by}",
                   frame_width=400, frame_height=240, rot=45, legend="top_left")
    options.update(hv_kwargs)
    return scores.hvplot.bar(**options)


def plot_sensitivities(sens: pd.DataFrame, *, variables=None, **hv_kwargs):
    """Partial derivative against input value, one panel per input, one colour per model.

    Parameters
    ----------
    sens : DataFrame
        From :func:`workbench.symbolic.studies.sensitivities` (several models concatenated).
    """
    import holoviews as hv

    _hvplot()
    variables = list(variables or sens["variable"].unique())
    panels = []
    for v in variables:
        part = sens[sens["variable"] == v]
        options = dict(x="value", y="derivative", by="model", size=4, alpha=0.4, xlabel=v,
                       ylabel=f"d ET / d {v}", title=f"sensitivity to {v}", frame_width=260, frame_height=200)
        options.update(hv_kwargs)
        panels.append(part.hvplot.scatter(**options))
    return hv.Layout(panels).cols(2)


def plot_predictions(predictions: pd.DataFrame, site: str, *, methods=None, **hv_kwargs):
    """Observed and simulated ET [mm d-1] at one site over time."""
    _hvplot()
    part = predictions[predictions["site"] == site]
    if part.empty:
        raise ValueError(f"site {site!r} is not in the predictions; sites: {sorted(predictions['site'].unique())}")
    methods = list(methods or part["method"].unique())
    wide = part[part["method"].isin(methods)].pivot_table(index="time", columns="method", values="sim")
    wide["observed"] = part.drop_duplicates("time").set_index("time")["obs"]
    options = dict(y=["observed", *methods], ylabel="ET [mm d-1]", title=f"ET at {site}", frame_width=600,
                   frame_height=240, legend="top_left")
    options.update(hv_kwargs)
    return wide.hvplot.line(**options)


def equation_table(front, *, max_rows: int = 20):
    """The front as a Markdown table with LaTeX equations (an ``IPython.display.Markdown``; not displayed).

    Columns: complexity, loss, score, units check, equation.
    """
    from IPython.display import Markdown

    table = front if isinstance(front, pd.DataFrame) else front.to_frame()
    mark = {True: "✓", False: "✗", None: "–"}
    lines = ["| complexity | loss | score | units | equation |", "|---:|---:|---:|:---:|:---|"]
    for row in table.head(max_rows).itertuples():
        consistent = None if pd.isna(row.consistent) else bool(row.consistent)
        lines.append(f"| {row.complexity} | {row.loss:.4g} | {row.score:.3g} | {mark[consistent]} | ${row.latex}$ |")
    return Markdown("\n".join(lines))
