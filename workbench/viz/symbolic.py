"""Plots of the symbolic ET study: Pareto fronts, recovery rates, skill scores and sensitivities.

Each function returns a HoloViews object (it does not display it); keyword
arguments are passed on to hvplot / ``.opts`` and override the defaults.
"""

from __future__ import annotations

import pandas as pd

__all__ = ["plot_pareto_front", "plot_recovery", "plot_skill", "plot_sensitivities", "plot_predictions",
           "equation_table", "plot_cv_summary", "plot_violations", "fold_equations"]


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
    units = table["consistent"].map({True: "consistent", False: "inconsistent"}).fillna("not checked")
    if "violation" in table and table["violation"].notna().any():
        shape = table["violation"].map(lambda v: "" if pd.isna(v) else (", satisfies shape" if v == 0 else
                                                                       ", breaks shape"))
        units = units + shape
    table = table.assign(loss=table["loss"].clip(lower=1e-30), units=units,
                         violating=table.get("violation", pd.Series(float("nan"), index=table.index)))
    options = dict(x="complexity", y="loss", by="units", logy=True, hover_cols=["equation", "violating"], size=60,
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
    """Observed and simulated ET [mm d-1] at one site over time; missing days are drawn as gaps.

    The series is put on a complete daily axis, so a day removed by quality
    filtering (or absent from the record) breaks the line instead of being
    bridged by a straight segment.
    """
    _hvplot()
    part = predictions[predictions["site"] == site]
    if part.empty:
        raise ValueError(f"site {site!r} is not in the predictions; sites: {sorted(predictions['site'].unique())}")
    methods = list(methods or part["method"].unique())
    wide = part[part["method"].isin(methods)].pivot_table(index="time", columns="method", values="sim", dropna=False)
    wide["observed"] = part.drop_duplicates("time").set_index("time")["obs"]
    days = pd.date_range(wide.index.min(), wide.index.max(), freq="D")
    wide = wide.reindex(days).rename_axis("time")
    options = dict(y=["observed", *methods], ylabel="ET [mm d-1]", title=f"ET at {site}", frame_width=600,
                   frame_height=240, legend="top_left")
    options.update(hv_kwargs)
    return wide.hvplot.line(**options)


def _short_latex(latex: str, limit: int) -> str:
    """Long LaTeX wrapped in a smaller font so that the table stays readable."""
    if len(latex) <= limit:
        return latex
    return r"\scriptstyle " + latex


def equation_table(front, *, max_rows: int = 20, long_equation: int = 90):
    """The front as a Markdown table with LaTeX equations (an ``IPython.display.Markdown``; not displayed).

    Columns: complexity, loss, score, units check, shape-constraint violations
    (share of check points; "–" when not checked), equation. The table sits in
    a horizontally scrolling box and equations longer than ``long_equation``
    LaTeX characters are set smaller, so long equations do not overflow the page.
    """
    from IPython.display import Markdown

    table = front if isinstance(front, pd.DataFrame) else front.to_frame()
    mark = {True: "✓", False: "✗", None: "–"}
    lines = ['<div style="overflow-x: auto; max-width: 100%;">', "",
             "| complexity | loss | score | units | shape violations | equation |", "|---:|---:|---:|:---:|---:|:---|"]
    for row in table.head(max_rows).itertuples():
        consistent = None if pd.isna(row.consistent) else bool(row.consistent)
        violation = getattr(row, "violation", float("nan"))
        shape = "–" if pd.isna(violation) else f"{violation:.1%}"
        lines.append(f"| {row.complexity} | {row.loss:.4g} | {row.score:.3g} | {mark[consistent]} | {shape} | "
                     f"${_short_latex(row.latex, long_equation)}$ |")
    lines += ["", "</div>"]
    return Markdown("\n".join(lines))


def plot_cv_summary(summary: pd.DataFrame, metric: str = "rmse", *, by: str | None = None, **hv_kwargs):
    """Median over held-out sites of a metric per method (bars), optionally grouped by IGBP class or aridity.

    Parameters
    ----------
    summary : DataFrame
        From :func:`workbench.symbolic.studies.summarise`.
    metric : {"rmse", "kge", "bias"}
    by : str, optional
        The grouping column of ``summary`` (``"igbp"`` or ``"aridity"``).
    """
    _hvplot()
    if metric not in summary:
        raise ValueError(f"metric {metric!r} is not a column of the summary; columns: {list(summary.columns)}")
    units = {"rmse": " [mm d-1]", "bias": " [mm d-1]", "kge": " [-]"}.get(metric, "")
    data = summary.sort_values(metric, ascending=metric == "rmse")
    options = dict(x=by or "method", y=metric, ylabel=f"median {metric.upper()}{units}",
                   title=f"held-out sites: median {metric.upper()}" + (f" by {by}" if by else ""), frame_width=460,
                   frame_height=240, rot=30)
    if by:
        options["by"] = "method"
    options.update(hv_kwargs)
    return data.hvplot.bar(**options)


def plot_violations(violations: pd.DataFrame, **hv_kwargs):
    """Share of check points breaking each shape constraint, per model (mean over folds).

    Parameters
    ----------
    violations : DataFrame
        ``CVResult.violations`` (columns model, fold and one per constraint).
    """
    _hvplot()
    rules = [c for c in violations.columns if c not in ("model", "fold", "train", "grid")]
    long = (violations.groupby("model")[rules].mean().reset_index()
            .melt(id_vars="model", var_name="constraint", value_name="share"))
    options = dict(x="constraint", y="share", by="model", ylabel="violating share of check points",
                   title="Shape-constraint violations", frame_width=520, frame_height=240, rot=20,
                   legend="top_right")
    options.update(hv_kwargs)
    return long.hvplot.bar(**options)


def fold_equations(result, *, long_equation: int = 90):
    """The chosen equation of each cross-validation fold as a Markdown table with LaTeX (not displayed).

    Columns: fold, held-out sites, complexity [nodes], units check, shape violations, equation.
    """
    from IPython.display import Markdown

    mark = {True: "✓", False: "✗", None: "–"}
    lines = ['<div style="overflow-x: auto; max-width: 100%;">', "",
             "| fold | held-out sites | complexity | units | shape violations | equation |",
             "|---:|:---|---:|:---:|---:|:---|"]
    for k, (eq, (_, test)) in enumerate(zip(result.equations, result.folds)):
        shape = "–" if pd.isna(eq.violation) else f"{eq.violation:.1%}"
        lines.append(f"| {k} | {', '.join(test)} | {eq.complexity} | {mark[eq.consistent]} | {shape} | "
                     f"${_short_latex(eq.latex, long_equation)}$ |")
    lines += ["", "</div>"]
    return Markdown("\n".join(lines))
