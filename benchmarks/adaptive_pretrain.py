"""Train the small PPO policy shipped with the adaptive-modelling study (workbench/adaptive/ppo_policy.pt).

Training budget: 80,000 weekly decisions (about 1,540 simulated years) on 32 training
scenarios (seed 100), 16 episodes stepped as one batch; 6-13 min on one core (794 s measured for the
shipped policy on a heavily shared 2-core machine).
The notebook and the benchmark test it on held-out scenarios (other seeds).

Run: ``.venv/bin/python benchmarks/adaptive_pretrain.py [--timesteps N] [--out PATH]``.
Ends with one line ``RESULT key=value ...``.
"""

from __future__ import annotations

import argparse
import shutil

import torch

from workbench.adaptive import PRETRAINED_POLICY, calibrate_static, make_scenarios, train_policy

TRAIN_SEED, N_TRAIN = 100, 32


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timesteps", type=int, default=80_000)
    parser.add_argument("--out", default=str(PRETRAINED_POLICY))
    args = parser.parse_args()
    torch.set_num_threads(1)
    train = make_scenarios(N_TRAIN, seed=TRAIN_SEED)
    calibration = calibrate_static(train, n_candidates=32)
    _, info = train_policy(train, calibration, total_timesteps=args.timesteps, seed=0,
                           run_dir="runs/adaptive/pretrain")
    shutil.copy(info["run_dir"] / "policy.pt", args.out)
    last = info["history"][-1][1] if info["history"] else float("nan")
    print(f"RESULT timesteps={info['timesteps']} simulated_years={info['simulated_years']:.0f} "
          f"wall_s={info['wall_s']:.0f} final_mean_return={last:.2f}")


if __name__ == "__main__":
    main()
