"""Missing-data mechanisms applied on top of a table's native missingness.

`apply_missingness(cfg, table, rng)` returns the observed mask the rest of the pipeline uses:
native observed AND NOT hidden by the mechanism named in `cfg.name`. The mechanisms follow the
paper's Appendix C.2 (MCAR row / column / independent, MAR, NMAR) and, for the imputation table
of Appendix C.1, TabCSDI's column-balanced protocol. Each registered mechanism returns a hidden
mask (True = removed by the mechanism) and draws only from the generator it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from missdiff.config import MissingnessConfig
from missdiff.data.schema import Table
from missdiff.errors import MissDiffError
from missdiff.missingness.mar import mar, mar_input_columns, mar_mask, nmar, nmar_mask
from missdiff.missingness.mcar import (
    check_ratio,
    column_mask,
    independent_mask,
    mcar_column,
    mcar_independent,
    mcar_row,
    row_mask,
)
from missdiff.missingness.tabcsdi import column_balanced_mask, tabcsdi

Mechanism = Callable[[Table, MissingnessConfig, np.random.Generator], np.ndarray]


def no_mechanism(table: Table, cfg: MissingnessConfig, rng: np.random.Generator) -> np.ndarray:
    """`none`: hide nothing; only the native missingness remains."""
    return np.zeros(table.data.shape, dtype=bool)


MECHANISMS: dict[str, Mechanism] = {
    "none": no_mechanism,
    "mcar_row": mcar_row,
    "mcar_column": mcar_column,
    "mcar_independent": mcar_independent,
    "mar": mar,
    "nmar": nmar,
    "tabcsdi": tabcsdi,
}


def check_every_column_observed(observed: np.ndarray, columns: Sequence[str], where: str) -> None:
    """Raise if a column has no observed entry.

    MissDiff's Theorem 3.2 (and Remark C.1 for the MCAR masks) needs every column to be observed
    in some rows: the masked score-matching loss never sees a column that is always missing.
    """
    observed = np.asarray(observed, dtype=bool)
    if observed.ndim != 2 or observed.shape[1] != len(columns):
        raise ValueError(f"mask shape {observed.shape} does not match {len(columns)} columns")
    empty = [c for c, seen in zip(columns, observed.any(axis=0), strict=True) if not seen]
    if empty:
        raise MissDiffError(
            f"{where}: column(s) {empty} have no observed entry, and MissDiff needs every column "
            "partly observed (Theorem 3.2); lower missingness.ratio or drop the column(s)"
        )


def apply_missingness(cfg: MissingnessConfig, table: Table, rng: np.random.Generator) -> np.ndarray:
    """(n, d) boolean OBSERVED mask: native observed AND NOT hidden by `cfg.name`'s mechanism.

    Raises MissDiffError for an unknown mechanism, a ratio outside (0, 1) (except for `none`),
    or a column left without any observed entry.
    """
    mechanism = MECHANISMS.get(cfg.name)
    if mechanism is None:
        raise MissDiffError(
            f"unknown missingness.name {cfg.name!r}; choose one of {sorted(MECHANISMS)}"
        )
    if cfg.name != "none":
        check_ratio(cfg.ratio)
    hidden = mechanism(table, cfg, rng)
    observed = table.observed & ~hidden
    check_every_column_observed(
        observed, table.schema.columns, f"{table.name} under missingness {cfg.name!r}"
    )
    return observed


__all__ = [
    "MECHANISMS",
    "Mechanism",
    "apply_missingness",
    "check_every_column_observed",
    "check_ratio",
    "column_balanced_mask",
    "column_mask",
    "independent_mask",
    "mar_input_columns",
    "mar_mask",
    "nmar_mask",
    "row_mask",
]
