"""What `threads` costs: seconds per MissDiff training epoch by torch thread count and by how
many runs share the machine. Prints figures (not a test); the README's "Threads" quotes them.

Each measurement runs in fresh processes (`--worker`): MissDiff at the `quick` profile's sizes
(channels 32, batch 64) trained for `--epochs` epochs on 4,000 rows of the dataset (the `quick`
cap; 20 % of entries hidden), timed after a one-epoch warm-up fit. Scenarios: one run alone
with 1 and 2 threads; two runs at once with 1 thread each and with 2 threads each (what a joblib
sweep with n_jobs=2 does).

    .venv/bin/python scripts/bench_threads.py [--epochs 3] [--dataset bayesnet]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time


def worker(args: argparse.Namespace) -> None:
    import numpy as np
    import torch

    from missdiff.config import DatasetConfig
    from missdiff.data.datasets import load_dataset
    from missdiff.models.diffusion import DiffusionConfig, MissDiff

    torch.set_num_threads(args.threads)
    dataset = DatasetConfig(name=args.dataset, n_rows=5000)
    table = load_dataset(dataset, None, np.random.default_rng(0))
    data = table.data.iloc[:4000].reset_index(drop=True)
    data = data.mask(np.random.default_rng(0).random(data.shape) < 0.2)
    times = []
    for epochs in (1, args.epochs):  # the first fit warms up (allocator, kernels)
        cfg = DiffusionConfig(channels=32, epochs=epochs, batch_size=64, device="cpu",
                              progress=False)  # fmt: skip
        start = time.perf_counter()
        MissDiff(cfg).fit(data, table.schema, np.random.default_rng(1))
        times.append(time.perf_counter() - start)
    print(json.dumps({"per_epoch": times[1] / args.epochs}))


def measure(threads: int, parallel: int, args: argparse.Namespace) -> list[float]:
    cmd = [sys.executable, __file__, "--worker", "--threads", str(threads),
           "--epochs", str(args.epochs), "--dataset", args.dataset]  # fmt: skip
    env = {**os.environ, "OMP_NUM_THREADS": str(threads)}
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True, env=env)
             for _ in range(parallel)]  # fmt: skip
    return [json.loads(p.communicate()[0].strip().splitlines()[-1])["per_epoch"] for p in procs]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--dataset", default="bayesnet")
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    print(f"cores: {os.cpu_count()}; MissDiff at quick sizes, 4,000 {args.dataset} rows")
    print(f"{'runs at once':<14}{'threads each':>14}{'s/epoch each':>16}{'epochs/s total':>16}")
    for parallel, threads in ((1, 1), (1, 2), (2, 1), (2, 2)):
        per = measure(threads, parallel, args)
        mean = sum(per) / len(per)
        print(f"{parallel:<14}{threads:>14}{mean:>16.2f}{sum(1 / p for p in per):>16.2f}")


if __name__ == "__main__":
    main()
