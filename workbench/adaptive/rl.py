"""Reinforcement learning: a Stable-Baselines3 PPO agent that adapts the running model's parameters.

Trained on training scenarios through :func:`~workbench.adaptive.env.batched_vec_env`,
tested on held-out ones with :func:`run_policy`. The policy is saved as a
plain torch state dict with its metadata (observation names, action meaning,
training budget) and loaded with ``torch.load(..., weights_only=True)``; an
agent trained for another observation space is refused with a clear error.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import xarray as xr
from tqdm.auto import tqdm

from .env import OBSERVATION_NAMES, ModelBatch, _spaces, batched_vec_env
from .model import PARAM_NAMES

__all__ = ["train_policy", "save_policy", "load_policy", "run_policy", "default_run_dir", "PRETRAINED_POLICY"]

#: The policy shipped with the package (made by ``benchmarks/adaptive_pretrain.py``).
PRETRAINED_POLICY = Path(__file__).with_name("ppo_policy.pt")
_NET_ARCH = [32, 32]


def default_run_dir(name: str | None = None) -> Path:
    """A fresh run folder ``runs/adaptive/<stamp>`` under the current working directory (git-ignored)."""
    stamp = name or time.strftime("%Y%m%d-%H%M%S") + f"-{int(time.time() * 1e6) % 1_000_000:06d}"
    return Path.cwd() / "runs" / "adaptive" / stamp


def _make_policy(net_arch):
    from stable_baselines3.common.policies import ActorCriticPolicy

    obs_space, act_space = _spaces()
    return ActorCriticPolicy(obs_space, act_space, lr_schedule=lambda _: 0.0, net_arch=list(net_arch))


def save_policy(policy, path, **meta) -> Path:
    """Save an SB3 actor-critic policy as a state dict plus metadata (readable with ``weights_only=True``)."""
    import torch

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    info = {"observation_names": list(OBSERVATION_NAMES), "action_names": [f"dlog_{p}" for p in PARAM_NAMES],
            "net_arch": list(_NET_ARCH), **meta}
    torch.save({"state_dict": {k: v.detach().cpu() for k, v in policy.state_dict().items()}, "meta": info}, path)
    return path


def load_policy(path=PRETRAINED_POLICY):
    """Load a policy saved by :func:`save_policy`; refuses one trained for another observation space.

    Returns
    -------
    policy, meta
        An SB3 ``ActorCriticPolicy`` in eval mode and the saved metadata (training budget etc.).
    """
    import torch

    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"no policy file at {path}; train one with train_policy()")
    blob = torch.load(path, map_location="cpu", weights_only=True)
    meta = blob.get("meta", {})
    names = meta.get("observation_names")
    if names != list(OBSERVATION_NAMES):
        raise ValueError(f"the policy in {path} was trained for the observations {names}; this environment "
                         f"observes {list(OBSERVATION_NAMES)}: retrain it with train_policy()")
    policy = _make_policy(meta.get("net_arch", _NET_ARCH))
    policy.load_state_dict(blob["state_dict"])
    policy.set_training_mode(False)
    return policy, meta


class _Progress:
    """SB3 callback: a tqdm bar, the learning curve, and the best policy kept on disk."""

    def __new__(cls, total, run_dir, on_update, meta):
        from stable_baselines3.common.callbacks import BaseCallback

        class Callback(BaseCallback):
            def _on_training_start(self):
                self.bar = tqdm(total=total, desc="PPO", leave=False)
                self.history, self.best = [], -np.inf

            def _on_step(self):
                self.bar.update(self.training_env.num_envs)
                for info in self.locals.get("infos", []):
                    if "episode" in info:
                        self._episode(info["episode"]["r"])
                        break
                return True

            def _episode(self, _r):
                rewards = [i["episode"]["r"] for i in self.locals["infos"] if "episode" in i]
                mean = float(np.mean(rewards))
                self.history.append((self.num_timesteps, mean))
                if on_update is not None:
                    on_update(self.num_timesteps, mean)
                if run_dir is not None and mean > self.best:
                    self.best = mean
                    save_policy(self.model.policy, Path(run_dir) / "best_policy.pt",
                                timesteps=int(self.num_timesteps), mean_return=mean, **meta)

            def _on_training_end(self):
                self.bar.close()

        return Callback()


def train_policy(scen: xr.Dataset, calibration: dict, *, total_timesteps: int = 100_000, n_envs: int = 16,
                 seed: int = 0, run_dir=None, on_update=None, **env_kwargs):
    """Train PPO on the training scenarios.

    Parameters
    ----------
    scen, calibration
        Training scenarios and their static calibration.
    total_timesteps : int, default 100000
        Decisions (weekly steps) in all: one simulated year is 52.
    n_envs : int, default 16
        Episodes stepped together in one batch.
    run_dir : path, optional
        Where the best policy so far is kept (``best_policy.pt``), so an
        interrupted training keeps its result; default :func:`default_run_dir`.
    on_update : callable, optional
        ``on_update(timesteps, mean_return)`` after every batch of episodes (a live learning curve).

    Returns
    -------
    policy, info
        The trained policy and ``{"history", "wall_s", "timesteps", "run_dir", "simulated_years"}``.
    """
    import torch
    from stable_baselines3 import PPO

    t0 = time.perf_counter()
    torch.manual_seed(seed)
    run_dir = Path(run_dir) if run_dir is not None else default_run_dir()
    env = batched_vec_env(scen, calibration, n_envs, seed=seed, **env_kwargs)
    # A small initial action noise (log_std -1.5): "do nothing" is a good policy in a stable world, and wide
    # exploration around it mostly teaches the agent the tower noise.
    model = PPO("MlpPolicy", env, n_steps=52, batch_size=208, n_epochs=8, learning_rate=3e-4, gamma=0.9,
                ent_coef=0.0, policy_kwargs={"net_arch": list(_NET_ARCH), "log_std_init": -1.5}, seed=seed,
                verbose=0, device="cpu")
    meta = {"total_timesteps": int(total_timesteps), "n_train_scenarios": int(scen.sizes["scenario"]),
            "seed": int(seed)}
    cb = _Progress(total_timesteps, run_dir, on_update, meta)
    try:
        model.learn(total_timesteps=total_timesteps, callback=cb)
    except KeyboardInterrupt:  # keep what was learned; the best so far is on disk
        pass
    wall = time.perf_counter() - t0
    save_policy(model.policy, run_dir / "policy.pt", wall_s=wall, **meta)
    info = {"history": cb.history, "wall_s": wall, "timesteps": int(model.num_timesteps), "run_dir": run_dir,
            "simulated_years": model.num_timesteps / 52}
    return model.policy, info


def run_policy(policy, scen: xr.Dataset, calibration: dict, *, deterministic: bool = True, **env_kwargs):
    """Run a policy on every scenario at once (one batch) through year 2; returns a trajectory Dataset."""
    from .methods import _trajectory

    t0 = time.perf_counter()
    batch = ModelBatch(scen, calibration["params"], calibration["store"], **env_kwargs)
    obs, done = batch.reset(), False
    while not done:
        action, _ = policy.predict(obs, deterministic=deterministic)
        obs, _, done, info = batch.step(action)
    out = _trajectory(scen, batch.days, batch.et, batch.param_history, name="rl")
    wall = time.perf_counter() - t0
    out.attrs.update(wall_s=wall, step_ms=1e3 * wall / batch.days.size, n_clipped=info["n_clipped"])
    return out
