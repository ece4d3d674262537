"""Does a generator learn the dependence between columns, or only the marginals?

Retrains the model of one run record from its resolved config (same seed streams as the run),
samples rows, and prints for every pair of columns a dependence measure on the real training rows
and on the synthetic rows: Cramer's V (categorical x categorical), the correlation ratio eta
(categorical x continuous), |Pearson r| (continuous x continuous). SDMetrics' score is dominated
by the marginals, so this is the check that it can hide (results/NOTES.md, session 4).

    python scripts/dependence_check.py results/runs/<key> [--rows 2000] [--top 12] [--pair A B]
        [--set model.epochs=300 ...]

`--set KEY=VALUE` changes the record's config before retraining (OmegaConf dotlist), e.g. a longer
training; nothing is written under results/runs, so a check never replaces a run's record. The
record's config is resolved, so set `model.epochs`, not `profile.epochs` (which no longer feeds
it). Datasets are read from $MISSDIFF_DATA_DIR (or downloaded), as by missdiff-run.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch
from omegaconf import OmegaConf

from missdiff import pipeline as P
from missdiff.data.schema import apply_mask
from missdiff.errors import MissDiffError
from missdiff.evaluation.dependence import dependences


def _label(column: pd.Series) -> pd.Series:
    """Categories as text that agrees between real (int) and decoded (float) columns."""
    return column.map(lambda v: f"{v:g}" if isinstance(v, int | float | np.number) else str(v))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("record", type=Path, help="a run's folder under results/runs")
    parser.add_argument("--rows", type=int, default=2000, help="synthetic rows to draw")
    parser.add_argument(
        "--pair",
        nargs=2,
        action="append",
        default=[],
        metavar=("A", "B"),
        help="also print the shares of B within each category of A, real and synthetic",
    )
    parser.add_argument("--top", type=int, default=12, help="pairs to print, strongest real first")
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="override one config entry before retraining, e.g. model.epochs=300",
    )
    args = parser.parse_args()
    if not (args.record / "config.yaml").is_file():
        sys.exit(f"dependence_check: no config.yaml in {args.record}; pass a results/runs/<key>")
    cfg = OmegaConf.load(args.record / "config.yaml")
    for item in args.set:
        key, sep, _ = item.partition("=")
        missing = object()  # a key whose value is null is still a key
        if not sep or OmegaConf.select(cfg, key, default=missing) is missing:
            sys.exit(f"dependence_check: --set {item!r} must be KEY=VALUE with KEY in the config")
    cfg = OmegaConf.merge(cfg, OmegaConf.from_dotlist(args.set))
    if cfg.get("threads") is not None:
        torch.set_num_threads(cfg.threads)  # as the run did: thread count can change the draws
    try:
        data = P.prepare_data(cfg, os.environ.get("MISSDIFF_DATA_DIR"))
    except MissDiffError as err:
        sys.exit(f"dependence_check: {err}")
    table = data.table
    real = table.data.iloc[data.train].reset_index(drop=True)
    model = P.build_model(cfg.model)
    start = time.perf_counter()
    model.fit(
        apply_mask(real, data.observed[data.train]), table.schema, P.stream(cfg.seed, "model")
    )
    fit_s = time.perf_counter() - start
    synthetic = model.sample(args.rows, P.stream(cfg.seed, "inference"))
    out = pd.DataFrame(
        {"real": dependences(real, table.schema), "synthetic": dependences(synthetic, table.schema)}
    )
    out = out.rename_axis(["column a", "column b"]).reset_index()
    out = out.sort_values("real", ascending=False).head(args.top).round(3)
    print(
        f"{cfg.model.name} on {cfg.dataset.name}, {cfg.missingness.name} {cfg.missingness.ratio}, "
        f"seed {cfg.seed}, profile {cfg.profile.name}"
        + "".join(f", {item}" for item in args.set)
        + f": {args.rows} synthetic rows"
    )
    losses = model.history.get("train_loss", [])
    if losses:
        print(
            f"fit {fit_s:.0f} s, {len(losses)} epochs, "
            f"train loss {losses[0]:.4f} -> {losses[-1]:.4f}"
        )
    print(out.to_string(index=False))
    for a, b in args.pair:
        shares = {
            name: pd.crosstab(_label(df[a]), _label(df[b]), normalize="index")
            for name, df in (("real", real.dropna(subset=[a, b])), ("synthetic", synthetic))
        }
        print(f"\nshare of each {b} within {a}")
        print(pd.concat(shares, axis=1).round(2).to_string())


if __name__ == "__main__":
    main()
