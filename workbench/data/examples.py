"""Example data for the notebooks: a real FLUXNET site when the real-data folder has it, else a virtual tower."""

from __future__ import annotations

import warnings

import xarray as xr

from ._checks import real_data_dir
from .fluxnet import list_fluxnet_files, read_fluxnet
from .towers import virtual_towers
from .virtual_land import virtual_land

__all__ = ["example_site"]


def example_site(site: str = "DE-Hai", *, start: str | None = None, end: str | None = None, seed: int = 0) -> xr.Dataset:
    """Daily tower data for one site, real when available.

    Looks for the FLUXNET2015 SUBSET daily file of ``site`` in the real-data
    folder (:func:`real_data_dir`, i.e. ``../shared/data/real`` or
    ``$WORKBENCH_REAL_DATA``) and reads it with :func:`read_fluxnet`, adding
    the site's latitude and longitude from the site list. When the folder or
    the file is absent it says so (a warning) and returns a virtual tower
    instead, so a notebook runs either way.

    Parameters
    ----------
    site : str, default "DE-Hai"
        FLUXNET site id (Hainich, a deciduous broadleaf forest in Germany).
    start, end : str, optional
        Period to keep (inclusive).
    seed : int, default 0
        Seed of the virtual fallback.

    Returns
    -------
    xarray.Dataset
        Dimension ``time``; the workbench vocabulary (``rn``, ``tmean``, ``vpd``,
        ``wind``, ``le``, ``et``, ...). ``attrs["source"]`` says which data it is.
    """
    folder = real_data_dir("fluxnet2015_subset_dd")
    files = list_fluxnet_files(folder, site=site, resolution="DD") if folder is not None else []
    if files:
        metadata = real_data_dir("site_metadata", "fluxnet2015_site_list.csv")
        ds = read_fluxnet(files[0], metadata=metadata)
        ds.attrs["source"] = f"FLUXNET2015 SUBSET DD: {files[0].name}"
    else:
        where = "the real-data folder is absent" if folder is None else f"{folder} has no SUBSET DD file for {site}"
        warnings.warn(f"{where}: using a virtual tower instead of the real site {site}", stacklevel=2)
        land = virtual_land(lat=(50, 52), lon=(10, 12), start="2010-01-01", end="2011-12-31", seed=seed)
        ds = virtual_towers(land, n_sites=1, seed=seed).isel(site=0)
        ds.attrs["source"] = f"virtual tower (real site {site} not available)"
    if start is not None or end is not None:
        ds = ds.sel(time=slice(start, end))
    return ds
