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


def setup(*, inline: bool | None = None) -> None:
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


def is_setup() -> bool:
    """Whether :func:`setup` has run in this process."""
    return _DONE and "holoviews" in sys.modules
