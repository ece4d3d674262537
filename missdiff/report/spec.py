"""What an experiment module declares about its tables: `TableSpec`, the label functions that
turn a record's config into a row or column label, the paper's names, and `paper_grid`.

The API of experiments/<name>.py: light on purpose (no numpy, no pandas, no `experiments`), so
an experiment module imports it without pulling in the report machinery.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from missdiff.claims import Claim

PROFILE_RANK = {"smoke": 0, "quick": 1, "paper": 2}


# -- labels -------------------------------------------------------------------------------------
def dataset_label(config: dict[str, Any]) -> str:
    """name[/variant][ (k columns)][ (all numeric)]: every dataset key that changes the data or
    its encoding."""
    ds = config["dataset"]
    variant = ds.get("variant", "default")
    label = ds["name"] if variant in ("default", None) else f"{ds['name']}/{variant}"
    if ds.get("columns"):
        label += f" ({len(ds['columns'])} columns)"
    return label + (" (all numeric)" if ds.get("all_continuous") else "")


def missingness_label(config: dict[str, Any]) -> str:
    m = config["missingness"]
    return m["name"] if m["name"] == "none" else f"{m['name']}@{m['ratio']:g}"


def model_label(config: dict[str, Any]) -> str:
    return str(config["model"]["name"])


def profile_label(config: dict[str, Any]) -> str:
    """The profile a record ran at ("" for a record without one)."""
    return str(config.get("profile", {}).get("name", ""))


# The paper's names (Section 4.2, Appendix C.2); the paper's Tables 13-19 write "independent".
MECHANISM_NAMES = {
    "mcar_row": "Row Missing",
    "mcar_column": "Column Missing",
    "mcar_independent": "Independent Missing",
    "mar": "MAR",
    "nmar": "NMAR",
    "tabcsdi": "MCAR (TabCSDI)",
    "none": "None",
}
MODEL_NAMES = {
    "missdiff": "MissDiff",
    "diff_delete": "Diff-delete",
    "diff_mean": "Diff-mean",
    "stasy_delete": "STaSy-delete",
    "stasy_mean": "STaSy-mean",
    "csdi_t": "CSDI_T",
    "miwae": "MIWAE",
    "miwae_modified": "MIWAE (modified)",
    "mean_mode": "Mean/Mode",
    "mice": "MICE(linear)",
    "missforest": "MissForest",
    "gain": "GAIN",
    # Newer peers (not in the paper).
    "forest_diffusion": "ForestDiffusion",
    "forest_flow": "ForestFlow",
    "miceforest": "miceforest",
    # The paper's MissForest method with fully grown trees (its own is hyperimpute's, depth 3).
    "missforest_full": "MissForest (full trees)",
}


def mechanism_label(config: dict[str, Any]) -> str:
    """The paper's name of the missingness mechanism ("Row Missing", ..., "MAR", "NMAR")."""
    name = config["missingness"]["name"]
    return MECHANISM_NAMES.get(name, name)


def ratio_label(config: dict[str, Any]) -> str:
    return f"{float(config['missingness']['ratio']):g}"


def paper_model_label(config: dict[str, Any]) -> str:
    """The paper's name of the model ("MissDiff", "Diff-delete", ..., "CSDI_T")."""
    name = model_label(config)
    return MODEL_NAMES.get(name, name)


def paper_grid(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    prefix: tuple[str, ...] = (),
) -> dict[tuple[str, ...], float]:
    """A paper table typed row by row -> {(*prefix, row, column): value}.

    None is the paper's "-" (not applicable) and is stored as NaN, shown as `paper -`."""
    if len(values) != len(rows):
        raise ValueError(f"paper_grid: {len(rows)} rows but {len(values)} value rows")
    out = {}
    for row, vals in zip(rows, values, strict=True):
        if len(vals) != len(columns):
            raise ValueError(f"paper_grid: row {row!r} has {len(vals)} values, not {len(columns)}")
        for col, v in zip(columns, vals, strict=True):
            out[(*prefix, row, col)] = math.nan if v is None else float(v)
    return out


# -- specs --------------------------------------------------------------------------------------
@dataclass
class TableSpec:
    """How an experiment's records become a table."""

    title: str
    rows: Sequence[tuple[str, Callable[[dict], str]]] = (
        ("dataset", dataset_label),
        ("missingness", missingness_label),
    )
    column: tuple[str, Callable[[dict], str]] = ("model", model_label)
    metric: str | None = None  # None: each record's primary metric
    # Several metrics in one table (Table 10: F1, weighted F1, AUROC): (row label, metric) pairs.
    # Each record then fills one row per metric, under a first row column `metrics_header`, and
    # `metric` is ignored. The paper's keys start with the row label of the metric.
    metrics: Sequence[tuple[str, str]] = ()
    metrics_header: str = "criterion"
    scale: float = 1.0  # e.g. 100 to show accuracy in %
    digits: int = 3
    notes: str = ""
    # (row labels..., column label) -> the paper's value, in the table's displayed units.
    paper: dict[tuple[str, ...], float] = field(default_factory=dict)
    # Whose values `paper` holds: the cell's tag ("| paper x") and its source, for the header.
    reference_tag: str = "paper"
    reference_source: str = "the paper"
    column_order: Sequence[str] = ()  # preferred order; a column shows when it has a cell
    # Order of the first row label (after the metric's, if `metrics`); the others are sorted.
    row_order: Sequence[str] = ()
    # Shown in the header when no record tells (an experiment that has not run yet).
    higher_is_better: bool | None = None
    # The paper's sentences about this table, checked on its values and on ours (claims.py).
    claims: Sequence[Claim] = ()
    # A row (of a one-row-label table) whose rank in each column is printed under the table.
    rank_row: str = ""

    @property
    def row_names(self) -> list[str]:
        return ([self.metrics_header] if self.metrics else []) + [n for n, _ in self.rows]


# Said by every table with diffusion models (one sentence, one place).
QUICK_DIFFUSION_NOTE = (
    " At `quick` the diffusion models (MissDiff, Diff-delete, Diff-mean, CSDI_T) train the MLP"
    " denoiser (256 x 4, EMA 0.999) for 10,000 steps of batch 64, not the paper's backbone, which"
    " needs 30,000-100,000 optimiser steps before it leaves the columns' marginals"
    " (results/tables/convergence.md); `paper` runs use the paper's backbone. Records of older"
    " budgets are kept, marked superseded, and left out of the tables."
)
