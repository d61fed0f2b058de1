"""Speed of the workbench ET formulas against pyet 1.5.0 on the same NumPy inputs, and of the virtual-land generator.

For each size (cells = days x sites, flattened) the same random but realistic
inputs go through the workbench formula and through pyet (which wants pandas
Series; wrapping the arrays costs no copy). Both sides compute the same
quantities from the same inputs, so the ratio compares like with like:

* FAO-56 Penman-Monteith: e_s from Tmax/Tmin, then Eq. 6 (pyet ``pm_fao56``, ``clip_zero=False``).
* Priestley-Taylor from Rn and Tmean (pyet ``priestley_taylor``).
* Hargreaves-Samani: R_a from latitude and day of year, then Eq. 52 (pyet
  ``hargreaves``, which takes the dates as a DatetimeIndex).
* Penman-Monteith with resistances (W m-2, used by the virtual land): workbench only.

Each time is the best of ``--repeats`` runs. The results of both sides are
also compared, so a fast wrong answer cannot pass unnoticed.

Usage::

    python benchmarks/et_speed.py                 # 1e4 .. 1e6 cells
    python benchmarks/et_speed.py --max-size 1e7  # adds 1e7 cells (about 3 GB of memory)

The virtual-land generator is timed for about the same numbers of cell-days (square
grids at 0.25 degree, one year), eagerly and, at the largest size, chunked with dask.

The last line is ``RESULT key=value ...`` with the speed-ups at 1e6 cells and the
generator's throughput (``gen_cells_per_s``, cell-days per second) at the largest size.
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np
import pandas as pd

from workbench import physics

DEFAULT_SIZES = (10_000, 100_000, 1_000_000)
LAT = 47.3


def _inputs(n: int, seed: int = 0) -> dict:
    rng = np.random.default_rng(seed)
    # minutes keep 1e7 timestamps inside pandas' date range; pyet reads a day of year from each
    index = pd.date_range("2001-01-01", periods=n, freq="min")
    tmin = rng.uniform(-5.0, 20.0, n)
    tmax = tmin + rng.uniform(3.0, 15.0, n)
    es_min = physics.saturation_vapour_pressure(tmin)
    return {
        "index": index,
        "tmin": tmin,
        "tmax": tmax,
        "tmean": 0.5 * (tmin + tmax),
        "ea": es_min * rng.uniform(0.7, 1.0, n),
        "wind": rng.uniform(0.5, 6.0, n),
        "rn": rng.uniform(0.5, 18.0, n),
        "vpd": rng.uniform(0.1, 2.5, n),
        "r_aero": rng.uniform(20.0, 200.0, n),
        "r_surface": rng.uniform(40.0, 400.0, n),
        "pressure": 97.0,
    }


def _best(func, repeats: int) -> tuple[float, np.ndarray]:
    best, result = np.inf, None
    for _ in range(repeats):
        start = time.perf_counter()
        result = func()
        best = min(best, time.perf_counter() - start)
    return best, np.asarray(result, dtype=float)


def _cases(x: dict):
    """(name, workbench callable, pyet callable or None) on the same inputs."""
    import pyet

    s = {k: pd.Series(v, index=x["index"], copy=False) for k, v in x.items() if isinstance(v, np.ndarray)}
    lat_rad = np.deg2rad(LAT)

    def pm_workbench():
        es = physics.mean_saturation_vapour_pressure(x["tmax"], x["tmin"])
        return physics.fao56_penman_monteith(x["rn"], x["tmean"], x["wind"], es, x["ea"], pressure=x["pressure"])

    def pm_pyet():
        return pyet.pm_fao56(
            s["tmean"], s["wind"], rn=s["rn"], tmax=s["tmax"], tmin=s["tmin"], ea=s["ea"],
            pressure=x["pressure"], clip_zero=False,
        )

    def pt_workbench():
        return physics.priestley_taylor(x["rn"], x["tmean"], pressure=x["pressure"])

    def pt_pyet():
        return pyet.priestley_taylor(s["tmean"], rn=s["rn"], pressure=x["pressure"], clip_zero=False)

    def hs_workbench():
        ra = physics.extraterrestrial_radiation(LAT, x["index"].dayofyear.to_numpy())
        return physics.hargreaves_samani(x["tmean"], x["tmax"], x["tmin"], ra)

    def hs_pyet():
        # pyet divides by lambda(T) where FAO-56 Eq. 52 multiplies by 0.408; rescale to compare
        lam = physics.latent_heat_vaporisation(x["tmean"])
        return pyet.hargreaves(s["tmean"], s["tmax"], s["tmin"], lat_rad, clip_zero=False).to_numpy() * lam * 0.408

    def pmr_workbench():
        rn_w = x["rn"] / 0.0864
        return physics.penman_monteith(rn_w, x["tmean"], x["vpd"], x["r_aero"], x["r_surface"], pressure=x["pressure"])

    return [
        ("pm", pm_workbench, pm_pyet),
        ("pt", pt_workbench, pt_pyet),
        ("hs", hs_workbench, hs_pyet),
        ("pm_resistances", pmr_workbench, None),
    ]


def time_formulas(sizes=DEFAULT_SIZES, repeats: int = 3, seed: int = 0) -> dict:
    """Time each formula at each size; return ``{(case, n): {...}}``.

    Each value holds ``workbench_s``, ``pyet_s`` (NaN when pyet has no
    counterpart), ``speedup`` (pyet_s / workbench_s), ``cells_per_s`` and
    ``max_rel_diff`` between the two results.
    """
    out = {}
    for n in sizes:
        x = _inputs(int(n), seed)
        for name, ours, theirs in _cases(x):
            t_ours, r_ours = _best(ours, repeats)
            if theirs is None:
                t_theirs, diff = np.nan, np.nan
            else:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    t_theirs, r_theirs = _best(theirs, repeats)
                diff = float(np.max(np.abs(r_ours - r_theirs) / np.maximum(np.abs(r_theirs), 1e-9)))
            out[(name, int(n))] = {
                "workbench_s": t_ours,
                "pyet_s": t_theirs,
                "speedup": t_theirs / t_ours,
                "cells_per_s": n / t_ours,
                "max_rel_diff": diff,
            }
        del x
    return out


def time_generator(sizes=DEFAULT_SIZES, days: int = 365) -> dict:
    """Time :func:`workbench.data.virtual_land` for about ``n`` cell-days each (square grids of one year).

    The largest size is also built lazily with dask chunks and computed, to
    show that chunked generation costs about the same per cell.
    """
    from workbench.data import virtual_land

    out = {}
    for n in sizes:
        side = max(1, int(round(np.sqrt(n / days))))
        kwargs = dict(lat=(0.0, side * 0.25), lon=(0.0, side * 0.25), resolution=0.25, start="2021-01-01")
        end = (pd.Timestamp("2021-01-01") + pd.Timedelta(days=days - 1)).strftime("%Y-%m-%d")
        t0 = time.perf_counter()
        land = virtual_land(end=end, **kwargs)
        seconds = time.perf_counter() - t0
        cells = land.sizes["lat"] * land.sizes["lon"] * land.sizes["time"]
        out[("eager", cells)] = {"seconds": seconds, "cells_per_s": cells / seconds}
    side_chunk = max(1, side // 2)
    t0 = time.perf_counter()
    lazy = virtual_land(end=end, chunks={"lat": side_chunk, "lon": side_chunk}, **kwargs)
    lazy.compute(scheduler="threads")
    seconds = time.perf_counter() - t0
    out[("dask", cells)] = {"seconds": seconds, "cells_per_s": cells / seconds}
    return out


def _generator_table(results: dict) -> str:
    lines = [f"{'virtual_land':<16}{'cell-days':>12}{'seconds':>10}{'cell-days/s':>14}"]
    for (mode, n), r in results.items():
        lines.append(f"{mode:<16}{n:>12.2e}{r['seconds']:>10.2f}{r['cells_per_s']:>14.3g}")
    return "\n".join(lines)


def _table(results: dict) -> str:
    lines = [f"{'formula':<16}{'cells':>10}{'workbench s':>14}{'pyet s':>12}{'speed-up':>10}{'Mcells/s':>10}{'max rel diff':>14}"]
    for (name, n), r in results.items():
        lines.append(
            f"{name:<16}{n:>10.0e}{r['workbench_s']:>14.5f}{r['pyet_s']:>12.5f}{r['speedup']:>10.2f}"
            f"{r['cells_per_s'] / 1e6:>10.1f}{r['max_rel_diff']:>14.1e}"
        )
    return "\n".join(lines)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--max-size", type=float, default=1e6, help="largest size to time (1e7 adds the optional case)")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    sizes = [n for n in (1e4, 1e5, 1e6, 1e7) if n <= args.max_size]
    results = time_formulas(sizes, repeats=args.repeats)
    print(_table(results))
    generator = time_generator([n for n in sizes if n <= 1e6 or args.max_size >= 1e7])
    print()
    print(_generator_table(generator))
    largest = max(n for mode, n in generator if mode == "eager")
    ref = int(1e6) if 1e6 in sizes else int(max(sizes))
    summary = {
        "pm_speedup_vs_pyet": results[("pm", ref)]["speedup"],
        "pt_speedup_vs_pyet": results[("pt", ref)]["speedup"],
        "hs_speedup_vs_pyet": results[("hs", ref)]["speedup"],
        "pm_resistances_mcells_per_s": results[("pm_resistances", ref)]["cells_per_s"] / 1e6,
        "max_rel_diff_vs_pyet": max(r["max_rel_diff"] for r in results.values() if np.isfinite(r["max_rel_diff"])),
        "gen_cells_per_s": generator[("eager", largest)]["cells_per_s"],
        "gen_dask_cells_per_s": generator[("dask", largest)]["cells_per_s"],
        "cells": ref,
    }
    print("RESULT " + " ".join(f"{k}={v:.3g}" if isinstance(v, float) else f"{k}={v}" for k, v in summary.items()))
    return summary


if __name__ == "__main__":
    main()
