"""ET products for the intercomparison study: synthetic products with known truth, real-product recipes and readers.

Three kinds of data live here (the data layer: nothing is imported from the methods):

* **Synthetic products** built lazily from a known true ET field
  (:func:`synthetic_products`), each with a documented error structure
  (:class:`ProductSpec`): additive and multiplicative bias, random error of
  stated standard deviation (optionally correlated across products), a
  seasonal phase shift, a drift over years, gaps and a coarser native
  resolution. Because the truth is known, every method can be checked.
* **Recipes** for the common gridded products (:data:`PRODUCT_RECIPES`: GLEAM,
  MOD16A2, PML-V2, FLUXCOM, ERA5-Land, GLDAS): variable names, units to
  mm d-1, fill values, time stamps; :func:`apply_recipe` and
  :func:`open_product` turn a raw file into ``et`` [mm d-1].
* **Real product-vs-tower tables**: ECOSTRESS models matched to AmeriFlux
  towers (:func:`read_ecostress_calval`) and MODIS MOD16A2/MYD16A2 point
  extractions (:func:`read_mod16a2_points`).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..units import UnitError, convert
from ._checks import require_path

__all__ = [
    "ProductSpec",
    "ECOSTRESS_COLUMNS",
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

#: Latent heat of vaporisation used to turn energy into water depth where a
#: product gives no temperature [MJ kg-1] (FAO-56 simplification, Eq. 20 note).
LAMBDA_MJ_KG = 2.45

_ET_ATTRS = {"units": "mm d-1", "long_name": "evapotranspiration", "standard_name": "water_evapotranspiration_flux"}


# ----------------------------------------------------------------------------- synthetic products


@dataclass(frozen=True)
class ProductSpec:
    """Error structure of one synthetic product.

    The product is ``offset + scale * truth(t - phase_shift) + drift * years + error``
    averaged to ``coarsen`` x ``coarsen`` cells, with a fraction ``gap_fraction`` of
    values missing. ``error`` is Gaussian with standard deviation ``noise_std``; a
    share ``error_correlation`` of its variance is common to all products with
    ``error_correlation > 0`` (cross-product error correlation).

    Parameters
    ----------
    name : str
        Product name (the variable name in the output).
    offset : float
        Additive bias [mm d-1].
    scale : float
        Multiplicative bias [1].
    noise_std : float
        Standard deviation of the random error [mm d-1].
    phase_shift : int
        Seasonal phase shift [days]; positive = the product lags the truth.
    drift : float
        Linear drift [mm d-1 per year] from the first day.
    gap_fraction : float
        Fraction of missing values [0, 1) (drawn per cell and day, quantised to 1/256).
    coarsen : int
        Native resolution as a multiple of the truth grid spacing.
    error_correlation : float
        Correlation of this product's random error with the other correlated products [0, 1).
    """

    name: str
    offset: float = 0.0
    scale: float = 1.0
    noise_std: float = 0.3
    phase_shift: int = 0
    drift: float = 0.0
    gap_fraction: float = 0.0
    coarsen: int = 1
    error_correlation: float = 0.0

    def __post_init__(self):
        if not 0.0 <= self.gap_fraction < 1.0:
            raise ValueError(f"product {self.name!r}: gap_fraction must be in [0, 1), got {self.gap_fraction}")
        if not 0.0 <= self.error_correlation < 1.0:
            raise ValueError(f"product {self.name!r}: error_correlation must be in [0, 1), got {self.error_correlation}")
        if self.noise_std < 0 or self.scale <= 0 or int(self.coarsen) != self.coarsen or self.coarsen < 1:
            raise ValueError(
                f"product {self.name!r}: need noise_std >= 0, scale > 0 and an integer coarsen >= 1; "
                f"got noise_std={self.noise_std}, scale={self.scale}, coarsen={self.coarsen}"
            )


#: Five products with distinct, documented error structures (the study's default).
DEFAULT_PRODUCTS = (
    ProductSpec("offset", offset=0.4, noise_std=0.30),
    ProductSpec("scaled", scale=0.8, noise_std=0.45),
    ProductSpec("noisy", noise_std=0.60),
    ProductSpec("lagged", phase_shift=20, noise_std=0.25, gap_fraction=0.1),
    ProductSpec("coarse", coarsen=4, drift=0.15, noise_std=0.20, scale=1.1),
)


def _block_rng(seed: int, stream: int, block_info) -> np.random.Generator:
    """A generator seeded by (seed, stream, the block's position in the array)."""
    start = [lo for lo, _ in block_info[0]["array-location"]] if block_info else [0]
    # SFC64: a small-state generator ~25 % faster than the default PCG64 for bulk normals
    return np.random.Generator(np.random.SFC64(np.random.SeedSequence([seed, stream, *start])))


def _random_block(x, seed: int, stream: int, kind: str, block_info=None, cells: int = 1) -> np.ndarray:
    rng = _block_rng(seed, stream, block_info)
    if kind == "normal" and cells > 1:  # one value per cells x cells group of the last two axes
        *lead, ny, nx = x.shape
        small = rng.standard_normal((*lead, -(-ny // cells), -(-nx // cells)), dtype=np.float32)
        return np.repeat(np.repeat(small, cells, axis=-2), cells, axis=-1)[..., :ny, :nx]
    if kind == "normal":
        return rng.standard_normal(x.shape, dtype=np.float32)
    if kind == "bytes":  # uniform integers 0..255: 4x cheaper than floats, enough for gap masks
        return np.frombuffer(rng.bytes(int(np.prod(x.shape))), dtype=np.uint8).reshape(x.shape)
    return rng.random(x.shape, dtype=np.float32)


def _random_like(template: xr.DataArray, seed: int, stream: int, kind: str = "normal", cells: int = 1) -> xr.DataArray:
    """Standard-normal (or uniform [0, 1)) float32 numbers shaped like ``template``.

    Lazy when ``template`` is dask-backed; deterministic for a given seed and
    chunking (each block is seeded by its position in the array). ``kind="bytes"``
    gives uint8 integers 0..255. ``cells > 1`` draws one normal value per
    ``cells`` x ``cells`` group of (lat, lon) cells within each block (spatially
    coherent noise, ``cells**2`` times cheaper).
    """
    data = template.data
    dtype = np.uint8 if kind == "bytes" else np.float32
    if hasattr(data, "map_blocks"):
        out = data.map_blocks(_random_block, seed=seed, stream=stream, kind=kind, cells=cells, dtype=dtype)
    else:
        whole = {0: {"array-location": [(0, n) for n in data.shape]}}
        out = _random_block(np.asarray(data), seed, stream, kind, block_info=whole, cells=cells)
    return template.copy(data=out)


def _smooth_blocks(x: np.ndarray, factor: int) -> np.ndarray:
    """Mean over ``factor`` x ``factor`` cell blocks of the last two axes, repeated back."""
    *lead, ny, nx = x.shape
    cy, cx = -(-ny // factor) * factor, -(-nx // factor) * factor
    padded = np.pad(x, [(0, 0)] * len(lead) + [(0, cy - ny), (0, cx - nx)], mode="edge")
    means = padded.reshape(*lead, cy // factor, factor, cx // factor, factor).mean(axis=(-3, -1))
    out = np.repeat(np.repeat(means, factor, axis=-2), factor, axis=-1)
    return out[..., :ny, :nx].astype(x.dtype, copy=False)


def _years_since_start(time: xr.DataArray) -> xr.DataArray:
    return ((time - time[0]) / np.timedelta64(1, "D") / 365.25).astype(np.float32)


def synthetic_products(truth: xr.DataArray, specs=DEFAULT_PRODUCTS, *, seed: int = 0) -> xr.Dataset:
    """Build synthetic ET products with known error structures from a true ET field.

    Parameters
    ----------
    truth : xarray.DataArray
        True ET with dims ``(time, lat, lon)`` and a ``units`` attribute
        convertible to mm d-1 (e.g. ``virtual_land(...).et``). May be
        dask-backed; the products then stay lazy, chunk for chunk.
    specs : sequence of ProductSpec, default DEFAULT_PRODUCTS
        One spec per product (names must be unique).
    seed : int, default 0
        Seed of the random errors and gaps; the same seed and chunking give
        the same products.

    Returns
    -------
    xarray.Dataset
        One float32 variable per product on the grid of ``truth`` [mm d-1];
        each carries its spec in ``attrs`` (``offset``, ``scale``,
        ``noise_std``, ...). The coarse products are block-averaged and kept
        on the fine grid (the view a nearest-neighbour regridding gives).

    Notes
    -----
    Correlated errors: for the products with ``error_correlation = c > 0`` the
    error is ``noise_std * (sqrt(1 - c) z_i + sqrt(c) z_0)``, with ``z_0``
    common to them, so any two have error correlation ``sqrt(c_i c_j)``.
    The phase shift rolls the truth along time (the last days wrap to the start).
    Each product is built block by block in one buffer (one dask task per
    block); the blocks are aligned to the coarsest native resolution.

    Examples
    --------
    >>> truth = idealised_truth(lat=(40, 44), lon=(0, 4), start="2020-01-01", end="2020-12-31")
    >>> prods = synthetic_products(truth)
    >>> list(prods.data_vars)
    ['offset', 'scaled', 'noisy', 'lagged', 'coarse']
    >>> round(float((prods.offset - truth).mean()), 1)
    0.4
    """
    if not isinstance(truth, xr.DataArray):
        raise TypeError(f"truth must be an xarray.DataArray, got {type(truth).__name__}")
    missing = {"time", "lat", "lon"} - set(truth.dims)
    if missing:
        raise ValueError(f"truth must have dims (time, lat, lon); missing {sorted(missing)}, found {truth.dims}")
    names = [s.name for s in specs]
    if len(set(names)) != len(names):
        raise ValueError(f"product names must be unique, got {names}")
    truth = convert(truth, "mm d-1", name=truth.name or "truth").transpose("time", "lat", "lon").astype(np.float32)
    years = _years_since_start(truth["time"]).values
    data = truth.data
    if hasattr(data, "map_blocks"):
        factor = int(np.lcm.reduce([int(s.coarsen) for s in specs]))
        if factor > 1:  # every product on the same blocks, aligned to the native cells
            data = data.rechunk({0: -1, 1: _aligned(data.chunks[1], factor), 2: _aligned(data.chunks[2], factor)})
        else:
            data = data.rechunk({0: -1})
    out = {}
    for k, spec in enumerate(specs, start=1):
        kwargs = dict(years=years, spec=spec, seed=seed, stream=k)
        if hasattr(data, "map_blocks"):
            values = data.map_blocks(_product_block, dtype=np.float32, **kwargs)
        else:
            whole = {0: {"array-location": [(0, n) for n in data.shape]}}
            values = _product_block(np.asarray(data), block_info=whole, **kwargs)
        attrs = {**_ET_ATTRS, "long_name": f"evapotranspiration, synthetic product '{spec.name}'"}
        attrs.update({f: getattr(spec, f) for f in (f.name for f in fields(spec)) if f != "name"})
        out[spec.name] = truth.copy(data=values).assign_attrs(attrs)
    ds = xr.Dataset(out)
    ds.attrs = {"title": "Synthetic ET products with known error structures", "seed": seed, "source": "workbench.data.synthetic_products"}
    return ds


def _aligned(chunks, factor: int) -> int:
    """A chunk size that is a multiple of ``factor`` (close to the current one)."""
    return max(factor, chunks[0] // factor * factor)


def _product_block(truth, years, *, spec: ProductSpec, seed: int, stream: int, block_info=None) -> np.ndarray:
    """One block of a synthetic product, built in place in one buffer (see :func:`synthetic_products`)."""
    out = np.roll(truth, spec.phase_shift, axis=0) if spec.phase_shift else np.array(truth, dtype=np.float32)
    if spec.scale != 1.0:
        out *= np.float32(spec.scale)
    if spec.offset:
        out += np.float32(spec.offset)
    if spec.drift:
        out += (np.float32(spec.drift) * years.astype(np.float32))[:, None, None]
    if spec.noise_std:
        z = _random_block(truth, seed, stream, "normal", block_info)
        if spec.error_correlation > 0:
            c = spec.error_correlation
            z *= np.float32(np.sqrt(1 - c))
            z += np.float32(np.sqrt(c)) * _random_block(truth, seed, 0, "normal", block_info)
        z *= np.float32(spec.noise_std)
        out += z
    if spec.coarsen > 1:
        out = _smooth_blocks(out, int(spec.coarsen))
    if spec.gap_fraction:
        gaps = _random_block(truth, seed, 100 + stream, "bytes", block_info) < np.uint8(round(spec.gap_fraction * 256))
        np.copyto(out, np.float32(np.nan), where=gaps)
    return out


def product_errors(products: xr.Dataset, truth: xr.DataArray) -> xr.Dataset:
    """Each product's error after its known linear calibration: ``x - offset - scale * truth``.

    The variance over time of these errors is the "known" error variance that
    triple collocation estimates (it contains the random error and, for lagged,
    drifting or coarse products, their structural errors too).

    Parameters
    ----------
    products : xarray.Dataset
        Output of :func:`synthetic_products`.
    truth : xarray.DataArray
        The truth they were built from.

    Returns
    -------
    xarray.Dataset
        Errors [mm d-1], one variable per product.
    """
    truth = convert(truth, "mm d-1", name=truth.name or "truth")
    out = {}
    for name, x in products.data_vars.items():
        for key in ("offset", "scale"):
            if key not in x.attrs:
                raise ValueError(f"product {name!r} has no {key!r} attribute; pass the output of synthetic_products()")
        out[name] = (x - x.attrs["offset"] - x.attrs["scale"] * truth).assign_attrs(
            units="mm d-1", long_name=f"error of '{name}' after its known calibration"
        )
    return xr.Dataset(out)


def idealised_truth(
    *,
    lat=(-60.0, 80.0),
    lon=(-180.0, 180.0),
    resolution: float = 1.0,
    start: str = "2020-01-01",
    end: str = "2020-12-31",
    chunks: dict | None = None,
    seed: int = 7,
    weather_cells: int = 1,
) -> xr.DataArray:
    """A cheap deterministic ET field for scale tests: seasonal cycle plus daily weather.

    ``et = m(lat) * (1 + 0.8 cos(2 pi (doy - peak(lat)) / 365.25)) * (1 + 0.25 w)``
    clipped at 0, with ``m`` largest in the tropics, the peak in July in the
    north and January in the south, and ``w`` standard-normal daily weather.
    Much faster than :func:`virtual_land` (no energy balance), for benchmarks
    at global 0.1 degree; the notebook uses the virtual land instead.

    Parameters
    ----------
    lat, lon : tuple of float
        Bounds [degrees]; cells centred inside.
    resolution : float
        Grid spacing [degrees].
    start, end : str
        Daily period (inclusive).
    chunks : dict, optional
        ``{"lat": n, "lon": m}`` for a lazy dask-backed field (time is one chunk).
    seed : int
        Seed of the weather (deterministic for a given chunking).
    weather_cells : int, default 1
        The daily weather is drawn once per ``weather_cells`` x ``weather_cells``
        cells (within a chunk), i.e. weather systems of that size; >1 is cheaper.

    Returns
    -------
    xarray.DataArray
        ``et`` [mm d-1], float32, dims (time, lat, lon).
    """
    lat_c = np.round(np.arange(lat[0] + resolution / 2, lat[1], resolution), 6)
    lon_c = np.round(np.arange(lon[0] + resolution / 2, lon[1], resolution), 6)
    time = pd.date_range(start, end, freq="D")
    coords = {"time": time, "lat": lat_c, "lon": lon_c}
    if chunks:
        import dask.array as dsa

        zeros = dsa.zeros(
            (time.size, lat_c.size, lon_c.size),
            chunks=(-1, chunks.get("lat", lat_c.size), chunks.get("lon", lon_c.size)),
            dtype=np.float32,
        )
    else:
        zeros = np.zeros((time.size, lat_c.size, lon_c.size), dtype=np.float32)
    template = xr.DataArray(zeros, dims=("time", "lat", "lon"), coords=coords)
    latr = np.deg2rad(template.lat.astype(np.float32))
    mean = (0.6 + 2.4 * np.cos(latr) ** 2).astype(np.float32)
    peak = xr.where(template.lat >= 0, 196.0, 15.0).astype(np.float32)
    doy = template.time.dt.dayofyear.astype(np.float32)
    season = 1.0 + 0.8 * np.cos(2 * np.pi * (doy - peak) / 365.25).astype(np.float32) * np.abs(np.sin(latr)) ** 0.5
    weather = _random_like(template, seed, 999, cells=weather_cells)
    et = (mean * season * (1.0 + 0.25 * weather)).clip(min=0.0).astype(np.float32)
    et = et.transpose("time", "lat", "lon").rename("et")
    et.attrs = {**_ET_ATTRS, "long_name": "evapotranspiration (idealised truth)"}
    et.lat.attrs = {"units": "degrees_north", "standard_name": "latitude"}
    et.lon.attrs = {"units": "degrees_east", "standard_name": "longitude"}
    return et


# ----------------------------------------------------------------------------- real-product recipes


@dataclass(frozen=True)
class ProductRecipe:
    """How to turn a raw ET product file into ``et`` [mm d-1].

    Parameters
    ----------
    name : str
        Product name.
    variables : tuple of str
        Variable(s) in the file; several are summed (e.g. PML-V2 ``Ec + Es + Ei``).
    units : str
        Units of the raw values *after* scaling, used when the file has no
        ``units`` attribute (the attribute wins when present and readable).
    scale_factor, add_offset : float
        Applied to raw integers when the file does not carry them as CF encoding.
    valid_range : tuple of float, optional
        Raw values outside are fill values (masked, never filled).
    period_days : int, optional
        Length of the accumulation period for period totals (8 for MODIS
        8-day composites, whose last period in a year is 5 or 6 days).
    sign : float
        +1, or -1 where evaporation is negative (ECMWF convention).
    time_shift : str, optional
        Added to time stamps to mark the start of the period (ERA5-Land daily
        accumulations are stamped at the end: ``"-1D"``).
    reference : str
        Citation.
    """

    name: str
    variables: tuple
    units: str
    scale_factor: float = 1.0
    add_offset: float = 0.0
    valid_range: tuple | None = None
    period_days: int | None = None
    sign: float = 1.0
    time_shift: str | None = None
    reference: str = ""


#: Recipes for the common global ET products (variable names and units as distributed).
PRODUCT_RECIPES = {
    "GLEAM": ProductRecipe("GLEAM", ("E",), "mm d-1", reference="Martens et al. (2017) GMD 10, 1903; GLEAM v3/v4 daily E"),
    "MOD16A2": ProductRecipe(
        "MOD16A2", ("ET_500m",), "kg m-2", scale_factor=0.1, valid_range=(0, 32700), period_days=8,
        reference="Running, Mu, Zhao (2017) MOD16A2 v006, doi:10.5067/MODIS/MOD16A2.006 (8-day total; fill 32761-32767)",
    ),
    "PML-V2": ProductRecipe("PML-V2", ("Ec", "Es", "Ei"), "mm d-1", reference="Zhang et al. (2019) RSE 222, 165; 8-day mean daily rates"),
    "FLUXCOM": ProductRecipe("FLUXCOM", ("LE",), "MJ m-2 d-1", reference="Jung et al. (2019) Sci Data 6, 74; RS+METEO LE"),
    "ERA5-Land": ProductRecipe(
        "ERA5-Land", ("e",), "m", period_days=1, sign=-1.0, time_shift="-1D",
        reference="Munoz-Sabater et al. (2021) ESSD 13, 4349; total evaporation, m of water, accumulated to 00 UTC of the next day, negative upward",
    ),
    "GLDAS": ProductRecipe("GLDAS", ("Evap_tavg",), "kg m-2 s-1", reference="Rodell et al. (2004) BAMS 85, 381; GLDAS-2 Noah"),
}


def _to_mm_per_day(da: xr.DataArray, units: str, *, name: str, period_days=None) -> xr.DataArray:
    """Convert water or energy fluxes and period totals to mm d-1.

    Mass fluxes of water use 1 kg m-2 = 1 mm; energy fluxes use
    ``LAMBDA_MJ_KG`` = 2.45 MJ kg-1; period totals (depth or mass per area)
    are divided by the period length in days.
    """
    from ..units import parse_units, ureg

    unit = parse_units(units)
    dim = ureg.Quantity(1.0, unit).dimensionality
    q = lambda u: ureg.Quantity(1.0, unit).to(u).magnitude  # noqa: E731
    if dim == ureg.Quantity(1, "kg m**-2 s**-1").dimensionality:
        factor = q("kg m**-2 day**-1")
    elif dim == ureg.Quantity(1, "mm/day").dimensionality:
        factor = q("mm/day")
    elif dim == ureg.Quantity(1, "W m**-2").dimensionality:
        factor = q("MJ m**-2 day**-1") / LAMBDA_MJ_KG
    elif dim in (ureg.Quantity(1, "mm").dimensionality, ureg.Quantity(1, "kg m**-2").dimensionality):
        if period_days is None:
            raise UnitError(f"{name!r} is a period total in {units!r}; the recipe must give period_days")
        factor = q("mm") if dim == ureg.Quantity(1, "mm").dimensionality else q("kg m**-2")
        return (da * factor / period_days).assign_attrs(_ET_ATTRS)
    else:
        raise UnitError(f"{name!r} has units {units!r}, which is neither a water flux, an energy flux nor a water depth; cannot express it in mm d-1")
    return (da * factor).assign_attrs(_ET_ATTRS)


def _modis_period_days(time: pd.DatetimeIndex, period: int) -> np.ndarray:
    """Length of each composite: ``period`` days, shorter for the last one of a year."""
    year_end = pd.to_datetime([f"{y}-12-31" for y in time.year])
    return np.minimum(period, np.asarray((year_end - time).days) + 1).astype(float)


def apply_recipe(ds: xr.Dataset, product: str | ProductRecipe) -> xr.DataArray:
    """Apply a product recipe: select, mask fill values, scale, sum, convert to ``et`` [mm d-1].

    Parameters
    ----------
    ds : xarray.Dataset
        The raw product (lazy is fine), e.g. from :func:`open_product`.
    product : str or ProductRecipe
        A key of :data:`PRODUCT_RECIPES` or a custom recipe.

    Returns
    -------
    xarray.DataArray
        ``et`` [mm d-1] with ``attrs["product"]`` and ``attrs["recipe"]``.

    Raises
    ------
    ValueError
        For an unknown product or missing variables (naming both).
    UnitError
        For units that cannot become mm d-1.
    """
    if isinstance(product, str):
        if product not in PRODUCT_RECIPES:
            raise ValueError(f"no recipe for product {product!r}; known: {sorted(PRODUCT_RECIPES)}")
        recipe = PRODUCT_RECIPES[product]
    else:
        recipe = product
    missing = [v for v in recipe.variables if v not in ds]
    if missing:
        raise ValueError(f"product {recipe.name!r}: variables {missing} not in the file (found {sorted(map(str, ds.data_vars))})")
    parts = []
    for v in recipe.variables:
        x = ds[v]
        decoded = "scale_factor" in x.encoding or "add_offset" in x.encoding
        if recipe.valid_range is not None:
            lo, hi = recipe.valid_range
            if decoded:  # xarray already scaled the raw integers: compare on the same scale
                sf, off = x.encoding.get("scale_factor", 1.0), x.encoding.get("add_offset", 0.0)
                lo, hi = lo * sf + off, hi * sf + off
            x = x.where((x >= lo) & (x <= hi))
        if not decoded and (recipe.scale_factor != 1.0 or recipe.add_offset != 0.0):
            x = x * recipe.scale_factor + recipe.add_offset
        parts.append(x)
    total = sum(parts[1:], parts[0]) * recipe.sign
    units = ds[recipe.variables[0]].attrs.get("units", recipe.units)
    try:
        from ..units import parse_units

        parse_units(units)
    except UnitError:
        units = recipe.units
    period = recipe.period_days
    et = _to_mm_per_day(total, units, name=recipe.name, period_days=1 if period else None)
    if period:
        days = _modis_period_days(pd.DatetimeIndex(ds["time"].values), period) if period > 1 else np.ones(ds.sizes["time"])
        et = et / xr.DataArray(days, dims="time", coords={"time": ds["time"]})
    if recipe.time_shift:
        et = et.assign_coords(time=et["time"] + pd.Timedelta(recipe.time_shift))
    et = et.rename("et")
    et.attrs = {**_ET_ATTRS, "product": recipe.name, "recipe": f"{'+'.join(recipe.variables)} [{units}] -> mm d-1", "references": recipe.reference}
    return et


def open_product(paths, product: str | ProductRecipe, *, chunks="auto") -> xr.DataArray:
    """Open a gridded ET product lazily (:func:`~workbench.data.open_gridded`) and apply its recipe."""
    from .gridded import open_gridded

    recipe = PRODUCT_RECIPES[product] if isinstance(product, str) and product in PRODUCT_RECIPES else product
    if isinstance(recipe, str):
        raise ValueError(f"no recipe for product {product!r}; known: {sorted(PRODUCT_RECIPES)}")
    ds = open_gridded(paths, variable=list(recipe.variables), chunks=chunks)
    return apply_recipe(ds, recipe)


# ----------------------------------------------------------------------------- real product-vs-tower tables

#: Covariate columns of the ECOSTRESS cal/val table, the models' own inputs at the overpass: column -> (units, long_name).
ECOSTRESS_COLUMNS = {
    "Rn": ("W m-2", "net radiation (ECOSTRESS input)"),
    "Ta": ("degC", "air temperature"),
    "RH": ("1", "relative humidity (fraction)"),
    "SM": ("m3 m-3", "soil moisture (ECOSTRESS L3/L4 input)"),
    "NDVI": ("1", "NDVI"),
    "LST": ("K", "land surface temperature"),
    "albedo": ("1", "surface albedo"),
}

#: ECOSTRESS Collection-2 ET models in the cal/val table (column -> name).
ECOSTRESS_MODELS = {"STICinst": "STIC", "BESSinst": "BESS", "MOD16inst": "MOD16", "PTJPLSMinst": "PTJPLSM", "JET": "JET"}


def read_ecostress_calval(path=None) -> xr.Dataset:
    """ECOSTRESS ET models matched to AmeriFlux towers at overpass time.

    Parameters
    ----------
    path : str or Path, optional
        ``combined_eco_flux_EC_filtered.csv`` or its folder; default: fetched
        with :func:`workbench.data.fetch_real` (the real-data folder, the PyPI
        package ``ECOv002-calval-tables`` when installed, the cache, or a
        hash-checked download), which raises
        :class:`~workbench.data.RealDataUnavailable` when none is possible.

    Returns
    -------
    xarray.Dataset
        Dim ``overpass``; the five models ``STIC``, ``BESS``, ``MOD16``,
        ``PTJPLSM``, ``JET`` and the towers' ``le`` (``LE_filt``), ``le_corr``
        (``LEcorr50``, energy-balance corrected), ``h``, ``rn``, ``g`` — all
        instantaneous latent/sensible/radiative fluxes [W m-2]; coordinates
        ``site``, ``time`` (overpass, UTC), ``vegetation`` (IGBP),
        ``climate`` (Koeppen), and ``lat``/``lon`` from the site table when present.
        Missing values stay NaN.
    """
    if path is None:
        from .fetch import fetch_real

        path = fetch_real("ecostress_calval_ameriflux/combined_eco_flux_EC_filtered.csv")
        fetch_real("ecostress_calval_ameriflux/metadata_ebc_filt.csv")  # the site table beside it
    path = Path(path)
    if path.is_dir():
        path = path / "combined_eco_flux_EC_filtered.csv"
    path = require_path(path, what="ECOSTRESS cal/val table")
    frame = pd.read_csv(path)
    needed = ["ID", "vegetation", "climate", "eco_time_utc", "LE_filt", "LEcorr50", *ECOSTRESS_MODELS]
    absent = [c for c in needed if c not in frame]
    if absent:
        raise ValueError(f"{path.name}: columns {absent} are missing; is this the ECOSTRESS cal/val table?")
    flux = {"units": "W m-2"}
    data = {
        new: ("overpass", frame[old].to_numpy(float), {**flux, "long_name": f"latent heat flux, ECOSTRESS {new} model"})
        for old, new in ECOSTRESS_MODELS.items()
    }
    data["le"] = ("overpass", frame["LE_filt"].to_numpy(float), {**flux, "long_name": "latent heat flux, tower (filtered)"})
    data["le_corr"] = ("overpass", frame["LEcorr50"].to_numpy(float), {**flux, "long_name": "latent heat flux, tower, energy-balance corrected (median)"})
    for old, new, long in (("H_filt", "h", "sensible heat flux, tower"), ("NETRAD_filt", "rn", "net radiation, tower"), ("G_filt", "g", "ground heat flux, tower")):
        if old in frame:
            data[new] = ("overpass", frame[old].to_numpy(float), {**flux, "long_name": long})
    coords = {
        "site": ("overpass", frame["ID"].astype(str).to_numpy()),
        "time": ("overpass", pd.to_datetime(frame["eco_time_utc"]).to_numpy()),
        "vegetation": ("overpass", frame["vegetation"].astype(str).to_numpy()),
        "climate": ("overpass", frame["climate"].astype(str).to_numpy()),
    }
    meta_path = path.parent / "metadata_ebc_filt.csv"
    if meta_path.exists():
        meta = pd.read_csv(meta_path).set_index("Site ID")
        coords["lat"] = ("overpass", meta["Lat"].reindex(frame["ID"]).to_numpy(float), {"units": "degrees_north"})
        coords["lon"] = ("overpass", meta["Long"].reindex(frame["ID"]).to_numpy(float), {"units": "degrees_east"})
    ds = xr.Dataset(data, coords=coords)
    ds.attrs = {
        "title": "ECOSTRESS Collection-2 ET models vs AmeriFlux towers at overpass",
        "source": str(path),
        "references": "ECOv002-calval-tables 1.13.0 (JPL, Apache-2.0); AmeriFlux (CC-BY-4.0)",
    }
    return ds


def read_mod16a2_points(path) -> xr.Dataset:
    """MODIS MOD16A2/MYD16A2 v006 point extractions (AppEEARS CSV) as ``et`` [mm d-1].

    Fill values (raw 32761-32767, i.e. above the valid maximum 3270 kg m-2 per
    8 days after the 0.1 scale) become NaN; 8-day totals are divided by the
    composite length (5 or 6 days for the last composite of a year).

    Parameters
    ----------
    path : str or Path
        An AppEEARS ``*-MOD16A2-006-results.csv`` or ``*-MYD16A2-006-results.csv``.

    Returns
    -------
    xarray.Dataset
        Dims (``site``, ``time``): ``et`` and ``pet`` [mm d-1], ``qc_good``
        (MODLAND bit: 1 = main algorithm) and ``fill`` (1 where the raw value was
        a fill value); coordinates ``lat``, ``lon``, ``igbp``.
    """
    path = require_path(path, what="MOD16A2 point CSV")
    frame = pd.read_csv(path)
    prefix = next((c[: -len("ET_500m")] for c in frame.columns if c.endswith("_ET_500m")), None)
    if prefix is None:
        raise ValueError(f"{path.name}: no '*_ET_500m' column; is this an AppEEARS MOD16A2/MYD16A2 extraction?")
    frame["time"] = pd.to_datetime(frame["Date"])
    valid_max = 3270.0  # kg m-2 per 8 days: 32700 raw x 0.1
    out = {}
    for col, name, long in ((f"{prefix}ET_500m", "et", "evapotranspiration"), (f"{prefix}PET_500m", "pet", "potential evapotranspiration")):
        wide = frame.pivot(index="ID", columns="time", values=col)
        raw = wide.to_numpy(float)
        fill = raw > valid_max
        days = _modis_period_days(pd.DatetimeIndex(wide.columns), 8)
        out[name] = (("site", "time"), np.where(fill, np.nan, raw) / days[None, :], {**_ET_ATTRS, "long_name": f"{long}, {prefix.split('_')[0]}"})
        if name == "et":
            out["fill"] = (("site", "time"), fill.astype(np.int8), {"units": "1", "long_name": "raw value was a fill value"})
    qc = frame.pivot(index="ID", columns="time", values=f"{prefix}ET_QC_500m").to_numpy(float)
    out["qc_good"] = (("site", "time"), ((qc.astype(np.int64) & 1) == 0).astype(np.int8), {"units": "1", "long_name": "MODLAND QC: main algorithm"})
    sites = frame.groupby("ID").first()
    wide = frame.pivot(index="ID", columns="time", values=f"{prefix}ET_500m")
    ds = xr.Dataset(
        out,
        coords={
            "site": wide.index.to_numpy(str),
            "time": wide.columns.to_numpy(),
            "lat": ("site", sites.loc[wide.index, "Latitude"].to_numpy(float), {"units": "degrees_north"}),
            "lon": ("site", sites.loc[wide.index, "Longitude"].to_numpy(float), {"units": "degrees_east"}),
            "igbp": ("site", sites.loc[wide.index, "Category"].astype(str).to_numpy()),
        },
    )
    ds.attrs = {"title": f"{prefix.split('_')[0]} v006 8-day ET at points (AppEEARS)", "source": str(path), "time_stamps": "first day of each 8-day composite"}
    return ds
