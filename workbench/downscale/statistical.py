"""Statistical downscaling: interpolation + lapse rate, then empirical quantile mapping per fine cell (xsdba).

This is the bias-correction half of BCSD (Wood et al. 2004) turned around, as
is common for downscaling when fine observations exist for a calibration
period: the coarse input is interpolated to the fine grid
(:func:`~workbench.downscale.grid.bilinear_lapse`), and the distribution of
the interpolated values in each fine cell is mapped onto the distribution of
the fine truth in that cell during the calibration period
(:class:`xsdba.EmpiricalQuantileMapping`, additive for temperature,
multiplicative for the non-negative variables). It therefore needs fine
observations of the target region, which the network does not.
"""

from __future__ import annotations

import xarray as xr

from ..units import convert
from .grid import bilinear_lapse, check_grids

__all__ = ["QuantileMappingDownscaler"]

_ADDITIVE = ("tmean", "tmin", "tmax")


class QuantileMappingDownscaler:
    """Bilinear + lapse-rate interpolation followed by empirical quantile mapping in every fine cell.

    Parameters
    ----------
    variables : sequence of str
        Variables to downscale.
    nquantiles : int, default 30
        Quantiles of the mapping (xsdba ``nquantiles``).
    group : str, default "time"
        xsdba grouping (``"time.month"`` maps each month separately; needs several years).

    Examples
    --------
    >>> QuantileMappingDownscaler(["tmean"]).nquantiles
    30
    """

    def __init__(self, variables, nquantiles: int = 30, group: str = "time"):
        self.variables, self.nquantiles, self.group = tuple(variables), int(nquantiles), group

    def fit(self, coarse: xr.Dataset, static: xr.Dataset, fine: xr.Dataset):
        """Calibrate on a period where the fine truth of the target region is known."""
        import xsdba

        check_grids(coarse, static)
        interp = bilinear_lapse(coarse, static)
        self.static_grid_ = (static["lat"].values.copy(), static["lon"].values.copy())
        self.maps_ = {}
        for v in self.variables:
            if v not in fine:
                raise ValueError(f"the fine calibration data lacks {v!r}")
            ref = convert(fine[v], interp[v].attrs["units"], name=v).astype("float64")
            hist = interp[v].astype("float64")
            kind = "+" if v in _ADDITIVE else "*"
            self.maps_[v] = xsdba.EmpiricalQuantileMapping.train(ref, hist, nquantiles=self.nquantiles, group=self.group, kind=kind)
        return self

    def predict(self, coarse: xr.Dataset, static: xr.Dataset) -> xr.Dataset:
        """Interpolate ``coarse`` and quantile-map each variable; non-negative variables are clipped at 0."""
        if not hasattr(self, "maps_"):
            raise RuntimeError("QuantileMappingDownscaler is not calibrated: call fit() first")
        lat, lon = self.static_grid_
        if static["lat"].size != lat.size or static["lon"].size != lon.size or abs(float(static["lat"][0]) - lat[0]) > 1e-9 \
                or abs(float(static["lon"][0]) - lon[0]) > 1e-9:
            raise ValueError("quantile mapping is calibrated per fine cell: predict on the grid it was fitted on "
                             f"(lat {lat[0]:g}..{lat[-1]:g}, lon {lon[0]:g}..{lon[-1]:g})")
        interp = bilinear_lapse(coarse, static)
        out = xr.Dataset()
        for v in self.variables:
            adj = self.maps_[v].adjust(interp[v].astype("float64"), interp="linear").transpose("time", "lat", "lon")
            if v not in _ADDITIVE:
                adj = adj.clip(min=0.0)
            out[v] = adj.astype(interp[v].dtype).assign_attrs(interp[v].attrs)
        out.attrs = {"downscaling_method": "bilinear + lapse rate + empirical quantile mapping (xsdba)"}
        return out.assign_coords(lat=static["lat"], lon=static["lon"])
