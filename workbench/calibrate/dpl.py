"""Differentiable parameter learning (dPL; Tsai et al. 2021): a network maps site attributes to model parameters.

The network (attributes -> hidden layer -> one logit per parameter, squashed
into the bounds) is trained *through* the differentiable model
(:func:`workbench.calibrate.model.simulate_torch`) on the observations of many
sites at once; it is then applied to sites it never saw, with no calibration
there. Each epoch runs the model once per training site (one model
evaluation each) in one batched year.

References
----------
Tsai, W.-P. et al. (2021) From calibration to parameter learning: harnessing
the scaling effects of big data in geoscientific modeling. Nat. Commun. 12:5988.
Feng, D. et al. (2023) The suitability of differentiable, physics-informed
machine learning hydrologic models for ungauged regions and climate change
impact assessment. HESS 27:2357-2373.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import xarray as xr
from tqdm.auto import tqdm

from .model import PARAMETERS, check_bounds
from .problem import CalibrationProblem
from .search import smooth_objective
from .sites import site_attributes

__all__ = ["DPLModel", "leave_site_out"]


def _device(device):
    import torch

    return torch.device(device or ("cuda" if torch.cuda.is_available() else "cpu"))


class DPLModel:
    """Learn a mapping site attributes -> parameters by training through the differentiable model.

    Parameters
    ----------
    hidden : int, default 16
        Width of the hidden layer.
    epochs : int, default 30
        Training epochs (each: one batched year at every training site).
    lr : float, default 0.05
        Adam learning rate.
    optimizer : {"adam", "lbfgs"}, default "adam"
        Full-batch L-BFGS (strong-Wolfe line search) counts each of its model
        runs as an epoch.
    names : sequence of str, optional
        Parameters learned (default all of :data:`~workbench.calibrate.model.PARAMETERS`).
    bounds : dict, optional
        Their ranges (checked by :func:`~workbench.calibrate.model.check_bounds`).
    objective : {"rmse", "kge"}, default "rmse"
        On ET.
    n_newton : int, default 3
        Newton steps per day in the torch model.
    attributes : sequence of str, optional
        Which :func:`~workbench.calibrate.sites.site_attributes` the network sees
        (default all; e.g. only the ``is_<class>`` land-cover columns when the
        parameters depend on land cover alone). Each is standardised with the
        training sites' mean and standard deviation.
    seed : int, default 0
    device : str, optional
        Default ``cuda`` when available, else CPU.

    Attributes
    ----------
    history_ : pandas.DataFrame
        ``epoch``, ``n_evaluations`` (cumulative model evaluations) and ``loss``
        (mean training loss) per epoch.
    n_evaluations_ : int
    wall_s_ : float
    """

    def __init__(self, *, hidden: int = 16, epochs: int = 30, lr: float = 0.05, optimizer: str = "adam", names=None,
                 bounds=None, objective: str = "rmse", n_newton: int = 3, attributes=None, seed: int = 0, device=None):
        if optimizer not in ("adam", "lbfgs"):
            raise ValueError(f"optimizer must be 'adam' or 'lbfgs'; got {optimizer!r}")
        self.hidden, self.epochs, self.lr, self.objective, self.optimizer = hidden, epochs, lr, objective, optimizer
        self.bounds = check_bounds(bounds, names if names is not None else (list(bounds) if bounds else None))
        self.names = list(self.bounds)
        self.n_newton, self.seed, self.device = n_newton, seed, device
        self.attributes = None if attributes is None else list(attributes)

    def _attributes(self, sites):
        attrs = site_attributes(sites)
        if self.attributes is None:
            return attrs
        unknown = [a for a in self.attributes if a not in attrs["attribute"].values]
        if unknown:
            raise ValueError(f"unknown site attribute(s) {unknown}; site_attributes gives {list(attrs['attribute'].values)}")
        return attrs.sel(attribute=self.attributes)

    def _net(self, n_in):
        import torch

        return torch.nn.Sequential(torch.nn.Linear(n_in, self.hidden), torch.nn.Tanh(),
                                   torch.nn.Linear(self.hidden, len(self.names))).double()

    def _params(self, net, x):
        import torch

        lo, hi = (torch.tensor([b[i] for b in self.bounds.values()], dtype=torch.float64, device=x.device)
                  for i in (0, 1))
        theta = lo + (hi - lo) * torch.sigmoid(net(x))
        return {k: theta[:, i] for i, k in enumerate(self.names)}

    def fit(self, sites: xr.Dataset, *, progress: bool = False, groups=None):
        """Train on the ``obs_et`` of ``sites`` (dims site, time); returns self.

        ``groups`` (a list of site-index arrays) trains one network per group
        in the same batched model run (used by :func:`leave_site_out`).
        """
        import torch

        torch.manual_seed(self.seed)
        dev = _device(self.device)
        attrs = self._attributes(sites)
        self.attribute_names_ = list(attrs["attribute"].values)
        x_all = attrs.values
        groups = [np.arange(sites.sizes["site"])] if groups is None else [np.asarray(g) for g in groups]
        cols = np.concatenate(groups)
        self.mean_ = [x_all[g].mean(0) for g in groups]
        self.scale_ = [np.where(x_all[g].std(0) > 0, x_all[g].std(0), 1.0) for g in groups]
        xs = [torch.tensor((x_all[g] - m) / s, dtype=torch.float64, device=dev)
              for g, m, s in zip(groups, self.mean_, self.scale_)]
        self.nets_ = [self._net(x_all.shape[1]).to(dev) for _ in groups]
        problem = CalibrationProblem(sites.isel(site=cols), objective=self.objective, names=self.names,
                                     bounds=self.bounds)
        f, obs = problem.tensors()
        f = {k: v.to(dev) for k, v in f.items()}
        obs = {k: v.to(dev) for k, v in obs.items()}
        problem._tensors = (f, obs)
        weights = [p for n in self.nets_ for p in n.parameters()]
        opt = (torch.optim.Adam(weights, lr=self.lr) if self.optimizer == "adam" else
               torch.optim.LBFGS(weights, lr=1.0, max_iter=self.epochs, max_eval=self.epochs,
                                 line_search_fn="strong_wolfe", tolerance_grad=1e-12, tolerance_change=1e-14))
        starts = np.cumsum([0] + [len(g) for g in groups])
        rows, t0 = [], time.perf_counter()
        bar = tqdm(total=self.epochs, desc="dPL training", disable=not progress, leave=False)

        def closure():
            if len(rows) >= self.epochs:
                return torch.tensor(np.inf, dtype=torch.float64)
            opt.zero_grad()
            parts = [self._params(net, x) for net, x in zip(self.nets_, xs)]
            params = {k: torch.cat([p[k] for p in parts]) for k in self.names}
            from .model import simulate_torch
            from .objectives import torch_loss

            sim = simulate_torch(f, **{k: params.get(k, problem.fixed.get(k)) for k in ("vcmax25", "g1", "whc")},
                                 n_newton=self.n_newton, outputs=("et",))
            per_site = torch_loss(obs["et"], sim["et"], self.objective)
            value = sum(per_site[a:b].mean() for a, b in zip(starts[:-1], starts[1:]))
            smooth = sum(smooth_objective(per_site[a:b], self.objective).mean() for a, b in zip(starts[:-1], starts[1:]))
            smooth.backward()  # RMSE descended as MSE (smooth at a perfect fit), as in gradient_descent
            rows.append((len(rows) + 1, (len(rows) + 1) * len(cols), float(value.detach()) / len(groups)))
            bar.update()
            bar.set_postfix(loss=f"{rows[-1][2]:.3f}")
            return smooth

        try:
            if self.optimizer == "lbfgs":
                opt.step(closure)
            while len(rows) < self.epochs and self.optimizer == "adam":
                opt.step(closure)
        finally:
            bar.close()
        self.history_ = pd.DataFrame(rows, columns=["epoch", "n_evaluations", "loss"])
        self.n_evaluations_ = int(len(rows) * len(cols))
        self.wall_s_ = time.perf_counter() - t0
        self.groups_ = groups
        return self

    def predict(self, sites: xr.Dataset, *, group: int = 0) -> xr.Dataset:
        """Parameters of each site from its attributes alone (network ``group``), as a Dataset on ``site``."""
        import torch

        if not hasattr(self, "nets_"):
            raise RuntimeError("fit the DPLModel before predict")
        attrs = self._attributes(sites)
        if list(attrs["attribute"].values) != self.attribute_names_:
            raise ValueError(f"sites give attributes {list(attrs['attribute'].values)}; the model was trained on "
                             f"{self.attribute_names_}")
        net = self.nets_[group]
        x = torch.tensor((attrs.values - self.mean_[group]) / self.scale_[group], dtype=torch.float64,
                         device=next(net.parameters()).device)
        with torch.no_grad():
            params = self._params(net, x)
        ds = xr.Dataset(coords={"site": sites["site"].values})
        for k in self.names:
            ds[k] = ("site", params[k].cpu().numpy(), {"units": PARAMETERS[k][4], "long_name": PARAMETERS[k][5]})
        return ds

    def loss(self, sites: xr.Dataset, *, group: int = 0) -> xr.DataArray:
        """The objective at each site with the predicted parameters (NumPy model), on ``site``."""
        params = self.predict(sites, group=group)
        out = []
        for s in sites["site"].values:
            problem = CalibrationProblem(sites.sel(site=s), objective=self.objective, names=self.names,
                                         bounds=self.bounds)
            out.append(float(problem([[float(params[k].sel(site=s)) for k in self.names]])[0]))
        return xr.DataArray(out, dims="site", coords={"site": sites["site"].values}, name="loss")

    def score(self, sites: xr.Dataset) -> float:
        """Minus the mean loss over ``sites`` (higher is better, as scikit-learn's ``score``)."""
        return -float(self.loss(sites).mean())


def leave_site_out(sites: xr.Dataset, *, progress: bool = False, **dpl_kw) -> xr.Dataset:
    """dPL with each site held out in turn: one network per fold, all trained in one batched model run.

    Returns
    -------
    xarray.Dataset
        Per site: the parameters the fold's network (trained without that site)
        gives it, and ``loss`` there; ``attrs["n_evaluations"]``.
    """
    n = sites.sizes["site"]
    if n < 2:
        raise ValueError("leave_site_out needs at least 2 sites")
    groups = [np.array([j for j in range(n) if j != i]) for i in range(n)]
    model = DPLModel(**dpl_kw).fit(sites, groups=groups, progress=progress)
    parts = []
    for i in range(n):
        one = sites.isel(site=[i])
        ds = model.predict(one, group=i)
        ds["loss"] = model.loss(one, group=i)
        parts.append(ds)
    out = xr.concat(parts, "site")
    out.attrs = {"n_evaluations": model.n_evaluations_, "wall_s": model.wall_s_}
    return out
