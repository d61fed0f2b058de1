"""Data access: the virtual land (default for every study), virtual towers, ET products, and real-data readers."""

from ._checks import real_data_dir
from .examples import example_site, fluxnet_site_names
from .fetch import RealDataUnavailable, cache_dir, fetch_real, real_data_status, real_files, real_registry
from .fine_forcing import FINE_FORCING_VARIABLES, FINE_STATIC_VARIABLES, fine_forcing
from .fluxnet import (
    FLUXNET_MISSING,
    fluxnet_units,
    list_fluxnet_files,
    open_plumber2,
    parse_fluxnet_filename,
    read_bigleaf,
    read_fluxdatakit,
    read_fluxnet,
)
from .gridded import check_cf_grid, open_gridded
from .landcover import LAND_COVER, land_cover_table
from . import products
from .products import *  # noqa: F401,F403  (synthetic ET products and real-product readers)
from .towers import virtual_towers
from .halfhourly import HALF_HOUR_STEPS, virtual_towers_halfhourly
from .virtual_land import VARIABLE_ATTRS, virtual_land
from .vocabulary import variable_table

__all__ = [
    "LAND_COVER",
    "land_cover_table",
    "virtual_land",
    "virtual_towers",
    "virtual_towers_halfhourly",
    "HALF_HOUR_STEPS",
    "fine_forcing",
    "FINE_FORCING_VARIABLES",
    "FINE_STATIC_VARIABLES",
    "VARIABLE_ATTRS",
    "variable_table",
    "open_gridded",
    "check_cf_grid",
    "real_data_dir",
    "example_site",
    "fluxnet_site_names",
    "fetch_real",
    "real_files",
    "real_registry",
    "real_data_status",
    "cache_dir",
    "RealDataUnavailable",
    "read_fluxnet",
    "read_fluxdatakit",
    "read_bigleaf",
    "open_plumber2",
    "list_fluxnet_files",
    "parse_fluxnet_filename",
    "fluxnet_units",
    "FLUXNET_MISSING",
]

__all__ += products.__all__
