"""Completion before training: the one place that deletes incomplete rows or fills a table with
column means and modes.

Used by the Mean/Mode imputer (baselines/mean_mode.py) and by the delete-/impute-then-generate
pipelines (Diff-delete, Diff-mean, STaSy-delete, STaSy-mean), so that "-delete" and "-mean" mean
the same thing everywhere.
"""

from __future__ import annotations

from typing import Literal

import pandas as pd

from missdiff.data.schema import Schema, category_order
from missdiff.errors import NotApplicableError

Completion = Literal["delete", "mean"]
COMPLETIONS = ("delete", "mean")


def mean_mode_values(data: pd.DataFrame, schema: Schema) -> dict[str, object]:
    """Per column: the mean of the observed values, or the most frequent observed category
    (ties broken by the first category in `category_order`, so the result is deterministic)."""
    values: dict[str, object] = {}
    for col in schema.columns:
        observed = data[col].dropna()
        if schema.is_categorical(col):
            counts = observed.value_counts()
            values[col] = category_order(counts[counts == counts.max()].index)[0]
        else:
            values[col] = float(observed.mean())
    return values


def fill(data: pd.DataFrame, values: dict[str, object], schema: Schema) -> pd.DataFrame:
    """A copy of `data` with each column's NaNs replaced by its value in `values`."""
    completed = data.copy()
    for col, value in values.items():
        if completed[col].isna().any():
            completed[col] = completed[col].astype(object).where(completed[col].notna(), value)
            if not schema.is_categorical(col):
                completed[col] = completed[col].astype(float)
    return completed


def complete(data: pd.DataFrame, schema: Schema, how: Completion, model: str) -> pd.DataFrame:
    """The complete table a `-delete` / `-mean` pipeline trains on.

    `delete` keeps the complete rows (NotApplicableError when none is left: the paper's "-");
    `mean` fills every missing entry with its column's mean or mode."""
    if how == "delete":
        kept = data.dropna(axis=0, how="any").reset_index(drop=True)
        if len(kept) == 0:
            raise NotApplicableError(
                f"{model}: no complete row left after deleting incomplete rows"
            )
        return kept
    if how == "mean":
        return fill(data, mean_mode_values(data, schema), schema)
    raise ValueError(f"completion must be one of {COMPLETIONS}, got {how!r}")
