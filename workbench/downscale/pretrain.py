"""Train the shipped U-Net weights: ``python -m workbench.downscale.pretrain [--epochs N] [--out PATH]``.

It trains :class:`~workbench.downscale.network.NetworkDownscaler` with
:data:`TRAINING` on the study's full-mode training region and period
(:func:`~workbench.downscale.study.study_data`) and writes a ``weights_only``
checkpoint to :func:`~workbench.downscale.network.pretrained_path`. Fast-mode
notebooks load these weights instead of training; full mode trains the same
network from scratch.
"""

from __future__ import annotations

import argparse
import shutil
import time

#: Hyper-parameters of the study's network (full mode and the shipped weights).
TRAINING = {"width": 16, "epochs": 40, "steps_per_epoch": 50, "batch_size": 16, "patch": 32, "lr": 3e-3, "seed": 0,
            "grad_weight": 1.0}


def main(argv=None) -> None:
    import torch

    from .network import NetworkDownscaler, pretrained_path
    from .study import study_data

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=TRAINING["epochs"])
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--out", default=str(pretrained_path()))
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    train = study_data(fast=False, cases=("train",))["train"]
    model = NetworkDownscaler(**{**TRAINING, "epochs": args.epochs})
    model.fit(train.coarse, train.static, train.fine)
    path = model.save(model.run_dir_ / "final.pt")
    shutil.copyfile(model.run_dir_ / "best.pt", args.out)
    print(f"best validation loss {model.best_val_loss_:.4f} after {time.perf_counter() - t0:.0f} s; "
          f"weights in {args.out} (run files in {path.parent})")


if __name__ == "__main__":
    main()
