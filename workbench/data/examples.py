"""Example data for the notebooks: a real FLUXNET site through the fetch layer, else a virtual stand-in for the same period."""

from __future__ import annotations

import re
import warnings

import pandas as pd
import xarray as xr

from .fetch import RealDataUnavailable, fetch_real, real_files, real_registry
from .fluxnet import parse_fluxnet_filename, read_fluxnet
from .towers import virtual_towers
from .virtual_land import virtual_land

__all__ = ["example_site", "fluxnet_site_names"]

_SITE_INFO = re.compile(r"\((?P<igbp>[A-Z]+), (?P<lat>-?[\d.]+)/(?P<lon>-?[\d.]+)\)")


def fluxnet_site_names(site: str | None = None, *, product: str = "SUBSET") -> list[str]:
    """Registry names of the FLUXNET2015 daily files (one per site), optionally of one site.

    Parameters
    ----------
    site : str, optional
        FLUXNET site id, e.g. ``"DE-Hai"``; all sites when omitted.
    product : {"SUBSET", "FULLSET"}, default "SUBSET"

    Returns
    -------
    list of str
        Names for :func:`workbench.data.fetch_real`.

    Examples
    --------
    >>> fluxnet_site_names("DE-Hai")
    ['fluxnet2015_subset_dd/FLX_DE-Hai_FLUXNET2015_SUBSET_DD_2000-2012_1-4.csv']
    """
    folder = f"fluxnet2015_{product.lower()}_dd"
    return real_files(f"{folder}/FLX_{site or '*'}_FLUXNET2015_{product.upper()}_DD_*.csv")


def _stand_in(site: str, name: str | None, start, end, seed: int) -> xr.Dataset:
    lat, lon, first, last = 51.0, 11.0, "2010-01-01", "2011-12-31"
    if name is not None:
        info = _SITE_INFO.search(real_registry()[name].dataset)
        if info:
            lat, lon = float(info["lat"]), float(info["lon"])
        years = parse_fluxnet_filename(name.rsplit("/", 1)[-1])
        first, last = f"{years['first_year']}-01-01", f"{years['last_year']}-12-31"
    first = str(pd.Timestamp(start).date()) if start is not None else first
    last = str(pd.Timestamp(end).date()) if end is not None else last
    # A 2 x 2 degree box around the site, over the requested period: the stand-in covers what was asked for.
    box_lat = (max(lat - 1.0, -89.0), min(lat + 1.0, 89.0))
    land = virtual_land(lat=box_lat, lon=(lon - 1.0, lon + 1.0), start=first, end=last, seed=seed)
    ds = virtual_towers(land, n_sites=1, seed=seed).isel(site=0)
    ds.attrs["source"] = f"virtual tower near {site} ({lat:.2f}, {lon:.2f}), {first}..{last}: the real site is not available"
    return ds


def example_site(site: str = "DE-Hai", *, start: str | None = None, end: str | None = None, seed: int = 0) -> xr.Dataset:
    """Daily tower data for one site: real through the fetch layer, or a virtual stand-in for the same period.

    The FLUXNET2015 SUBSET daily file of ``site`` is fetched with
    :func:`workbench.data.fetch_real` (real-data folder, cache or a hash-checked
    download) and read with :func:`read_fluxnet`, with the site's latitude and
    longitude from the site list. When it cannot be had (offline, nothing
    cached) a warning says why and a virtual tower near the site, covering the
    requested period, stands in, so a notebook runs either way.

    Parameters
    ----------
    site : str, default "DE-Hai"
        FLUXNET site id (Hainich, a deciduous broadleaf forest in Germany).
    start, end : str, optional
        Period to keep (inclusive).
    seed : int, default 0
        Seed of the virtual stand-in.

    Returns
    -------
    xarray.Dataset
        Dimension ``time``; the workbench vocabulary (``rn``, ``tmean``, ``vpd``,
        ``wind``, ``le``, ``et``, ...). ``attrs["source"]`` says which data it is.

    Raises
    ------
    ValueError
        If no day of the record falls between ``start`` and ``end`` (the
        message gives the period the record covers).
    """
    names = fluxnet_site_names(site)
    try:
        if not names:
            raise RealDataUnavailable(f"the registry has no FLUXNET2015 SUBSET DD file for {site!r} "
                                      f"(sites: {[parse_fluxnet_filename(n)['site'] for n in fluxnet_site_names()]})")
        path = fetch_real(names[0])
        ds = read_fluxnet(path, metadata=fetch_real("site_metadata/fluxnet2015_site_list.csv"))
        ds.attrs["source"] = f"FLUXNET2015 SUBSET DD: {path.name}"
    except RealDataUnavailable as err:
        warnings.warn(f"{err}\nUsing a virtual tower instead of the real site {site}.", stacklevel=2)
        ds = _stand_in(site, names[0] if names else None, start, end, seed)
    if start is not None or end is not None:
        full = ds
        ds = ds.sel(time=slice(start, end))
        if ds.sizes["time"] == 0:
            t = full["time"].values
            raise ValueError(f"no day of {site} ({full.attrs['source']}) lies between start={start!r} and end={end!r}; "
                             f"the record covers {str(t[0])[:10]}..{str(t[-1])[:10]}")
    return ds
