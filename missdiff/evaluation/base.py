"""What an evaluator receives, and the interface it answers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar, Protocol

import numpy as np
import pandas as pd

from missdiff.data.schema import Schema


@dataclass
class EvalInputs:
    """Everything an evaluator may read. Evaluators never train the generative model.

    `*_true` hold the real values (NaN only where the dataset itself is missing);
    `*_observed` are the masks after the mechanism (True = the model saw the entry).
    """

    schema: Schema
    train_true: pd.DataFrame
    test_true: pd.DataFrame
    train_observed: np.ndarray
    test_observed: np.ndarray
    imputed_test: pd.DataFrame | None = None
    synthetic: pd.DataFrame | None = None
    # needs "impute_train": several completed copies of the masked training rows (each the
    # model's own imputation of the rows it was fitted on).
    imputed_train: list[pd.DataFrame] | None = None

    @property
    def test_hidden(self) -> np.ndarray:
        """Entries that exist in the data but the mechanism hid: where imputation is scored."""
        return self.test_true.notna().to_numpy() & ~self.test_observed

    @property
    def train_hidden(self) -> np.ndarray:
        """Training entries that exist in the data but the mechanism hid."""
        return self.train_true.notna().to_numpy() & ~self.train_observed


# The model capability each kind of evaluator input needs.
CAPABILITY_NEEDED = {"impute": "impute", "impute_train": "impute", "sample": "sample"}


class Evaluator(Protocol):
    # "impute": needs model.impute on the test rows; "sample": needs model.sample;
    # "impute_train": needs `n_imputations` imputations of the training rows (transductive).
    needs: ClassVar[str]
    # Read after `evaluate`: they may depend on the task (classification or regression).
    primary_metric: str
    higher_is_better: bool

    def evaluate(self, inputs: EvalInputs, rng: np.random.Generator) -> dict[str, float]: ...
