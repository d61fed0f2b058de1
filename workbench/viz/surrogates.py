"""Plots for the surrogates study; each returns a HoloViews object and displays nothing.

Keyword arguments are passed on to ``.opts`` (HoloViews) or hvplot, overriding
the defaults here.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ._base import label

__all__ = ["plot_learning_curve", "learning_curve_stream", "plot_parity", "plot_error_map", "plot_speed",
           "plot_break_even", "plot_ood", "plot_year_maps", "plot_monthly_et", "plot_response",
           "plot_profile"]

_SIZE = dict(frame_width=380, frame_height=260)


def _hv():
    import holoviews as hv

    if "bokeh" not in hv.Store.renderers:  # outside a notebook set up by wb.setup() (scripts, tests)
        import holoviews.plotting.bokeh  # noqa: F401  (registers the bokeh options; emits no JavaScript)

        hv.Store.set_current_backend("bokeh")
    return hv


def _history_frame(history) -> pd.DataFrame:
    frame = pd.DataFrame(list(history), columns=["epoch", "train", "val", "physics"])
    return frame.melt(id_vars="epoch", value_vars=["train", "val"], var_name="split", value_name="loss")


def plot_learning_curve(history, **opts):
    """Training and validation loss (normalised MSE, log scale) against epoch.

    Parameters
    ----------
    history : list of dict
        ``SurrogateRegressor.history_`` (epoch, train, val, physics).
    """
    hv = _hv()
    frame = _history_frame(history)
    curves = {s: hv.Curve(frame[frame.split == s], "epoch", ("loss", "loss (normalised MSE)"), label=s)
              for s in ("train", "val")}
    return hv.Overlay(list(curves.values())).opts(
        hv.opts.Curve(logy=True, **_SIZE, tools=["hover"]), hv.opts.Overlay(**{"title": "learning curve", **opts}))


def learning_curve_stream(**opts):
    """A live learning curve: returns ``(dynamic_map, callback)``.

    Pass ``callback`` to ``SurrogateRegressor(callback=...)``; each epoch's
    record is appended to a HoloViews ``Buffer`` and the plot redraws.
    ``callback`` also takes a whole history (a list of records, e.g. the
    ``history_`` of a loaded model), drawn in one redraw.
    """
    hv = _hv()
    from holoviews.streams import Buffer

    empty = pd.DataFrame({"epoch": [], "train": [], "val": []})
    buffer = Buffer(empty, length=100_000, index=False)

    def draw(data):
        return hv.Overlay([hv.Curve(data, "epoch", ("train", "loss (normalised MSE)"), label="train"),
                           hv.Curve(data, "epoch", ("val", "loss (normalised MSE)"), label="val")])

    dmap = hv.DynamicMap(draw, streams=[buffer]).opts(
        hv.opts.Curve(logy=True, **_SIZE), hv.opts.Overlay(**{"title": "learning curve (live)", **opts}))

    def callback(record):
        records = record if isinstance(record, (list, tuple)) else [record]
        buffer.send(pd.DataFrame([{k: r[k] for k in ("epoch", "train", "val")} for r in records]))

    return dmap, callback


def plot_parity(truth: xr.DataArray, pred: xr.DataArray, *, max_points: int = 5000, seed: int = 0, **opts):
    """Surrogate against physics for one output, with the 1:1 line."""
    hv = _hv()
    t, p = np.asarray(truth).ravel(), np.asarray(pred).ravel()
    if t.size > max_points:
        idx = np.random.default_rng(seed).choice(t.size, max_points, replace=False)
        t, p = t[idx], p[idx]
    lo, hi = float(min(t.min(), p.min())), float(max(t.max(), p.max()))
    name = truth.name or "output"
    points = hv.Scatter((t, p), (name, f"physics {label(truth)}"), ("pred", "surrogate")).opts(
        size=2, alpha=0.3, **_SIZE)
    line = hv.Curve([(lo, lo), (hi, hi)]).opts(color="black", line_dash="dashed")
    return (points * line).opts(**{"title": f"{name}: surrogate vs physics", **opts})


def plot_error_map(inputs: xr.Dataset, error, *, x: str = "rs", y: str = "tmean", bins: int = 16, **opts):
    """Mean absolute error over two inputs (where does the surrogate fail?)."""
    hv = _hv()
    err = np.abs(np.asarray(error).ravel())
    xv, yv = inputs[x].values.ravel(), inputs[y].values.ravel()
    xe = np.linspace(xv.min(), xv.max(), bins + 1)
    ye = np.linspace(yv.min(), yv.max(), bins + 1)
    total, _, _ = np.histogram2d(xv, yv, [xe, ye], weights=err)
    count, _, _ = np.histogram2d(xv, yv, [xe, ye])
    mean = np.where(count > 0, total / np.maximum(count, 1), np.nan)
    xc, yc = 0.5 * (xe[1:] + xe[:-1]), 0.5 * (ye[1:] + ye[:-1])
    units = getattr(error, "attrs", {}).get("units", "")
    img = hv.Image((xc, yc, mean.T), [(x, label(inputs[x])), (y, label(inputs[y]))], ("mae", f"|error| [{units}]"))
    return img.opts(**{"cmap": "magma", "colorbar": True, "tools": ["hover"], "title": "mean absolute error", **_SIZE, **opts})


def plot_speed(table: pd.DataFrame, **opts):
    """Physics and surrogate wall time against batch size (log-log), from :func:`throughput`."""
    hv = _hv()
    curves = [hv.Curve(table, "batch", (col, "wall time [s]"), label=name).opts(tools=["hover"])
              * hv.Scatter(table, "batch", col).opts(size=6)
              for col, name in (("physics_s", "physics"), ("surrogate_s", "surrogate"))]
    return hv.Overlay(curves).opts(hv.opts.Curve(logx=True, logy=True, **_SIZE),
                                   hv.opts.Scatter(logx=True, logy=True),
                                   hv.opts.Overlay(**{"title": "throughput on the same batch and device", **opts}))


def plot_break_even(table: pd.DataFrame, **opts):
    """Physics time against solver iterations, with each network's forward time as a line."""
    hv = _hv()
    cols = [c for c in table.columns if c.startswith("physics_") and c.endswith("_s")]
    iters = [int(c.split("_")[1]) for c in cols]
    phys = hv.Curve((iters, table.iloc[0][cols].to_numpy(dtype=float)), ("iterations", "solver iterations"),
                    ("time", "wall time [s]"), label="physics").opts(line_width=3)
    nets = [hv.HLine(float(r.network_s)).opts(line_dash="dashed", color=c)
            * hv.Text(max(iters), float(r.network_s), f"MLP {r.network}", halign="right", valign="bottom")
            for r, c in zip(table.itertuples(), ("#1b9e77", "#d95f02", "#7570b3", "#e7298a"))]
    return hv.Overlay([phys, *nets]).opts(hv.opts.Overlay(**{"title": "break-even: physics vs network cost",
                                                             "logy": True, **_SIZE, **opts}))


