"""Neural downscaling: a small U-Net that maps coarse forcing plus fine static covariates to fine forcing.

The network sees, on the fine grid, the interpolation baseline of every
variable (bilinear, plus the standard lapse-rate correction for the
temperatures; downscaled together, so each can borrow from the others), the
interpolated coarse-cell elevation, and fine covariates that carry the physics
a coarse grid misses: elevation and its departure from the coarse-cell mean
(lapse rate), slope, aspect (as sine and cosine), topographic position
(ridge or valley: exposure to wind, cold-air pooling), sky-view factor,
marine influence (sea fraction around the cell), land-sea mask, land-cover
classes (one-hot) and, per day, the noon sun height and the terrain
illumination factor of the direct beam. It predicts a residual on top of the
baseline, scaled by the spread of each variable's baseline error, so an
untrained network *is* bilinear + lapse rate and training only has to learn
the sub-grid part.

:class:`ConstraintLayer` then makes the output consistent with the coarse
input: an additive correction per coarse cell for temperature (the mean of the
fine cells equals the coarse value exactly) and a multiplicative one for the
non-negative variables (precipitation, radiation, wind, vapour pressure), whose
raw output is first made non-negative with a softplus. The correction is
spread smoothly first (bilinearly interpolated passes) so that it adds no steps
at the coarse-cell edges, then finished per cell. Both use the same
``cos(lat)`` area weights as the coarsening, so conservation holds to
round-off.

:class:`NetworkDownscaler` wraps it with a scikit-learn surface (``fit``,
``predict``, ``score``), stored normalisation, checked inputs, streamed
progress, and best-checkpoint saving (``weights_only`` state dicts) under
``runs/downscale/``. It runs on a GPU when one is present.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import numpy as np
import torch
import xarray as xr
from scipy import ndimage
from torch import nn
from torch.nn import functional as F
from tqdm.auto import tqdm

from ..data.fine_forcing import FINE_FORCING_VARIABLES, MARINE_SCALE_DEG, TPI_SCALE_DEG, marine_influence, topographic_position
from ..physics import solar_declination
from ..units import UnitError, convert, units_of
from .evaluate import _spectrum_2d
from .grid import bilinear_lapse, check_grids

__all__ = ["UNet", "ConstraintLayer", "NetworkDownscaler", "default_run_dir", "pretrained_path", "NONNEGATIVE"]

#: Variables kept non-negative (multiplicative conservation); the others are corrected additively.
NONNEGATIVE = ("rs", "precip", "wind", "ea")
_UNITS = {"tmean": "degC", "tmin": "degC", "tmax": "degC", "rs": "W m-2", "precip": "mm d-1", "wind": "m s-1", "ea": "kPa"}
_N_CLASSES = 7  # water + the six land-cover classes
_N_SOLAR = 3  # cos of the noon zenith angle, noon hillshade, illumination factor of the direct beam
_CONFIG_KEYS = ("variables", "factor", "width", "conserve", "stochastic_precip", "epochs", "batch_size", "patch", "lr",
                "steps_per_epoch", "grad_weight", "val_fraction", "device", "seed")
#: Wet cells for fitting the sub-grid precipitation noise [mm d-1].
_WET = 0.5


def default_run_dir(name: str | None = None) -> Path:
    """A fresh run folder under ``runs/downscale/`` in the working directory (git-ignored)."""
    stamp = name or time.strftime("%Y%m%d-%H%M%S") + f"-{int(time.time() * 1e6) % 1_000_000:06d}"
    return Path("runs") / "downscale" / stamp


def pretrained_path() -> Path:
    """Where the shipped weights live (produced by ``python -m workbench.downscale.pretrain``)."""
    return Path(__file__).resolve().parent / "weights" / "unet_pretrained.pt"


def _block(c_in, c_out):
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, padding_mode="replicate"), nn.SiLU(),
                         nn.Conv2d(c_out, c_out, 3, padding=1, padding_mode="replicate"), nn.SiLU())


class UNet(nn.Module):
    """A two-level U-Net (Ronneberger et al. 2015) predicting a residual per output channel.

    Parameters
    ----------
    n_in, n_out : int
        Input and output channels.
    width : int, default 16
        Channels of the first level (doubled at each level down).
    """

    def __init__(self, n_in: int, n_out: int, width: int = 16):
        super().__init__()
        w = int(width)
        self.enc1, self.enc2, self.mid = _block(n_in, w), _block(w, 2 * w), _block(2 * w, 4 * w)
        self.up2, self.dec2 = nn.ConvTranspose2d(4 * w, 2 * w, 2, stride=2), _block(4 * w, 2 * w)
        self.up1, self.dec1 = nn.ConvTranspose2d(2 * w, w, 2, stride=2), _block(2 * w, w)
        self.head = nn.Conv2d(w, n_out, 1)
        nn.init.zeros_(self.head.weight)
        nn.init.zeros_(self.head.bias)

    def forward(self, x):
        h, w = x.shape[-2:]
        ph, pw = (-h) % 4, (-w) % 4
        if ph or pw:
            x = F.pad(x, (0, pw, 0, ph), mode="replicate")
        e1 = self.enc1(x)
        e2 = self.enc2(F.avg_pool2d(e1, 2))
        m = self.mid(F.avg_pool2d(e2, 2))
        d2 = self.dec2(torch.cat([self.up2(m), e2], dim=1))
        d1 = self.dec1(torch.cat([self.up1(d2), e1], dim=1))
        return self.head(d1)[..., :h, :w]


class ConstraintLayer(nn.Module):
    """Make fine fields reproduce their coarse-cell means exactly, keeping non-negative variables non-negative.

    .. math::

        M_J(y) = \\frac{\\sum_{i\\in J} w_i y_i}{\\sum_{i\\in J} w_i}, \\qquad
        y'_i = y_i + (x_J - M_J(y)) \\;\\text{(additive)}, \\qquad
        y'_i = y_i \\, x_J / M_J(y) \\;\\text{(multiplicative, } y \\ge 0)

    with ``w = cos(lat)``; where ``M_J(y) = 0`` the coarse value is spread
    uniformly. Both give ``M_J(y') = x_J``.

    A correction that is constant over each coarse cell steps at the cell
    edges, and those steps put spurious power at the finest scales (a
    multiplicative one on a humid or wet cell most of all). So the correction
    is first spread smoothly: ``smooth_steps`` times the per-cell offset (or
    ratio) is interpolated bilinearly to the fine grid and applied, which
    shrinks the mismatch by a factor of at most 3/4 each time (block means of a
    bilinear field keep between a quarter and all of each coarse mode); the
    exact per-cell step above then removes the small remainder, so
    conservation still holds to round-off.

    Parameters
    ----------
    factor : int
        Coarsening factor.
    multiplicative : sequence of bool
        Per channel: multiplicative (non-negative) or additive correction.
    smooth_steps : int, default 6
        Smooth (bilinear) correction passes before the exact one; 0 gives the
        blocky per-cell correction alone.
    """

    def __init__(self, factor: int, multiplicative, smooth_steps: int = 6):
        super().__init__()
        self.factor, self.smooth_steps = int(factor), int(smooth_steps)
        self.register_buffer("multiplicative", torch.as_tensor(list(multiplicative), dtype=torch.bool))

    def coarse_mean(self, y, weights):
        f = self.factor
        return F.avg_pool2d(y * weights, f) / F.avg_pool2d(weights.expand_as(y[:, :1]), f)

    def _smooth(self, c):
        """Bilinear upsampling of a coarse field to the fine grid (cell centres; edges held)."""
        return F.interpolate(c, scale_factor=self.factor, mode="bilinear", align_corners=False)

    def forward(self, y, coarse, weights):
        """``y`` (batch, channel, H, W) fine, ``coarse`` (batch, channel, H/f, W/f), ``weights`` (1, 1, H, 1)."""
        f = self.factor
        mult = self.multiplicative[None, :, None, None]
        for _ in range(self.smooth_steps):
            mean = self.coarse_mean(y, weights)
            # Cells whose raw mean is zero keep ratio 1 here: the exact step below spreads their coarse value.
            ratio = torch.where(mean > 1e-12, coarse / torch.where(mean > 1e-12, mean, torch.ones_like(mean)), torch.ones_like(mean))
            y = torch.where(mult, y * self._smooth(ratio), y + self._smooth(coarse - mean))
        mean = self.coarse_mean(y, weights)
        up = lambda c: c.repeat_interleave(f, dim=-2).repeat_interleave(f, dim=-1)  # noqa: E731
        additive = y + up(coarse - mean)
        safe = torch.where(mean > 1e-12, mean, torch.ones_like(mean))
        ratio = torch.where(mean > 1e-12, coarse / safe, torch.zeros_like(mean))
        scaled = torch.where(up(mean > 1e-12), y * up(ratio), up(coarse))
        return torch.where(mult, scaled, additive)


def _static_channels(static: xr.Dataset, coarse_z_fine: np.ndarray) -> np.ndarray:
    for name in ("elevation", "slope", "aspect", "land_fraction", "land_cover"):
        if name not in static:
            raise ValueError(f"static covariates need {name!r} (from workbench.data.fine_forcing); got {sorted(static.data_vars)}")
    z = convert(static["elevation"], "m", name="elevation").values.astype(np.float32)
    asp = np.deg2rad(convert(static["aspect"], "degree", name="aspect").values)
    slope = convert(static["slope"], "degree", name="slope").values
    classes = static["land_cover"].values.astype(int)
    onehot = np.stack([(classes == k) for k in range(_N_CLASSES)]).astype(np.float32)
    land = static["land_fraction"].values.astype(float)
    spacing = _spacing(static)
    tpi = topographic_position(z, TPI_SCALE_DEG / spacing)
    marine = marine_influence(1.0 - land, MARINE_SCALE_DEG / spacing)
    sky_view = 0.5 * (1.0 + np.cos(np.deg2rad(slope)))
    chans = [z / 1000.0, coarse_z_fine / 1000.0, (z - coarse_z_fine) / 300.0, slope / 10.0,
             np.sin(asp) * slope / 10.0, np.cos(asp) * slope / 10.0, land, tpi / 100.0, marine,
             (1.0 - sky_view) * 20.0]
    return np.concatenate([np.stack(chans).astype(np.float32), onehot])


def _spacing(static: xr.Dataset) -> float:
    return float(abs(static["lat"].values[1] - static["lat"].values[0]))


class NetworkDownscaler:
    """U-Net downscaling of several forcing variables at once, with an optional exact-conservation layer.

    Parameters
    ----------
    variables : sequence of str
        Variables downscaled together (default: all of
        :data:`~workbench.data.FINE_FORCING_VARIABLES`).
    factor : int, default 8
        Coarsening factor the network is trained for.
    width : int, default 16
        U-Net width.
    conserve : bool, default True
        Apply :class:`ConstraintLayer` (exact coarse means, non-negativity).
        Without it, non-negative variables are still clipped at 0 by a softplus.
    stochastic_precip : bool, default True
        Multiply the predicted precipitation by a mean-one log-normal noise
        field before the constraint layer (stochastic disaggregation of the
        unpredictable convective cells). Its spread and correlation length are
        fitted after training on the validation days' log errors over wet
        cells. An MSE-trained network predicts the expected field, which has
        neither the extremes nor the small-scale variance of one realisation;
        the noise restores them at the price of a higher pointwise error.
        ``False`` gives the expected field.
    epochs, steps_per_epoch, batch_size, patch : int
        Training length; patches are ``patch`` x ``patch`` fine cells cut at
        coarse-cell boundaries (``patch`` a multiple of ``factor``).
    lr : float
        AdamW learning rate (cosine-decayed).
    grad_weight : float, default 0
        Weight of a gradient term in the loss (the squared error of the
        cell-to-cell differences), which rewards sharp fine structure that
        a plain mean squared error smooths away.
    val_fraction : float
        Fraction of the training days held back to pick the best epoch.
    device : str, optional
        ``"cuda"`` when available, else ``"cpu"``.
    seed : int
        Seeds the weights and the patch sampling.

    Examples
    --------
    >>> model = NetworkDownscaler(variables=["tmean", "precip"], factor=8, epochs=1)
    >>> model.get_params()["conserve"]
    True
    """

    def __init__(self, variables=None, factor: int = 8, width: int = 16, conserve: bool = True, epochs: int = 20,
                 steps_per_epoch: int = 40, batch_size: int = 16, patch: int = 32, lr: float = 3e-3,
                 val_fraction: float = 0.15, device: str | None = None, seed: int = 0, stochastic_precip: bool = True,
                 grad_weight: float = 0.0):
        self.variables = tuple(variables) if variables is not None else FINE_FORCING_VARIABLES
        unknown = [v for v in self.variables if v not in _UNITS]
        if unknown:
            raise ValueError(f"cannot downscale {unknown}: the network knows {list(_UNITS)}")
        if isinstance(factor, bool) or not float(factor).is_integer() or int(factor) < 2:
            raise ValueError(f"factor must be an integer >= 2; got {factor!r}")
        self.factor, self.width, self.conserve = int(factor), int(width), bool(conserve)
        self.stochastic_precip, self.grad_weight = bool(stochastic_precip), float(grad_weight)
        self.epochs, self.steps_per_epoch, self.batch_size = int(epochs), int(steps_per_epoch), int(batch_size)
        if int(patch) % self.factor:
            raise ValueError(f"patch ({patch}) must be a multiple of the factor ({self.factor})")
        self.patch, self.lr, self.val_fraction, self.seed = int(patch), float(lr), float(val_fraction), int(seed)
        self.device = device or ("cuda" if torch.cuda.is_available() else "cpu")

    # --- scikit-learn surface ------------------------------------------------------------------
    def get_params(self) -> dict:
        """The hyper-parameters (as given to ``__init__``)."""
        return {k: getattr(self, k) for k in _CONFIG_KEYS}

    def _check_coarse(self, coarse: xr.Dataset) -> xr.Dataset:
        if "elevation" not in coarse:
            raise ValueError("the coarse dataset needs 'elevation' (coarse-cell mean height [m]); coarsen the static elevation with it")
        out = {}
        for v in self.variables:
            if v not in coarse:
                raise ValueError(f"coarse input lacks {v!r}: this network was trained on {list(self.variables)}")
            if units_of(coarse[v]) is None:
                raise UnitError(f"coarse variable {v!r} has no 'units' attribute; expected {_UNITS[v]!r}")
            out[v] = convert(coarse[v], _UNITS[v], name=v).astype("float32")
        return xr.Dataset(out).assign(elevation=coarse["elevation"])

    def _arrays(self, coarse: xr.Dataset, static: xr.Dataset):
        """Fine-grid network inputs, interpolated baselines and the coarse targets, as float32 arrays."""
        check_grids(coarse, static, self.factor)
        coarse = self._check_coarse(coarse)
        interp = bilinear_lapse(coarse, static)
        base = np.stack([interp[v].transpose("time", "lat", "lon").values for v in self.variables], axis=1)
        # Per-day inputs after the variables: the sun's noon height, its light on each slope (noon hillshade)
        # and how much the slope gains or loses of the direct beam against flat ground.
        base = np.concatenate([base, _solar_channels(static, coarse["time"])], axis=1)
        stat = _static_channels(static, interp["elevation"].values.astype(np.float32))
        coarse_arr = np.stack([coarse[v].transpose("time", "lat", "lon").values for v in self.variables], axis=1)
        weights = np.cos(np.deg2rad(static["lat"].values)).astype(np.float32)[None, None, :, None]
        return base.astype(np.float32), stat, coarse_arr.astype(np.float32), weights

    def _build(self, n_static: int):
        torch.manual_seed(self.seed)
        n_var = len(self.variables)
        self.model_ = UNet(2 * n_var + n_static, n_var, self.width).to(self.device)
        mult = [v in NONNEGATIVE for v in self.variables]
        self.constraint_ = ConstraintLayer(self.factor, mult).to(self.device)
        self.multiplicative_ = torch.as_tensor(mult, device=self.device)

    def _forward(self, base, stat, coarse, weights, *, conserve=None, log_noise=None):
        """Physical fine fields from (batch) tensors; ``base`` holds the interpolated coarse fields, then the solar channels."""
        base, sun = base[:, : len(self.variables)], base[:, len(self.variables):]
        mean, std = self.mean_[None, :, None, None], self.std_[None, :, None, None]
        zb = (base - mean) / std
        # Where each variable sits relative to its coarse mean (a hint of the sub-grid structure of the neighbours).
        rel = (base - coarse.repeat_interleave(self.factor, -2).repeat_interleave(self.factor, -1)) / std
        x = torch.cat([zb, rel, sun, stat.expand(base.shape[0], -1, -1, -1)], dim=1)
        y = base + self.resid_std_[None, :, None, None] * self.model_(x)
        nonneg = self.multiplicative_[None, :, None, None]
        y = torch.where(nonneg, _soft_positive(y, self.std_), y)
        if log_noise is not None:  # (batch, H, W) log-multiplier of precipitation
            k = self.variables.index("precip")
            y = torch.cat([y[:, :k], y[:, k:k + 1] * torch.exp(log_noise[:, None]), y[:, k + 1:]], dim=1)
        if self.conserve if conserve is None else conserve:
            y = self.constraint_(y, coarse, weights)
        return y

    def fit(self, coarse, static, fine, *, run_dir=None, progress: bool = True):
        """Train on one or several regions.

        Parameters
        ----------
        coarse, static, fine : xarray.Dataset or list of them
            Coarse input (with ``elevation``), fine static covariates and the
            fine truth; lists give several regions.
        run_dir : str or Path, optional
            Where the best checkpoint (``best.pt``, a ``weights_only`` state
            dict) and ``history.json`` go; default :func:`default_run_dir`.
        progress : bool
            Stream a tqdm progress bar with the losses.

        Returns
        -------
        self
        """
        regions = list(zip(*(x if isinstance(x, (list, tuple)) else [x] for x in (coarse, static, fine))))
        rng = np.random.default_rng(self.seed)
        train, val = [], []
        for c, s, f in regions:
            base, stat, carr, w = self._arrays(c, s)
            truth = np.stack([convert(f[v], _UNITS[v], name=v).transpose("time", "lat", "lon").values for v in self.variables], axis=1).astype(np.float32)
            if truth.shape[0] != base.shape[0] or truth.shape[2:] != base.shape[2:]:
                raise ValueError(f"fine truth has shape {truth.shape} but the coarse and static grids imply {base.shape}")
            n_val = int(round(self.val_fraction * base.shape[0]))
            days = np.arange(base.shape[0])
            vd, td = days[base.shape[0] - n_val:], days[: base.shape[0] - n_val]
            train.append((base[td], stat, carr[td], w, truth[td]))
            if n_val:
                vd = vd[np.linspace(0, n_val - 1, min(n_val, 8)).round().astype(int)]  # at most 8 days: validation stays cheap
                val.append((base[vd], stat, carr[vd], w, truth[vd]))
        all_truth = np.concatenate([t[4] for t in train], axis=0)
        dev = self.device
        self.mean_ = torch.as_tensor(all_truth.mean(axis=(0, 2, 3)), device=dev)
        self.std_ = torch.as_tensor(all_truth.std(axis=(0, 2, 3)) + 1e-6, device=dev)
        # Targets per variable in units of the baseline's error spread: every variable weighs alike in the loss.
        resid = np.concatenate([(t[4] - t[0][:, : len(self.variables)]) for t in train], axis=0)
        self.resid_std_ = torch.as_tensor(resid.std(axis=(0, 2, 3)) + 1e-6, device=dev)
        del resid
        self._build(train[0][1].shape[0] + _N_SOLAR)
        tens = lambda a: torch.as_tensor(a, device=dev)  # noqa: E731
        train_t = [tuple(tens(a) for a in r) for r in train]
        val_t = [tuple(tens(a) for a in r) for r in val]
        opt = torch.optim.AdamW(self.model_.parameters(), lr=self.lr, weight_decay=1e-4)
        total = max(self.epochs * self.steps_per_epoch, 1)
        sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=self.lr, total_steps=total, pct_start=0.15)
        run_dir = Path(run_dir) if run_dir is not None else default_run_dir()
        run_dir.mkdir(parents=True, exist_ok=True)
        self.run_dir_, self.history_ = run_dir, {"epoch": [], "train_loss": [], "val_loss": []}
        best = math.inf
        f, p = self.factor, self.patch
        bar = tqdm(range(self.epochs), desc="training U-Net", disable=not progress)
        try:
            for epoch in bar:
                self.model_.train()
                losses = []
                for _ in range(self.steps_per_epoch):
                    r = train_t[rng.integers(len(train_t))]
                    base, stat, carr, w, truth = r
                    nd, _, H, W = base.shape
                    d = torch.as_tensor(rng.integers(nd, size=self.batch_size), device=dev)
                    i0 = int(rng.integers((H - p) // f + 1)) * f
                    j0 = int(rng.integers((W - p) // f + 1)) * f
                    sl = (slice(i0, i0 + p), slice(j0, j0 + p))
                    csl = (slice(i0 // f, (i0 + p) // f), slice(j0 // f, (j0 + p) // f))
                    pred = self._forward(base[d][..., sl[0], sl[1]], stat[None][..., sl[0], sl[1]],
                                         carr[d][..., csl[0], csl[1]], w[..., sl[0], :])
                    loss = self._loss(pred, truth[d][..., sl[0], sl[1]])
                    opt.zero_grad()
                    loss.backward()
                    opt.step()
                    sched.step()
                    losses.append(float(loss.detach()))
                val_loss = self._evaluate(val_t) if val_t else float(np.mean(losses))
                self.history_["epoch"].append(epoch + 1)
                self.history_["train_loss"].append(float(np.mean(losses)))
                self.history_["val_loss"].append(val_loss)
                if val_loss < best:
                    best = val_loss
                    self.save(run_dir / "best.pt")
                bar.set_postfix(train=f"{np.mean(losses):.4f}", val=f"{val_loss:.4f}", best=f"{best:.4f}")
        except KeyboardInterrupt:
            pass  # keep what was found: the best checkpoint is on disk
        finally:
            (run_dir / "history.json").write_text(json.dumps(self.history_))
        if (run_dir / "best.pt").exists():
            self._load_state(torch.load(run_dir / "best.pt", map_location=dev, weights_only=True))
        self.best_val_loss_ = best
        self.precip_noise_ = self._fit_noise(val_t or train_t)
        self.save(run_dir / "best.pt")  # the best weights, now with their fitted noise
        return self

    @torch.no_grad()
    def _fit_noise(self, regions) -> torch.Tensor:
        """Spread of log(truth / prediction) for precipitation on wet cells, and the noise's correlation length.

        The spread is measured directly. The correlation length [fine cells]
        is the one, among a geometric range, whose realisations put as much
        power into the finest octave (2-4 cells) as the truth has, on the same
        (validation) days: the log errors themselves are rougher than the
        sub-grid cells, since they also hold the network's own small-scale errors.
        """
        if "precip" not in self.variables:
            return torch.zeros(2)
        k = self.variables.index("precip")
        self.model_.eval()
        days = [(r, i) for r in regions for i in range(0, r[0].shape[0], 8)]
        preds = [self._forward(r[0][i:i + 8], r[1][None], r[2][i:i + 8], r[3]) for r, i in days]
        logs = []
        for (r, i), pred in zip(days, preds):
            obs, p = r[4][i:i + 8, k].cpu().numpy(), pred[:, k].cpu().numpy()
            wet = (obs > _WET) & (p > _WET)
            logs.append(np.log(np.maximum(obs[wet], 1e-6) / np.maximum(p[wet], 1e-6)))
        r_all = np.concatenate(logs)
        if r_all.size < 100:
            return torch.zeros(2)
        sigma = float(r_all.std())
        truth_power = sum(_finest_power(r[4][i:i + 8, k].cpu().numpy()) for r, i in days)
        best, best_len = np.inf, 1.0
        for length in np.geomspace(0.6, 3.0, 8):
            self.precip_noise_ = torch.tensor([sigma, length])
            power = 0.0
            for j, (r, i) in enumerate(days):
                noise = torch.as_tensor(self._log_noise((r[0][i:i + 8].shape[0],) + r[0].shape[2:], 1000 + j), device=self.device)
                power += _finest_power(self._forward(r[0][i:i + 8], r[1][None], r[2][i:i + 8], r[3], log_noise=noise)[:, k].cpu().numpy())
            miss = abs(np.log(power / truth_power))
            if miss < best:
                best, best_len = miss, float(length)
        return torch.tensor([sigma, best_len])

    def _log_noise(self, shape, seed: int) -> np.ndarray:
        """Mean-one log-normal multiplier field (in logs), spatially correlated as fitted, reproducible from ``seed``."""
        sigma, length = (float(x) for x in self.precip_noise_)
        white = np.random.default_rng([self.seed, seed, 20]).standard_normal(shape)
        eps = ndimage.gaussian_filter(white, sigma=(0, length, length), mode="wrap")
        eps /= max(float(eps.std()), 1e-12)
        return (sigma * eps - 0.5 * sigma**2).astype(np.float32)

    def _loss(self, pred, truth):
        err = (pred - truth) / self.resid_std_[None, :, None, None]
        loss = torch.mean(err**2)
        if self.grad_weight:
            loss = loss + self.grad_weight * 0.5 * (torch.mean(torch.diff(err, dim=-1) ** 2) + torch.mean(torch.diff(err, dim=-2) ** 2))
        return loss

    @torch.no_grad()
    def _evaluate(self, regions) -> float:
        self.model_.eval()
        losses = []
        for base, stat, carr, w, truth in regions:
            for i in range(0, base.shape[0], 8):
                pred = self._forward(base[i:i + 8], stat[None], carr[i:i + 8], w)
                losses.append(float(self._loss(pred, truth[i:i + 8])) * pred.shape[0])
        return float(np.sum(losses) / sum(r[0].shape[0] for r in regions))

    @torch.no_grad()
    def predict(self, coarse: xr.Dataset, static: xr.Dataset, *, conserve: bool | None = None,
                stochastic: bool | None = None, seed: int = 0, batch: int = 8) -> xr.Dataset:
        """Downscale ``coarse`` to the grid of ``static``.

        Parameters
        ----------
        coarse : xarray.Dataset
            Coarse forcing (the trained variables, with units) and ``elevation``.
        static : xarray.Dataset
            Fine static covariates on a grid nested in ``coarse`` by the trained factor.
        conserve : bool, optional
            Override the constraint layer for this call.
        stochastic : bool, optional
            Override ``stochastic_precip`` for this call (``False``: the expected precipitation field).
        seed : int
            Seed of the precipitation noise (one realisation per seed).

        Returns
        -------
        xarray.Dataset
            The variables on the fine grid, with units and long names.
        """
        if not hasattr(self, "model_"):
            raise RuntimeError("the network is not trained: call fit() or load() first")
        base, stat, carr, w = self._arrays(coarse, static)
        self.model_.eval()
        dev = self.device
        stat_t, w_t = torch.as_tensor(stat, device=dev)[None], torch.as_tensor(w, device=dev)
        out = np.empty_like(base[:, : len(self.variables)])
        noisy = (self.stochastic_precip if stochastic is None else stochastic) and float(self.precip_noise_[0]) > 0
        noise = torch.as_tensor(self._log_noise((base.shape[0],) + base.shape[2:], seed), device=dev) if noisy else None
        for i in range(0, base.shape[0], batch):
            out[i:i + batch] = self._forward(torch.as_tensor(base[i:i + batch], device=dev), stat_t,
                                             torch.as_tensor(carr[i:i + batch], device=dev), w_t, conserve=conserve,
                                             log_noise=None if noise is None else noise[i:i + batch]).cpu().numpy()
        ds = xr.Dataset(coords={"time": coarse["time"].values, "lat": static["lat"].values, "lon": static["lon"].values})
        for k, v in enumerate(self.variables):
            attrs = dict(coarse[v].attrs, units=_UNITS[v])
            ds[v] = (("time", "lat", "lon"), out[:, k], attrs)
        for d in ("lat", "lon"):
            ds[d].attrs = dict(static[d].attrs)
        ds.attrs = {"downscaling_method": "U-Net" + (" + constraint layer" if (self.conserve if conserve is None else conserve) else "")
                    + (f" + stochastic precipitation (seed {seed})" if noisy else "")}
        return ds

    def score(self, coarse, static, fine) -> float:
        """Mean over variables of 1 - MSE / variance of the truth (an R2 on the fine grid)."""
        pred = self.predict(coarse, static)
        r2 = [1.0 - float(((pred[v] - fine[v]) ** 2).mean() / fine[v].var()) for v in self.variables]
        return float(np.mean(r2))

    # --- checkpoints ----------------------------------------------------------------------------
    def _state(self) -> dict:
        return {"model": self.model_.state_dict(), "mean": self.mean_.cpu(), "std": self.std_.cpu(),
                "resid_std": self.resid_std_.cpu(), "precip_noise": getattr(self, "precip_noise_", torch.zeros(2)).cpu(),
                "config": json.dumps({k: v for k, v in self.get_params().items() if k != "device"})}

    def _load_state(self, state: dict):
        self.model_.load_state_dict(state["model"])
        self.mean_, self.std_ = state["mean"].to(self.device), state["std"].to(self.device)
        self.resid_std_ = state["resid_std"].to(self.device)
        self.precip_noise_ = state["precip_noise"]

    def save(self, path) -> Path:
        """Save weights, normalisation and hyper-parameters (a plain state dict: ``torch.load(..., weights_only=True)``)."""
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        torch.save(self._state(), path)
        return path

    @classmethod
    def load(cls, path=None, *, device: str | None = None) -> "NetworkDownscaler":
        """Load a checkpoint written by :meth:`save` (default: the shipped pretrained weights)."""
        path = Path(path) if path is not None else pretrained_path()
        if not path.exists():
            raise FileNotFoundError(f"no downscaling checkpoint at {path}; train one with fit() or "
                                    "`python -m workbench.downscale.pretrain`")
        state = torch.load(path, map_location="cpu", weights_only=True)
        config = json.loads(state["config"])
        model = cls(**{**config, "device": device})
        if "resid_std" not in state:
            raise ValueError(f"{path} is a checkpoint of an older network (no 'resid_std'); retrain it with "
                             "`python -m workbench.downscale.pretrain`")
        n_static = state["model"]["enc1.0.weight"].shape[1] - 2 * len(model.variables)  # static + solar channels
        model._build(n_static)
        model._load_state(state)
        return model


def _solar_channels(static: xr.Dataset, time) -> np.ndarray:
    """(time, 3, lat, lon): cosine of the noon solar zenith angle, noon illumination of the slope and its gain.

    ``cos Z = cos(lat - decl)`` with the FAO-56 declination (Eq. 24); the
    hillshade is ``cos i = cos s cos Z + sin s sin Z cos(aspect - azimuth)``
    (Iqbal 1983), the standard terrain-illumination covariate of radiation
    downscaling; the gain ``cos i / cos Z - 1`` is how much more (or less) of
    the direct beam the slope receives than flat ground (Dubayah & Rich 1995).
    """
    doy = np.asarray(xr.DataArray(time).dt.dayofyear.values, dtype=float)[:, None, None]
    decl = solar_declination(doy)
    lat = np.deg2rad(static["lat"].values)[None, :, None]
    zenith = np.abs(lat - decl)
    s = np.deg2rad(convert(static["slope"], "degree", name="slope").values)[None]
    asp = np.deg2rad(convert(static["aspect"], "degree", name="aspect").values)[None]
    azimuth = np.where(lat >= decl, np.pi, 0.0)
    cos_i = np.cos(s) * np.cos(zenith) + np.sin(s) * np.sin(zenith) * np.cos(asp - azimuth)
    cos_z = np.broadcast_to(np.cos(zenith), cos_i.shape)
    gain = np.clip(cos_i, 0.0, None) / np.maximum(cos_z, 0.1) - 1.0
    return np.stack([cos_z, np.clip(cos_i, 0.0, None), gain], axis=1).astype(np.float32)


def _finest_power(fields: np.ndarray) -> float:
    """Power of (day, lat, lon) maps in the finest octave, wavelengths of 2-4 cells (as in :func:`~.evaluate.spectral_ratio`)."""
    k, spec = _spectrum_2d(fields.astype(float))
    wavelength = 1.0 / k
    return float(np.nansum(spec[(wavelength >= 2.0) & (wavelength < 4.0)]))


def _soft_positive(y, std):
    """A softplus scaled to each variable: identity well above 0, smoothly 0 below (keeps y >= 0)."""
    scale = 0.05 * std[None, :, None, None]
    return scale * F.softplus(y / scale)
