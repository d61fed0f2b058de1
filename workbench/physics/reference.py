"""Reference ET from a dataset: every formula whose inputs the dataset holds, side by side."""

from __future__ import annotations

import numpy as np
import xarray as xr

from .._warn import warn
from .et import fao56_penman_monteith, hargreaves_samani, priestley_taylor
from .psychrometrics import mean_saturation_vapour_pressure, saturation_vapour_pressure
from .radiation import extraterrestrial_radiation

__all__ = ["REFERENCE_METHODS", "fao56_reference", "reference_et"]

# The dataset variables (workbench vocabulary) each method needs.
REFERENCE_METHODS: dict[str, tuple[str, ...]] = {
    "fao56_penman_monteith": ("rn", "tmean", "wind", "vpd"),
    "priestley_taylor": ("rn", "tmean"),
    "hargreaves_samani": ("tmean", "tmax", "tmin"),
}


def fao56_reference(rn, tmean, wind, vpd, *, tmax=None, tmin=None, g=None, pressure=101.3):
    r"""FAO-56 grass-reference ET with the FAO-56 choices made once, for every caller.

    The one place where the workbench turns tower or grid forcing into FAO-56
    Penman-Monteith ET_o (Eq. 6): :func:`reference_et` and the symbolic
    study's baselines (:func:`workbench.symbolic.studies.baselines`) both call
    it, so their numbers agree.

    - ``e_s`` from the daily extremes, :math:`(e^\circ(T_{max}) + e^\circ(T_{min}))/2`
      (FAO-56 Eq. 12), where ``tmax`` and ``tmin`` are given, else
      :math:`e^\circ(T_{mean})`; ``e_a = e_s - VPD``.
    - ``g`` the site's soil heat flux where given; missing values (NaN) are
      taken as 0, FAO-56's daily assumption (Eq. 42); ``None`` means 0.

    ET_o is a *potential* rate of a well-watered 0.12 m grass: held against the
    ET of a real (often water-limited, often not grass) surface it over-predicts
    dry seasons by design.

    Parameters
    ----------
    rn : float, numpy.ndarray or xarray.DataArray
        Net radiation [MJ m-2 d-1] (a DataArray in W m-2 is converted).
    tmean : float, numpy.ndarray or xarray.DataArray
        Mean daily air temperature [degC].
    wind : float, numpy.ndarray or xarray.DataArray
        Wind speed at 2 m [m s-1].
    vpd : float, numpy.ndarray or xarray.DataArray
        Vapour pressure deficit [kPa].
    tmax, tmin : float, numpy.ndarray or xarray.DataArray, optional
        Daily maximum and minimum air temperature [degC]; both or neither.
    g : float, numpy.ndarray or xarray.DataArray, optional
        Soil heat flux [MJ m-2 d-1] (a DataArray in W m-2 is converted).
    pressure : float, numpy.ndarray or xarray.DataArray, optional
        Air pressure [kPa].

    Returns
    -------
    float, numpy.ndarray or xarray.DataArray
        ET_o [mm d-1], named ``"et_fao56"``.

    References
    ----------
    Allen et al. (1998) FAO-56, Eqs. 6, 12 and 42; Examples 17 and 18.

    Examples
    --------
    >>> et = fao56_reference(13.28, 16.9, 2.078, 1.997 - 1.409, tmax=21.5, tmin=12.3, pressure=100.1)
    >>> print(f"{et:.2f}")  # FAO-56 Example 18, Uccle 6 July
    3.88
    """
    if (tmax is None) != (tmin is None):
        raise ValueError("give both tmax and tmin [degC] (FAO-56 Eq. 12) or neither; got only "
                         + ("tmax" if tmin is None else "tmin"))
    es = saturation_vapour_pressure(tmean) if tmax is None else mean_saturation_vapour_pressure(tmax, tmin)
    if g is None:
        g = 0.0
    elif isinstance(g, xr.DataArray):
        g = g.fillna(0.0)
    elif np.ndim(g):
        g = np.where(np.isfinite(np.asarray(g, dtype=float)), g, 0.0)
    elif not np.isfinite(g):
        g = 0.0
    return fao56_penman_monteith(rn, tmean, wind, es, es - vpd, g=g, pressure=pressure)


