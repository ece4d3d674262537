"""What one ForestDiffusion denoiser costs at a dataset's shape: prints figures.

Not a test. ForestDiffusion fits one XGBoost regressor per noise level and column (n_t x p
models), each on rows x duplicate_k copies with p inputs. This times one such fit (its default
trees: 100 of depth 7, eta 0.3, `hist`; one thread; random data) at each shape, so a run that
has no record yet can be estimated from one that has: scale the record's fit time by
(models x seconds per fit) here over the same product at the recorded run's shape.

    OMP_NUM_THREADS=1 .venv/bin/python scripts/bench_forest_fit.py 455x31 288x91 --copies 10
"""

from __future__ import annotations

import argparse
import time

import numpy as np


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("shapes", nargs="+", metavar="ROWSxCOLUMNS", help="training rows x columns")
    parser.add_argument("--copies", type=int, default=10, help="duplicate_k (quick 10, paper 100)")
    parser.add_argument("--n-t", type=int, default=50, help="noise levels")
    args = parser.parse_args()
    import xgboost as xgb

    rng = np.random.default_rng(0)
    print(f"duplicate_k {args.copies}, n_t {args.n_t}; one thread, random data")
    for shape in args.shapes:
        try:
            rows, cols = (int(v) for v in shape.lower().split("x"))
        except ValueError:
            parser.error(f"a shape is ROWSxCOLUMNS, e.g. 455x31; got {shape!r}")
        x = rng.normal(size=(rows * args.copies, cols))
        y = rng.normal(size=rows * args.copies)
        model = xgb.XGBRegressor(n_estimators=100, max_depth=7, learning_rate=0.3, n_jobs=1,
                                 tree_method="hist")  # fmt: skip
        start = time.perf_counter()
        model.fit(x, y)
        fit = time.perf_counter() - start
        models = args.n_t * cols
        print(f"{shape:>10}: {fit:6.2f} s per fit, {models} fits, {models * fit / 3600:5.2f} h")


if __name__ == "__main__":
    main()