def plot_ood(table: pd.DataFrame, metric: str = "rmse", **opts):
    """Error of the surrogate as each input moves beyond its training range (from :func:`ood_probe`)."""
    hv = _hv()
    curves = [hv.Curve(g, ("factor", "distance beyond the range (range widths)"), (metric, metric), label=v)
              * hv.Scatter(g, "factor", metric).opts(size=6)
              for v, g in table.groupby("variable")]
    return hv.Overlay(curves).opts(hv.opts.Curve(**_SIZE, tools=["hover"]),
                                   hv.opts.Overlay(**{"title": "out of distribution", "legend_position": "top_left", **opts}))


def plot_year_maps(physics: xr.DataArray, surrogate: xr.DataArray, **opts):
    """Maps of a yearly field from the physics run, the surrogate run and their difference."""
    hv = _hv()
    diff = (surrogate - physics).assign_attrs(units=physics.attrs.get("units", ""), long_name="surrogate - physics")

    def img(da, title, cmap, sym=False):
        lim = float(np.nanmax(np.abs(da.values))) if sym else None
        out = hv.Image(da.transpose("lat", "lon").sortby("lat"), ["lon", "lat"], (da.name or "v", label(da)))
        out = out.opts(cmap=cmap, colorbar=True, title=title, frame_width=260, frame_height=200, tools=["hover"])
        return out.opts(clim=(-lim, lim)) if sym else out

    layout = (img(physics.rename("physics"), "physics", "viridis")
              + img(surrogate.rename("surrogate"), "surrogate", "viridis")
              + img(diff.rename("diff"), "difference", "RdBu_r", sym=True))
    return layout.opts(**opts).cols(3)


def plot_monthly_et(series: dict, **opts):
    """Monthly ET curves (``{label: DataArray(month)}``) on one axis."""
    hv = _hv()
    curves = [hv.Curve((da["month"].values, da.values), "month", ("et", label(da)), label=name)
              for name, da in series.items()]
    return hv.Overlay(curves).opts(hv.opts.Curve(**_SIZE, tools=["hover"]),
                                   hv.opts.Overlay(**{"title": "monthly ET", "legend_position": "top_left", **opts}))


def plot_response(x, curves: dict, *, xlabel: str, ylabel: str, **opts):
    """Response curves of physics and surrogates along one input (``{label: values}``)."""
    hv = _hv()
    return hv.Overlay([hv.Curve((np.asarray(x), np.asarray(v)), xlabel, ylabel, label=k)
                       for k, v in curves.items()]).opts(hv.opts.Curve(**_SIZE),
                                                          hv.opts.Overlay(**{"legend_position": "top_left", **opts}))


def plot_profile(profile: xr.DataArray, *, other: str = "vcmax25", **opts):
    """A calibration profile (:func:`workbench.surrogates.calibration_profile`): misfit, and how ``other`` compensates.

    Left: the misfit [mm month-1] with the profiled parameter held at each
    value; right: the value the calibration gives ``other`` there.
    """
    hv = _hv()
    name = profile.dims[0]
    x = (name, label(profile[name]))
    left = hv.Curve((profile[name].values, profile.values), x, ("rmse", label(profile))) \
        * hv.Scatter((profile[name].values, profile.values), x, "rmse").opts(size=6)
    right = hv.Curve((profile[name].values, profile[other].values), x, (other, label(profile[other]))) \
        * hv.Scatter((profile[name].values, profile[other].values), x, other).opts(size=6)
    return (left.opts(title=f"misfit with {name} held fixed", **_SIZE, **opts)
            + right.opts(title=f"re-fitted {other}", **_SIZE, **opts))
