"""Fidelity of synthetic rows: SDMetrics' Quality Report (paper Section 4.2, Tables 7-9, Fig. 1).

The paper scores fidelity with "a model-agnostic library, SDMetrics ... a float number range from
0 to 100%". We run `sdmetrics.reports.QualityReport` (the unified report; its single-table
predecessor is deprecated and gives the same number) on one table and record, as fractions in
[0, 1] (tables scale them to %):

- `fidelity`: the overall score, the mean of the two properties below;
- `column_shapes`: per column, KS complement (continuous) or TV complement (categorical), averaged;
- `column_pair_trends`: per column pair, correlation similarity (two continuous columns) or
  contingency similarity (otherwise), averaged.

Choices where the paper is silent:
- All column pairs are scored. SDMetrics >= 0.2x skips pairs whose real correlation is <= 0.5 or
  association <= 0.3, which on weakly dependent data makes the overall score silently equal Column
  Shapes; the versions the paper used (2023) scored every pair, so both thresholds are set to 0.
- The real rows (`real_rows`): "train" (default) = the training rows with their true values, before
  the missingness mechanism hid anything (`EvalInputs.train_true`; a dataset's own missing entries,
  e.g. Adult's "?", stay NaN and SDMetrics ignores them per column). "test" = the test rows, "all" =
  train and test together. The training rows are the distribution the generator was asked to learn;
  the authors' code compares with the full adult.data (their training file plus its rest), which
  is closest to "all" for Census.
- Metadata comes from our Schema: continuous -> numerical, categorical -> categorical. Category
  values are compared as canonical strings (2, 2.0 and "2" are one category) so that a generator
  returning floats for integer-coded categories is not penalised for its dtype.
"""

from __future__ import annotations

import numbers
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from missdiff.data.schema import Schema
from missdiff.errors import ConfigError, MissDiffError
from missdiff.evaluation.base import EvalInputs
from missdiff.evaluation.dependence import dependence_error

REAL_ROWS = ("train", "test", "all")
_TABLE = "table"


@dataclass
class FidelityConfig:
    name: str = "fidelity"
    real_rows: str = "train"  # train | test | all

    def check(self) -> None:
        check_real_rows(self.real_rows)


def check_real_rows(real_rows: str) -> None:
    if real_rows not in REAL_ROWS:
        raise ConfigError(
            f"evaluator.real_rows must be one of {', '.join(REAL_ROWS)}, got {real_rows!r}"
        )


def _category_label(value: Any) -> Any:
    if value is None or (isinstance(value, float) and np.isnan(value)):
        return np.nan
    if isinstance(value, (bool, np.bool_)):
        return str(bool(value))
    if isinstance(value, numbers.Number):
        number = float(value)  # type: ignore[arg-type]
        if np.isnan(number):
            return np.nan
        return str(int(number)) if number.is_integer() else repr(number)
    return str(value)


def as_category_strings(column: pd.Series) -> pd.Series:
    """Category values as canonical strings (2, 2.0, np.int64(2) and "2" -> "2"); NaN stays NaN.

    Real and synthetic tables then agree on what a category is whatever dtype each came in.
    """
    return column.map(_category_label).astype(object)


def sdmetrics_table(data: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    """`data` in schema column order, categorical columns as canonical strings, others float."""
    missing = [c for c in schema.columns if c not in data.columns]
    if missing:
        raise MissDiffError(f"synthetic or real table lacks columns {missing}")
    out = data.loc[:, list(schema.columns)].copy()
    for col in schema.columns:
        if schema.is_categorical(col):
            out[col] = as_category_strings(out[col])
        else:
            out[col] = pd.to_numeric(out[col], errors="raise").astype(float)
    return out.reset_index(drop=True)


def sdmetrics_metadata(schema: Schema) -> dict[str, Any]:
    """Single-table SDMetrics metadata: continuous -> numerical, categorical -> categorical."""
    columns = {
        c: {"sdtype": "categorical"} if schema.is_categorical(c) else {"sdtype": "numerical"}
        for c in schema.columns
    }
    return {"columns": columns}


def quality_report(real: pd.DataFrame, synthetic: pd.DataFrame, schema: Schema) -> dict[str, float]:
    """SDMetrics Quality Report of `synthetic` against `real`, every column pair scored.

    Returns `fidelity` (overall), `column_shapes` and `column_pair_trends`, each in [0, 1].
    """
    from sdmetrics.reports import QualityReport  # heavy import, only when fidelity is asked for

    report = QualityReport()
    # Score all pairs, as the SDMetrics versions of 2023 did (see module docstring).
    report.real_correlation_threshold = 0
    report.real_association_threshold = 0
    report.generate(
        {_TABLE: sdmetrics_table(real, schema)},
        {_TABLE: sdmetrics_table(synthetic, schema)},
        {"tables": {_TABLE: sdmetrics_metadata(schema)}},
        verbose=False,
    )
    props = report.get_properties().set_index("Property")["Score"]
    return {
        "fidelity": float(report.get_score()),
        "column_shapes": float(props["Column Shapes"]),
        "column_pair_trends": float(props["Column Pair Trends"]),
    }


class FidelityEvaluator:
    """SDMetrics Quality Report of `inputs.synthetic` against the real rows (`cfg.real_rows`)."""

    needs: ClassVar[str] = "sample"
    primary_metric: ClassVar[str] = "fidelity"
    higher_is_better: ClassVar[bool] = True

    def __init__(self, cfg: FidelityConfig | None = None) -> None:
        self.cfg = cfg or FidelityConfig()
        self.cfg.check()

    def real_rows(self, inputs: EvalInputs) -> pd.DataFrame:
        """The real rows the synthetic table is compared with (true values, native NaN kept)."""
        if self.cfg.real_rows == "train":
            return inputs.train_true
        if self.cfg.real_rows == "test":
            return inputs.test_true
        return pd.concat([inputs.train_true, inputs.test_true], ignore_index=True)

    def evaluate(self, inputs: EvalInputs, rng: np.random.Generator) -> dict[str, float]:
        """Quality Report scores; `rng` is unused (the report is deterministic)."""
        if inputs.synthetic is None:
            raise ValueError("fidelity needs the synthetic rows (inputs.synthetic)")
        if len(inputs.synthetic) == 0:
            raise MissDiffError("fidelity: the synthetic table has no rows")
        real = self.real_rows(inputs)
        metrics = quality_report(real, inputs.synthetic, inputs.schema)
        metrics["dependence_error"] = dependence_error(real, inputs.synthetic, inputs.schema)
        metrics["n_real"] = float(len(real))
        metrics["n_synthetic"] = float(len(inputs.synthetic))
        return metrics
