"""Data access: the virtual land (default for every study), virtual towers, and real-data readers."""

from .gridded import check_cf_grid, open_gridded
from .landcover import LAND_COVER, land_cover_table
from .towers import virtual_towers
from .virtual_land import VARIABLE_ATTRS, virtual_land

__all__ = [
    "LAND_COVER",
    "land_cover_table",
    "virtual_land",
    "virtual_towers",
    "VARIABLE_ATTRS",
    "open_gridded",
    "check_cf_grid",
]
