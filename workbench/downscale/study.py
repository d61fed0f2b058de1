"""The downscaling study's set-up: regions, periods, the coarse inputs and every method's output.

:func:`study_data` builds the fine truth of a training region and period and
of an unseen test region in a later period (plus the test region's earlier
period, on which the statistical method is calibrated), and coarsens each
conservatively. :func:`downscale_all` runs the baselines and the network on
the test case; :func:`downstream_et` computes reference ET from each.
"""

from __future__ import annotations

from dataclasses import dataclass

import xarray as xr

from .._config import pick
from ..data.fine_forcing import FINE_STATIC_VARIABLES, fine_forcing
from .evaluate import reference_et
from .grid import bilinear_lapse, coarsen_forcing, regrid_bilinear, regrid_conservative
from .statistical import QuantileMappingDownscaler

__all__ = ["Case", "study_data", "downscale_all", "downstream_et", "REGIONS", "FACTOR"]

#: Coarsening factor of the study: 0.05 degree fine cells, 0.4 degree coarse cells.
FACTOR = 8
#: (lat, lon) boxes: the training region and the unseen test region, full and fast mode.
REGIONS = {
    "train": {"full": ((40.0, 48.0), (4.0, 12.0)), "fast": ((44.0, 48.0), (4.0, 8.0))},
    "test": {"full": ((48.0, 56.0), (12.0, 20.0)), "fast": ((48.0, 52.0), (12.0, 16.0))},
}
_PERIODS = {
    "train": {"full": ("2020-01-01", "2020-12-31"), "fast": ("2020-01-01", "2020-02-29")},
    "calibration": {"full": ("2020-01-01", "2020-12-31"), "fast": ("2020-01-01", "2020-02-29")},
    "test": {"full": ("2021-01-01", "2021-06-30"), "fast": ("2021-01-01", "2021-01-31")},
}


@dataclass
class Case:
    """One region and period: the fine truth, its coarse input and the fine static covariates."""

    fine: xr.Dataset
    coarse: xr.Dataset
    static: xr.Dataset
    name: str = ""

    @property
    def factor(self) -> int:
        return int(self.coarse.attrs["coarsening_factor"])


def make_case(lat, lon, start, end, *, factor: int = FACTOR, seed: int = 42, resolution: float = 0.05, name: str = "") -> Case:
    """Fine truth over a box and period, coarsened by ``factor`` (static elevation coarsened with it)."""
    fine = fine_forcing(lat=lat, lon=lon, start=start, end=end, seed=seed, resolution=resolution)
    static = fine[list(FINE_STATIC_VARIABLES)]
    coarse = coarsen_forcing(fine, factor, variables=[v for v in fine.data_vars if "time" in fine[v].dims] + ["elevation"])
    return Case(fine=fine.drop_vars(list(FINE_STATIC_VARIABLES)), coarse=coarse, static=static, name=name)


def study_data(*, fast: bool | None = None, factor: int = FACTOR, seed: int = 42, cases=("train", "calibration", "test")) -> dict[str, Case]:
    """The three cases of the study.

    Returns
    -------
    dict
        ``"train"`` (training region, 2020), ``"calibration"`` (test region,
        2020: fine truth for the statistical method only) and ``"test"``
        (test region, 2021: never seen by any method); ``cases`` picks some of them.
    """
    mode = ("fast" if fast else "full") if fast is not None else pick(full="full", fast="fast")
    out = {}
    for name, region in (("train", "train"), ("calibration", "test"), ("test", "test")):
        if name not in cases:
            continue
        lat, lon = REGIONS[region][mode]
        start, end = _PERIODS[name][mode]
        out[name] = make_case(lat, lon, start, end, factor=factor, seed=seed, name=name)
    return out


def downscale_all(cases: dict[str, Case], network=None, variables=None, statistical: xr.Dataset | None = None) -> dict[str, xr.Dataset]:
    """Every method on the test case: conservative, bilinear, bilinear + lapse rate, quantile mapping, network.

    ``statistical`` is the quantile-mapped test case when already computed
    (otherwise it is calibrated on ``cases["calibration"]`` here); ``network``
    a fitted :class:`~workbench.downscale.NetworkDownscaler` (left out when None).
    """
    test, cal = cases["test"], cases["calibration"]
    names = list(variables or [v for v in test.fine.data_vars])
    coarse = test.coarse[names + ["elevation"]]
    out = {
        "conservative": regrid_conservative(test.coarse[names], test.static),
        "bilinear": regrid_bilinear(test.coarse[names], test.static),
        "bilinear + lapse": bilinear_lapse(coarse, test.static)[names],
    }
    if statistical is None:
        qm = QuantileMappingDownscaler(names).fit(cal.coarse[names + ["elevation"]], cal.static, cal.fine)
        statistical = qm.predict(coarse, test.static)
    out["quantile mapping"] = statistical[names]
    if network is not None:
        out["U-Net"] = network.predict(coarse, test.static)
    return out


def downstream_et(truth: xr.Dataset, static: xr.Dataset, predictions: dict[str, xr.Dataset]) -> dict[str, xr.DataArray]:
    """FAO-56 reference ET from the truth (key ``"truth"``) and from each method's forcing."""
    return {"truth": reference_et(truth, static), **{k: reference_et(v, static) for k, v in predictions.items()}}
