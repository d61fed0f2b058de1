"""Land-cover classes of the virtual land and their parameters."""

from __future__ import annotations

import pandas as pd

__all__ = ["LAND_COVER", "land_cover_table"]

# Parameters follow typical values for IGBP classes in big-leaf models:
# albedo (Breuer et al. 2003), canopy height, LAI range (MODIS climatologies),
# maximum surface conductance g_max (Kelliher et al. 1995: ~20 mm s-1 for most
# vegetation), bucket water-holding capacity whc from rooting depth.
_ROWS = [
    # code, name, long name, albedo, height m, lai_min, lai_max, g_max m s-1, whc mm, evergreen
    (1, "ENF", "evergreen needleleaf forest", 0.11, 15.0, 3.0, 4.5, 0.012, 180.0, True),
    (2, "DBF", "deciduous broadleaf forest", 0.16, 18.0, 0.5, 5.5, 0.016, 200.0, False),
    (3, "GRA", "grassland", 0.21, 0.4, 0.4, 2.5, 0.014, 100.0, False),
    (4, "CRO", "cropland", 0.20, 0.8, 0.2, 4.0, 0.018, 120.0, False),
    (5, "SAV", "savanna", 0.19, 4.0, 0.5, 1.8, 0.010, 140.0, False),
    (6, "SHR", "shrubland", 0.23, 1.5, 0.2, 1.0, 0.008, 80.0, True),
]


def land_cover_table() -> pd.DataFrame:
    """Return the land-cover classes and their parameters.

    Returns
    -------
    pandas.DataFrame
        Indexed by the class abbreviation (``"ENF"``, ``"DBF"``, ...), with
        columns ``code`` (integer used in ``land_cover`` maps), ``long_name``,
        ``albedo`` [1], ``canopy_height`` [m], ``lai_min``/``lai_max`` [m2 m-2],
        ``g_max`` (maximum surface conductance) [m s-1], ``whc`` (root-zone
        water-holding capacity) [mm] and ``evergreen`` [bool].

    Examples
    --------
    >>> land_cover_table().loc["GRA", "albedo"]
    np.float64(0.21)
    """
    columns = ["code", "name", "long_name", "albedo", "canopy_height", "lai_min", "lai_max", "g_max", "whc", "evergreen"]
    return pd.DataFrame(_ROWS, columns=columns).set_index("name")


LAND_COVER = land_cover_table()
