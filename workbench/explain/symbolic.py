"""A readable counterpart to SHAP: a short equation for the residual, from the symbolic engine."""

from __future__ import annotations

import numpy as np

from ..symbolic import SymbolicRegressor

__all__ = ["residual_equation"]


def residual_equation(em, table, *, drivers=None, niterations: int = 30, population_size: int = 300,
                      max_complexity: int = 9, max_rows: int = 2000, seed: int = 0, run_name=None, progress=False):
    """Search a short equation ``residual ~ f(drivers)`` on the error model's fit groups.

    The search uses the same fit/explanation split as the error model ``em``:
    it is fitted on rows of the fit groups and scored on the held-out rows.

    Parameters
    ----------
    em : ErrorModel
        A fitted error model (for its split, drivers and target).
    table : xarray.Dataset
        The ``sample`` table ``em`` was fitted on.
    drivers : list of str, optional
        A subset of ``em.feature_names_`` (e.g. the top SHAP drivers); default all.
    niterations, population_size, max_complexity : int
        Budget of the pyoperon search (small by default: seconds).
    max_rows : int
        Rows drawn from the fit groups.
    seed : int
    run_name : str, optional
        Keep the front under ``runs/symbolic/<run_name>/``.

    Returns
    -------
    sr : workbench.symbolic.SymbolicRegressor
        The fitted search; ``sr.equation_`` is the chosen equation.
    r2 : float
        Its R2 on the held-out rows.
    """
    names = list(drivers or em.feature_names_)
    bad = [n for n in names if n not in em.feature_names_]
    if bad:
        raise ValueError(f"drivers {bad} are not drivers of the error model; drivers: {em.feature_names_}")
    fit = table.sel(sample=em.fit_samples_)
    rng = np.random.default_rng(seed)
    rows = np.sort(rng.choice(fit.sizes["sample"], min(max_rows, fit.sizes["sample"]), replace=False))
    fit = fit.isel(sample=rows)
    sr = SymbolicRegressor(backend="pyoperon", operators=("+", "-", "*", "/"), niterations=niterations,
                           population_size=population_size, max_complexity=max_complexity, seed=seed,
                           run_name=run_name, progress=progress)
    sr.fit(fit[names], fit[em.target_name_])
    held = table.sel(sample=em.explain_samples_)
    y = np.asarray(held[em.target_name_].values, float)
    pred = sr.predict(held[names])
    return sr, float(1.0 - np.sum((y - pred) ** 2) / np.sum((y - y.mean()) ** 2))
