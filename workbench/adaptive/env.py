"""The running model as a reinforcement-learning environment (Gymnasium), for one scenario or a batch.

Every ``interval`` days the agent sees the recent forcing, the model state
and the recent errors against the tower, and may change the model's
parameters (log-space steps of at most ``max_step``); the model then runs
``interval`` days. Reward: how much lower the RMSE against the observations
over those days is than that of the static model run alongside (the same
noise hits both, so the reward measures the adaptation, not the weather),
minus ``change_cost`` times the squared size of the change.

:class:`ModelBatch` holds the dynamics for ``B`` scenarios at once (one
canopy solve per day for all of them); :class:`AdaptiveModelEnv` is the
Gymnasium ``Env`` (``B = 1``) that any agent can drive, and
:func:`batched_vec_env` wraps a batch as a Stable-Baselines3 ``VecEnv``
for training on many scenarios at once.
"""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from .methods import _year2
from .model import FORCING, PARAM_NAMES, clip_parameters, step_day

__all__ = ["OBSERVATION_NAMES", "ModelBatch", "AdaptiveModelEnv", "batched_vec_env"]

#: What the agent observes (in this order), each scaled to order one.
OBSERVATION_NAMES = ("bias_7d", "bias_28d", "rmse_7d", "rel_bias_28d", "rs_7d", "vpd_7d", "lai_7d", "precip_7d",
                     "soil_water_frac", "dlog_vcmax25", "dlog_g1", "dlog_whc", "season_sin", "season_cos")
_OBS_BOUND = 10.0


