"""The table every stage passes along: a DataFrame plus what each column is."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from missdiff.errors import MissDiffError

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

    def subset(self, rows: np.ndarray) -> Table:
        split = None if self.split is None else self.split[rows]
        return Table(self.name, self.data.iloc[rows].reset_index(drop=True), self.schema, split)


def apply_mask(data: pd.DataFrame, observed: np.ndarray) -> pd.DataFrame:
    """A copy of `data` with every entry where `observed` is False set to NaN."""
    if observed.shape != data.shape:
        raise ValueError(f"mask shape {observed.shape} does not match data {data.shape}")
    return data.mask(~observed)
