"""Scale benchmark of the product intercomparison (issue #5).

Parts
-----
1. Global run: five synthetic products (one year, daily) built lazily from a
   cheap deterministic truth field (``workbench.data.products.idealised_truth``:
   seasonal cycle + daily weather; the virtual land's energy balance is too slow
   to generate at global 0.1 degree in the time budget, so it is not used here),
   all pair metrics of every product against the truth, and triple collocation
   over all ten triplets, reduced to area-weighted global means inside the
   dask graph. Wall time and peak memory (RSS sampled every 0.1 s, plus the
   process high-water mark) are measured.
2. In-memory subset: the same metrics against xskillscore 0.0.29 and a
   straightforward NumPy implementation; triple collocation against pytesmo
   0.18.1 (time and largest difference).
3. Triple collocation recovers the known error variances of the products whose
   errors are independent of the truth and of each other.

Timings are noisy: the machine (2 cores) is shared with other engineers' jobs.

Usage::

    python benchmarks/intercompare_scale.py --size small     # 1 degree, seconds
    python benchmarks/intercompare_scale.py --size global    # 0.1 degree, 2.4e9 cells per product

The last line is ``RESULT global_wall_s=... global_peak_gib=... speedup_vs_xskillscore=...
speedup_vs_pytesmo=... tc_max_relerr=...``.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import dask  # noqa: E402
import numpy as np  # noqa: E402
import psutil  # noqa: E402
import xarray as xr  # noqa: E402

from workbench.data.products import DEFAULT_PRODUCTS, idealised_truth, synthetic_products  # noqa: E402
from workbench.intercompare import aggregate, collocation, metrics  # noqa: E402

SIZES = {  # resolution [deg], spatial chunk [cells]
    "tiny": (2.0, 45),
    "small": (1.0, 60),
    "medium": (0.5, 120),
    "global": (0.1, 120),
}
CLEAN = ("offset", "scaled", "noisy")  # independent errors, uncorrelated with the truth


class PeakMemory:
    """Sample the resident memory of this process and its children every ``interval`` s."""

    def __init__(self, interval: float = 0.1):
        self.interval, self.peak, self._stop = interval, 0, threading.Event()
        self.proc = psutil.Process()

    def _rss(self):
        total = self.proc.memory_info().rss
        for child in self.proc.children(recursive=True):
            try:
                total += child.memory_info().rss
            except psutil.Error:
                pass
        return total

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, self._rss())
            time.sleep(self.interval)

    def __enter__(self):
        self.peak = self._rss()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def global_run(resolution: float, chunk: int, progress: bool):
    weather_cells = max(1, int(round(1.0 / resolution)))  # 1-degree weather systems
    truth = idealised_truth(
        lat=(-90, 90), lon=(-180, 180), resolution=resolution, start="2021-01-01", end="2021-12-31",
        chunks={"lat": chunk, "lon": chunk}, weather_cells=weather_cells,
    )
    products = synthetic_products(truth, DEFAULT_PRODUCTS, seed=0)
    n_cells = truth.size
    print(f"global: {truth.sizes['lat']} x {truth.sizes['lon']} cells x {truth.sizes['time']} days = {n_cells:.3e} cells per product, "
          f"{len(products.data_vars)} products, chunks {chunk}x{chunk}x{truth.sizes['time']} "
          f"({chunk * chunk * truth.sizes['time'] * 4 / 2**20:.0f} MiB float32 per product block)")
    results = {}
    for name in products.data_vars:
        m = metrics.compute_metrics(truth, products[name], dim="time", skipna=True, as_array=True)
        results[name] = aggregate.area_mean(m)
    tc = collocation.tc_all_triplets(products)
    tc_means = tc[["err_var", "rho2", "snr"]].map(aggregate.area_mean)
    known = {n: products[n].attrs["noise_std"] ** 2 for n in CLEAN}
    t0 = time.perf_counter()
    cpu0 = _cpu_seconds()
    with PeakMemory() as mem:
        if progress:
            from dask.diagnostics import ProgressBar

            with ProgressBar(minimum=5):
                computed = dask.compute(results, tc_means)
        else:
            computed = dask.compute(results, tc_means)
    wall = time.perf_counter() - t0
    cpu = _cpu_seconds() - cpu0
    res, tcm = computed
    peak = max(mem.peak, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024) / 2**30
    print(f"global: wall {wall:.1f} s, CPU {cpu:.1f} s (CPU / 2 cores = {cpu / 2:.1f} s: the wall time on two otherwise idle cores), "
          f"peak RSS {peak:.2f} GiB (sampled every 0.1 s incl. worker processes {mem.peak / 2**30:.2f} GiB, this process's high-water "
          f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20:.2f} GiB)")
    print("global area-weighted means against the truth (missing values masked per pair: a day counts only where both have a value):")
    for name, m in res.items():
        print(f"  {name:7s} " + " ".join(f"{k}={float(m.sel(metric=k)):.3f}" for k in ("bias", "rmse", "ubrmse", "pearson_r", "kge", "nse")))
    trip = "|".join(CLEAN)
    est = {n: float(tcm.err_var.sel(triplet=trip, product=n)) for n in CLEAN}
    relerr = {n: abs(est[n] - known[n]) / known[n] for n in CLEAN}
    print(f"global TC (triplet {trip}; area mean of per-cell estimates, {truth.sizes['time']} days per cell, "
          f"{truth.sizes['lat'] * truth.sizes['lon']} cells):")
    for n in CLEAN:
        print(f"  {n:7s} err_var est={est[n]:.4f} known={known[n]:.4f} (mm d-1)^2 relerr={relerr[n]:.3f}")
    return wall, peak, max(relerr.values()), cpu


def _cpu_seconds() -> float:
    """User + system CPU time of this process and its (worker) children."""
    proc = psutil.Process()
    total = sum(proc.cpu_times()[:2])
    for child in proc.children(recursive=True):
        try:
            total += sum(child.cpu_times()[:2])
        except psutil.Error:
            pass
    return total


def subset_comparison(n_cells: int = 2000, n_days: int = 365):
    import pytesmo.metrics as pm
    import xskillscore as xs

    truth = idealised_truth(lat=(30, 30 + n_cells // 50 * 0.5), lon=(0, 25), resolution=0.5, start="2021-01-01", end="2021-12-31").isel(time=slice(0, n_days))
    prods = synthetic_products(truth, DEFAULT_PRODUCTS[:3], seed=5).compute()
    obs, sim = truth.astype("float64"), prods.scaled.astype("float64")
    names = ["bias", "rmse", "mae", "pearson_r", "nse"]
    print(f"subset: {truth.sizes['lat'] * truth.sizes['lon']} cells x {truth.sizes['time']} days in memory (float64)")

    def ours():
        return metrics.compute_metrics(obs, sim, names, dim="time")

    def skill():
        return {
            "bias": -xs.me(obs, sim, dim="time"),
            "rmse": xs.rmse(obs, sim, dim="time"),
            "mae": xs.mae(obs, sim, dim="time"),
            "pearson_r": xs.pearson_r(obs, sim, dim="time"),
            "nse": xs.r2(obs, sim, dim="time"),
        }

    o, s = obs.values, sim.values

    def plain():
        d = s - o
        return {
            "bias": d.mean(0),
            "rmse": np.sqrt((d**2).mean(0)),
            "mae": np.abs(d).mean(0),
            "pearson_r": np.array([[np.corrcoef(o[:, i, j], s[:, i, j])[0, 1] for j in range(o.shape[2])] for i in range(o.shape[1])]),
            "nse": 1 - (d**2).sum(0) / ((o - o.mean(0)) ** 2).sum(0),
        }

    t_ours, r_ours = _best(ours)
    t_xs, r_xs = _best(skill)
    t_np, r_np = _best(plain)
    diff_xs = max(float(abs(r_ours[k] - r_xs[k]).max()) for k in names)
    diff_np = max(float(np.nanmax(abs(r_ours[k].values - r_np[k]))) for k in names)
    print(f"  metrics {names}: workbench {t_ours * 1e3:.1f} ms | xskillscore {t_xs * 1e3:.1f} ms (x{t_xs / t_ours:.2f}) | "
          f"numpy {t_np * 1e3:.1f} ms (x{t_np / t_ours:.2f}); max |diff| vs xskillscore {diff_xs:.1e}, vs numpy {diff_np:.1e}")

    prods = prods.astype("float64")
    x, y, z = (prods[n].values.reshape(prods.sizes["time"], -1) for n in CLEAN)

    def tc_ours():
        return collocation.tc_all_triplets(prods[list(CLEAN)]).snr.isel(triplet=0).values.reshape(3, -1)

    def tc_pytesmo():
        return np.array([pm.tcol_metrics(x[:, i], y[:, i], z[:, i])[0] for i in range(x.shape[1])]).T

    t_tc, snr_ours = _best(tc_ours)
    t_pt, snr_pt = _best(tc_pytesmo, repeat=1)
    diff_tc = float(np.nanmax(abs(snr_ours - snr_pt)))
    print(f"  triple collocation over {x.shape[1]} cells: workbench {t_tc * 1e3:.1f} ms | pytesmo loop {t_pt * 1e3:.1f} ms "
          f"(x{t_pt / t_tc:.1f}); max |SNR diff| {diff_tc:.1e} dB")
    return t_xs / t_ours, t_pt / t_tc


def _best(func, repeat: int = 3):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = func()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", choices=list(SIZES), default="small")
    parser.add_argument("--chunk", type=int, default=None, help="spatial chunk size in cells")
    parser.add_argument("--workers", type=int, default=2, help="dask threads")
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--distributed", action="store_true", help="run on a dask.distributed LocalCluster (1 worker process)")
    args = parser.parse_args(argv)
    resolution, chunk = SIZES[args.size]
    chunk = args.chunk or chunk
    client = None
    if args.distributed:
        from dask.distributed import Client, LocalCluster

        cluster = LocalCluster(n_workers=1, threads_per_worker=args.workers, processes=True, memory_limit="4GiB", dashboard_address=None)
        client = Client(cluster)
        where = f"dask.distributed LocalCluster: 1 worker process x {args.workers} threads, memory_limit 4 GiB"
    else:
        dask.config.set(scheduler="threads", num_workers=args.workers)
        where = f"{args.workers} dask threads"
    print(f"intercompare_scale: size={args.size} ({resolution} deg), {where}, {os.cpu_count()} CPUs "
          f"(shared machine, load average {os.getloadavg()[0]:.1f} at start: timings are noisy)")
    wall, peak, relerr, cpu = global_run(resolution, chunk, args.progress)
    if client is not None:
        client.close()
        cluster.close()
    scaled_wall = wall * (resolution / 0.1) ** 2
    if args.size != "global":
        print(f"  (global 0.1 deg would be ~{(resolution / 0.1) ** 2:.0f}x larger; linear extrapolation {scaled_wall:.0f} s)")
    target = "met" if args.size == "global" and wall < 600 and peak < 4 else ("missed" if args.size == "global" else "n/a at this size")
    print(f"target (< 600 s, < 4 GiB at global 0.1 deg): {target}")
    sp_xs, sp_pt = subset_comparison()
    print(f"RESULT global_wall_s={wall:.1f} global_peak_gib={peak:.2f} speedup_vs_xskillscore={sp_xs:.2f} "
          f"speedup_vs_pytesmo={sp_pt:.1f} tc_max_relerr={relerr:.3f} global_cpu_s={cpu:.1f} size={args.size}")


if __name__ == "__main__":
    main()
