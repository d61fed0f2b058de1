"""Data access: the virtual land (default for every study), virtual towers, ET products, and real-data readers."""

from ._checks import real_data_dir
from .examples import example_site
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
from .products import (
    DEFAULT_PRODUCTS,
    ECOSTRESS_MODELS,
    PRODUCT_RECIPES,
    ProductRecipe,
    ProductSpec,
    apply_recipe,
    idealised_truth,
    open_product,
    product_errors,
    read_ecostress_calval,
    read_mod16a2_points,
    synthetic_products,
)
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
    "real_data_dir",
    "example_site",
    "read_fluxnet",
    "read_fluxdatakit",
    "read_bigleaf",
    "open_plumber2",
    "list_fluxnet_files",
    "parse_fluxnet_filename",
    "fluxnet_units",
    "FLUXNET_MISSING",
    # ET products: synthetic with known errors, and recipes/readers for real ones
    "ProductSpec",
    "DEFAULT_PRODUCTS",
    "idealised_truth",
    "synthetic_products",
    "product_errors",
    "ProductRecipe",
    "PRODUCT_RECIPES",
    "apply_recipe",
    "open_product",
    "read_ecostress_calval",
    "ECOSTRESS_MODELS",
    "read_mod16a2_points",
]
