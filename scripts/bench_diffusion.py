"""Speed of MissDiff's network on Census (TabCSDI's 20,000-row subset): prints figures.

Not a test. Measures
  1. training: seconds per batch of 64 (forward, masked loss, backward, Adam step) at the paper's
     architecture with 64 and 128 channels, timed over `--train-batches` batches after a warm-up
     and extrapolated to an epoch of the 16,000-row training fold (250 batches);
  2. imputation: seconds per test row with 100 draws per row (Algorithm 2, all draws batched),
     timed over `--impute-rows` rows and `--impute-steps` of the T = 100 reverse steps (every
     step costs the same network call) and extrapolated to 100 steps and to the 4,000-row test
     fold, for several `max_batch` values and bf16 autocast.
Reference (TabCSDI's public code, 128 channels, this 2-core CPU): 475 ms per batch of 64
(118.7 s per epoch) and 17.2 s per test row with 100 samples.

    .venv/bin/python scripts/bench_diffusion.py [--threads N] [--channels 64 128]
"""

from __future__ import annotations

import argparse
import math
import os
import time
from pathlib import Path

import numpy as np
import torch
from torch import nn

from missdiff.config import DatasetConfig
from missdiff.data.datasets import load_dataset
from missdiff.data.encoding import TabularEncoder
from missdiff.diffusion import sampler
from missdiff.diffusion.loss import masked_eps_loss
from missdiff.diffusion.network import EpsNetwork, StepEmbedding
from missdiff.diffusion.schedule import VPSchedule