class ModelBatch:
    """Year 2 of ``B`` scenarios run in weekly (``interval``) decisions with adjustable parameters.

    Parameters
    ----------
    scen : xarray.Dataset
        :func:`~workbench.adaptive.make_scenarios` output.
    start_params, start_store : numpy.ndarray
        The static calibration (scenario, 3) and the soil water (scenario,) at the start of year 2.
    interval : int, default 7
        Days between decisions.
    max_step : float, default 0.1
        Largest change of a log parameter per decision [1].
    change_cost : float, default 0.1
        Reward cost of a change, per unit squared action.
    delay : int, default 0
        Days by which the observations reach the agent late.
    """

    def __init__(self, scen, start_params, start_store, *, interval=7, max_step=0.1, change_cost=0.1, delay=0):
        self.forcing, self.obs, _, self.days = _year2(scen)
        self.start_params = np.asarray(start_params, dtype=float)
        self.start_store = np.asarray(start_store, dtype=float)
        b = self.obs.shape[0]
        if self.start_params.shape != (b, len(PARAM_NAMES)) or self.start_store.shape != (b,):
            raise ValueError(f"start_params must be ({b}, {len(PARAM_NAMES)}) and start_store ({b},); got "
                             f"{self.start_params.shape} and {self.start_store.shape}")
        if delay < 0 or interval < 1:
            raise ValueError(f"delay must be >= 0 and interval >= 1; got delay={delay}, interval={interval}")
        self.interval, self.max_step, self.change_cost, self.delay = int(interval), max_step, change_cost, int(delay)
        self.n_steps = self.days.size // self.interval
        self.reset()

    def reset(self):
        """Back to the start of year 2; returns the first observation (B, n_obs)."""
        self.params = self.start_params.copy()
        self.store = self.start_store.copy()
        self.ref_store = self.start_store.copy()  # the static model, for the reward's baseline
        self.j = 0  # days done in year 2
        self.et = np.full((self.obs.shape[0], self.days.size), np.nan)
        self.ref_et = np.full((self.obs.shape[0], self.days.size), np.nan)
        self.param_history = np.empty((self.obs.shape[0], self.days.size, len(PARAM_NAMES)))
        self.n_clipped = 0
        return self.observe()

    def _window(self, a, n):
        lo = max(self.j - self.delay - n, 0)
        hi = max(self.j - self.delay, 0)
        return a[:, lo:hi]

    def observe(self):
        """The agent's view (B, len(OBSERVATION_NAMES)), float32, clipped to +-10."""
        t0 = int(self.days[0])
        obs_y2 = self.obs[:, t0:]
        err = obs_y2 - self.et
        with np.errstate(invalid="ignore"), warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # empty windows (all gaps) give NaN, set to 0
            e7, e28 = self._window(err, 7), self._window(err, 28)
            bias7 = np.nan_to_num(np.nanmean(e7, 1)) if e7.shape[1] else np.zeros(len(err))
            bias28 = np.nan_to_num(np.nanmean(e28, 1)) if e28.shape[1] else np.zeros(len(err))
            rmse7 = np.nan_to_num(np.sqrt(np.nanmean(e7**2, 1))) if e7.shape[1] else np.zeros(len(err))
            m28 = self._window(self.et, 28)
            rel = bias28 / (np.nan_to_num(np.nanmean(m28, 1)) + 0.3) if m28.shape[1] else np.zeros(len(err))
        t = int(self.days[min(self.j, self.days.size - 1)])
        lo = max(t - 7, 0)
        f = {k: self.forcing[k][:, lo:t + 1].mean(1) for k in FORCING}
        doy = 2 * np.pi * (self.j / 365.0)
        x = np.stack([bias7, bias28, rmse7, rel, f["rs"] / 300.0, f["vpd"], f["lai"] / 5.0, f["precip"] / 5.0,
                      self.store / self.params[:, 2], *np.log(self.params / self.start_params).T,
                      np.full(len(err), np.sin(doy)), np.full(len(err), np.cos(doy))], axis=1)
        return np.clip(x, -_OBS_BOUND, _OBS_BOUND).astype(np.float32)

    def step(self, action):
        """Apply ``action`` (B, 3) in [-1, 1], run ``interval`` days; return (observation, reward, done, info)."""
        a = np.asarray(action, dtype=float).reshape(self.params.shape)
        if not np.all(np.isfinite(a)):
            raise ValueError("action contains NaN or infinite values")
        outside = int(np.count_nonzero(np.abs(a) > 1.0))
        a = np.clip(a, -1.0, 1.0)
        self.params, n = clip_parameters(self.params * np.exp(self.max_step * a))
        self.n_clipped += n + outside
        t0 = int(self.days[0])
        stop = self.days.size if self.j + self.interval * 2 > self.days.size else self.j + self.interval
        both = np.concatenate([self.params, self.start_params])  # agent and static model in one solve
        b = len(self.params)
        for j in range(self.j, stop):
            day = {k: np.tile(self.forcing[k][:, t0 + j], 2) for k in FORCING}
            et, _, store = step_day(np.concatenate([self.store, self.ref_store]), day, both)
            self.et[:, j], self.ref_et[:, j] = et[:b], et[b:]
            self.store, self.ref_store = store[:b], store[b:]
            self.param_history[:, j] = self.params
        obs = self.obs[:, t0 + self.j:t0 + stop]
        reward = (self._rmse(obs, self.ref_et[:, self.j:stop]) - self._rmse(obs, self.et[:, self.j:stop])
                  - self.change_cost * (a**2).sum(1))
        self.j = stop
        done = self.j >= self.days.size
        return self.observe(), reward, done, {"n_clipped": self.n_clipped}

    @staticmethod
    def _rmse(obs, sim):
        err = obs - sim
        good = np.isfinite(err)
        return np.sqrt(np.where(good, err**2, 0.0).sum(1) / np.maximum(good.sum(1), 1))


try:
    import gymnasium as gym
    from gymnasium import spaces
except ImportError:  # pragma: no cover - gymnasium is a pinned dependency
    gym = None


def _spaces():
    obs = spaces.Box(-_OBS_BOUND, _OBS_BOUND, shape=(len(OBSERVATION_NAMES),), dtype=np.float32)
    act = spaces.Box(-1.0, 1.0, shape=(len(PARAM_NAMES),), dtype=np.float32)
    return obs, act


