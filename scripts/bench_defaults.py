"""What `missdiff impute` gives at its defaults on ordinary tables: prints figures (not a test;
README "Your own data" quotes them).

For each table (CSV copies of public datasets, native missing values kept), 20 % of the observed
entries are hidden (seeded), `missdiff impute` runs on the result as a user would run it (a
fresh process, its defaults, wall time measured), and so does `--model mean_mode`. Scores on the
hidden entries: RMSE of the continuous columns on the true data's min-max scale (mean over
columns), and the error rate of the categorical ones.

    .venv/bin/python scripts/bench_defaults.py [wine_red wine_white concrete breast] [--extra ARGS]
"""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

from missdiff.config import DatasetConfig
from missdiff.data.datasets import load_dataset

TABLES = {
    "wine_red": ("wine", "red"),
    "wine_white": ("wine", "white"),
    "concrete": ("concrete", "default"),
    "breast": ("breast", "original"),
}


def score(truth: pd.DataFrame, filled: pd.DataFrame, hidden: np.ndarray, cats: set[str]) -> dict:
    rmse, errors = [], []
    for j, col in enumerate(truth.columns):
        rows = hidden[:, j]
        if not rows.any():
            continue
        if col in cats:
            errors.append(float((_labels(truth[col][rows]) != _labels(filled[col][rows])).mean()))
        else:
            lo, hi = truth[col].min(), truth[col].max()
            span = hi - lo if hi > lo else 1.0
            err = (filled[col][rows].astype(float) - truth[col][rows]) / span
            rmse.append(float(np.sqrt(np.mean(err**2))))
    return {
        "rmse": float(np.mean(rmse)),
        "error_rate": float(np.mean(errors)) if errors else np.nan,
    }


def _labels(values: pd.Series) -> pd.Series:
    """Category labels as text, with 2 and 2.0 the same label (a CSV with NaN turns an integer
    column into floats)."""
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.notna().all():
        return numbers.astype(float).astype(str)
    return values.astype(str)


def hidden_table(name: str):  # -> (Table, hidden mask)
    """A bench table and the seeded 20 % of its observed entries to hide (shared by the benches)."""
    dataset, variant = TABLES[name]
    table = load_dataset(
        DatasetConfig(name=dataset, variant=variant),
        os.environ.get("MISSDIFF_DATA_DIR"),
        np.random.default_rng(0),
    )
    truth = table.data
    hidden = truth.notna().to_numpy() & (np.random.default_rng(0).random(truth.shape) < 0.2)
    return table, hidden


def impute(path: Path, out: Path, extra: list[str]) -> float:
    start = time.perf_counter()
    cmd = [sys.executable, "-m", "missdiff.cli", "impute", str(path), "-o", str(out), *extra]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("tables", nargs="*", default=list(TABLES))
    parser.add_argument("--extra", default="", help="more `missdiff impute` options, quoted")
    args = parser.parse_args()
    print(
        f"missdiff impute {args.extra or '(defaults)'} vs --model mean_mode; cores: "
        f"{os.cpu_count()}"
    )
    print(
        f"{'table':<12}{'rows':>6}{'cols':>5}{'hidden':>8}{'minutes':>9}{'RMSE':>8}{'mean':>8}"
        f"{'err.rate':>10}{'mode':>8}"
    )
    for name in args.tables:
        table, hidden = hidden_table(name)
        truth = table.data
        with tempfile.TemporaryDirectory() as tmp:
            src = Path(tmp) / f"{name}.csv"
            truth.mask(hidden).to_csv(src, index=False)
            # As a user would: the categorical columns named (numbers are read as continuous).
            cats = list(table.schema.categorical)
            declared = ["--categorical", *cats] if cats else []
            extra = [*declared, *shlex.split(args.extra)]
            minutes = impute(src, Path(tmp) / "md.csv", extra) / 60
            impute(src, Path(tmp) / "mm.csv", [*declared, "--model", "mean_mode"])
            ours = score(
                truth, pd.read_csv(Path(tmp) / "md.csv"), hidden, set(table.schema.categorical)
            )
            mean = score(
                truth, pd.read_csv(Path(tmp) / "mm.csv"), hidden, set(table.schema.categorical)
            )
        print(
            f"{name:<12}{len(truth):>6}{truth.shape[1]:>5}{int(hidden.sum()):>8}{minutes:>9.1f}"
            f"{ours['rmse']:>8.4f}{mean['rmse']:>8.4f}{ours['error_rate']:>10.3f}"
            f"{mean['error_rate']:>8.3f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
