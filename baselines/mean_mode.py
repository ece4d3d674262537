"""Mean/Mode imputation: column means for continuous columns, most frequent category otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from missdiff.models.base import Imputation, TabularModel


@dataclass
class MeanModeConfig:
    name: str = "mean_mode"


class MeanMode(TabularModel):
    """Fills with statistics of the observed training values (paper Table 1, "Mean / Mode")."""

    capabilities: ClassVar[frozenset[str]] = frozenset({"impute"})
    name: ClassVar[str] = "mean_mode"

    def __init__(self, cfg: MeanModeConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or MeanModeConfig()
        self.fill: dict[str, object] = {}

    def _fit(self, data: pd.DataFrame, rng: np.random.Generator) -> None:
        schema = self._fitted_schema()
        self.fill = {}
        for col in schema.columns:
            observed = data[col].dropna()
            if schema.is_categorical(col):
                # Ties broken by the first category in sorted order, so the result is deterministic.
                counts = observed.value_counts()
                self.fill[col] = sorted(counts[counts == counts.max()].index, key=str)[0]
            else:
                self.fill[col] = float(observed.mean())

    def _impute(
        self, data: pd.DataFrame, rng: np.random.Generator, n_draws: int | None
    ) -> Imputation:
        completed = data.copy()
        for col, value in self.fill.items():
            if completed[col].isna().any():
                completed[col] = completed[col].astype(object).where(completed[col].notna(), value)
                if not self._fitted_schema().is_categorical(col):
                    completed[col] = completed[col].astype(float)
        return Imputation(completed)
