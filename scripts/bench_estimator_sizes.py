"""How the estimator's size settings trade time for RMSE: prints figures (not a test; the
README's "Your own data" and results/NOTES.md quote them).

Same table, hidden entries and scoring as scripts/bench_defaults.py; each setting is
`width,train_steps,draws` of `MissDiff(mlp_width=..., train_steps=..., n_impute_samples=...)`,
fitted and applied in this process on one thread (fit and imputation timed apart).

    .venv/bin/python scripts/bench_estimator_sizes.py wine_white 256,10000,10 512,10000,5
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_defaults import TABLES, hidden_table, score

from missdiff import MeanModeImputer, MissDiff


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("table", choices=sorted(TABLES))
    parser.add_argument("settings", nargs="+", help="width,train_steps,draws")
    args = parser.parse_args()
    torch.set_num_threads(1)
    table, hidden = hidden_table(args.table)
    truth = table.data
    df = truth.mask(hidden)
    cats = set(table.schema.categorical)
    categorical = list(table.schema.categorical)
    mean = score(
        truth, MeanModeImputer(categorical=categorical).fit(df).transform(df), hidden, cats
    )
    print(f"{args.table}: mean imputation RMSE {mean['rmse']:.4f}")
    for setting in args.settings:
        width, steps, draws = (int(v) for v in setting.split(","))
        est = MissDiff(
            random_state=0, categorical=categorical, mlp_width=width, train_steps=steps,
            n_impute_samples=draws,
        )  # fmt: skip
        t0 = time.perf_counter()
        est.fit(df)
        t1 = time.perf_counter()
        out = est.transform(df)
        t2 = time.perf_counter()
        r = score(truth, out, hidden, cats)
        print(
            f"  width {width} steps {steps} draws {draws}: fit {(t1 - t0) / 60:.1f} min, "
            f"impute {(t2 - t1) / 60:.1f} min, RMSE {r['rmse']:.4f}",
            flush=True,
        )


if __name__ == "__main__":
    main()
