"""Forcing downscaling: from coarse atmospheric forcing to fine forcing, judged against a known fine truth.

=================  ==============================================================
``grid``           conservative coarsening, grid checks, bilinear / conservative
                   regridding (xarray-regrid), lapse-rate correction
``statistical``    interpolation + empirical quantile mapping per fine cell (xsdba)
``network``        U-Net with a conservation constraint layer, fit/predict/score
``evaluate``       metrics, power spectra, extremes, conservation, reference ET
``study``          the study's regions, periods and the runs of every method
=================  ==============================================================

The fine truth comes from :func:`workbench.data.fine_forcing`.
"""

from __future__ import annotations

from . import evaluate, grid, statistical, study
from .evaluate import *  # noqa: F401,F403
from .grid import *  # noqa: F401,F403
from .statistical import *  # noqa: F401,F403
from .study import *  # noqa: F401,F403


def __getattr__(name):
    # The network pulls in torch: load it on first use.
    import importlib

    network = importlib.import_module(".network", __name__)
    if name == "network":
        return network
    if name in network.__all__:
        return getattr(network, name)
    raise AttributeError(f"module 'workbench.downscale' has no attribute {name!r}")


__all__ = [*grid.__all__, *statistical.__all__, *evaluate.__all__, *study.__all__,
           "NetworkDownscaler", "UNet", "ConstraintLayer", "default_run_dir", "pretrained_path", "NONNEGATIVE"]
