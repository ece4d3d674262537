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
from missdiff.errors import ConfigError, MissDiffError
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


def check_missingness_config(cfg: MissingnessConfig) -> None:
    """A one-line ConfigError for a mechanism or ratio no run can use (checked before any work)."""
    if cfg.name not in MECHANISMS:
        raise ConfigError(
            f"unknown missingness {cfg.name!r}; choose one of {', '.join(sorted(MECHANISMS))}"
        )
    if cfg.name != "none":
        check_ratio(cfg.ratio)
    if cfg.name in ("mar", "nmar") and not 0.0 < cfg.input_fraction < 1.0:
        raise ConfigError(f"missingness.input_fraction must be in (0, 1), got {cfg.input_fraction}")


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

    Raises ConfigError for an unknown mechanism, a ratio outside (0, 1) (except for `none`) or a
    column with no value in the data itself, and MissDiffError for a column the mechanism left
    without any observed entry.
    """
    check_missingness_config(cfg)
    seen = table.observed.any(axis=0)
    empty = [c for c, s in zip(table.schema.columns, seen, strict=True) if not s]
    if empty:
        raise ConfigError(
            f"{table.name}: column(s) {empty} have no value in the data itself; drop them from "
            "the table (dataset.columns for user data)"
        )
    hidden = MECHANISMS[cfg.name](table, cfg, rng)
    if cfg.spare_target:
        if table.schema.target is None:
            raise ConfigError(
                f"missingness.spare_target: {table.name} has no target column; leave it false"
            )
        hidden[:, table.schema.columns.index(table.schema.target)] = False
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
    "check_missingness_config",
    "check_ratio",
    "column_balanced_mask",
    "column_mask",
    "independent_mask",
    "mar_input_columns",
    "mar_mask",
    "nmar_mask",
    "row_mask",
]
