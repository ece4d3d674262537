"""ForestDiffusion's imputation benchmark (Jolicoeur-Martineau et al., AISTATS 2024; the
`script_imputation.py` of its repository): a protocol nobody here chose, to cross-check our
imputers and to place MissDiff among newer peers.

The protocol: MCAR at 20 % on the features of the training rows, the target never hidden
(`missingness.spare_target`); every method imputes the rows it was fitted on, `n_imputations`
times. Tables are put on Gower's scale: continuous columns min-max scaled with the true training
rows' range, categorical ones one-hot and divided by 2, so that the L1 distance between two rows
sums per-column Gower distances (a wrong category costs 1). Metrics, on that scale:

- `min_mae`: per row with a hidden entry, the L1 error of the imputation closest to the truth;
  summed over rows and divided by the number of hidden entries (rewards draws that spread);
- `avg_mae`: the L1 error on the hidden entries divided by their number, mean over imputations;
- `w_train` / `w_test`: the exact Wasserstein distance with L1 cost (POT's `emd2`) between each
  imputed training table and the true training rows / the true test rows, mean over imputations;
  not computed (NaN) from `ot_max_rows` training rows on (the peer's OTLIM, 5,000).

The runner adds `time`: seconds to fit and impute, all imputations included (the peer's `time`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np
import pandas as pd

from missdiff.data.schema import Schema, category_order
from missdiff.errors import ConfigError, MissDiffError
from missdiff.evaluation.base import EvalInputs


@dataclass
class ForestImputationConfig:
    name: str = "forest_imputation"
    n_imputations: int = 5  # the peer's nimp
    ot_max_rows: int = 5000  # the peer's OTLIM: no Wasserstein distance from this many rows on

    def check(self) -> None:
        if self.n_imputations < 1:
            raise ConfigError(
                f"evaluator.n_imputations must be a positive integer, got {self.n_imputations}"
            )
        if self.ot_max_rows < 0:
            raise ConfigError(f"evaluator.ot_max_rows must be >= 0, got {self.ot_max_rows}")


class GowerScale:
    """Continuous columns min-max scaled on a reference table's range (a constant column keeps
    its offset and a unit span, as scikit-learn's MinMaxScaler does); categorical columns one-hot
    over `categories`, divided by 2."""

    def __init__(self, schema: Schema, reference: pd.DataFrame, categories: dict[str, list]):
        self.schema = schema
        self.categories = categories
        self.low: dict[str, float] = {}
        self.span: dict[str, float] = {}
        for col in schema.continuous:
            values = pd.to_numeric(reference[col]).to_numpy(dtype=float)
            low, high = np.nanmin(values), np.nanmax(values)
            self.low[col] = float(low)
            self.span[col] = float(high - low) if high > low else 1.0

    def matrix(self, frame: pd.DataFrame) -> np.ndarray:
        """(n, width) rows on Gower's scale."""
        parts = []
        for col in self.schema.columns:
            if self.schema.is_categorical(col):
                values = frame[col].to_numpy(dtype=object)
                hot = np.stack([values == c for c in self.categories[col]], axis=1)
                parts.append(hot.astype(float) / 2.0)
            else:
                x = pd.to_numeric(frame[col]).to_numpy(dtype=float)
                parts.append(((x - self.low[col]) / self.span[col])[:, None])
        return np.hstack(parts)

    def entry_distances(self, truth: pd.DataFrame, imputed: pd.DataFrame) -> np.ndarray:
        """(n, d) per-entry Gower distances: |a - b| / span, or 1 for a different category."""
        out = np.zeros(truth.shape, dtype=float)
        for j, col in enumerate(self.schema.columns):
            if self.schema.is_categorical(col):
                a, b = truth[col].to_numpy(dtype=object), imputed[col].to_numpy(dtype=object)
                out[:, j] = (a != b).astype(float)
            else:
                a = pd.to_numeric(truth[col]).to_numpy(dtype=float)
                b = pd.to_numeric(imputed[col]).to_numpy(dtype=float)
                out[:, j] = np.abs(a - b) / self.span[col]
        return out


def wasserstein_l1(a: np.ndarray, b: np.ndarray) -> float:
    """Exact optimal-transport cost between the uniform empirical laws of the rows of a and b,
    with the L1 (cityblock) ground cost."""
    import ot

    cost = ot.dist(a, b, metric="cityblock")
    # The default iteration cap stops the network simplex early on a few thousand rows.
    return float(ot.emd2(ot.unif(len(a)), ot.unif(len(b)), cost, numItermax=10_000_000))


class ForestImputationEvaluator:
    needs: ClassVar[str] = "impute_train"
    primary_metric: ClassVar[str] = "min_mae"
    higher_is_better: ClassVar[bool] = False

    def __init__(self, cfg: ForestImputationConfig | None = None) -> None:
        self.cfg = cfg or ForestImputationConfig()
        self.cfg.check()

    @property
    def n_imputations(self) -> int:
        return self.cfg.n_imputations

    def evaluate(self, inputs: EvalInputs, rng: np.random.Generator) -> dict[str, float]:
        if not inputs.imputed_train:
            raise ValueError("forest_imputation needs the imputed training rows")
        schema = inputs.schema
        hidden = inputs.train_hidden
        n_hidden = int(hidden.sum())
        if n_hidden == 0:
            raise MissDiffError("no training entry was hidden by the mechanism: nothing to score")
        both = pd.concat([inputs.train_true, inputs.test_true], ignore_index=True)
        categories = {c: category_order(both[c].dropna().unique()) for c in schema.categorical}
        scale = GowerScale(schema, inputs.train_true, categories)

        errors = np.stack(
            [np.where(hidden, scale.entry_distances(inputs.train_true, imp), 0.0)
             for imp in inputs.imputed_train]
        )  # (imputations, n, d)  # fmt: skip
        per_row = errors.sum(axis=2)  # rows without a hidden entry add 0
        metrics = {
            "min_mae": float(per_row.min(axis=0).sum() / n_hidden),
            "avg_mae": float(per_row.sum(axis=1).mean() / n_hidden),
            "n_hidden": float(n_hidden),
            "n_imputations": float(len(inputs.imputed_train)),
        }
        w_train = w_test = float("nan")
        if len(inputs.train_true) < self.cfg.ot_max_rows:
            train, test = scale.matrix(inputs.train_true), scale.matrix(inputs.test_true)
            fakes = [scale.matrix(imp) for imp in inputs.imputed_train]
            w_train = float(np.mean([wasserstein_l1(train, f) for f in fakes]))
            w_test = float(np.mean([wasserstein_l1(test, f) for f in fakes]))
        metrics["w_train"], metrics["w_test"] = w_train, w_test
        return metrics
