"""Data quality control: plant known faults in tower data, detect them, keep flags beside the data, fill the gaps.

Submodules (re-exported flat):

- :mod:`~workbench.qc.anomalies`: faults of stated type, size and timing, with labels
- :mod:`~workbench.qc.detectors`: rule-based tests, PyOD detectors, a learned model of the signal
- :mod:`~workbench.qc.flags`: screening, the ensemble, CF flag variables, explanations
- :mod:`~workbench.qc.evaluate`: precision, recall and F1 per anomaly type
- :mod:`~workbench.qc.gapfill`: MDS gap-filling (Reichstein et al. 2005) and a learned filler
- :mod:`~workbench.qc.scale`: lazy screening of many sites with dask
- :mod:`~workbench.qc.real`: real FLUXNET data and agreement with the ONEFlux QC flags
"""

from . import anomalies, detectors, evaluate, flags, gapfill, real, scale
from .anomalies import *  # noqa: F403
from .detectors import *  # noqa: F403
from .evaluate import *  # noqa: F403
from .flags import *  # noqa: F403
from .gapfill import *  # noqa: F403
from .real import *  # noqa: F403
from .scale import *  # noqa: F403

__all__ = [*anomalies.__all__, *detectors.__all__, *evaluate.__all__, *flags.__all__, *gapfill.__all__, *real.__all__, *scale.__all__]
