"""PyTorch MLP surrogates with a scikit-learn surface, stored normalisation and checked inputs.

:class:`SurrogateRegressor` learns a map from a Dataset of named, unit-carrying
input variables to a Dataset of output variables. Normalisation, feature and
target names/units and the training ranges travel with the model (in its
checkpoint), so new data are checked against what the model was trained on:

* a missing variable, or one whose units cannot be converted to the training
  units, raises (``ValueError`` / :class:`workbench.units.UnitError`);
* inputs outside the training ranges are flagged: a warning naming the
  variable and range, and an ``out_of_range`` mask in the output.
"""

from __future__ import annotations

import json
import math
import time
import warnings
from pathlib import Path

import numpy as np
import torch
import xarray as xr
from torch import nn
from tqdm.auto import tqdm

from ..units import convert, units_of
from . import constraints as _constraints
from .._warn import warn as _warn

__all__ = ["MLP", "SurrogateRegressor", "default_run_dir", "to_matrix"]

_ACTIVATIONS = {"relu": nn.ReLU, "silu": nn.SiLU, "tanh": nn.Tanh, "gelu": nn.GELU, "softplus": nn.Softplus}
_CONFIG_KEYS = ("hidden", "activation", "lr", "epochs", "batch_size", "val_fraction", "patience",
                "weight_decay", "physics", "closure", "device", "seed")


_FORMAT = "land-ai-workbench/surrogate-v1"


def _describe_file(path: Path) -> str:
    """A few words on what a file looks like (for error messages)."""
    size = path.stat().st_size
    head = path.read_bytes()[:64] if size else b""
    if not head:
        return "an empty file"
    if head.startswith(b"PK"):
        return f"a zip archive of {size} bytes (a torch file of another kind?)"
    text = head.lstrip()
    if text[:1] in (b"{", b"["):
        return f"a JSON/text file of {size} bytes" + (" (the JSON sidecar of a checkpoint?)" if b"format" in
                                                       path.read_bytes()[:4096] else "")
    try:
        text = head.decode("utf-8")
        if all(c.isprintable() or c in "\t\r\n" for c in text):
            return f"a text file of {size} bytes starting {text[:24]!r}"
    except UnicodeDecodeError:
        pass
    return f"a binary file of {size} bytes starting {head[:8]!r}"


def default_run_dir(name: str | None = None) -> Path:
    """A fresh run folder under ``<repo>/runs/surrogates/`` (git-ignored)."""
    root = Path(__file__).resolve().parents[2] / "runs" / "surrogates"
    stamp = name or time.strftime("%Y%m%d-%H%M%S") + f"-{int(time.time() * 1e6) % 1_000_000:06d}"
    return root / stamp


class MLP(nn.Module):
    """Multi-layer perceptron that works in physical units.

    Inputs are standardised and outputs de-standardised inside ``forward``
    with buffers (saved in the state dict), so ``model(x)`` maps physical
    inputs to physical outputs.

    Parameters
    ----------
    n_in, n_out : int
        Number of input features and outputs.
    hidden : sequence of int
        Width of each hidden layer, e.g. ``(128, 128, 128)``.
    activation : {"relu", "silu", "tanh", "gelu", "softplus"}
    closure : dict, optional
        Column indices ``{"rs", "tmean", "vpd", "lai"}`` (inputs) and
        ``{"tleaf", "h", "le"}`` (outputs): the energy balance is then closed
        by construction, ``h`` being the absorbed radiation minus emitted
        longwave minus ``le`` (see :func:`workbench.surrogates.constraints.close_energy`).
    """

    def __init__(self, n_in: int, n_out: int, hidden=(128, 128, 128), activation: str = "silu", closure=None):
        super().__init__()
        if activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {activation!r}")
        layers, width = [], n_in
        for h in hidden:
            layers += [nn.Linear(width, int(h)), _ACTIVATIONS[activation]()]
            width = int(h)
        layers.append(nn.Linear(width, n_out))
        self.net = nn.Sequential(*layers)
        self.closure = dict(closure) if closure else None
        for name, size in (("x_mean", n_in), ("x_std", n_in), ("y_mean", n_out), ("y_std", n_out)):
            self.register_buffer(name, torch.zeros(size) if "mean" in name else torch.ones(size))

    def forward(self, x):
        y = self.net((x - self.x_mean) / self.x_std) * self.y_std + self.y_mean
        if self.closure is not None:
            y = _constraints.close_energy(x, y, self.closure)
        return y

    def forward_normalised(self, x):
        """Output in normalised units (what the data loss compares)."""
        if self.closure is None:
            return self.net((x - self.x_mean) / self.x_std)
        return (self.forward(x) - self.y_mean) / self.y_std


