"""Conditional views of errors: by regime (dry/wet, season, land cover) and maps of the dominant driver."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from ..data import LAND_COVER
from ..intercompare import compute_metrics

__all__ = ["REGIMES", "regime_labels", "errors_by_regime", "dominant_driver_map"]

#: Regimes :func:`regime_labels` knows.
REGIMES = ("wetness", "season", "land_cover")
_SEASONS = np.array(["DJF", "DJF", "MAM", "MAM", "MAM", "JJA", "JJA", "JJA", "SON", "SON", "SON", "DJF"])


def regime_labels(table: xr.Dataset, regime: str, *, dry_below: float = 0.5) -> xr.DataArray:
    """A label per sample: ``wetness`` (dry/wet soil), ``season`` (DJF...) or ``land_cover`` (IGBP name).

    Parameters
    ----------
    table : xarray.Dataset
        A ``sample`` table with ``soil_wetness``, a ``time`` coordinate or ``land_cover`` as needed.
    regime : {"wetness", "season", "land_cover"}
    dry_below : float, default 0.5
        Relative soil water [1] below which a sample is "dry" (half the bucket).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> t = xr.Dataset({"soil_wetness": ("sample", [0.2, 0.9])})
    >>> regime_labels(t, "wetness").values.tolist()
    ['dry', 'wet']
    """
    if regime == "wetness":
        if "soil_wetness" not in table:
            raise ValueError("regime 'wetness' needs a 'soil_wetness' variable [1] in the table")
        lab = np.where(table["soil_wetness"].values < dry_below, "dry", "wet")
    elif regime == "season":
        if "time" not in table.coords:
            raise ValueError("regime 'season' needs a 'time' coordinate in the table")
        lab = _SEASONS[pd.DatetimeIndex(table["time"].values).month - 1]
    elif regime == "land_cover":
        if "land_cover" not in table:
            raise ValueError("regime 'land_cover' needs a 'land_cover' variable (class codes) in the table")
        names = dict(zip(LAND_COVER["code"], LAND_COVER.index))
        lab = np.array([names.get(int(c), str(int(c))) for c in table["land_cover"].values])
    else:
        raise ValueError(f"regime must be one of {REGIMES}, got {regime!r}")
    return xr.DataArray(lab, dims="sample", coords={"sample": table["sample"].values}, name=regime)


def errors_by_regime(table: xr.Dataset, regime: str, *, obs: str = "le_obs", residual: str = "residual",
                     metrics=("bias", "rmse")) -> pd.DataFrame:
    """Error statistics of the model (``obs + residual``) against ``obs`` in each regime.

    Uses :func:`workbench.intercompare.compute_metrics`, so the metrics are the
    project's (bias = mean(model - obs), RMSE, ...).

    Returns
    -------
    pandas.DataFrame
        Indexed by regime label; one column per metric plus ``n`` (samples).
    """
    labels = regime_labels(table, regime)
    sim = (table[obs] + table[residual]).assign_attrs(units=table[obs].attrs.get("units"))
    rows = {}
    for lab in np.unique(labels.values):
        sel = labels.values == lab
        m = compute_metrics(table[obs][sel], sim[sel], metrics=list(metrics), skipna=True)
        rows[lab] = {k: float(m[k]) for k in metrics} | {"n": int(sel.sum())}
    frame = pd.DataFrame.from_dict(rows, orient="index")
    frame.index.name = regime
    frame.attrs["units"] = table[obs].attrs.get("units")
    return frame


def dominant_driver_map(attributions: xr.DataArray, table: xr.Dataset) -> xr.Dataset:
    """Map of the driver with the largest mean |attribution| in each cell.

    Parameters
    ----------
    attributions : xarray.DataArray
        ``(sample, driver)`` attributions (e.g. :func:`workbench.explain.shap_values`).
    table : xarray.Dataset
        The ``sample`` table they come from, with ``lat``/``lon`` coordinates.

    Returns
    -------
    xarray.Dataset
        On ``(lat, lon)``: ``dominant`` (index into ``attrs["drivers"]``, NaN
        where no sample was explained) and ``share`` (its fraction of the
        summed mean |attribution| of the cell) [1].
    """
    if "lat" not in table.coords or "lon" not in table.coords:
        raise ValueError("the table needs 'lat' and 'lon' coordinates per sample (stack_samples of a gridded land)")
    sub = table.sel(sample=attributions["sample"].values)
    frame = pd.DataFrame(np.abs(attributions.values), columns=list(map(str, attributions["driver"].values)))
    frame["lat"], frame["lon"] = sub["lat"].values, sub["lon"].values
    mean = frame.groupby(["lat", "lon"]).mean()
    drivers = list(mean.columns)
    dominant = mean.to_numpy().argmax(1)
    share = mean.to_numpy().max(1) / np.maximum(mean.to_numpy().sum(1), 1e-300)
    out = pd.DataFrame({"dominant": dominant.astype(float), "share": share}, index=mean.index).to_xarray()
    lat = np.unique(table["lat"].values)
    lon = np.unique(table["lon"].values)
    out = out.reindex(lat=lat, lon=lon)
    out["dominant"].attrs = {"units": "1", "long_name": "dominant error driver", "flag_values": list(range(len(drivers))),
                             "flag_meanings": " ".join(drivers)}
    out["share"].attrs = {"units": "1", "long_name": "share of the dominant driver in the mean |attribution|"}
    out.attrs["drivers"] = drivers
    return out
