"""Mean/mode completion: the one place that fills a table with column means and modes.

Used by the Mean/Mode imputer (baselines/mean_mode.py) and by the impute-then-generate pipelines
(Diff-mean, STaSy-mean), so that "-mean" means the same thing everywhere.
"""

from __future__ import annotations

import pandas as pd

from missdiff.data.schema import Schema


def mean_mode_values(data: pd.DataFrame, schema: Schema) -> dict[str, object]:
    """Per column: the mean of the observed values, or the most frequent observed category
    (ties broken by the first category in sorted order, so the result is deterministic)."""
    values: dict[str, object] = {}
    for col in schema.columns:
        observed = data[col].dropna()
        if schema.is_categorical(col):
            counts = observed.value_counts()
            values[col] = sorted(counts[counts == counts.max()].index, key=str)[0]
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
