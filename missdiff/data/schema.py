"""The table every stage passes along: a DataFrame plus what each column is."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from missdiff.errors import ConfigError, MissDiffError

Task = Literal["classification", "regression"]


def category_order(values: Any) -> list[Any]:
    """The one order of a column's categories, used by every encoder, imputer and tie-break.

    Natural order when the values compare (2 < 10, "a" < "b"), else by (type name, str) for a
    mixed column; numpy scalars become the equal Python scalars (same hash, clean reprs)."""
    plain = [v.item() if isinstance(v, np.generic) else v for v in values]
    try:
        return sorted(plain)
    except TypeError:
        return sorted(plain, key=lambda v: (type(v).__name__, str(v)))


@dataclass(frozen=True)
class Schema:
    """Column names in table order, which are categorical, and the prediction target.

    Continuous columns hold floats; categorical columns hold their raw category values
    (strings or integers). Missing entries are NaN in both.
    """

    columns: tuple[str, ...]
    categorical: tuple[str, ...] = ()
    target: str | None = None
    task: Task | None = None

    def __post_init__(self) -> None:
        unknown = set(self.categorical) - set(self.columns)
        if unknown:
            raise MissDiffError(f"categorical columns {sorted(unknown)} are not in the table")
        if self.target is not None and self.target not in self.columns:
            raise MissDiffError(f"target column {self.target!r} is not in the table")
        if len(set(self.columns)) != len(self.columns):
            raise MissDiffError("column names must be unique")

    @property
    def continuous(self) -> tuple[str, ...]:
        return tuple(c for c in self.columns if c not in self.categorical)

    def is_categorical(self, column: str) -> bool:
        return column in self.categorical

    @property
    def categorical_index(self) -> np.ndarray:
        """Boolean vector over columns: True where the column is categorical."""
        return np.array([c in self.categorical for c in self.columns], dtype=bool)

    def as_continuous(self) -> Schema:
        """The same columns, all treated as numeric (TabCSDI's protocol for the UCI tables)."""
        return Schema(self.columns, (), self.target, "regression" if self.target else None)


@dataclass
class Table:
    """A dataset: values (NaN where missing) and its schema.

    `split` optionally names the rows of an official train/test split ("train"/"test");
    it is None when the dataset has no official split and the protocol draws one.
    """

    name: str
    data: pd.DataFrame
    schema: Schema
    split: np.ndarray | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if tuple(self.data.columns) != self.schema.columns:
            raise MissDiffError(f"{self.name}: data columns do not match the schema")
        self.data = self.data.reset_index(drop=True)
        for col in self.schema.continuous:
            self.data[col] = pd.to_numeric(self.data[col], errors="raise").astype(float)

    @property
    def observed(self) -> np.ndarray:
        """(n, d) boolean mask, True where a value is present."""
        return self.data.notna().to_numpy()

    def __len__(self) -> int:
        return len(self.data)

    def select(self, columns: Sequence[str]) -> Table:
        """The table with only `columns`, in the table's order; the target stays the target if
        kept (else the table has none)."""
        unknown = [c for c in columns if c not in self.schema.columns]
        if unknown:
            raise ConfigError(
                f"{self.name} has no column(s) {unknown}; dataset.columns must name some of "
                f"{list(self.schema.columns)}"
            )
        keep = tuple(c for c in self.schema.columns if c in set(columns))
        target = self.schema.target if self.schema.target in keep else None
        schema = Schema(
            keep,
            tuple(c for c in self.schema.categorical if c in keep),
            target,
            self.schema.task if target is not None else None,
        )
        return Table(self.name, self.data[list(keep)], schema, self.split)

    def subset(self, rows: np.ndarray) -> Table:
        split = None if self.split is None else self.split[rows]
        return Table(self.name, self.data.iloc[rows].reset_index(drop=True), self.schema, split)


def apply_mask(data: pd.DataFrame, observed: np.ndarray) -> pd.DataFrame:
    """A copy of `data` with every entry where `observed` is False set to NaN."""
    if observed.shape != data.shape:
        raise ValueError(f"mask shape {observed.shape} does not match data {data.shape}")
    return data.mask(~observed)


def infer_schema(data: pd.DataFrame, categorical: Sequence[str] | None = None) -> Schema:
    """The schema of a user's table, with one-line errors for tables no model can use.

    Numbers are continuous; strings, booleans and pandas categories are categorical. With
    `categorical`, exactly the named columns are categorical and every other one must hold
    numbers (a text value there is named)."""
    if not isinstance(data, pd.DataFrame):
        raise MissDiffError(f"expected a pandas DataFrame, got {type(data).__name__}")
    if data.shape[1] == 0:
        raise MissDiffError("the table has no columns")
    if len(data) < 2:
        raise MissDiffError(f"the table has {len(data)} row(s); a model needs at least 2")
    duplicated = sorted({str(c) for c in data.columns[data.columns.duplicated()]})
    if duplicated:
        raise MissDiffError(f"duplicate column names {duplicated}; rename them")
    empty = [str(c) for c in data.columns if data[c].isna().all()]
    if empty:
        raise MissDiffError(f"column(s) {empty} have no value at all; drop them")
    columns = tuple(data.columns)
    if categorical is None:
        cats = tuple(c for c in columns if not _numeric_dtype(data[c]))
    else:
        unknown = [c for c in categorical if c not in columns]
        if unknown:
            raise MissDiffError(f"categorical column(s) {unknown} are not in the table")
        cats = tuple(c for c in columns if c in set(categorical))
        for col in columns:
            if col not in cats and not _numeric_dtype(data[col]):
                numbers = pd.to_numeric(data[col], errors="coerce")
                bad = data[col][numbers.isna() & data[col].notna()]
                if len(bad):
                    raise MissDiffError(
                        f"column {col!r} is numeric (not in categorical) but holds "
                        f"{str(bad.iloc[0])!r}; list it as categorical or fix the value"
                    )
    for col in columns:
        if col not in cats:
            values = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)
            if np.isinf(values).any():
                raise MissDiffError(
                    f"column {col!r} holds inf; replace it by NaN (missing) or a finite value"
                )
    return Schema(columns, cats)


def _numeric_dtype(column: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(column) and not pd.api.types.is_bool_dtype(column)
