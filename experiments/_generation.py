"""Shared layout of the generation tables (Figure 1, Tables 2-4, 6-19): rows = the missingness
mechanism, columns = the generator, both named as in the paper.

Every generation experiment runs `evaluator=generation`, which scores fidelity (SDMetrics) and
utility (Kim et al. 2023) on the same synthetic rows, so one run fills a cell of several tables:
the specs below only pick a different metric out of the same records.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from missdiff.claims import Claim, against_peer, best
from missdiff.report.spec import (
    MODEL_NAMES,
    QUICK_DIFFUSION_NOTE,
    TableSpec,
    mechanism_label,
    paper_model_label,
)

MCAR = ("Row Missing", "Column Missing", "Independent Missing")
BEYOND_MCAR = ("MAR", "NMAR")
# Column order of the paper's generation tables.
MODELS = tuple(
    MODEL_NAMES[m]
    for m in (
        "missdiff",
        "diff_delete",
        "diff_mean",
        "stasy_delete",
        "stasy_mean",
        "csdi_t",
        "miwae",
        "miwae_modified",
    )
)
# Newer peers (not in the paper), shown after the paper's generators where they ran.
PEERS = (MODEL_NAMES["forest_flow"],)


def beats_forestflow(keep: Callable[[tuple[str, ...]], bool] | None = None) -> Claim:
    """Where MissDiff stands against the newer generator (ours, not the paper's claim), on the
    cells `keep` accepts: those ForestFlow's sweep covers."""
    return against_peer(
        "MissDiff generates better than ForestFlow from the same incomplete rows.",
        "ForestFlow",
        "a higher score than ForestFlow in every row of its sweep",
        keep=keep,
    )


# The paper's "independent" rows (Tables 13-19) are its "Independent Missing".
UTILITY_MODELS = {
    "decision_tree": "Decision Tree",
    "adaboost": "AdaBoost",
    "logistic": "Logistic Regression",
    "mlp": "Multi-layer Perceptron (MLP)",
    "random_forest": "Random Forest",
}
CLASSIFICATION_CRITERIA = (
    ("Binary F1", "f1"),
    ("Weighted-F1", "weighted_f1"),
    ("AUROC", "auroc"),
)

CENSUS_NOTES = (
    "Census = UCI Adult with its official split (adult.data: 32,561 training rows; adult.test:"
    " 16,281 test rows), `dataset=census` (variant adult). The mechanism hides entries of the"
    " whole table; the generator is fitted on the incomplete training rows and samples as many"
    " rows as it was trained on. Fidelity: SDMetrics Quality Report against the training rows"
    " before masking. Utility: each classifier is fitted on the synthetic rows, its"
    " hyperparameters chosen on the real training rows, and scored on adult.test (rows with"
    " Adult's own '?' are left out of utility). The `quick` profile caps the rows at 4,000"
    " training / 1,000 test and uses one or two grid points per classifier; `paper` uses all rows"
    " and Kim et al.'s grids. See experiments/table2.py for why this split." + QUICK_DIFFUSION_NOTE
)


# Appendix C.6.2, about Tables 10-12.
MOST_INSTANCES = Claim(
    "The proposed MissDiff consistently outperforms the compared methods in most instances.",
    "Appendix C.6.2",
    best("MissDiff", need="most", among=MODELS),
    reading="MissDiff's value is the best of its row (among the paper's methods: newer peers"
    " shown beside them are left out) in more than half of the table's rows (a row: one"
    " mechanism, and one criterion where the table has several); checked on each table on its"
    " own",
)


def generation_spec(
    title: str,
    paper: dict[tuple[str, ...], float],
    *,
    metric: str | None = None,
    metrics: Sequence[tuple[str, str]] = (),
    percent: bool = True,
    columns: Sequence[str] = MODELS + PEERS,
    mechanisms: Sequence[str] = MCAR,
    higher_is_better: bool = True,
    notes: str = "",
    digits: int | None = None,
    claims: Sequence[Claim] = (),
) -> TableSpec:
    """A table with rows = mechanism (x criterion, with `metrics`) and columns = generator."""
    return TableSpec(
        title=title,
        rows=(("mechanism", mechanism_label),),
        column=("model", paper_model_label),
        metric=metric,
        metrics=metrics,
        scale=100.0 if percent else 1.0,
        digits=digits if digits is not None else (2 if percent else 3),
        paper=paper,
        column_order=(*columns, *(p for p in PEERS if p not in columns)),
        row_order=tuple(mechanisms),
        higher_is_better=higher_is_better,
        notes=notes,
        claims=tuple(claims),
    )
