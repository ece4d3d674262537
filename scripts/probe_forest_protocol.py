"""Two probes behind results/NOTES.md's forest_benchmark explanations, on the protocol's own fold
and mask (evaluator=forest_imputation's metrics; prints figures, writes nothing):

- `missforest DATASET`: scikit-learn's IterativeImputer with 100-tree random forests of depth 3
  (hyperimpute's default, so the paper's MissForest) and of full depth (the peer's), 5 refits;
- `miceforest DATASET`: miceforest's kernel imputations of its own training rows against the
  same rows re-imputed as new ones (`impute_new_data`).

    MISSDIFF_DATA_DIR=../shared/datasets .venv/bin/python scripts/probe_forest_protocol.py \
        missforest concrete --seeds 0
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from missdiff.data.schema import apply_mask
from missdiff.evaluation.base import EvalInputs
from missdiff.evaluation.forest import ForestImputationEvaluator
from missdiff.pipeline import prepare_data
from tests.conftest import compose


def fold(dataset: str, seed: int):
    cfg = compose([f"dataset={dataset}", "missingness=mcar_independent",
                   "missingness.spare_target=true", "dataset.stratify=true",
                   "evaluator=forest_imputation", "profile=quick", f"seed={seed}"])  # fmt: skip
    data = prepare_data(cfg, None)
    frame = data.table.data
    train = frame.iloc[data.train].reset_index(drop=True)
    test = frame.iloc[data.test].reset_index(drop=True)
    inputs = EvalInputs(data.table.schema, train, test, data.observed[data.train],
                        data.observed[data.test])  # fmt: skip
    return inputs, apply_mask(train, data.observed[data.train])


def score(inputs: EvalInputs, imputations: list[pd.DataFrame]) -> str:
    inputs.imputed_train = [d.reset_index(drop=True) for d in imputations]
    m = ForestImputationEvaluator().evaluate(inputs, np.random.default_rng(0))
    return f"MinMAE {m['min_mae']:.4f} AvgMAE {m['avg_mae']:.4f} W_train {m['w_train']:.4f}"


def missforest(inputs: EvalInputs, masked: pd.DataFrame) -> None:
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer

    for depth in (3, None):
        start = time.perf_counter()
        imputations = []
        for k in range(5):
            forest = RandomForestRegressor(n_estimators=100, max_depth=depth, random_state=k)
            imputer = IterativeImputer(estimator=forest, max_iter=10, random_state=k)
            filled = imputer.fit_transform(masked.to_numpy(dtype=float))
            imputations.append(pd.DataFrame(filled, columns=masked.columns))
        print(f"  depth {depth}: {score(inputs, imputations)} "
              f"({time.perf_counter() - start:.0f} s)")  # fmt: skip


def miceforest(inputs: EvalInputs, masked: pd.DataFrame, seed: int) -> None:
    import miceforest as mf

    frame = masked.astype(float)
    kernel = mf.ImputationKernel(frame, num_datasets=5, random_state=seed)
    kernel.mice(5)
    own = [kernel.complete_data(dataset=k) for k in range(5)]
    new = kernel.impute_new_data(frame, random_state=seed)
    last = kernel.iteration_count()
    again = [new.complete_data(dataset=k, iteration=last) for k in range(5)]
    print(f"  kernel's own imputations: {score(inputs, own)}")
    print(f"  re-imputed as new rows:   {score(inputs, again)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("probe", choices=("missforest", "miceforest"))
    parser.add_argument("dataset")
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    args = parser.parse_args()
    for seed in args.seeds:
        print(f"{args.probe} on {args.dataset}, seed {seed}")
        inputs, masked = fold(args.dataset, seed)
        if args.probe == "missforest":
            missforest(inputs, masked)
        else:
            miceforest(inputs, masked, seed)


if __name__ == "__main__":
    main()
