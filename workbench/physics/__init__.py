"""Reference land-surface physics: psychrometrics, radiation and evapotranspiration formulas.

One function per formula, with the FAO-56 argument names and units listed in
CONTRIBUTING.md. Each accepts numbers, NumPy arrays (in the documented units)
and xarray DataArrays (converted from their ``units`` attribute; the result is
a named DataArray with ``units`` and ``long_name``; dask stays lazy).

The public names are those of the submodules' ``__all__``, re-exported flat:
:mod:`~workbench.physics.psychrometrics`, :mod:`~workbench.physics.radiation`,
:mod:`~workbench.physics.et`, and the constants in :mod:`~workbench.physics.constants`.

References
----------
Allen, R. G., Pereira, L. S., Raes, D. and Smith, M. (1998) Crop
evapotranspiration: guidelines for computing crop water requirements. FAO
Irrigation and Drainage Paper 56, Rome.

Examples
--------
>>> from workbench import physics
>>> et = physics.fao56_penman_monteith(13.28, 16.9, 2.078, 1.997, 1.409, pressure=100.1)
>>> print(f"{et:.2f}")  # FAO-56 Example 18
3.88
"""

from . import constants, et, psychrometrics, radiation
from .et import *  # noqa: F403
from .psychrometrics import *  # noqa: F403
from .radiation import *  # noqa: F403

__all__ = ["constants", *psychrometrics.__all__, *radiation.__all__, *et.__all__]

from .reference import REFERENCE_METHODS, reference_et  # noqa: E402  (uses the formulas above)

__all__ += ["REFERENCE_METHODS", "reference_et"]

from .canopy import *  # noqa: E402,F401,F403  (coupled leaf/canopy model, surrogates study)
__all__ += canopy.__all__  # noqa: F405
