"""Cost of the weight average per training step: prints figures.

Not a test. On the `quick` profile's MLP denoiser (256 x 4, batch 64) over a table of `--columns`
encoded columns, times (1) a whole training step without an average (forward, masked loss,
backward, Adam), (2) torch's `AveragedModel.update_parameters` and (3) our `ema_updater` (the
same average over parameter lists gathered once), each the best of `--rounds` rounds of
`--steps` calls, in ms per call, on `--threads` threads.

    .venv/bin/python scripts/bench_ema.py [--threads 1] [--steps 500] [--columns 12]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import torch

from missdiff.diffusion.loss import masked_eps_loss
from missdiff.diffusion.mlp import MLPDenoiser
from missdiff.diffusion.schedule import VPSchedule
from missdiff.diffusion.train import ema_average, ema_updater


def best_ms(fn: Callable[[], None], steps: int, rounds: int) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        for _ in range(steps):
            fn()
        times.append((time.perf_counter() - start) / steps * 1e3)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--steps", type=int, default=500)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--columns", type=int, default=12)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    g = torch.Generator().manual_seed(0)
    net = MLPDenoiser(args.columns, 100, width=256, depth=4, generator=g)
    schedule = VPSchedule(num_steps=100)
    optimizer = torch.optim.Adam(net.parameters(), lr=5e-4, fused=True)
    x0 = torch.randn(64, args.columns, generator=g)
    mask = torch.rand(64, args.columns, generator=g) > 0.2

    def train_step() -> None:
        t = torch.randint(1, 101, (64,), generator=g)
        eps = torch.randn(x0.shape, generator=g)
        loss = masked_eps_loss(eps, net(schedule.add_noise(x0, eps, t), t), mask)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

    library = torch.optim.swa_utils.AveragedModel(net, multi_avg_fn=ema_average(0.999))
    ours = torch.optim.swa_utils.AveragedModel(net, multi_avg_fn=ema_average(0.999))
    ours_step = ema_updater(ours, net)
    figures = {
        "training step (no average)": best_ms(train_step, args.steps, args.rounds),
        "AveragedModel.update_parameters": best_ms(
            lambda: library.update_parameters(net), args.steps, args.rounds
        ),
        "ema_updater": best_ms(ours_step, args.steps, args.rounds),
    }
    print(f"MLP 256 x 4, batch 64, {args.columns} columns, {args.threads} thread(s); ms per call:")
    for name, ms in figures.items():
        print(f"  {name:<34} {ms:7.3f}")


if __name__ == "__main__":
    main()
