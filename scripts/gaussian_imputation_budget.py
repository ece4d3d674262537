"""How MissDiff's imputation RMSE follows its training budget, on a Gaussian with a known oracle.

Data: 2,000 rows of a 2-D Gaussian (correlation 0.9), each entry hidden with probability 0.2;
MissDiff (32 channels, 2 layers) fits the first 1,600 rows and imputes the hidden entries of the
other 400 (median of 20 draws). Printed in units of the column standard deviation, beside mean
imputation and the oracle (the true conditional mean). A benchmark, not a test: it prints
figures (results/NOTES.md quotes them). About 5 minutes on one CPU core.

    python scripts/gaussian_imputation_budget.py [--budgets 50:30:64:5e-4 100:150:256:5e-3 ...]

A budget is T:epochs:batch_size:learning_rate.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd
import torch

from missdiff.data.schema import Schema
from missdiff.models.diffusion import DiffusionConfig, MissDiff

DEFAULT_BUDGETS = (
    "50:30:64:5e-4",
    "50:150:64:5e-4",
    "100:30:64:5e-4",
    "100:150:64:5e-4",
    "100:150:256:5e-3",
    "100:400:256:5e-3",
)
RHO, MU = 0.9, np.array([1.0, -2.0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--budgets", nargs="+", default=list(DEFAULT_BUDGETS))
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    rng = np.random.default_rng(0)
    full = rng.multivariate_normal(MU, [[1.0, RHO], [RHO, 1.0]], size=2000)
    data = pd.DataFrame(full, columns=["x", "y"])
    masked = data.mask(rng.random(full.shape) < 0.2)
    train, test, truth = masked.iloc[:1600], masked.iloc[1600:], full[1600:]
    obs = test.to_numpy()
    # Rows with both entries hidden have nothing to condition on: scored on the other rows.
    hidden = np.isnan(obs) & ~np.isnan(obs).all(axis=1, keepdims=True)
    oracle = np.where(np.isnan(obs), MU + RHO * (obs[:, ::-1] - MU[::-1]), obs)
    mean_fill = np.broadcast_to(train.mean().to_numpy(), obs.shape)

    def rmse(pred: np.ndarray) -> float:
        return float(np.sqrt(((pred - truth)[hidden] ** 2).mean()))

    print(f"mean imputation {rmse(mean_fill):.3f}   oracle {rmse(oracle):.3f}  (units: sd)")
    print("T  epochs  batch  lr      steps  MissDiff  seconds")
    for budget in args.budgets:
        steps, epochs, batch, lr = budget.split(":")
        cfg = DiffusionConfig(
            channels=32, n_layers=2, n_heads=2, diffusion_embedding_dim=32,
            column_embedding_dim=16, feature_embedding_dim=4, num_steps=int(steps),
            epochs=int(epochs), batch_size=int(batch), lr=float(lr), n_impute_samples=20,
            max_batch=4096, device="cpu", progress=False,
        )  # fmt: skip
        start = time.perf_counter()
        model = MissDiff(cfg).fit(train, Schema(("x", "y")), np.random.default_rng(1))
        filled = model.impute(test, np.random.default_rng(2)).completed.to_numpy()
        n_steps = int(epochs) * -(-len(train) // int(batch))
        print(
            f"{steps:<3} {epochs:<7} {batch:<6} {lr:<7} {n_steps:<6} {rmse(filled):.3f}"
            f"     {time.perf_counter() - start:.0f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
