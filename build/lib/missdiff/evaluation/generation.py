"""Generation benchmark: fidelity and utility of ONE synthetic sample (Section 4.2).

The paper scores every generator twice, with SDMetrics' Quality Report (fidelity: Figure 1,
Tables 7-9, 18) and with Kim et al.'s train-on-synthetic / test-on-real pipeline (utility: Tables
2-4, 6, 10-17, 19). Both read the same synthetic rows, so one run per (dataset, mechanism, ratio,
model, seed) fills all of those tables: this evaluator runs `FidelityEvaluator` and
`UtilityEvaluator` on `inputs.synthetic` and merges their metrics (their names do not collide:
`fidelity`, `column_shapes`, `column_pair_trends`, `n_real`, `n_synthetic` from fidelity;
`accuracy`, `f1`, ..., `<model>/<metric>`, `mean/<metric>`, `n_*_used` from utility).

Utility needs a prediction target: on a dataset without one (the Bayesian network of Figure 1)
only fidelity is scored, and `utility_scored` is 0. The primary metric is utility's (`accuracy`,
or `rmse` for a regression target) when utility was scored, else `fidelity`.

Settings are those of the two evaluators, flat: `real_rows` (fidelity's real rows) and `models`,
`primary_model`, `tune`, `grid`, `select`, `n_jobs` (utility's); see fidelity.py and utility.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np

from missdiff.evaluation.base import EvalInputs
from missdiff.evaluation.fidelity import FidelityConfig, FidelityEvaluator, check_real_rows
from missdiff.evaluation.utility import (
    MODELS,
    UtilityConfig,
    UtilityEvaluator,
    check_utility_settings,
)


@dataclass
class GenerationConfig:
    name: str = "generation"
    # Fidelity (SDMetrics Quality Report): the real rows compared with: train | test | all.
    real_rows: str = "train"
    # Utility (Kim et al. 2023). False: fidelity only, even when the dataset has a target.
    utility: bool = True
    models: list[str] = field(default_factory=lambda: list(MODELS))
    primary_model: str = "xgboost"
    tune: bool = True
    grid: str = "paper"  # paper | small
    select: str = "per_metric"  # per_metric | primary
    n_jobs: int = 1

    def check(self) -> None:
        check_real_rows(self.real_rows)
        check_utility_settings(self)


class GenerationEvaluator:
    """Fidelity and (when the dataset has a target) utility of the same synthetic rows.

    `primary_metric` and `higher_is_better` are final after `evaluate` (they depend on whether
    the dataset has a target and on its task); before that they assume utility on a
    classification target when `utility` is on.
    """

    needs: ClassVar[str] = "sample"

    def __init__(self, cfg: GenerationConfig | None = None) -> None:
        self.cfg = cfg or GenerationConfig()
        # Both are built now so that a bad setting fails before the model is trained.
        self.fidelity = FidelityEvaluator(FidelityConfig(real_rows=self.cfg.real_rows))
        self.utility = UtilityEvaluator(
            UtilityConfig(
                models=list(self.cfg.models),
                primary_model=self.cfg.primary_model,
                tune=self.cfg.tune,
                grid=self.cfg.grid,
                select=self.cfg.select,
                n_jobs=self.cfg.n_jobs,
            )
        )
        self.utility_scored: bool | None = None  # None until evaluate

    @property
    def primary_metric(self) -> str:
        if self._uses_utility:
            return self.utility.primary_metric
        return self.fidelity.primary_metric

    @property
    def higher_is_better(self) -> bool:
        if self._uses_utility:
            return self.utility.higher_is_better
        return self.fidelity.higher_is_better

    @property
    def _uses_utility(self) -> bool:
        return self.cfg.utility if self.utility_scored is None else self.utility_scored

    @property
    def selected(self) -> dict[str, dict[str, dict[str, Any]]]:
        """Utility's chosen hyperparameters per model and metric (empty without utility)."""
        return self.utility.selected if self.utility_scored else {}

    def evaluate(self, inputs: EvalInputs, rng: np.random.Generator) -> dict[str, float]:
        """Fidelity metrics, plus utility metrics when the dataset has a target and `utility`."""
        if inputs.synthetic is None:
            raise ValueError("generation needs the synthetic rows (inputs.synthetic)")
        schema = inputs.schema
        self.utility_scored = bool(
            self.cfg.utility and schema.target is not None and schema.task is not None
        )
        # Fidelity is deterministic and draws nothing, so utility gets the evaluation stream
        # untouched: its numbers equal those of a standalone utility run with the same seed.
        metrics = dict(self.fidelity.evaluate(inputs, rng))
        if self.utility_scored:
            for name, value in self.utility.evaluate(inputs, rng).items():
                if name in metrics:  # never silently overwrite a fidelity number
                    raise RuntimeError(f"generation: metric {name!r} reported by both evaluators")
                metrics[name] = value
        metrics["utility_scored"] = float(self.utility_scored)
        return metrics
