"""Notebook set-up: plotting resources that work offline."""

from __future__ import annotations

import os
import sys

_DONE = False


def _inline_default() -> bool:
    return os.environ.get("WORKBENCH_INLINE", "1").strip().lower() not in {"0", "false", "no", "off"}


def _inline_holoviews_stylesheets() -> None:
    """Embed Panel's stylesheets in HoloViews/hvplot outputs, as Panel does for its own objects.

    HoloViews renders plots through a Panel layout but, unlike ``pn.panel(obj)``,
    does not inline the layout's ``ImportedStyleSheet`` URLs, which point at
    cdn.holoviz.org: offline the console then fills with failed loads and the
    plots lose Panel's theme. The wrapper is idempotent.
    """
    import holoviews.plotting.renderer as hv_renderer
    from bokeh.models import UIElement
    from panel.io.notebook import patch_inline_stylesheets

    def inline(render):
        if getattr(render, "_workbench_inline", False):
            return render

        def render_inline(model, *args, **kwargs):
            for submodel in model.select({"type": UIElement}):
                patch_inline_stylesheets(submodel)
            return render(model, *args, **kwargs)

        render_inline._workbench_inline = True
        return render_inline

    # These are the names holoviews.plotting.renderer imports from panel.io.notebook.
    hv_renderer.render_mimebundle = inline(hv_renderer.render_mimebundle)
    hv_renderer.render_model = inline(hv_renderer.render_model)


def setup(*, inline: bool | None = None, announce: bool = True) -> None:
    """Prepare a notebook for HoloViews, hvplot, Panel and ipywidgets output.

    Call once in the first code cell, before any plotting library is imported::

        import workbench as wb
        wb.setup()

    By default HoloViews and Panel load BokehJS from a CDN; with no internet
    every plot is then blank while its cell reports success. ``setup`` embeds
    the JavaScript in the notebook instead, so plots render on an offline
    laptop, an HPC login node or Binder alike.

    Parameters
    ----------
    inline : bool, optional
        Embed BokehJS/Panel resources in the notebook (default). ``False``
        loads them from the CDN, which only works online; the environment
        variable ``WORKBENCH_INLINE=0`` does the same (the browser tests use it
        to prove that plots go blank without inlining).
    announce : bool, default True
        Print the run mode (fast or full) and where real data will come
        from (:func:`run_mode_banner`).
    """
    global _DONE
    inline = _inline_default() if inline is None else bool(inline)
    if inline:
        # Read by bokeh when it first builds its resources; must precede the import.
        os.environ["BOKEH_RESOURCES"] = "inline"
    import panel as pn

    pn.config.inline = inline
    pn.extension(inline=inline)
    import holoviews as hv
    import hvplot

    # hvplot calls hv.extension() itself (on importing hvplot.xarray/pandas) with
    # the class default inline=False, which would point the page back at the CDN.
    hv.extension.inline = inline
    hvplot.hvplot_extension.inline = inline
    import hvplot.pandas  # noqa: F401  (registers .hvplot on pandas; loads the bokeh extension)
    import hvplot.xarray  # noqa: F401  (registers .hvplot on xarray)

    # hvplot drops these modules before every cell so that a re-run import re-emits
    # the extension; with inlined resources that would add megabytes of BokehJS to
    # every plotting cell. The accessors stay registered, so once is enough.
    getattr(hvplot, "_module_extensions", set()).clear()
    if inline:
        _inline_holoviews_stylesheets()
    _DONE = True
    from . import _guard

    _guard.install()
    if announce:
        print(run_mode_banner())


def run_mode_banner() -> str:
    """One line on the run mode and where real data will come from, printed by :func:`setup`.

    Examples
    --------
    >>> "mode" in run_mode_banner()
    True
    """
    from ._config import fast_mode
    from .data.fetch import real_data_status

    if fast_mode():
        mode = ("Fast mode (WORKBENCH_FAST=1): a reduced run with smaller data, shorter training and searches; "
                "results are qualitatively those of the full study. Unset WORKBENCH_FAST for the full study.")
    else:
        mode = "Full mode: the complete study (set WORKBENCH_FAST=1 for a quick reduced run)."
    status = real_data_status()
    here = sum(s in ("real-data folder", "package", "cache") for s in status.values())
    if here == len(status):
        data = f"Real data: all {here} sample files are on this machine."
    elif any(s == "download" for s in status.values()):
        data = (f"Real data: {here} of {len(status)} sample files are on this machine; the others are downloaded "
                "(hash-checked) when a section needs them.")
    else:
        data = (f"Real data: {here} of {len(status)} sample files are on this machine and downloads are off "
                "(WORKBENCH_OFFLINE=1): sections without their files say so and use the virtual land.")
    return f"{mode}\n{data}"


def is_setup() -> bool:
    """Whether :func:`setup` has run in this process."""
    return _DONE and "holoviews" in sys.modules
