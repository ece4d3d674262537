"""Mean/Mode imputation: column means for continuous columns, most frequent category otherwise."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from missdiff.models.base import Imputation, TabularModel
from missdiff.models.completion import fill, mean_mode_values


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
        self.values: dict[str, object] = {}

    def _fit(self, data: pd.DataFrame, rng: np.random.Generator) -> None:
        self.values = mean_mode_values(data, self._fitted_schema())

    def _impute(
        self, data: pd.DataFrame, rng: np.random.Generator, n_draws: int | None
    ) -> Imputation:
        return Imputation(fill(data, self.values, self._fitted_schema()))
