"""The one interface every model answers: MissDiff, the Diff-/STaSy- pipelines, CSDI_T, imputers.

Public `fit` / `impute` / `sample` validate their inputs and seed, then call the private
`_fit` / `_impute` / `_sample` that each model implements. `capabilities` says what a model can
do; the runner checks it before calling.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from missdiff.data.schema import Schema
from missdiff.errors import ConfigError, MissDiffError


@dataclass
class Imputation:
    """Result of `impute`: the completed table, and the individual draws if the model has them."""

    completed: pd.DataFrame
    draws: list[pd.DataFrame] | None = None


class TabularModel(ABC):
    """Base class of all models.

    Tables are DataFrames in `schema.columns` order with NaN at missing entries. Randomness comes
    only from the `np.random.Generator` passed in (models derive torch generators from it).
    """

    capabilities: ClassVar[frozenset[str]] = frozenset()
    name: ClassVar[str] = "model"

    def __init__(self) -> None:
        self.schema: Schema | None = None
        self.history: dict[str, list[float]] = {}
        # Fitting time spent by earlier, interrupted processes whose work `fit` read back from a
        # checkpoint (ForestDiffusion logs it); the runner adds it to the run's time.
        self.restored_seconds = 0.0

    # -- public API -------------------------------------------------------------------------
    def fit(self, data: pd.DataFrame, schema: Schema, rng: np.random.Generator) -> TabularModel:
        """Fit on an incomplete table (NaN = missing)."""
        _check_frame(data, schema)
        self.schema = schema
        self._fit(data, rng)
        return self

    def impute(
        self, data: pd.DataFrame, rng: np.random.Generator, n_draws: int | None = None
    ) -> Imputation:
        """Fill every NaN of `data`; observed entries come back unchanged."""
        self._require("impute")
        schema = self._fitted_schema()
        _check_frame(data, schema)
        result = self._impute(data, rng, n_draws)
        observed = data.notna().to_numpy()
        completed = result.completed[list(schema.columns)].copy()
        # Observed entries are returned exactly as given, whatever the model did with them.
        completed = completed.where(~observed, data)
        if completed.isna().to_numpy().any():
            raise RuntimeError(f"{self.name} left missing values after imputation")
        return Imputation(completed, result.draws)

    def sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """Generate `n` complete rows in the original columns and types."""
        self._require("sample")
        schema = self._fitted_schema()
        if n <= 0:
            raise MissDiffError(f"number of rows to sample must be positive, got {n}")
        out = self._sample(n, rng)
        return out[list(schema.columns)]

    # -- to implement -----------------------------------------------------------------------
    @abstractmethod
    def _fit(self, data: pd.DataFrame, rng: np.random.Generator) -> None: ...

    def _impute(
        self, data: pd.DataFrame, rng: np.random.Generator, n_draws: int | None
    ) -> Imputation:
        raise NotImplementedError

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        raise NotImplementedError

    # -- helpers ----------------------------------------------------------------------------
    def _require(self, capability: str) -> None:
        if capability not in self.capabilities:
            raise MissDiffError(
                f"model {self.name!r} cannot {capability}; it supports {sorted(self.capabilities)}"
            )

    def _fitted_schema(self) -> Schema:
        if self.schema is None:
            raise MissDiffError(f"model {self.name!r} must be fitted first")
        return self.schema


def _check_frame(data: pd.DataFrame, schema: Schema) -> None:
    if tuple(data.columns) != schema.columns:
        raise MissDiffError("table columns do not match the schema the model was given")
    if len(data) == 0:
        raise MissDiffError("the table has no rows")
    for col in schema.continuous:
        values = pd.to_numeric(data[col], errors="coerce").to_numpy(dtype=float)
        if np.isinf(values).any():
            raise MissDiffError(
                f"column {col!r} holds inf; replace it by NaN (missing) or a finite value"
            )


def torch_seed(rng: np.random.Generator) -> int:
    """A seed for a torch.Generator, drawn from the model's numpy generator."""
    return int(rng.integers(0, 2**62))


def check_sizes(cfg: Any, *names: str) -> None:
    """Shared by the configs' `check`: thread caps and the named sizes must be positive."""
    for name in names:
        value = getattr(cfg, name)
        if value < 1:
            raise ConfigError(f"model.{name} must be a positive integer, got {value}")
    if cfg.threads is not None and cfg.threads < 1:
        raise ConfigError(f"model.threads must be a positive integer or null, got {cfg.threads}")
