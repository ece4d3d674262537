"""One run: config -> dataset -> missingness -> model -> evaluator -> metrics.

Kept free of Hydra so tests and notebooks can call it with a plain config. Randomness comes from
named streams derived from the run's seed, so changing e.g. the model does not change the mask.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from omegaconf import DictConfig, OmegaConf

from missdiff.data.datasets import load_dataset
from missdiff.data.schema import Table, apply_mask
from missdiff.evaluation.base import EvalInputs
from missdiff.missingness import apply_missingness, check_every_column_observed
from missdiff.models.base import TabularModel
from missdiff.registry import build_evaluator, build_model

# Independent random streams of a run (numpy SeedSequence entropy = [seed, stream]).
STREAMS = {"data": 0, "mask": 1, "split": 2, "model": 3, "inference": 4, "evaluate": 5}


def stream(seed: int, name: str) -> np.random.Generator:
    return np.random.default_rng([seed, STREAMS[name]])


@dataclass
class RunResult:
    metrics: dict[str, float]
    timings: dict[str, float] = field(default_factory=dict)
    info: dict[str, Any] = field(default_factory=dict)


def split_rows(
    table: Table, test_fraction: float, rng: np.random.Generator, stratify: bool = False
) -> tuple[np.ndarray, np.ndarray]:
    """Train/test row indices: the dataset's official split, else a seeded shuffle whose last
    `test_fraction` is the test fold (TabCSDI's protocol), or with `stratify` and a classification
    target, scikit-learn's split stratified by the target (ForestDiffusion's protocol, which
    stratifies classification tables only)."""
    if table.split is not None:
        return np.flatnonzero(table.split == "train"), np.flatnonzero(table.split == "test")
    schema = table.schema
    if stratify and schema.target is not None and schema.task == "classification":
        from sklearn.model_selection import train_test_split

        labels = table.data[schema.target].astype(str).to_numpy()
        train, test = train_test_split(
            np.arange(len(table)), test_size=test_fraction, stratify=labels,
            random_state=int(rng.integers(2**31 - 1)),
        )  # fmt: skip
        return np.asarray(train), np.asarray(test)
    perm = rng.permutation(len(table))
    n_test = round(len(table) * test_fraction)
    return perm[: len(table) - n_test], perm[len(table) - n_test :]


def _cap(rows: np.ndarray, cap: int | None, rng: np.random.Generator) -> np.ndarray:
    if cap is None or len(rows) <= cap:
        return rows
    return np.sort(rng.choice(rows, size=cap, replace=False))


@dataclass
class Prepared:
    """A run's data: the table, its observed mask, and the training and test row indices."""

    table: Table
    observed: np.ndarray
    train: np.ndarray
    test: np.ndarray


def prepare_data(cfg: DictConfig, data_dir: str | Path | None) -> Prepared:
    """Load, mask, split and cap as a run does, from the run's seed streams."""
    seed = cfg.seed
    table = load_dataset(cfg.dataset, data_dir, stream(seed, "data"))
    observed = apply_missingness(cfg.missingness, table, stream(seed, "mask"))
    split_rng = stream(seed, "split")
    train, test = split_rows(table, cfg.dataset.test_fraction, split_rng, cfg.dataset.stratify)
    train = _cap(train, cfg.profile.max_train_rows, split_rng)
    test = _cap(test, cfg.profile.max_test_rows, split_rng)
    cap = cfg.profile.max_train_rows
    where = f"the {len(train)} training rows" + (
        " (raise profile.max_train_rows)" if cap is not None and cap == len(train) else ""
    )
    check_every_column_observed(observed[train], table.schema.columns, where=where)
    return Prepared(table, observed, train, test)


def run_pipeline(cfg: DictConfig, data_dir: str | Path | None) -> RunResult:
    """Run one configuration end to end and return its metrics (writes nothing)."""
    seed = cfg.seed
    timings: dict[str, float] = {}
    t0 = time.perf_counter()
    data = prepare_data(cfg, data_dir)
    table, observed, train, test = data.table, data.observed, data.train, data.test
    schema = table.schema
    timings["data"] = time.perf_counter() - t0

    evaluator = build_evaluator(cfg.evaluator)
    model = build_model(cfg.model)
    train_true = table.data.iloc[train].reset_index(drop=True)
    test_true = table.data.iloc[test].reset_index(drop=True)
    inputs = EvalInputs(schema, train_true, test_true, observed[train], observed[test])

    t = time.perf_counter()
    model.fit(apply_mask(train_true, observed[train]), schema, stream(seed, "model"))
    timings["fit"] = time.perf_counter() - t
    if restored := model.restored_seconds:
        # A resumed fit read back models that earlier processes fitted: their time, as they
        # logged it, so that the run's `time` is the whole fit's and not only the rest.
        timings["fit_before_resume"] = restored

    t = time.perf_counter()
    if evaluator.needs == "impute":
        inputs.imputed_test = model.impute(
            apply_mask(test_true, observed[test]), stream(seed, "inference")
        ).completed
    elif evaluator.needs == "sample":
        n = cfg.profile.n_generate or len(train)
        inputs.synthetic = model.sample(n, stream(seed, "inference"))
    elif evaluator.needs == "impute_train":
        masked = apply_mask(train_true, observed[train])
        inputs.imputed_train = impute_training_rows(cfg, model, masked, evaluator.n_imputations)
    timings[evaluator.needs] = time.perf_counter() - t

    t = time.perf_counter()
    metrics = evaluator.evaluate(inputs, stream(seed, "evaluate"))
    timings["evaluate"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0
    if evaluator.needs == "impute_train":
        # The peer's `time`: fitting and every imputation, refits included.
        metrics["time"] = timings["fit"] + restored + timings["impute_train"]

    info = {
        "n_train": len(train),
        "n_test": len(test),
        "n_columns": len(schema.columns),
        "missing_rate_train": float(1.0 - observed[train].mean()),
        "primary_metric": evaluator.primary_metric,
        "higher_is_better": evaluator.higher_is_better,
        "history": getattr(model, "history", {}),
    }
    return RunResult(metrics, timings, info)


def impute_training_rows(
    cfg: DictConfig, model: TabularModel, masked: pd.DataFrame, k: int
) -> list[pd.DataFrame]:
    """`k` imputations of the rows `model` was fitted on: its own draws, or, for a model that
    imputes once, that one and the model fitted again under k - 1 further seeds (the peer's
    protocol refits MissForest and MICE per imputation). Observed entries are the given ones."""
    seed = cfg.seed
    result = model.impute(masked, stream(seed, "inference"), n_draws=k)
    draws = list(result.draws)[:k] if result.draws and len(result.draws) >= k else None
    if draws is None:
        draws = [result.completed]
        for i in range(1, k):
            again = build_model(cfg.model)
            again.fit(masked, model.schema, np.random.default_rng([seed, STREAMS["model"], i]))
            rng = np.random.default_rng([seed, STREAMS["inference"], i])
            draws.append(again.impute(masked, rng).completed)
    columns = list(masked.columns)
    return [d[columns].reset_index(drop=True).where(masked.isna(), masked) for d in draws]


def to_container(cfg: DictConfig) -> dict[str, Any]:
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