def _optional(ds: xr.Dataset, name: str, default):
    return ds[name].fillna(default) if name in ds and name == "g" else ds[name] if name in ds else default


def reference_et(ds: xr.Dataset, methods=None, *, on_missing: str = "raise") -> xr.Dataset:
    """Compute reference ET formulas from a dataset that uses the workbench vocabulary.

    Parameters
    ----------
    ds : xarray.Dataset
        Forcing with CF units: ``rn`` and optional ``g`` (W m-2 or MJ m-2 d-1),
        ``tmean``/``tmax``/``tmin`` [degC], ``wind`` at 2 m [m s-1], ``vpd``
        [kPa], optional ``pressure`` [kPa]; a ``time`` coordinate and ``lat``
        (coordinate or variable) for Hargreaves-Samani's extraterrestrial
        radiation. Daily data.
    methods : list of str, optional
        Any of :data:`REFERENCE_METHODS`; default all of them.
    on_missing : {"raise", "skip"}
        What to do when the dataset lacks a method's inputs: raise a
        ``ValueError`` naming them, or skip the method with a warning (the
        skipped methods and reasons are kept in ``attrs["skipped"]``).

    Returns
    -------
    xarray.Dataset
        One variable per method [mm d-1], named ``et_<method>``.

    Notes
    -----
    Missing ``g`` values (gaps in a tower's soil heat flux) are taken as 0,
    FAO-56's daily assumption (Eq. 42); ``pressure`` defaults to 101.3 kPa.
    These are recorded in ``attrs["assumptions"]``.

    Examples
    --------
    >>> from workbench.data import virtual_land
    >>> land = virtual_land(lat=(40, 42), lon=(0, 2), start="2020-07-01", end="2020-07-05")
    >>> ref = reference_et(land)
    >>> sorted(ref.data_vars)
    ['et_fao56_penman_monteith', 'et_hargreaves_samani', 'et_priestley_taylor']
    >>> bool((ref.et_fao56_penman_monteith > ref.et_hargreaves_samani * 0.3).all())
    True
    """
    if on_missing not in ("raise", "skip"):
        raise ValueError(f"on_missing must be 'raise' or 'skip'; got {on_missing!r}")
    methods = list(methods or REFERENCE_METHODS)
    unknown = [m for m in methods if m not in REFERENCE_METHODS]
    if unknown:
        raise ValueError(f"unknown reference methods {unknown}; choose from {list(REFERENCE_METHODS)}")

    out = xr.Dataset(coords={k: v for k, v in ds.coords.items()})
    skipped, assumptions = {}, []
    g = _optional(ds, "g", 0.0)
    if "g" not in ds:
        assumptions.append("g = 0 (no ground heat flux given; FAO-56 Eq. 42)")
    elif bool(ds["g"].isnull().any()):
        assumptions.append("missing g values taken as 0 (FAO-56 Eq. 42)")
    pressure = ds["pressure"] if "pressure" in ds else 101.3
    if "pressure" not in ds:
        assumptions.append("pressure = 101.3 kPa")

    for method in methods:
        missing = [v for v in REFERENCE_METHODS[method] if v not in ds]
        if method == "hargreaves_samani" and "lat" not in ds.variables:
            missing.append("lat")
        if missing:
            reason = f"{method} needs {missing}, which the dataset does not have"
            if on_missing == "raise":
                raise ValueError(reason + f" (it has {sorted(ds.data_vars)})")
            skipped[method] = reason
            warn(f"skipping {reason}")
            continue
        if method == "fao56_penman_monteith":
            both = "tmax" in ds and "tmin" in ds
            result = fao56_reference(ds["rn"], ds["tmean"], ds["wind"], ds["vpd"], g=g, pressure=pressure,
                                     tmax=ds["tmax"] if both else None, tmin=ds["tmin"] if both else None)
        elif method == "priestley_taylor":
            result = priestley_taylor(ds["rn"], ds["tmean"], g=g, pressure=pressure)
        else:
            ra = extraterrestrial_radiation(ds["lat"], ds["time"].dt.dayofyear)
            result = hargreaves_samani(ds["tmean"], ds["tmax"], ds["tmin"], ra)
        out[f"et_{method}"] = result.rename(f"et_{method}")
    out.attrs = {"skipped": "; ".join(skipped.values()) if skipped else "", "assumptions": "; ".join(assumptions)}
    return out
