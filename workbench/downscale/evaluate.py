"""Judging downscaled forcing against the known fine truth.

* :func:`score_table` - RMSE, bias and correlation per method and variable
  (:func:`workbench.intercompare.compute_metrics`), extremes, conservation
  error and the spectral ratio, as one pandas table;
* :func:`radial_spectrum` - radially averaged power spectra: is the
  small-scale variance restored, or smoothed away?
* :func:`spectral_ratio` - power of a field over the truth's in wavelength bands;
* :func:`conservation_error` - how far the coarse means of a downscaled field
  are from the coarse input;
* :func:`reference_et` - FAO-56 Penman-Monteith reference ET
  (:func:`workbench.physics.fao56_penman_monteith`) from a forcing set, the
  downstream test.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from .. import physics
from ..intercompare import compute_metrics, conservative_coarsen
from ..units import convert

__all__ = [
    "radial_spectrum",
    "spectral_ratio",
    "conservation_error",
    "extreme",
    "reference_et",
    "score_table",
    "FINEST_BANDS",
    "EXTREMES",
]

#: The two finest octaves of wavelengths [fine cells] that a fine grid carries: 2-4 and 4-8 cells.
FINEST_BANDS = ((2.0, 4.0), (4.0, 8.0))
#: The extremes judged per variable: (quantile, label).
EXTREMES = {"precip": (0.99, "p99"), "tmin": (0.01, "p1"), "tmax": (0.99, "p99"), "wind": (0.99, "p99")}


def _spectrum_2d(a: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Radially averaged power of the last two axes (plane removed, Hann-windowed); bins in cycles per cell."""
    ny, nx = a.shape[-2:]
    y, x = np.meshgrid(np.arange(ny) - ny / 2, np.arange(nx) - nx / 2, indexing="ij")
    design = np.stack([np.ones(ny * nx), y.ravel(), x.ravel()], axis=1)
    flat = a.reshape(-1, ny * nx).T
    coef, *_ = np.linalg.lstsq(design, flat, rcond=None)
    resid = (flat - design @ coef).T.reshape(a.shape)
    window = np.outer(np.hanning(ny), np.hanning(nx))
    power = np.abs(np.fft.fft2(resid * window)) ** 2 / window.sum() ** 2 * ny * nx
    ky, kx = np.meshgrid(np.fft.fftfreq(ny), np.fft.fftfreq(nx), indexing="ij")
    k = np.hypot(ky, kx)
    dk = 1.0 / min(ny, nx)
    edges = np.arange(dk / 2, 0.5 + dk, dk)
    idx = np.digitize(k.ravel(), edges)
    mean_power = power.reshape(-1, ny * nx).mean(axis=0)
    sums = np.bincount(idx, weights=mean_power, minlength=edges.size + 1)
    counts = np.bincount(idx, minlength=edges.size + 1)
    centres = 0.5 * (edges[:-1] + edges[1:])
    with np.errstate(invalid="ignore", divide="ignore"):
        spec = sums[1:edges.size] / counts[1:edges.size]
    return centres, spec


