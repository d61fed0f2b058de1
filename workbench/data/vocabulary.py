"""The workbench's variable names, units and meanings in one table (the vocabulary of CONTRIBUTING.md)."""

from __future__ import annotations

import pandas as pd

from .fluxnet import _FLUXNET_SOURCES
from .virtual_land import _STATIC_ATTRS, VARIABLE_ATTRS

__all__ = ["variable_table"]

_EXTRA = {
    "le_corr": {"units": "W m-2", "long_name": "latent heat flux, energy-balance corrected (towers)"},
    "et_corr": {"units": "mm d-1", "long_name": "evapotranspiration from the corrected latent heat flux (towers)"},
}


def variable_table() -> pd.DataFrame:
    """Every variable name the workbench uses, with its units, meaning and FLUXNET2015 column.

    The same short names are used by the virtual land, the tower readers and the
    formulas' arguments; units are those of the datasets (formulas convert from
    the ``units`` attribute).

    Returns
    -------
    pandas.DataFrame
        Indexed by ``name``; columns ``long_name``, ``units``, ``kind``
        (``"daily"`` field, ``"map"`` or ``"tower"``) and ``fluxnet2015``
        (the column a FLUXNET2015 file supplies it from, or "").

    Examples
    --------
    >>> table = variable_table()
    >>> table.loc["rn", ["units", "fluxnet2015"]].tolist()
    ['W m-2', 'NETRAD']
    """
    rows = []
    for kind, attrs in (("daily", VARIABLE_ATTRS), ("map", _STATIC_ATTRS), ("tower", _EXTRA)):
        for name, a in attrs.items():
            rows.append({"name": name, "long_name": a["long_name"], "units": a["units"], "kind": kind,
                         "fluxnet2015": _FLUXNET_SOURCES.get(name, ("LE_F_MDS, TA_F",) if name == "et" else ("",))[0]})
    table = pd.DataFrame(rows).set_index("name")
    table.loc["et_corr", "fluxnet2015"] = "LE_CORR, TA_F"
    return table
