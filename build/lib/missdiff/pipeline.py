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
from omegaconf import DictConfig, OmegaConf

from missdiff.data.datasets import load_dataset
from missdiff.data.schema import Table, apply_mask
from missdiff.evaluation.base import EvalInputs
from missdiff.missingness import apply_missingness, check_every_column_observed
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
    table: Table, test_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Train/test row indices: the dataset's official split, else a seeded shuffle whose last
    `test_fraction` is the test fold (TabCSDI's protocol)."""
    if table.split is not None:
        return np.flatnonzero(table.split == "train"), np.flatnonzero(table.split == "test")
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
    train, test = split_rows(table, cfg.dataset.test_fraction, split_rng)
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

    t = time.perf_counter()
    if evaluator.needs == "impute":
        inputs.imputed_test = model.impute(
            apply_mask(test_true, observed[test]), stream(seed, "inference")
        ).completed
    elif evaluator.needs == "sample":
        n = cfg.profile.n_generate or len(train)
        inputs.synthetic = model.sample(n, stream(seed, "inference"))
    timings[evaluator.needs] = time.perf_counter() - t

    t = time.perf_counter()
    metrics = evaluator.evaluate(inputs, stream(seed, "evaluate"))
    timings["evaluate"] = time.perf_counter() - t
    timings["total"] = time.perf_counter() - t0

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


def to_container(cfg: DictConfig) -> dict[str, Any]:
    return OmegaConf.to_container(cfg, resolve=True)  # type: ignore[return-value]