class AdaptiveModelEnv(gym.Env):
    """Gymnasium environment: adapt the running model's parameters on one scenario per episode.

    Parameters
    ----------
    scen : xarray.Dataset
        Scenarios to draw episodes from (uniformly, with the env's seeded ``np_random``).
    calibration : dict
        :func:`~workbench.adaptive.calibrate_static` output for ``scen``.
    **kwargs
        Passed to :class:`ModelBatch` (``interval``, ``max_step``, ``change_cost``, ``delay``).

    Notes
    -----
    Observation: ``Box(-10, 10, (14,))`` (:data:`OBSERVATION_NAMES`); action:
    ``Box(-1, 1, (3,))``, the change of (log vcmax25, log g1, log whc) in units
    of ``max_step``. Parameters leaving their bounds are clipped and counted
    (``info["n_clipped"]``).
    """

    metadata = {"render_modes": []}

    def __init__(self, scen: xr.Dataset, calibration: dict, **kwargs):
        super().__init__()
        self.scen, self.calibration, self.kwargs = scen, calibration, kwargs
        self.observation_space, self.action_space = _spaces()
        self._batch = None

    def reset(self, *, seed=None, options=None):
        super().reset(seed=seed)
        i = int(self.np_random.integers(self.scen.sizes["scenario"]))
        if options and "scenario" in options:
            i = int(options["scenario"])
        self._batch = ModelBatch(self.scen.isel(scenario=[i]), self.calibration["params"][[i]],
                                 self.calibration["store"][[i]], **self.kwargs)
        return self._batch.observe()[0], {"scenario": i}

    def step(self, action):
        if self._batch is None:
            raise RuntimeError("call reset() before step()")
        obs, reward, done, info = self._batch.step(np.asarray(action)[None])
        return obs[0], float(reward[0]), bool(done), False, info


def batched_vec_env(scen: xr.Dataset, calibration: dict, n_envs: int = 16, *, seed: int = 0, **kwargs):
    """A Stable-Baselines3 ``VecEnv`` of ``n_envs`` episodes stepped as one batch (one canopy solve per day).

    Each episode is a training scenario drawn at random; all episodes have the
    same length, so the batch resets together.
    """
    from stable_baselines3.common.vec_env import VecEnv

    obs_space, act_space = _spaces()

    class _BatchVecEnv(VecEnv):
        def __init__(self):
            super().__init__(n_envs, obs_space, act_space)
            self.rng = np.random.default_rng(seed)
            self._actions = None
            self._new_batch()

        def _new_batch(self):
            idx = self.rng.integers(scen.sizes["scenario"], size=n_envs)
            self.batch = ModelBatch(scen.isel(scenario=idx), calibration["params"][idx],
                                    calibration["store"][idx], **kwargs)
            self.returns = np.zeros(n_envs)
            self.lengths = 0

        def reset(self):
            self._new_batch()
            return self.batch.observe()

        def step_async(self, actions):
            self._actions = actions

        def step_wait(self):
            obs, reward, done, _ = self.batch.step(self._actions)
            self.returns += reward
            self.lengths += 1
            infos = [{} for _ in range(n_envs)]
            dones = np.full(n_envs, done)
            if done:
                for k in range(n_envs):
                    infos[k] = {"terminal_observation": obs[k], "episode": {"r": float(self.returns[k]),
                                                                           "l": self.lengths},
                                "TimeLimit.truncated": False}
                self._new_batch()
                obs = self.batch.observe()
            return obs, reward.astype(np.float32), dones, infos

        def close(self):
            pass

        def get_attr(self, attr_name, indices=None):
            return [getattr(self, attr_name)] * len(self._indices(indices))

        def set_attr(self, attr_name, value, indices=None):
            setattr(self, attr_name, value)

        def env_method(self, method_name, *args, indices=None, **kw):
            return [getattr(self, method_name)(*args, **kw)] * len(self._indices(indices))

        def env_is_wrapped(self, wrapper_class, indices=None):
            return [False] * len(self._indices(indices))

        def _indices(self, indices):
            if indices is None:
                return range(n_envs)
            return [indices] if isinstance(indices, int) else indices

    return _BatchVecEnv()
