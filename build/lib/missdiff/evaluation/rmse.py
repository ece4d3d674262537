"""Imputation error on the entries the mechanism hid (paper Table 1, TabCSDI's protocol).

Headline `rmse`: per continuous column, the RMSE over its hidden test entries on the normalised
scale, then the mean over columns (TabCSDI's `mean(sqrt(mse_k / n_k))`). The normalisation is
TabCSDI's shifted min-max (x - min + 1) / (max - min + 1) with statistics from the natively
observed training values: the scale that reproduces the paper's Mean/Mode row (see
results/NOTES.md). Categorical columns get an error rate instead (`error_rate`). The pooled RMSE
over all hidden continuous entries on plain min-max scaling (`rmse_pooled_minmax`, hyperimpute's
convention) is recorded beside it so our numbers can be read against other benchmarks.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from missdiff.data.encoding import TabularEncoder
from missdiff.errors import ConfigError, MissDiffError
from missdiff.evaluation.base import EvalInputs
from missdiff.evaluation.dependence import dependence_error


@dataclass
class RmseConfig:
    name: str = "rmse"
    normalisation: str = "tabcsdi"  # tabcsdi | minmax

    def check(self) -> None:
        if self.normalisation not in ("tabcsdi", "minmax"):
            raise ConfigError(
                f"evaluator.normalisation must be tabcsdi or minmax, got {self.normalisation!r}"
            )


class RmseEvaluator:
    needs: ClassVar[str] = "impute"
    primary_metric: ClassVar[str] = "rmse"
    higher_is_better: ClassVar[bool] = False

    def __init__(self, cfg: RmseConfig | None = None) -> None:
        self.cfg = cfg or RmseConfig()
        self.cfg.check()

    def evaluate(self, inputs: EvalInputs, rng: np.random.Generator) -> dict[str, float]:
        if inputs.imputed_test is None:
            raise ValueError("rmse needs the imputed test rows")
        schema = inputs.schema
        hidden = inputs.test_hidden
        if not hidden.any():
            raise MissDiffError("no test entry was hidden by the mechanism: nothing to score")
        cont = [schema.columns.index(c) for c in schema.continuous]
        metrics: dict[str, float] = {"n_hidden": float(hidden.sum())}

        if cont:
            headline = TabularEncoder(schema, scaling=self.cfg.normalisation).fit(inputs.train_true)
            minmax = TabularEncoder(schema, scaling="minmax").fit(inputs.train_true)
            h = hidden[:, cont]
            per_column = []
            for enc, key in ((headline, "rmse"), (minmax, "rmse_minmax")):
                err = enc.normalise(inputs.imputed_test) - enc.normalise(inputs.test_true)
                sq = np.where(h, err, 0.0) ** 2
                counts = h.sum(axis=0)
                scored = counts > 0
                col_rmse = np.sqrt(sq.sum(axis=0)[scored] / counts[scored])
                metrics[key] = float(col_rmse.mean())
                if key == "rmse":
                    per_column = col_rmse
                else:
                    metrics["rmse_pooled_minmax"] = float(np.sqrt(sq.sum() / h.sum()))
            metrics["rmse_worst_column"] = float(np.max(per_column))

        cat = [schema.columns.index(c) for c in schema.categorical]
        if cat:
            rates = []
            for j in cat:
                rows = hidden[:, j]
                if rows.any():
                    truth = inputs.test_true.iloc[rows, j].to_numpy()
                    guess = inputs.imputed_test.iloc[rows, j].to_numpy()
                    rates.append(float(np.mean(truth != guess)))
            if rates:
                metrics["error_rate"] = float(np.mean(rates))
        # Does imputation keep the columns' dependence, or fill in each column's marginal?
        metrics["dependence_error"] = dependence_error(
            inputs.test_true, inputs.imputed_test, schema
        )
        return metrics