def radial_spectrum(da: xr.DataArray) -> xr.DataArray:
    """Radially averaged 2-D power spectrum over ``lat``/``lon``, averaged over every other dimension.

    Each map has its best-fitting plane removed and a Hann window applied (so
    the non-periodic edges do not leak power to small scales), then
    ``|FFT|**2`` is averaged over rings of equal wavenumber.

    Parameters
    ----------
    da : xarray.DataArray
        Data with ``lat`` and ``lon`` dims (e.g. ``(time, lat, lon)``).

    Returns
    -------
    xarray.DataArray
        Power [units of ``da`` squared] along ``wavenumber`` [cycles per
        cell], with a ``wavelength_km`` coordinate (the fine cell taken as
        ``resolution * 111.2 km``).

    Examples
    --------
    >>> x = np.arange(64)
    >>> wave = xr.DataArray(np.cos(2 * np.pi * x / 8)[None, :] * np.ones((64, 1)), dims=("lat", "lon"),
    ...                     coords={"lat": np.arange(64) * 0.05, "lon": x * 0.05}, attrs={"units": "K"})
    >>> spec = radial_spectrum(wave)
    >>> float(spec.wavenumber[int(np.argmax(spec.values))])  # the wave of 8 cells: 1/8 cycles per cell
    0.125
    """
    for d in ("lat", "lon"):
        if d not in da.dims:
            raise ValueError(f"radial_spectrum needs dims 'lat' and 'lon'; {da.name!r} has {da.dims}")
    values = da.transpose(..., "lat", "lon").values.astype(float)
    values = values.reshape((-1,) + values.shape[-2:])
    k, spec = _spectrum_2d(values)
    res_km = float(abs(da["lat"].values[1] - da["lat"].values[0])) * 111.195
    units = da.attrs.get("units", "1")
    out = xr.DataArray(spec, dims="wavenumber", coords={"wavenumber": k, "wavelength_km": ("wavenumber", res_km / k)},
                       name=f"{da.name or 'data'}_power", attrs={"units": f"({units})2", "long_name": f"power spectrum of {da.attrs.get('long_name', da.name)}"})
    out["wavenumber"].attrs = {"units": "cycles per cell", "long_name": "radial wavenumber"}
    out["wavelength_km"].attrs = {"units": "km", "long_name": "wavelength"}
    return out


def spectral_ratio(pred: xr.DataArray, truth: xr.DataArray, bands=FINEST_BANDS) -> list[float]:
    """Power of ``pred`` over power of ``truth`` in each wavelength band [fine cells].

    A ratio of 1 means the small-scale variance is restored; below 1 it has
    been smoothed away (bilinear interpolation), above 1 it is noisier than the truth.
    """
    sp, st = radial_spectrum(pred), radial_spectrum(truth)
    wl = 1.0 / sp["wavenumber"].values
    out = []
    for lo, hi in bands:
        sel = (wl >= lo) & (wl < hi)
        out.append(float(sp.values[sel].sum() / st.values[sel].sum()))
    return out


def conservation_error(pred: xr.Dataset, coarse: xr.Dataset, factor: int, variables=None) -> dict[str, float]:
    """Largest departure of the coarse means of ``pred`` from ``coarse``, relative to the mean magnitude of ``coarse``.

    .. math:: e = \\max_J |M_J(\\hat y) - x_J| \\,/\\, \\overline{|x|}

    with :math:`M_J` the ``cos(lat)``-weighted mean over coarse cell :math:`J`.

    Returns
    -------
    dict
        Variable name -> relative error [1].
    """
    names = variables or [v for v in pred.data_vars if v in coarse]
    out = {}
    for v in names:
        back = conservative_coarsen(pred[v].astype("float64"), factor)
        target = convert(coarse[v], pred[v].attrs.get("units", coarse[v].attrs.get("units")), name=v).astype("float64")
        diff = np.abs(back.values - target.transpose(*back.dims).values)
        out[v] = float(diff.max() / max(float(np.abs(target.values).mean()), 1e-12))
    return out


def extreme(da: xr.DataArray, q: float) -> float:
    """The ``q`` quantile over every cell and day (pooled), e.g. 0.99 for p99 precipitation."""
    return float(np.quantile(da.values.astype(float), q))


