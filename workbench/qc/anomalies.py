"""Planted anomalies: corrupt tower series with faults of stated type, size and timing, and keep their labels.

Every fault is drawn from a seeded generator, so the same seed, fraction and
mix always give the same corrupted towers and the same labels. Labels are CF
flag variables (``<variable>_truth``, ``flag_values`` / ``flag_meanings``)
beside the corrupted data; the events (site, variable, type, first and last
time step, size) are returned as a table.

A time step is labelled only where the fault moved the value by more than
``label_tol`` (default 0.5) standard deviations of the series (a spike of zero, a sign flip
of a zero flux, the flat start of a drift are not faults anyone can see),
except for stuck values, which are labelled over the whole run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["ANOMALY_TYPES", "ANOMALY_CODES", "anomaly_spec", "plant_anomalies", "time_step", "truth_name"]

ANOMALY_TYPES = ("spike", "level_shift", "drift", "stuck", "sign_flip", "scale_error", "time_shift", "eb_break", "night_le")
ANOMALY_CODES = {name: i + 1 for i, name in enumerate(ANOMALY_TYPES)}

_FLUXES = ("le", "h", "rn", "rs", "g")


@dataclass(frozen=True)
class _Spec:
    """How one anomaly type is planted; lengths in days (converted to steps), sizes in series standard deviations."""

    length_days: tuple[float, float]  # daily data
    length_days_hh: tuple[float, float]  # sub-daily data
    size: tuple[float, float]
    applies_to: tuple[str, ...] | None  # None: any variable
    description: str
    halfhourly_only: bool = False


_SPECS = {
    "spike": _Spec((0.0, 0.0), (0.0, 0.0), (3.0, 6.0), None, "one-step outlier of +-size sd"),
    "level_shift": _Spec((5.0, 20.0), (0.5, 3.0), (1.0, 2.0), None, "constant offset of +-size sd over the segment"),
    "drift": _Spec((20.0, 60.0), (3.0, 10.0), (2.0, 4.0), None, "offset growing linearly from 0 to +-size sd over the segment"),
    "stuck": _Spec((3.0, 10.0), (0.1, 0.5), (0.0, 0.0), None, "the value at the start repeated over the segment"),
    "sign_flip": _Spec((2.0, 6.0), (0.5, 2.0), (0.0, 0.0), ("le", "rn", "rs"), "value multiplied by -1 over the segment"),
    "scale_error": _Spec((5.0, 15.0), (1.0, 4.0), (0.0, 0.0), None, "unit error: W m-2 read as MJ m-2 d-1 (x 0.0864), degC as K (+273.15), kPa as hPa (x 10)"),
    "time_shift": _Spec((5.0, 15.0), (1.0, 4.0), (0.0, 0.0), None, "series delayed by 2-6 steps (half-hourly) or 1-3 days (daily) over the segment"),
    "eb_break": _Spec((20.0, 50.0), (3.0, 10.0), (0.3, 0.6), ("h", "le"), "turbulent flux drifting by 0 to size x (rn - g) over the segment"),
    "night_le": _Spec((2.0, 8.0), (1.0, 4.0), (60.0, 150.0), ("le",), "latent heat raised by size W m-2 at night", halfhourly_only=True),
}
_UNIT_ERRORS = {"W m-2": ("mul", 0.0864), "degC": ("add", 273.15), "kPa": ("mul", 10.0)}


def truth_name(variable: str) -> str:
    """Name of the label variable of ``variable``.

    Examples
    --------
    >>> truth_name("le")
    'le_truth'
    """
    return f"{variable}_truth"


def time_step(ds: xr.Dataset | xr.DataArray) -> pd.Timedelta:
    """The (single) time step of ``ds``; raises when the axis is irregular, duplicated or mixed.

    Examples
    --------
    >>> time_step(xr.DataArray([1, 2, 3], dims="time", coords={"time": pd.date_range("2020", periods=3, freq="30min")}))
    Timedelta('0 days 00:30:00')
    """
    if "time" not in ds.dims:
        raise ValueError(f"expected a 'time' dimension; got dimensions {tuple(ds.dims)}")
    t = ds.indexes["time"]
    if not isinstance(t, pd.DatetimeIndex):
        raise TypeError(f"'time' must hold datetimes; got {t.dtype}")
    if t.size < 3:
        raise ValueError(f"'time' has {t.size} steps; expected at least 3")
    steps = np.diff(t.values)
    if (steps <= np.timedelta64(0)).any():
        i = int(np.flatnonzero(steps <= np.timedelta64(0))[0]) + 1
        what = "duplicated" if steps[i - 1] == np.timedelta64(0) else "not increasing"
        raise ValueError(f"'time' is {what} at index {i} ({t[i - 1]} then {t[i]}); expected strictly increasing, regular time stamps")
    unique = np.unique(steps)
    if unique.size > 1:
        shown = ", ".join(str(pd.Timedelta(u)) for u in unique[:4])
        raise ValueError(f"'time' has mixed time steps ({shown}); expected one regular step (resample first, nothing is dropped here)")
    return pd.Timedelta(unique[0])


def anomaly_spec() -> pd.DataFrame:
    """The planted anomaly types: code, lengths, sizes, variables and what each does.

    Examples
    --------
    >>> int(anomaly_spec().loc["spike", "code"])
    1
    """
    rows = []
    for name, s in _SPECS.items():
        rows.append({
            "type": name,
            "code": ANOMALY_CODES[name],
            "length_days (daily)": "one step" if s.length_days == (0.0, 0.0) else ("-" if s.halfhourly_only else f"{s.length_days[0]:g}-{s.length_days[1]:g}"),
            "length_days (half-hourly)": "one step" if s.length_days_hh == (0.0, 0.0) else f"{s.length_days_hh[0]:g}-{s.length_days_hh[1]:g}",
            "size": "-" if s.size == (0.0, 0.0) else (f"{s.size[0]:g}-{s.size[1]:g} W m-2" if name == "night_le" else f"{s.size[0]:g}-{s.size[1]:g}" + (" x (rn - g)" if name == "eb_break" else " sd")),
            "variables": "any" if s.applies_to is None else ", ".join(s.applies_to),
            "half-hourly only": s.halfhourly_only,
            "description": s.description,
        })
    return pd.DataFrame(rows).set_index("type")


def _normalise_mix(mix, halfhourly: bool, variables) -> dict[str, float]:
    if mix is None:
        mix = {t: 1.0 for t in ANOMALY_TYPES if halfhourly or not _SPECS[t].halfhourly_only}
    elif isinstance(mix, str):
        mix = {mix: 1.0}
    elif not isinstance(mix, dict):
        mix = {t: 1.0 for t in mix}
    unknown = sorted(set(mix) - set(ANOMALY_TYPES))
    if unknown:
        raise ValueError(f"unknown anomaly type(s) {unknown}; expected some of {list(ANOMALY_TYPES)}")
    for t, w in mix.items():
        if not np.isfinite(w) or w < 0:
            raise ValueError(f"mix weight of {t!r} must be a finite number >= 0; got {w!r}")
        if w > 0 and _SPECS[t].halfhourly_only and not halfhourly:
            raise ValueError(f"anomaly type {t!r} needs sub-daily data (night-time); the data are daily")
        applies = _SPECS[t].applies_to
        if w > 0 and applies is not None and not set(applies) & set(variables):
            raise ValueError(f"anomaly type {t!r} applies to {list(applies)}, none of which is among variables={list(variables)}")
    total = sum(mix.values())
    if total <= 0:
        raise ValueError("mix must give at least one anomaly type a weight > 0")
    return {t: w / total for t, w in mix.items() if w > 0}


def _apply(kind, x, start, stop, size, rng, *, ds_site, variable, step_days, units, night, sd):
    """Corrupt x[start:stop] in place by the fault ``kind`` (sizes in ``sd``, the clean series' sd); describe its size."""
    seg = slice(start, stop)
    n = stop - start
    sign = 1.0 if rng.random() < 0.5 else -1.0
    if kind == "spike":
        x[seg] += sign * size * sd
        return f"{sign * size:+.2f} sd"
    if kind == "level_shift":
        x[seg] += sign * size * sd
        return f"{sign * size:+.2f} sd"
    if kind == "drift":
        x[seg] += sign * size * sd * np.linspace(0.0, 1.0, n)
        return f"0 to {sign * size:+.2f} sd"
    if kind == "stuck":
        x[seg] = x[start]
        return f"stuck at {x[start]:.3g}"
    if kind == "sign_flip":
        x[seg] = -x[seg]
        return "x -1"
    if kind == "scale_error":
        if units not in _UNIT_ERRORS:
            raise ValueError(f"no unit error defined for variable {variable!r} with units {units!r}; expected one of {sorted(_UNIT_ERRORS)}")
        how, factor = _UNIT_ERRORS[units]
        if how == "mul":
            x[seg] *= factor
            return f"x {factor:g}"
        x[seg] += factor
        return f"+ {factor:g}"
    if kind == "time_shift":
        lag = int(rng.integers(2, 7)) if step_days < 1 else int(rng.integers(1, 4))
        lag = min(lag, start) if start > 0 else lag
        source = ds_site[variable].values.astype(float)
        x[seg] = source[max(start - lag, 0):max(stop - lag, 0)] if start >= lag else x[seg]
        return f"delayed {lag} steps"
    if kind == "eb_break":
        avail = ds_site["rn"].values.astype(float) - ds_site["g"].values.astype(float)
        x[seg] += sign * size * np.linspace(0.0, 1.0, n) * np.abs(avail[seg])
        return f"0 to {sign * size:+.2f} x |rn - g|"
    if kind == "night_le":
        x[seg] += np.where(night[seg], size, 0.0)
        return f"+{size:.0f} W m-2 at night"
    raise AssertionError(kind)


def plant_anomalies(
    ds: xr.Dataset,
    *,
    variables=("le", "h", "rn", "tmean"),
    fraction: float = 0.05,
    mix=None,
    seed: int = 0,
    label_tol: float = 0.5,
) -> tuple[xr.Dataset, pd.DataFrame]:
    """Plant faults of stated type, size and timing in tower series; return the corrupted data, labels and events.

    Parameters
    ----------
    ds : xarray.Dataset
        Towers with dimensions ``(site, time)`` and a regular time step
        (:func:`~workbench.data.virtual_towers` or
        :func:`~workbench.data.virtual_towers_halfhourly`). ``eb_break`` needs
        ``rn`` and ``g``; ``night_le`` needs ``sw_in_pot`` (half-hourly).
    variables : sequence of str
        Variables that receive faults.
    fraction : float, default 0.05
        Share of all (site, variable, time) steps to corrupt [1], in (0, 0.5].
    mix : dict, list or str, optional
        Relative weights of the :data:`ANOMALY_TYPES` (a list or a single
        name means equal weights). Default: every type the data allow
        (``night_le`` only for sub-daily data).
    seed : int, default 0
        The same seed gives the same faults.
    label_tol : float, default 0.5
        A step is labelled where the fault moved it by more than ``label_tol``
        standard deviations of the series (stuck runs are labelled whole); for
        the virtual towers' fluxes that is about two standard deviations of
        the measurement noise.

    Returns
    -------
    corrupted : xarray.Dataset
        A copy of ``ds`` with faults in ``variables`` and, beside each, a CF
        flag variable ``<variable>_truth`` (0 = clean, else the code in
        :data:`ANOMALY_CODES`). ``ds`` itself is not modified.
    events : pandas.DataFrame
        One row per fault: ``site``, ``variable``, ``type``, ``start``,
        ``end`` (time stamps), ``steps`` and ``size``.

    Examples
    --------
    >>> from workbench.data import virtual_land, virtual_towers
    >>> land = virtual_land(lat=(40, 44), lon=(0, 4), start="2020-01-01", end="2020-12-31")
    >>> bad, events = plant_anomalies(virtual_towers(land, n_sites=2), fraction=0.05, mix="spike", seed=3)
    >>> sorted(set(events["type"])), bool((bad.le_truth == 1).any())
    (['spike'], True)
    """
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"ds must be an xarray.Dataset; got {type(ds).__name__}")
    if not 0.0 < fraction <= 0.5:
        raise ValueError(f"fraction must be in (0, 0.5]; got {fraction}")
    variables = [variables] if isinstance(variables, str) else list(variables)
    missing = [v for v in variables if v not in ds]
    if missing:
        raise ValueError(f"variables {missing} are not in the data; found {sorted(ds.data_vars)}")
    if "site" not in ds.dims:
        ds = ds.expand_dims(site=["site"])
    step = time_step(ds)
    step_days = step / pd.Timedelta("1D")
    halfhourly = step_days < 1.0
    weights = _normalise_mix(mix, halfhourly, variables)
    if "eb_break" in weights and not {"rn", "g"} <= set(ds.data_vars):
        raise ValueError("anomaly type 'eb_break' needs 'rn' and 'g' in the data")
    if "night_le" in weights and "sw_in_pot" not in ds:
        raise ValueError("anomaly type 'night_le' needs 'sw_in_pot' (potential radiation) to know the night")
    for v in variables:
        if "units" not in ds[v].attrs:
            raise ValueError(f"variable {v!r} has no 'units' attribute; expected CF units (e.g. 'W m-2')")
        if int(ds[v].count()) == 0:
            raise ValueError(f"variable {v!r} is entirely missing; expected at least one valid value")

    out = ds.copy(deep=True)
    rng = np.random.default_rng([seed, 2005])
    n_time = ds.sizes["time"]
    times = ds.indexes["time"]
    types = list(weights)
    probs = np.array([weights[t] for t in types])
    events = []
    for i_site, site in enumerate(ds["site"].values):
        site_ds = ds.isel(site=i_site)
        night = site_ds["sw_in_pot"].values <= 0 if "sw_in_pot" in ds else None
        series = {v: out[v].values[i_site].astype(float) for v in variables}
        sd = {v: float(np.nanstd(series[v])) for v in variables}  # of the clean series: sizes and labels refer to it
        labels = {v: np.zeros(n_time, dtype=np.int8) for v in variables}
        taken = {v: np.zeros(n_time, dtype=bool) for v in variables}
        budget = int(round(fraction * n_time * len(variables)))
        tries = 0
        while budget > 0 and tries < 50 * max(budget, 1):
            tries += 1
            kind = types[int(rng.choice(len(types), p=probs))]
            spec = _SPECS[kind]
            allowed = [v for v in variables if spec.applies_to is None or v in spec.applies_to]
            if kind == "scale_error":
                allowed = [v for v in allowed if ds[v].attrs["units"] in _UNIT_ERRORS]
            if not allowed:
                continue
            v = allowed[int(rng.integers(len(allowed)))]
            lo, hi = spec.length_days_hh if halfhourly else spec.length_days
            length = 1 if hi == 0 else max(2, int(round(rng.uniform(lo, hi) / step_days)))
            shortest = 1 if hi == 0 else max(2, int(round(lo / step_days)))
            if shortest > budget:
                continue  # a fault is planted at its stated length or not at all (a 5-day "drift" is not one)
            length = max(min(length, budget, n_time // 4), shortest)
            start = int(rng.integers(8, max(9, n_time - length - 8)))
            stop = start + length
            guard = slice(max(start - 3, 0), min(stop + 3, n_time))
            if taken[v][guard].any():
                continue
            size = rng.uniform(*spec.size) if spec.size != (0.0, 0.0) else 0.0
            before = series[v].copy()
            what = _apply(kind, series[v], start, stop, size, rng, ds_site=site_ds, variable=v, step_days=step_days, units=ds[v].attrs["units"], night=night, sd=sd[v])
            moved = np.abs(series[v][start:stop] - before[start:stop]) > label_tol * sd[v]
            if kind == "stuck":
                moved[:] = True
            labels[v][start:stop] = np.where(moved, ANOMALY_CODES[kind], 0)
            taken[v][start:stop] = True
            budget -= length
            events.append({"site": str(site), "variable": v, "type": kind, "start": times[start], "end": times[stop - 1], "steps": length, "labelled": int(moved.sum()), "size": what})
        for v in variables:
            out[v].values[i_site] = series[v]
            if truth_name(v) not in out:
                out[truth_name(v)] = (ds[v].dims, np.zeros(ds[v].shape, dtype=np.int8))
            out[truth_name(v)].values[i_site] = labels[v]
    for v in variables:
        out[truth_name(v)].attrs = {
            "long_name": f"planted anomaly type of {v}",
            "standard_name": "status_flag",
            "flag_values": np.arange(len(ANOMALY_TYPES) + 1, dtype=np.int8),
            "flag_meanings": " ".join(("clean", *ANOMALY_TYPES)),
        }
        out[v].attrs = {**ds[v].attrs, "ancillary_variables": truth_name(v), "comment": "planted anomalies: see the truth flag variable"}
    out.attrs = {**ds.attrs, "anomalies_seed": seed, "anomalies_fraction": fraction, "anomalies_mix": ", ".join(f"{t}:{w:.3f}" for t, w in weights.items())}
    table = pd.DataFrame(events, columns=["site", "variable", "type", "start", "end", "steps", "labelled", "size"])
    return out, table
