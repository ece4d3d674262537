"""TabCSDI's column-balanced MCAR protocol for the imputation table (paper Appendix C.1).

The paper says it adopts "the same missing mechanism as Zheng & Charoenphakdee (2022)": their
code hides, in every column, int(ratio * n_observed) of that column's natively observed
entries, drawn uniformly among them (see /work/shared/notes/reference-implementations.md).
Unlike the Appendix C.2 masks in mcar.py, positions are drawn among observed entries only, so
every hidden entry can be scored.
"""

from __future__ import annotations

import numpy as np

from missdiff.config import MissingnessConfig
from missdiff.data.schema import Table
from missdiff.missingness.mcar import check_ratio


def column_balanced_mask(
    native_observed: np.ndarray, ratio: float, rng: np.random.Generator
) -> np.ndarray:
    """Hidden mask: per column, int(ratio * n_observed) uniformly chosen observed entries.

    Uses Python's `int` truncation as TabCSDI does (no rounding), so a column with fewer than
    1/ratio observed entries loses none.
    """
    ratio = check_ratio(ratio)
    native_observed = np.asarray(native_observed, dtype=bool)
    n_hide = np.array([int(ratio * int(c)) for c in native_observed.sum(axis=0)])
    # Natively missing entries get key +inf, so they sort after every observed one.
    keys = np.where(native_observed, rng.random(native_observed.shape), np.inf)
    ranks = np.argsort(np.argsort(keys, axis=0, kind="stable"), axis=0)
    return ranks < n_hide[None, :]


def tabcsdi(table: Table, cfg: MissingnessConfig, rng: np.random.Generator) -> np.ndarray:
    """Hidden mask of `column_balanced_mask` for `table`."""
    return column_balanced_mask(table.observed, cfg.ratio, rng)
