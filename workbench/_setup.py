"""Notebook set-up: plotting resources that work offline."""

from __future__ import annotations

import os
import sys

_DONE = False


def setup(*, inline: bool = True) -> None:
    """Prepare a notebook for HoloViews, hvplot, Panel and ipywidgets output.

    Call once in the first code cell, before any plotting library is imported::

        import workbench as wb
        wb.setup()

    By default HoloViews and Panel load BokehJS from a CDN; with no internet
    every plot is then blank while its cell reports success. ``setup`` embeds
    the JavaScript in the notebook instead (``inline=True``), so plots render
    on an offline laptop, an HPC login node or Binder alike.

    Parameters
    ----------
    inline : bool, default True
        Embed BokehJS/Panel resources in the notebook. Set False only when the
        browser can reach the CDN and notebook size matters.
    """
    global _DONE
    if inline:
        # Read by bokeh when it first builds its resources; must precede the import.
        os.environ["BOKEH_RESOURCES"] = "inline"
    import panel as pn

    pn.extension(inline=inline)
    import holoviews as hv

    hv.extension("bokeh", inline=inline, logo=False)
    import hvplot.pandas  # noqa: F401  (registers .hvplot on pandas)
    import hvplot.xarray  # noqa: F401  (registers .hvplot on xarray)

    _DONE = True


def is_setup() -> bool:
    """Whether :func:`setup` has run in this process."""
    return _DONE and "holoviews" in sys.modules
