"""Identifiability: which parameters the data constrain (a posterior sample with emcee, loss slices).

A parameter is identifiable when the data pin it down: its posterior is narrow
compared with its prior range. Equifinality shows as a ridge in the loss (or
a correlated posterior): different parameter sets fit equally well.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from .model import PARAMETERS, from_unit
from .problem import CalibrationProblem

__all__ = ["sample_posterior", "posterior_summary", "loss_slice"]


def sample_posterior(problem: CalibrationProblem, sigma: xr.DataArray, *, nwalkers: int = 12, nsteps: int = 200,
                     burn: float = 0.5, seed: int = 0, start=None, progress: bool = False) -> xr.Dataset:
    """Posterior of the calibrated parameters with the affine-invariant ensemble sampler (emcee).

    Likelihood: independent Gaussian daily ET errors with sd ``sigma`` (e.g.
    the towers' error model), ``log L = -0.5 sum ((sim - obs) / sigma)^2``;
    uniform priors inside the problem's bounds.

    Parameters
    ----------
    problem : CalibrationProblem
        One site, ``variables=("et",)``.
    sigma : xarray.DataArray
        ET error sd [mm d-1] on ``time``.
    nwalkers, nsteps : int
        Walkers (each step evaluates them all, in two batches) and steps.
    burn : float, default 0.5
        Fraction of the steps discarded.
    start : dict, optional
        Centre of the initial ball (default the centre of the bounds).

    Returns
    -------
    xarray.Dataset
        ``samples`` (draw, parameter) and ``log_prob`` (draw); attrs
        ``n_evaluations`` and ``acceptance``.
    """
    import emcee

    if problem.variables != ["et"] or problem.n_sites != 1:
        raise ValueError("sample_posterior needs a one-site problem on ET")
    obs = problem.data["obs_et"]
    s = np.asarray(sigma.values, dtype=float)
    if not np.all(np.isfinite(s[np.isfinite(obs.values)])) or np.any(s <= 0):
        raise ValueError("sigma must be positive and finite wherever obs_et is")
    lo, hi = (np.array([b[i] for b in problem.bounds.values()]) for i in (0, 1))
    problem.reset()

    def log_prob(theta):
        theta = np.atleast_2d(theta)
        inside = np.all((theta > lo) & (theta < hi), axis=1)
        out = np.full(len(theta), -np.inf)
        if inside.any():
            sim = problem.simulate(theta[inside])["et"].transpose("member", "time").values
            problem.n_evaluations += int(inside.sum())
            r = (sim - obs.values[None]) / s[None]
            out[inside] = -0.5 * np.nansum(r**2, axis=1)
        return out

    rng = np.random.default_rng(seed)
    centre = np.full(problem.dim, 0.5) if start is None else (np.array([start[k] for k in problem.names]) - lo) / (hi - lo)
    p0 = from_unit(np.clip(centre + 0.02 * rng.standard_normal((nwalkers, problem.dim)), 0.01, 0.99), problem.bounds)
    sampler = emcee.EnsembleSampler(nwalkers, problem.dim, log_prob, vectorize=True)
    sampler.random_state = np.random.RandomState(seed).get_state()
    for _ in tqdm(sampler.sample(p0, iterations=nsteps), total=nsteps, desc="emcee", disable=not progress,
                  leave=False):
        pass
    discard = int(burn * nsteps)
    chain = sampler.get_chain(discard=discard, flat=True)
    lp = sampler.get_log_prob(discard=discard, flat=True)
    ds = xr.Dataset({"samples": (("draw", "parameter"), chain), "log_prob": ("draw", lp)},
                    coords={"parameter": problem.names})
    ds.attrs = {"n_evaluations": problem.n_evaluations, "acceptance": float(np.mean(sampler.acceptance_fraction)),
                "nwalkers": nwalkers, "nsteps": nsteps}
    return ds


def posterior_summary(post: xr.Dataset, truth: dict | None = None, bounds: dict | None = None) -> "pd.DataFrame":
    """Mean, sd, 2.5-97.5 % interval per parameter; with ``truth``, whether it lies in the interval;
    with ``bounds``, the interval's width as a fraction of the prior range (small = identifiable)."""
    import pandas as pd

    rows = []
    for p in post["parameter"].values:
        x = post["samples"].sel(parameter=p).values
        row = {"parameter": str(p), "mean": x.mean(), "sd": x.std(), "q025": np.quantile(x, 0.025),
               "q975": np.quantile(x, 0.975)}
        if bounds is not None:
            row["width_of_prior"] = (row["q975"] - row["q025"]) / (bounds[p][1] - bounds[p][0])
        if truth is not None:
            row["truth"] = truth[p]
            row["truth_in_95"] = bool(row["q025"] <= truth[p] <= row["q975"])
            row["z"] = (row["mean"] - truth[p]) / row["sd"] if row["sd"] > 0 else np.inf
        rows.append(row)
    return pd.DataFrame(rows).set_index("parameter")


def loss_slice(problem: CalibrationProblem, x: str, y: str, *, n: int = 15, at: dict | None = None) -> xr.DataArray:
    """The loss on an ``n x n`` grid of two parameters, the others held ``at`` given values (one batched run).

    Returns
    -------
    xarray.DataArray
        Loss on dims (``y``, ``x``) with the parameter values as coordinates.
    """
    for k in (x, y):
        if k not in problem.names:
            raise ValueError(f"{k!r} is not calibrated in this problem ({problem.names})")
    at = dict(at or {})
    gx = np.linspace(*problem.bounds[x], n)
    gy = np.linspace(*problem.bounds[y], n)
    yy, xx = np.meshgrid(gy, gx, indexing="ij")
    cols = []
    for k in problem.names:
        cols.append(xx.ravel() if k == x else yy.ravel() if k == y else np.full(xx.size, at[k]))
    values = problem(np.stack(cols, axis=1)).reshape(n, n)
    return xr.DataArray(values, dims=(y, x), coords={y: (y, gy, {"units": PARAMETERS[y][4]}),
                                                      x: (x, gx, {"units": PARAMETERS[x][4]})}, name="loss")