def reference_et(forcing: xr.Dataset, static: xr.Dataset) -> xr.DataArray:
    """FAO-56 Penman-Monteith grass reference ET from a daily forcing set.

    Net radiation follows FAO-56 Eqs. 37-40 (albedo 0.23 of the reference
    grass, clear-sky radiation from the fine elevation), pressure Eq. 7 from
    the elevation, saturation vapour pressure from ``tmax``/``tmin`` (Eq. 12).

    Parameters
    ----------
    forcing : xarray.Dataset
        ``tmean``, ``tmin``, ``tmax`` [degC], ``rs`` [W m-2], ``wind`` [m s-1], ``ea`` [kPa].
    static : xarray.Dataset
        ``elevation`` [m] on the same grid.

    Returns
    -------
    xarray.DataArray
        Reference ET [mm d-1] (``et_fao56``).
    """
    missing = [v for v in ("tmean", "tmin", "tmax", "rs", "wind", "ea") if v not in forcing]
    if missing:
        raise ValueError(f"reference_et needs {missing} in the forcing")
    doy = xr.DataArray(forcing["time"].dt.dayofyear.values, dims="time", coords={"time": forcing["time"]})
    lat = forcing["lat"].broadcast_like(forcing["tmean"]).assign_attrs(units="degree")
    ra = physics.extraterrestrial_radiation(lat, doy)
    rso = physics.clear_sky_radiation(ra, static["elevation"])
    tmin = np.minimum(forcing["tmin"], forcing["tmax"]).assign_attrs(forcing["tmin"].attrs)
    rs = forcing["rs"].clip(min=0).assign_attrs(forcing["rs"].attrs)
    rn = physics.net_shortwave_radiation(rs, 0.23) - physics.net_longwave_radiation(forcing["tmax"], tmin, forcing["ea"], rs, rso)
    es = physics.mean_saturation_vapour_pressure(forcing["tmax"], tmin)
    ea = np.minimum(forcing["ea"], es).assign_attrs(units="kPa")
    pressure = physics.atmospheric_pressure(static["elevation"])
    wind = forcing["wind"].clip(min=0.3).assign_attrs(forcing["wind"].attrs)
    return physics.fao56_penman_monteith(rn, forcing["tmean"], wind, es, ea, pressure=pressure)


def score_table(truth: xr.Dataset, predictions: dict, coarse: xr.Dataset | None = None, factor: int | None = None,
                variables=None) -> pd.DataFrame:
    """One row per (method, variable): RMSE, bias, correlation, extremes, spectral ratio and conservation error.

    Parameters
    ----------
    truth : xarray.Dataset
        The fine truth.
    predictions : dict
        Method name -> downscaled Dataset on the same grid.
    coarse : xarray.Dataset, optional
        The coarse input, for the conservation error (with ``factor``).
    variables : list of str, optional
        Default: the variables every prediction has.

    Returns
    -------
    pandas.DataFrame
        Indexed by ``(method, variable)``; columns ``rmse``, ``bias``,
        ``pearson_r``, ``extreme`` (the p99 or p1 of :data:`EXTREMES`, where
        defined), ``extreme_truth``, ``extreme_rel_err``, ``spectral_2_4``,
        ``spectral_4_8`` (power ratios in the two finest octaves) and
        ``conservation_err``.
    """
    names = variables or [v for v in truth.data_vars if "time" in truth[v].dims and all(v in p for p in predictions.values())]
    rows = []
    for method, pred in predictions.items():
        for v in names:
            m = compute_metrics(truth[v], pred[v], metrics=["rmse", "bias", "pearson_r"])
            row = {"method": method, "variable": v, "units": truth[v].attrs.get("units", ""),
                   **{k: float(m[k]) for k in ("rmse", "bias", "pearson_r")}}
            if v in EXTREMES:
                q, label = EXTREMES[v]
                e, et = extreme(pred[v], q), extreme(truth[v], q)
                row.update(extreme_stat=label, extreme=e, extreme_truth=et, extreme_rel_err=(e - et) / abs(et) if et else np.nan)
            s24, s48 = spectral_ratio(pred[v], truth[v])
            row.update(spectral_2_4=s24, spectral_4_8=s48)
            if coarse is not None and factor is not None and v in coarse:
                row["conservation_err"] = conservation_error(pred[[v]], coarse, factor, [v])[v]
            rows.append(row)
    return pd.DataFrame(rows).set_index(["method", "variable"])
