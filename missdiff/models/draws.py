"""Several imputation draws made into one completed table (TabCSDI's protocol, which the paper's
Table 1 follows): per missing entry, the median of the draws for a continuous column and the
category drawn most often for a categorical one. Shared by every model that imputes by drawing
(the diffusion models, CSDI_T, ForestDiffusion)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from missdiff.data.schema import Schema


def most_frequent(values: list[pd.Series], categories: list) -> pd.Series:
    """Per row, the category drawn most often across the draws (ties: the first category)."""
    index = pd.Index(categories, dtype=object)
    codes = np.stack([index.get_indexer(v.to_numpy(dtype=object)) for v in values])  # (S, n)
    n = codes.shape[1]
    counts = np.zeros((n, len(categories)), dtype=np.int64)
    rows = np.arange(n)
    for draw in codes:
        valid = draw >= 0
        np.add.at(counts, (rows[valid], draw[valid]), 1)
    best = np.asarray(categories, dtype=object)[counts.argmax(axis=1)]
    return pd.Series(best, dtype=object).astype(values[0].dtype)


def aggregate(
    data: pd.DataFrame, draws: list[pd.DataFrame], schema: Schema, categories: dict[str, list]
) -> pd.DataFrame:
    """`data` (default RangeIndex) with each missing entry filled from `draws` (each a completed
    copy of `data`): the median for a continuous column, `most_frequent` for a categorical one,
    whose candidate labels (in tie-break order) are `categories[col]`."""
    completed = data.copy()
    for col in schema.columns:
        values = [df[col] for df in draws]
        if schema.is_categorical(col):
            agg = most_frequent(values, categories[col])
            completed[col] = completed[col].where(completed[col].notna(), agg)
        else:
            stack = np.stack([v.to_numpy(dtype=np.float64) for v in values])
            completed[col] = completed[col].fillna(pd.Series(np.median(stack, axis=0)))
    return completed
