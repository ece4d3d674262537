"""ForestDiffusion's imputation benchmark (not in the paper): a neutral cross-check on a protocol
nobody here chose, with the peer's published values beside ours.

Protocol and metrics: missdiff/configs/experiment/forest_benchmark.yaml and
missdiff/evaluation/forest.py. The published values (experiments/forest_benchmark_published.csv)
come from the peer's repository; its `ice` (chained linear regressions, like our `mice`) sits in
the MICE(linear) row and its REPAINT ForestDiffusion in ForestDiffusion's row. One table per
metric.
"""

from __future__ import annotations

import csv
from dataclasses import replace
from pathlib import Path

from experiments.table1 import METHODS
from missdiff.claims import against_peer
from missdiff.report.spec import QUICK_DIFFUSION_NOTE, TableSpec, dataset_label, model_label

PUBLISHED_CSV = Path(__file__).with_name("forest_benchmark_published.csv")

# dataset_label of our datasets -> the peer's dataset name (the tables' columns).
DATASETS = {
    "iris": "iris",
    "wine/red (11 columns)": "wine_quality_red",  # dataset=wine_forestdiffusion
    "wine/white": "wine_quality_white",
    "concrete": "concrete_compression",
    "libras": "libras",
    "breast/diagnostic": "breast_cancer_diagnostic",
}
ROWS = {
    **{k: v for k, v in METHODS.items() if k != "miwae"},
    "missforest_full": "MissForest (full trees)",
    "miceforest": "miceforest",
    "forest_diffusion": "ForestDiffusion",
}
# The peer's method names -> our rows (methods we do not run are left out). Its MissForest
# (full trees) is printed beside both of ours: beside the paper's depth-3 one it shows the gap.
PUBLISHED_ROWS = {
    "ice": ("MICE(linear)",),
    "MissForest": ("MissForest", "MissForest (full trees)"),
    "GAIN": ("GAIN",),
    "miceforest": ("miceforest",),
    "forest_diffusion_repaint_nt51_ycond": ("ForestDiffusion",),
}
# (our metric, the peer's column, table name suffix, title)
METRICS = (
    ("min_mae", "MinMAE", "", "MinMAE (the best of 5 imputations per row)"),
    ("avg_mae", "AvgMAE", "_avgmae", "AvgMAE (mean over 5 imputations)"),
    ("w_train", "W_train", "_wtrain", "W_train (Wasserstein distance to the true training rows)"),
    ("w_test", "W_test", "_wtest", "W_test (Wasserstein distance to the test rows)"),
    ("time", "time", "_time", "time (seconds to fit and impute 5 times)"),
)


def dataset_column(config: dict) -> str:
    label = dataset_label(config)
    return DATASETS.get(label, f"{label}, not the peer's dataset")


def method_row(config: dict) -> str:
    return ROWS.get(model_label(config), model_label(config))


def published_values(column: str) -> dict[tuple[str, str], float]:
    """The peer's values of one metric column: {(its method name, dataset): value}."""
    with PUBLISHED_CSV.open() as f:
        lines = [line for line in f if not line.startswith("#")]
    return {(rec["method"], rec["dataset"]): float(rec[column]) for rec in csv.DictReader(lines)}


def published(column: str) -> dict[tuple[str, ...], float]:
    """The peer's values of one metric column for our rows: {(row, dataset): value}."""
    return {
        (row, dataset): value
        for (method, dataset), value in published_values(column).items()
        for row in PUBLISHED_ROWS.get(method, ())
    }


_NOTES = (
    "Not a table of the paper: ForestDiffusion's imputation protocol (Jolicoeur-Martineau et "
    "al., AISTATS 2024): 20 % MCAR on the features of the 80 % training rows (the split "
    "stratified by a class target; the target is never hidden), each method imputes the rows "
    "it was fitted on 5 times (a method that imputes once is fitted again under new seeds, as"
    " the peer refits MissForest and MICE; GAIN, as the peer's, passes its one trained "
    "generator 5 times with fresh input noise, so its 5 imputations nearly agree), scored on "
    "Gower's scale (continuous min-max, categorical one-hot / 2). `| published x` is the "
    "peer's value (3 runs x 5 imputations). Its `ice` sits in the MICE(linear) row: the same "
    "chained linear regressions, but the peer's draw from the posterior and ours "
    "(hyperimpute's `ice`) do not, so our five imputations agree (MinMAE = AvgMAE). Our "
    "MissForest is hyperimpute's (the paper's), whose forests are 100 trees of depth at most "
    "3; the peer's grows full trees, which imputes much better wherever the columns are not "
    "nearly linear in each other: our MissForest (full trees) row is that method (hyperimpute's"
    " `sklearn_missforest`: scikit-learn's IterativeImputer, 100 full-depth trees, at most 10 "
    "rounds), the published MissForest beside both. Our GAIN is hyperimpute's (the paper's):"
    " 1,000 steps of batch 256, loss weight 10; the peer's runs GAIN's original code for "
    "10,000 steps of batch 128, weight 100. Its REPAINT ForestDiffusion sits in the "
    "ForestDiffusion row; the peer trains a forest per class (`ycond`), ours does not. Other "
    "differences: our folds and masks are our seeds' draws, not the peer's; rows whose "
    "features are all hidden are kept (the peer drops them: under 0.2 % of iris's rows, none "
    "elsewhere in expectation); our times are one CPU thread (a cell whose runs used more "
    "says so), the peer's every core of its machine." + QUICK_DIFFUSION_NOTE + " MissDiff and "
    "CSDI_T thus run with both denoisers: where a column has `paper` records, a cell shows them "
    "(the paper's backbone at the paper's budget, 500 epochs of batch 8) over its `quick` ones "
    "(the MLP), which results/tables/quick/forest_benchmark.md keeps for every method."
)

_BASE = TableSpec(
    title="",
    rows=(("method", method_row),),
    column=("dataset", dataset_column),
    column_order=tuple(DATASETS.values()),
    row_order=tuple(ROWS.values()),
    higher_is_better=False,
    digits=4,
    reference_tag="published",
    reference_source="ForestDiffusion",  # its published benchmark
    rank_row="MissDiff",
    notes=_NOTES,
)

# Where MissDiff stands against each newer peer on the peer's own protocol: on its headline
# metric (MinMAE) only, the others being printed beside it.
PEER_CLAIMS = tuple(
    against_peer(
        f"MissDiff imputes better than {label} on ForestDiffusion's benchmark.",
        label,
        f"a lower MinMAE than {label} on every dataset",
        axis=0,
    )
    for label in ("ForestDiffusion", "miceforest")
)

SPECS = {
    f"forest_benchmark{suffix}": replace(
        _BASE,
        title=f"ForestDiffusion's imputation benchmark: {title}, lower is better",
        metric=metric,
        paper=published(column),
        digits=1 if metric == "time" else 4,
        claims=PEER_CLAIMS if metric == "min_mae" else (),
    )
    for metric, column, suffix, title in METRICS
}