class ReferenceStyleNet(nn.Module):
    """The same architecture laid out as TabCSDI lays it out (our own code, for timing only).

    Channels-first tensors (B, C, K=1, L) with Conv1d 1x1 projections, a sequence-first
    nn.TransformerEncoder behind permute copies, and the side information (column code +
    feature embedding) built and projected for every row of the batch. Same FLOPs per token
    as EpsNetwork plus the per-row side projection: a same-machine, same-load stand-in for the
    reference timings quoted above.
    """

    def __init__(self, width: int, channels: int, dropout: float, n_layers: int = 4):
        super().__init__()
        self.width = width
        self.inp = nn.Conv1d(1, channels, 1)
        self.step = StepEmbedding(T, 128)
        freqs = torch.pow(10_000.0, -torch.arange(0, 128, 2).float() / 128)
        pos = torch.arange(width).float()[:, None] * freqs[None, :]
        self.register_buffer("col_code", torch.cat([pos.sin(), pos.cos()], dim=1))
        self.feat = nn.Embedding(1, 8)
        self.blocks = nn.ModuleList()
        for _ in range(n_layers):
            block = nn.Module()
            block.step_proj = nn.Linear(128, channels)
            layer = nn.TransformerEncoderLayer(channels, 4, 64, dropout, activation="gelu")
            block.trans = nn.TransformerEncoder(layer, 1, enable_nested_tensor=False)
            block.mid = nn.Conv1d(channels, 2 * channels, 1)
            block.cond = nn.Conv1d(136, 2 * channels, 1)
            block.out = nn.Conv1d(channels, 2 * channels, 1)
            self.blocks.append(block)
        self.skip = nn.Conv1d(channels, channels, 1)
        self.final = nn.Conv1d(channels, 1, 1)

    def forward(self, x_t: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        b, length = x_t.shape[0], self.width
        x = torch.relu(self.inp(x_t.reshape(b, 1, length)))  # (B, C, K*L)
        side = torch.cat(
            [
                self.col_code[None].expand(b, -1, -1),
                self.feat.weight[None].expand(b, length, -1),
            ],
            dim=-1,
        ).permute(0, 2, 1)  # (B, 136, K*L), built per row as in the reference
        emb = self.step(t)
        skips = 0
        for blk in self.blocks:
            y = x + blk.step_proj(emb)[:, :, None]
            y = blk.trans(y.permute(2, 0, 1)).permute(1, 2, 0)  # (L, B, C) and back
            y = blk.mid(y) + blk.cond(side)
            gate, filt = y.chunk(2, dim=1)
            y = blk.out(torch.sigmoid(gate) * torch.tanh(filt))
            res, skip = y.chunk(2, dim=1)
            x = (x + res) / math.sqrt(2.0)
            skips = skips + skip
        h = torch.relu(self.skip(skips / math.sqrt(len(self.blocks))))
        return self.final(h).reshape(b, length)


DATA_DIR = Path(__file__).resolve().parents[2] / "shared" / "datasets"
TRAIN_ROWS, TEST_ROWS, BATCH, T, DRAWS = 16_000, 4_000, 64, 100, 100
TRAIN_VARIANTS = (
    ("ours dropout 0.1", 0.1, False),
    ("ours dropout 0.0", 0.0, False),
    ("reference-style dropout 0.1", 0.1, True),
)


def census(data_dir: Path) -> tuple[torch.Tensor, torch.Tensor]:
    table = load_dataset(
        DatasetConfig(name="census", variant="tabcsdi"), data_dir, np.random.default_rng(0)
    )
    enc = TabularEncoder(table.schema, scaling="tabcsdi").fit(table.data)
    x, mask = enc.transform(table.data)
    return torch.from_numpy(x), torch.from_numpy(mask)


def network(width: int, channels: int, dropout: float, reference: bool = False) -> nn.Module:
    if reference:
        torch.manual_seed(0)  # script, not library: the reference-style layers use global init
        return ReferenceStyleNet(width, channels, dropout)
    return EpsNetwork(
        width, T, channels=channels, n_layers=4, n_heads=4, dropout=dropout,
        generator=torch.Generator().manual_seed(0),
    )  # fmt: skip


class TrainBench:
    """One network + optimiser; `run(n)` times n training batches of 64."""

    def __init__(self, x: torch.Tensor, mask: torch.Tensor, channels: int, dropout: float,
                 reference: bool):  # fmt: skip
        self.x, self.mask = x, mask
        self.net = network(x.shape[1], channels, dropout, reference)
        if not reference:
            self.net.dropout_generator = torch.Generator().manual_seed(1)
        self.opt = torch.optim.Adam(self.net.parameters(), lr=5e-4, weight_decay=1e-6, fused=True)
        self.schedule = VPSchedule(T)
        self.g = torch.Generator().manual_seed(2)
        self.run(2)  # warm-up

    def run(self, n: int) -> tuple[float, float]:
        """Median (wall, CPU) seconds per batch over n batches."""
        walls, cpus = [], []
        for _ in range(n):
            idx = torch.randint(0, self.x.shape[0], (BATCH,), generator=self.g)
            t = torch.randint(1, T + 1, (BATCH,), generator=self.g)
            eps = torch.randn(BATCH, self.x.shape[1], generator=self.g)
            w0, c0 = time.perf_counter(), time.process_time()
            x_t = self.schedule.add_noise(self.x[idx], eps, t)
            loss = masked_eps_loss(eps, self.net(x_t, t), self.mask[idx])
            self.opt.zero_grad(set_to_none=True)
            loss.backward()
            self.opt.step()
            walls.append(time.perf_counter() - w0)
            cpus.append(time.process_time() - c0)
        return float(np.median(walls)), float(np.median(cpus))


class ImputeBench:
    """`run()` imputes `rows` rows x 100 draws over `steps` reverse steps; per-row seconds."""

    def __init__(self, x: torch.Tensor, mask: torch.Tensor, channels: int, rows: int, steps: int,
                 max_batch: int, precision: str, reference: bool, compile: bool):  # fmt: skip
        self.net = network(x.shape[1], channels, 0.1, reference)
        self.short = VPSchedule(steps)  # same network call per step as the T = 100 chain
        self.args = (max_batch, precision)
        self.compile = compile
        self.x, self.mask, self.rows, self.steps = x, mask, rows, steps
        k = max(1, max_batch // DRAWS)  # warm-up (and compilation) on one full chunk
        self._impute(self.x[:k], self.mask[:k])

    def _impute(self, x: torch.Tensor, mask: torch.Tensor) -> None:
        g = torch.Generator().manual_seed(4)
        sampler.impute(self.net, self.short, x, mask, DRAWS, g, *self.args, compile=self.compile)

    def run(self) -> tuple[float, float]:
        """(wall, CPU) seconds per test row, extrapolated to T = 100 steps."""
        w0, c0 = time.perf_counter(), time.process_time()
        self._impute(self.x[: self.rows], self.mask[: self.rows])
        scale = T / self.steps / self.rows
        return (time.perf_counter() - w0) * scale, (time.process_time() - c0) * scale


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--data-dir", type=Path, default=DATA_DIR)
    ap.add_argument("--threads", type=int, default=None, help="torch intra-op threads")
    ap.add_argument("--channels", type=int, nargs="+", default=[64, 128])
    ap.add_argument("--train-batches", type=int, default=5, help="batches per round")
    ap.add_argument("--impute-rows", type=int, default=4)
    ap.add_argument("--impute-steps", type=int, default=2)
    ap.add_argument("--max-batch", type=int, nargs="+", default=[100, 400, 1600])
    ap.add_argument("--rounds", type=int, default=3, help="round-robin repeats; best is kept")
    ap.add_argument("--bf16", action="store_true", help="also time bf16 autocast")
    ap.add_argument("--compile", action="store_true", help="also time torch.compile")
    ap.add_argument("--skip-train", action="store_true")
    ap.add_argument("--skip-impute", action="store_true")
    args = ap.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)

    x, mask = census(args.data_dir)
    print(f"Census (TabCSDI subset): {x.shape[0]} rows, encoded width {x.shape[1]}")
    print(
        f"torch {torch.__version__}, {torch.get_num_threads()} threads, cpu count {os.cpu_count()}"
    )
    print(f"load average at start: {os.getloadavg()}")
    print(
        "Variants are timed round-robin and the best round is kept (the machine may be shared);\n"
        "wall = elapsed seconds, cpu = this process's CPU seconds (all threads summed)."
    )
    batches_per_epoch = math.ceil(TRAIN_ROWS / BATCH)
    if not args.skip_train:
        print(
            f"\n[train] batch {BATCH}: median of {args.train_batches} batches per round, best "
            f"of {args.rounds} rounds; x {batches_per_epoch} batches = one epoch of "
            f"{TRAIN_ROWS} rows (extrapolated)"
        )
        for channels in args.channels:
            benches = {
                label: TrainBench(x, mask, channels, dropout, reference)
                for label, dropout, reference in TRAIN_VARIANTS
            }
            best: dict[str, tuple[float, float]] = {}
            for _ in range(args.rounds):
                for label, bench in benches.items():
                    wall, cpu = bench.run(args.train_batches)
                    old = best.get(label, (math.inf, math.inf))
                    best[label] = (min(old[0], wall), min(old[1], cpu))
            for label, (wall, cpu) in best.items():
                print(
                    f"  channels {channels:4d} {label:<28s}: wall {wall * 1000:7.1f} ms/batch "
                    f"({wall * batches_per_epoch:6.1f} s/epoch), cpu {cpu * 1000:7.1f} ms/batch "
                    f"({cpu * batches_per_epoch:6.1f} s/epoch)"
                )
    if not args.skip_impute:
        print(
            f"\n[impute] {DRAWS} draws/row, timed on {args.impute_rows} rows x "
            f"{args.impute_steps} steps, best of {args.rounds} rounds; extrapolated to T={T} "
            f"and to the {TEST_ROWS}-row test fold"
        )
        for channels in args.channels:
            runs = [("ours fp32", mb, "fp32", False, False) for mb in args.max_batch]
            if args.bf16:
                runs.append(("ours bf16", args.max_batch[0], "bf16", False, False))
            if args.compile:
                runs.append(("ours fp32 compiled", args.max_batch[0], "fp32", False, True))
            runs.append(("reference-style fp32", 64, "fp32", True, False))
            benches = {
                (label, mb): ImputeBench(
                    x,
                    mask,
                    channels,
                    args.impute_rows,
                    args.impute_steps,
                    mb,
                    precision,
                    reference,
                    compile,
                )
                for label, mb, precision, reference, compile in runs
            }
            best = {}
            for _ in range(args.rounds):
                for key, bench in benches.items():
                    wall, cpu = bench.run()
                    old = best.get(key, (math.inf, math.inf))
                    best[key] = (min(old[0], wall), min(old[1], cpu))
            for (label, mb), (wall, cpu) in best.items():
                print(
                    f"  channels {channels:4d} {label:<21s} max_batch {mb:5d}: wall {wall:6.2f} "
                    f"s/row ({wall * TEST_ROWS / 3600:5.1f} h/fold), cpu {cpu:6.2f} s/row "
                    f"({cpu * TEST_ROWS / 3600:5.1f} h/fold)"
                )
    print(f"\nload average at end: {os.getloadavg()}")


if __name__ == "__main__":
    main()
