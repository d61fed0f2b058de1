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

from dataclasses import asdict, dataclass, fields
from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from ..units import UnitError, convert
from ._checks import real_data_dir, require_path

__all__ = [
    "ProductSpec",
    "DEFAULT_PRODUCTS",
    "idealised_truth",
    "synthetic_products",
    "product_errors",
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
        Fraction of missing values [0, 1).
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
    return np.random.default_rng(np.random.SeedSequence([seed, stream, *start]))


def _random_block(x, seed: int, stream: int, kind: str, block_info=None) -> np.ndarray:
    rng = _block_rng(seed, stream, block_info)
    if kind == "normal":
        return rng.standard_normal(x.shape, dtype=np.float32)
    return rng.random(x.shape, dtype=np.float32)


def _random_like(template: xr.DataArray, seed: int, stream: int, kind: str = "normal") -> xr.DataArray:
    """Standard-normal (or uniform [0, 1)) float32 numbers shaped like ``template``.

    Lazy when ``template`` is dask-backed; deterministic for a given seed and
    chunking (each block is seeded by its position in the array).
    """
    data = template.data
    if hasattr(data, "map_blocks"):
        out = data.map_blocks(_random_block, seed=seed, stream=stream, kind=kind, dtype=np.float32)
    else:
        whole = {0: {"array-location": [(0, n) for n in data.shape]}}
        out = _random_block(np.asarray(data), seed, stream, kind, block_info=whole)
    return template.copy(data=out)


def _smooth_blocks(x: np.ndarray, factor: int) -> np.ndarray:
    """Mean over ``factor`` x ``factor`` cell blocks of the last two axes, repeated back."""
    *lead, ny, nx = x.shape
    cy, cx = -(-ny // factor) * factor, -(-nx // factor) * factor
    padded = np.pad(x, [(0, 0)] * len(lead) + [(0, cy - ny), (0, cx - nx)], mode="edge")
    means = padded.reshape(*lead, cy // factor, factor, cx // factor, factor).mean(axis=(-3, -1))
    out = np.repeat(np.repeat(means, factor, axis=-2), factor, axis=-1)
    return out[..., :ny, :nx].astype(x.dtype, copy=False)


def _coarsen_like(x: xr.DataArray, factor: int) -> xr.DataArray:
    """Block-average ``x`` over ``factor`` x ``factor`` cells (its native resolution), kept on the fine grid."""
    if factor == 1:
        return x
    x = x.transpose(..., "lat", "lon")
    data = x.data
    if hasattr(data, "map_blocks"):
        chunks = {}
        for d in ("lat", "lon"):
            c = data.chunks[x.get_axis_num(d)][0]
            chunks[x.get_axis_num(d)] = max(factor, c // factor * factor)
        data = data.rechunk(chunks).map_blocks(_smooth_blocks, factor=factor, dtype=data.dtype)
    else:
        data = _smooth_blocks(np.asarray(data), factor)
    return x.copy(data=data)


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
    years = _years_since_start(truth["time"])
    common = _random_like(truth, seed, 0) if any(s.error_correlation > 0 for s in specs) else None
    out = {}
    for k, spec in enumerate(specs, start=1):
        signal = truth.roll(time=spec.phase_shift) if spec.phase_shift else truth
        x = spec.offset + spec.scale * signal
        if spec.drift:
            x = x + spec.drift * years
        if spec.noise_std:
            z = _random_like(truth, seed, k)
            if spec.error_correlation > 0:
                c = spec.error_correlation
                z = np.sqrt(1 - c) * z + np.sqrt(c) * common
            x = x + spec.noise_std * z
        x = _coarsen_like(x, spec.coarsen)
        if spec.gap_fraction:
            x = x.where(_random_like(truth, seed, 100 + k, "uniform") >= spec.gap_fraction)
        attrs = {**_ET_ATTRS, "long_name": f"evapotranspiration, synthetic product '{spec.name}'"}
        attrs.update({f: getattr(spec, f) for f in (f.name for f in fields(spec)) if f != "name"})
        out[spec.name] = x.astype(np.float32).transpose(*truth.dims).assign_attrs(attrs)
    ds = xr.Dataset(out)
    ds.attrs = {"title": "Synthetic ET products with known error structures", "seed": seed, "source": "workbench.data.synthetic_products"}
    return ds


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
    weather = _random_like(template, seed, 999)
    et = (mean * season * (1.0 + 0.25 * weather)).clip(min=0.0).astype(np.float32)
    et = et.transpose("time", "lat", "lon").rename("et")
    et.attrs = {**_ET_ATTRS, "long_name": "evapotranspiration (idealised truth)"}
    et.lat.attrs = {"units": "degrees_north", "standard_name": "latitude"}
    et.lon.attrs = {"units": "degrees_east", "standard_name": "longitude"}
    return et
