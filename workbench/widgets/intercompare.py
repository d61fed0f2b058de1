"""Intercomparison explorer: choose products, region, season and metric; see the map and the regional means.

The widget holds the choices and calls pure functions from
:mod:`workbench.intercompare` (metrics, aggregation) and
:mod:`workbench.viz`; it computes no science itself.
"""

from __future__ import annotations

import ipywidgets as widgets
import pandas as pd
import xarray as xr

from ..intercompare import area_mean, available_metrics, compute_metrics
from ..intercompare._kernels import RANK_METRICS
from ..viz import plot_map
from ..viz.intercompare import plot_skill_bars
from ._base import PlotExplorer

__all__ = ["IntercomparisonExplorer"]

_SEASONS = ("all", "DJF", "MAM", "JJA", "SON")


class IntercomparisonExplorer(PlotExplorer):
    """Explore products against a reference by product, region, season and metric.

    Parameters
    ----------
    products : xarray.Dataset
        One variable per product, dims (time, lat, lon).
    reference : xarray.DataArray
        The reference (e.g. the known truth or a chosen product) on the same grid.
    regions : dict of str -> bool DataArray, optional
        Named masks on the lat/lon grid (e.g. :func:`workbench.intercompare.land_cover_regions`);
        an ``"all"`` region is always offered.
    metric : str, default "rmse"

    Examples
    --------
    >>> import numpy as np, pandas as pd, xarray as xr
    >>> t = pd.date_range("2020-01-01", periods=60)
    >>> ref = xr.DataArray(np.random.default_rng(0).gamma(2, 1, (60, 2, 3)), dims=("time", "lat", "lon"),
    ...                    coords={"time": t, "lat": [40.5, 41.5], "lon": [0.5, 1.5, 2.5]}, attrs={"units": "mm d-1"})
    >>> ex = IntercomparisonExplorer(xr.Dataset({"a": ref + 0.5, "b": ref * 0.9}), ref)
    >>> ex.settings()["metric"], ex.table().loc["a", "bias"].round(3)
    ('rmse', np.float64(0.5))
    """

    def __init__(self, products: xr.Dataset, reference: xr.DataArray, regions: dict | None = None, metric: str = "rmse"):
        if not isinstance(products, xr.Dataset) or not products.data_vars:
            raise TypeError("products must be a non-empty xarray.Dataset with one variable per product")
        self.products = products
        self.reference = reference
        self.regions = {"all": None, **(regions or {})}
        names = list(products.data_vars)
        self.product = widgets.SelectMultiple(options=names, value=tuple(names), description="Products", rows=min(6, len(names)))
        self.region = widgets.Dropdown(options=list(self.regions), value="all", description="Region")
        self.season = widgets.Dropdown(options=list(_SEASONS), value="all", description="Season")
        self.metric = widgets.Dropdown(options=[m for m in available_metrics() if m != "n"], value=metric, description="Metric")
        self._watch(self.product, self.region, self.season, self.metric)

    def settings(self) -> dict:
        """The current choice as keyword arguments, to reproduce the result in a plain cell."""
        return {"products": list(self.product.value), "region": self.region.value, "season": self.season.value, "metric": self.metric.value}

    def _select(self, da: xr.DataArray) -> xr.DataArray:
        season = self.season.value
        return da if season == "all" else da.sel(time=da["time.season"] == season)

    def metric_maps(self) -> dict:
        """Per-cell metrics (over time) of each chosen product for the chosen season: ``{product: Dataset}``."""
        ref = self._select(self.reference)
        names = [m for m in available_metrics() if m not in RANK_METRICS or m == self.metric.value]  # ranks only when chosen
        return {p: compute_metrics(ref, self._select(self.products[p]), names, dim="time", skipna=True) for p in self.product.value}

    def table(self) -> pd.DataFrame:
        """Area-weighted means of every metric over the chosen region (rows: products)."""
        mask = self.regions[self.region.value]
        rows = {p: {k: float(area_mean(v, mask=mask, region=self.region.value)) for k, v in ds.data_vars.items()} for p, ds in self.metric_maps().items()}
        return pd.DataFrame(rows).T

    def plot(self):
        """Map of the chosen metric for the first chosen product, and bars of the regional means."""
        if not self.product.value:
            return None
        maps = self.metric_maps()
        first = self.product.value[0]
        m = maps[first][self.metric.value]
        mask = self.regions[self.region.value]
        shown = m if mask is None else m.where(mask)
        title = f"{self.metric.value} of {first} ({self.season.value}, {self.region.value})"
        return plot_map(shown.assign_attrs(long_name=title), reduce=None) + plot_skill_bars(self.table(), self.metric.value)

    def _controls(self):
        return widgets.HBox([self.product, widgets.VBox([self.region, self.season, self.metric])])