def to_matrix(ds: xr.Dataset, names, units, *, role: str = "feature") -> tuple[np.ndarray, xr.DataArray]:
    """Stack variables ``names`` of ``ds`` into an (n, k) float array in ``units``.

    Every variable is converted from its ``units`` attribute; all are
    broadcast against each other and flattened in C order.

    Returns
    -------
    matrix : numpy.ndarray
        Shape (n, len(names)).
    template : xarray.DataArray
        A broadcast template carrying the original dims/coords, to reshape results.

    Raises
    ------
    ValueError
        If a variable is missing (the message lists what is missing and what is there).
    UnitError
        If a variable lacks units or has units that cannot be converted.
    """
    if not isinstance(ds, xr.Dataset):
        raise TypeError(f"expected an xarray.Dataset of {role}s {list(names)}, got {type(ds).__name__}")
    missing = [n for n in names if n not in ds]
    if missing:
        raise ValueError(f"{role}s {missing} are missing: the model expects {list(names)} "
                         f"(units {list(units)}); the data has {sorted(map(str, ds.data_vars))}")
    arrays = [convert(ds[n], u, name=n) for n, u in zip(names, units)]
    arrays = xr.broadcast(*arrays)
    template = xr.zeros_like(arrays[0], dtype=float).drop_attrs() if arrays else None
    mat = np.stack([np.asarray(a.values, dtype=float).reshape(-1) for a in arrays], axis=1)
    return mat, template


def _units_list(ds, names):
    return [units_of(ds[n], n) for n in names]


class SurrogateRegressor:
    """A PyTorch MLP surrogate with a scikit-learn estimator surface.

    Parameters
    ----------
    hidden : sequence of int, default (128, 128, 128)
        Hidden layer widths.
    activation : str, default "silu"
        One of relu, silu, tanh, gelu, softplus.
    lr : float, default 3e-3
        Adam learning rate (cosine-decayed over ``epochs``).
    epochs : int, default 200
        Maximum number of epochs.
    batch_size : int, default 512
    val_fraction : float, default 0.2
        Share of the samples held out for validation / early stopping.
    patience : int, default 30
        Epochs without validation improvement before stopping.
    weight_decay : float, default 0.0
    physics : dict, optional
        Weights of physics penalties added to the loss, keys from
        :func:`workbench.surrogates.constraints.available_constraints`
        (e.g. ``{"energy": 1.0, "nonneg": 1.0, "monotone": 0.1}``).
        Each penalty is checked against the feature/target names at ``fit``.
    closure : {None, "energy"}, default None
        ``"energy"`` closes the leaf energy balance by construction: the
        network predicts ``tleaf`` and ``le`` and ``h`` is what remains of the
        absorbed radiation (a hard constraint, as opposed to the soft
        ``physics={"energy": w}`` penalty).
    device : str, default "cpu"
        ``"cpu"``, ``"cuda"`` or ``"auto"`` (CUDA when available).
    seed : int, default 0
        Seeds the split, initialisation and batch order.
    run_dir : str or Path, optional
        Where the best checkpoint is written (default: a new folder under
        ``runs/surrogates/``). ``False`` disables writing.
    progress : bool, default True
        Show a tqdm progress bar.
    callback : callable, optional
        Called as ``callback(record)`` after every epoch with the history
        record (dict with epoch, train, val, physics), e.g. to live-plot.

    Attributes
    ----------
    model_ : MLP
        The best network (lowest validation loss).
    feature_names_, feature_units_, target_names_, target_units_ : list of str
    ranges_ : numpy.ndarray
        (n_features, 2) min/max of the training inputs; predictions outside are flagged.
    history_ : list of dict
        Per-epoch losses.
    best_epoch_ : int
    checkpoint_path_ : Path or None
    train_seconds_ : float
        Wall time of ``fit``.
    interrupted_ : bool
        True when training was stopped with KeyboardInterrupt (the best model is kept).
    """

    def __init__(self, hidden=(128, 128, 128), activation="silu", *, lr=3e-3, epochs=200, batch_size=512,
                 val_fraction=0.2, patience=30, weight_decay=0.0, physics=None, closure=None, device="cpu", seed=0,
                 run_dir=None, progress=True, callback=None):
        self.hidden = tuple(int(h) for h in hidden)
        self.activation = activation
        self.lr = lr
        self.epochs = int(epochs)
        self.batch_size = int(batch_size)
        self.val_fraction = float(val_fraction)
        self.patience = int(patience)
        self.weight_decay = float(weight_decay)
        self.physics = dict(physics or {})
        self.closure = closure
        self.device = device
        self.seed = int(seed)
        self.run_dir = run_dir
        self.progress = progress
        self.callback = callback
        self._check_config()

    # -- configuration -------------------------------------------------------------------------
    def _check_config(self):
        if self.activation not in _ACTIVATIONS:
            raise ValueError(f"activation must be one of {sorted(_ACTIVATIONS)}, got {self.activation!r}")
        if not 0.0 < self.val_fraction < 1.0:
            raise ValueError(f"val_fraction must be in (0, 1), got {self.val_fraction}")
        unknown = set(self.physics) - set(_constraints.available_constraints())
        if unknown:
            raise ValueError(f"unknown physics constraints {sorted(unknown)}; "
                             f"available: {_constraints.available_constraints()}")
        if self.closure not in (None, "energy"):
            raise ValueError(f"closure must be None or 'energy', got {self.closure!r}")
        if self.device == "cuda" and not torch.cuda.is_available():
            raise ValueError("device='cuda' requested but torch.cuda.is_available() is False")

    def get_params(self, deep=True):
        """Hyper-parameters as a dict of plain values (scikit-learn API)."""
        return {k: (list(v) if isinstance(v, tuple) else v) for k, v in
                ((k, getattr(self, k)) for k in _CONFIG_KEYS)}

    @property
    def device_(self) -> torch.device:
        if self.device == "auto":
            return torch.device("cuda" if torch.cuda.is_available() else "cpu")
        return torch.device(self.device)

    # -- fitting -------------------------------------------------------------------------------
    def fit(self, X: xr.Dataset, y: xr.Dataset, *, features=None, targets=None, ranges=None):
        """Train on Datasets ``X`` (inputs) and ``y`` (outputs) with matching sample dims.

        Parameters
        ----------
        X, y : xarray.Dataset
            Inputs and outputs; every variable carries ``units``.
        features, targets : list of str, optional
            Which variables to use (default: all data variables, in order).
        ranges : dict, optional
            ``{feature: (lo, hi)}`` stated physical ranges to flag against
            (default: the min/max of the training inputs).

        Returns
        -------
        self
        """
        self._check_config()
        self.feature_names_ = list(features or map(str, X.data_vars))
        self.target_names_ = list(targets or map(str, y.data_vars))
        self.feature_units_ = _units_list(X, self.feature_names_)
        self.target_units_ = _units_list(y, self.target_names_)
        xm, _ = to_matrix(X, self.feature_names_, self.feature_units_)
        ym, _ = to_matrix(y, self.target_names_, self.target_units_, role="target")
        if xm.shape[0] != ym.shape[0]:
            raise ValueError(f"X has {xm.shape[0]} samples but y has {ym.shape[0]}")
        bad = ~(np.isfinite(xm).all(1) & np.isfinite(ym).all(1))
        if bad.any():
            raise ValueError(f"{int(bad.sum())} samples contain NaN/inf; remove or fill them explicitly "
                             "before fitting (nothing is dropped silently)")
        self.ranges_ = np.stack([xm.min(0), xm.max(0)], axis=1)
        if ranges:
            for k, (lo, hi) in ranges.items():
                self.ranges_[self.feature_names_.index(k)] = (lo, hi)
        self._penalties = _constraints.build(self.physics, self.feature_names_, self.target_names_)
        self._train(xm, ym)
        return self

    def _new_model(self, n_in, n_out):
        closure = None
        if self.closure == "energy":
            closure = _constraints.closure_index(self.feature_names_, self.target_names_)
        return MLP(n_in, n_out, self.hidden, self.activation, closure=closure)

    def _train(self, xm, ym):
        t0 = time.perf_counter()
        gen = torch.Generator().manual_seed(self.seed)
        torch.manual_seed(self.seed)
        dev = self.device_
        n = xm.shape[0]
        perm = torch.randperm(n, generator=gen).numpy()
        n_val = max(1, int(round(self.val_fraction * n)))
        val_idx, tr_idx = perm[:n_val], perm[n_val:]
        model = self._new_model(xm.shape[1], ym.shape[1])
        with torch.no_grad():
            model.x_mean.copy_(torch.as_tensor(xm[tr_idx].mean(0)))
            model.x_std.copy_(torch.as_tensor(xm[tr_idx].std(0) + 1e-12))
            model.y_mean.copy_(torch.as_tensor(ym[tr_idx].mean(0)))
            model.y_std.copy_(torch.as_tensor(ym[tr_idx].std(0) + 1e-12))
        model = model.to(dev)
        xt = torch.as_tensor(xm, dtype=torch.float32, device=dev)
        yt = torch.as_tensor(ym, dtype=torch.float32, device=dev)
        yn = (yt - model.y_mean) / model.y_std
        opt = torch.optim.Adam(model.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=max(1, self.epochs))
        tr_t = torch.as_tensor(tr_idx, device=dev)
        val_t = torch.as_tensor(val_idx, device=dev)
        self.history_, best, best_state, since = [], math.inf, None, 0
        self.interrupted_ = False
        self.model_ = model
        bar = tqdm(range(self.epochs), desc="training", disable=not self.progress, leave=False)
        try:
            for epoch in bar:
                model.train()
                order = tr_t[torch.randperm(len(tr_t), generator=gen).to(dev)]
                tot, totp, nb = 0.0, 0.0, 0
                for start in range(0, len(order), self.batch_size):
                    b = order[start:start + self.batch_size]
                    pred = model.forward_normalised(xt[b])
                    loss = torch.mean((pred - yn[b]) ** 2)
                    pen = self._physics_loss(model, xt[b], pred * model.y_std + model.y_mean)
                    opt.zero_grad(set_to_none=True)
                    (loss + pen).backward()
                    opt.step()
                    tot, totp, nb = tot + loss.item(), totp + pen.item(), nb + 1
                sched.step()
                model.eval()
                with torch.no_grad():
                    val = float(torch.mean((model.forward_normalised(xt[val_t]) - yn[val_t]) ** 2))
                record = {"epoch": epoch + 1, "train": tot / nb, "val": val, "physics": totp / nb}
                self.history_.append(record)
                if val < best:
                    best, since, self.best_epoch_ = val, 0, epoch + 1
                    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
                    self._save_best(best_state)
                else:
                    since += 1
                bar.set_postfix(train=f"{record['train']:.3g}", val=f"{val:.3g}")
                if self.callback is not None:
                    self.callback(record)
                if since >= self.patience:
                    break
        except KeyboardInterrupt:
            self.interrupted_ = True
            _warn(f"training interrupted after {len(self.history_)} epochs; keeping the best model "
                  f"(epoch {getattr(self, 'best_epoch_', 0)})", RuntimeWarning)
        finally:
            bar.close()
        if best_state is not None:
            model.load_state_dict(best_state)
        model.eval()
        self.train_seconds_ = time.perf_counter() - t0

    def _physics_loss(self, model, x, y_phys):
        total = torch.zeros((), device=x.device)
        for name, (weight, fn) in self._penalties.items():
            total = total + weight * fn(model, x, y_phys)
        return total

    def _save_best(self, state):
        self.checkpoint_path_ = None
        if self.run_dir is False:
            return
        if self.run_dir is None:
            self.run_dir = default_run_dir()
        self.checkpoint_path_ = Path(self.run_dir) / "best.pt"
        self._write(self.checkpoint_path_, state)

    # -- prediction ----------------------------------------------------------------------------
    def _check_fitted(self):
        if not hasattr(self, "model_"):
            raise RuntimeError("this SurrogateRegressor is not fitted yet; call fit(X, y) or load(path)")

    def out_of_range(self, xm: np.ndarray) -> np.ndarray:
        """Boolean (n, n_features) array: where inputs lie outside the training ranges."""
        lo, hi = self.ranges_[:, 0], self.ranges_[:, 1]
        pad = 1e-9 * np.maximum(1.0, np.abs(self.ranges_).max(1))
        return (xm < lo - pad) | (xm > hi + pad)

    def predict(self, X: xr.Dataset, *, on_out_of_range: str = "warn") -> xr.Dataset:
        """Predict the targets for ``X``, flagging inputs outside the training ranges.

        Parameters
        ----------
        X : xarray.Dataset
            Must hold every feature the model was trained on, in units
            convertible to the training units.
        on_out_of_range : {"warn", "raise", "nan"}, default "warn"
            ``warn``: warn naming the variables and ranges (predictions are kept
            and flagged in ``out_of_range``); ``raise``: raise ``ValueError``;
            ``nan``: also set flagged predictions to NaN.

        Returns
        -------
        xarray.Dataset
            The targets with ``units``/``long_name``, shaped like the
            broadcast inputs, plus a boolean ``out_of_range`` mask.
        """
        self._check_fitted()
        if on_out_of_range not in ("warn", "raise", "nan"):
            raise ValueError(f"on_out_of_range must be 'warn', 'raise' or 'nan', got {on_out_of_range!r}")
        xm, template = to_matrix(X, self.feature_names_, self.feature_units_)
        oor = self.out_of_range(xm)
        mask = oor.any(1)
        if mask.any():
            parts = [f"{name} [{self.feature_units_[i]}] outside [{self.ranges_[i, 0]:.4g}, "
                     f"{self.ranges_[i, 1]:.4g}] at {int(oor[:, i].sum())} point(s)"
                     for i, name in enumerate(self.feature_names_) if oor[:, i].any()]
            msg = ("inputs beyond the training ranges (the surrogate would extrapolate): " + "; ".join(parts))
            if on_out_of_range == "raise":
                raise ValueError(msg)
            _warn(msg + "; see the 'out_of_range' mask", UserWarning)
        ym = self.predict_array(xm)
        if on_out_of_range == "nan":
            ym[mask] = np.nan
        out = xr.Dataset()
        for j, name in enumerate(self.target_names_):
            da = template.copy(data=ym[:, j].reshape(template.shape))
            da.attrs = {"units": self.target_units_[j], "long_name": f"{name} (surrogate)"}
            out[name] = da
        out["out_of_range"] = template.copy(data=mask.reshape(template.shape)).astype(bool)
        out["out_of_range"].attrs = {"long_name": "inputs outside the training ranges"}
        return out

    def predict_array(self, xm: np.ndarray, *, batch_size: int = 262144) -> np.ndarray:
        """Predict from an (n, n_features) array already in the training units (no checks)."""
        self._check_fitted()
        dev = next(self.model_.parameters()).device
        outs = []
        with torch.inference_mode():
            for s in range(0, xm.shape[0], batch_size):
                xb = torch.as_tensor(xm[s:s + batch_size], dtype=torch.float32, device=dev)
                outs.append(self.model_(xb).double().cpu().numpy())
        return np.concatenate(outs) if outs else np.zeros((0, len(self.target_names_)))

    def score(self, X: xr.Dataset, y: xr.Dataset) -> float:
        """Mean coefficient of determination over the targets (scikit-learn convention)."""
        pred = self.predict(X)
        yt, _ = to_matrix(y, self.target_names_, self.target_units_, role="target")
        r2 = [1 - np.sum((yt[:, j] - pred[n].values.ravel()) ** 2) / np.sum((yt[:, j] - yt[:, j].mean()) ** 2)
              for j, n in enumerate(self.target_names_)]
        return float(np.mean(r2))

    # -- checkpoints ---------------------------------------------------------------------------
    def _payload(self, state):
        return {
            "format": _FORMAT,
            "state_dict": {k: v.detach().cpu() for k, v in state.items()},
            "config": self.get_params(),
            "n_in": len(self.feature_names_),
            "n_out": len(self.target_names_),
            "feature_names": list(self.feature_names_),
            "feature_units": list(self.feature_units_),
            "target_names": list(self.target_names_),
            "target_units": list(self.target_units_),
            "ranges": torch.as_tensor(self.ranges_),
            "history": [dict(r) for r in getattr(self, "history_", [])],
            "best_epoch": int(getattr(self, "best_epoch_", 0)),
        }

    def _write(self, path, state):
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        payload = self._payload(state)
        torch.save(payload, path)
        side = {k: v for k, v in payload.items() if k not in ("state_dict", "ranges", "history")}
        side["ranges"] = self.ranges_.tolist()
        path.with_suffix(".json").write_text(json.dumps(side, indent=2))

    def save(self, path) -> Path:
        """Save the fitted model (state dict, normalisation, config, names, units, ranges).

        Writes ``path`` (a torch file readable with ``weights_only=True``) and a
        JSON sidecar next to it with the same metadata. Returns ``path``.
        """
        self._check_fitted()
        self._write(path, self.model_.state_dict())
        return Path(path)

    @classmethod
    def load(cls, path, *, device="cpu") -> SurrogateRegressor:
        """Load a checkpoint written by :meth:`save` or during :meth:`fit` (``weights_only=True``)."""
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"no surrogate checkpoint at {path}")
        expected = (f"expected a checkpoint written by SurrogateRegressor.save or fit (a torch file with "
                    f"format {_FORMAT!r}, e.g. runs/surrogates/<run>/best.pt)")
        try:
            payload = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # torch raises IndexError, UnpicklingError, RuntimeError... by file kind
            raise ValueError(f"{path} is not a workbench surrogate checkpoint: it is {_describe_file(path)}; "
                             f"{expected} (torch.load said: {type(err).__name__}: {str(err)[:160]})") from None
        fmt = payload.get("format") if isinstance(payload, dict) else None
        if fmt != _FORMAT:
            kind = (f"a dict with format {fmt!r} and keys {sorted(map(str, payload))[:8]}"
                    if isinstance(payload, dict) else f"a torch file holding a {type(payload).__name__}")
            raise ValueError(f"{path} is not a workbench surrogate checkpoint: it is {kind}; {expected}")
        config = dict(payload["config"])
        config["device"] = device
        unknown = set(config) - set(_CONFIG_KEYS)
        if unknown:
            raise ValueError(f"checkpoint {path} has unknown config keys {sorted(unknown)}")
        self = cls(**config, run_dir=False, progress=False)
        self.feature_names_ = list(payload["feature_names"])
        self.feature_units_ = list(payload["feature_units"])
        self.target_names_ = list(payload["target_names"])
        self.target_units_ = list(payload["target_units"])
        self.ranges_ = payload["ranges"].numpy().astype(float)
        self.history_ = list(payload["history"])
        self.best_epoch_ = payload["best_epoch"]
        model = self._new_model(payload["n_in"], payload["n_out"])
        model.load_state_dict(payload["state_dict"])
        self.model_ = model.to(self.device_).eval()
        self.checkpoint_path_ = Path(path)
        return self

