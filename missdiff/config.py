"""Structured-config schemas of a run: a misspelt or mistyped key fails when Hydra composes.

`RunConfig` types the dataset, missingness, profile and logger groups, so their YAML files hold
values only. Models and evaluators bring their own dataclasses (missdiff/registry.py); their
sections are checked against them, with every value check, by `missdiff.validate.validate_run`
before any work. What a field changes (the record key, a checkpoint) is declared with the markers
of missdiff/keys.py.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import MISSING

from missdiff.errors import ConfigError
from missdiff.keys import run_field


@dataclass
class DatasetConfig:
    """Which table to load. See missdiff/data/datasets.py for each dataset's variants."""

    name: str = MISSING
    # census: adult | tabcsdi ; breast: original | diagnostic ; wine: red | white ;
    # diabetes: raw | scaled ; others: default
    variant: str = "default"
    # bayesnet only: rows to simulate
    n_rows: int = 10_000
    # Treat every column as numeric (TabCSDI's protocol for the UCI imputation tables).
    all_continuous: bool = False
    # Fraction of rows held out as the test fold when the dataset has no official split.
    test_fraction: float = 0.2
    # Split stratified by the target when it is a class (ForestDiffusion's protocol); else shuffle.
    stratify: bool = False
    # User tables (csv, mimic4ed; missdiff/data/user_table.py): the CSV file(s), the columns
    # to keep (empty: all), the categorical ones (empty: the text columns), the prediction
    # target and its task (empty: from the target's type), extra strings that mean missing.
    # `target` also names the target a public dataset must have, and `columns` selects a
    # public dataset's columns too.
    path: str | None = None
    test_path: str | None = None
    columns: list[str] = field(default_factory=list)
    categorical: list[str] = field(default_factory=list)
    target: str | None = None
    task: str | None = None
    na_values: list[str] = field(default_factory=list)


@dataclass
class MissingnessConfig:
    """Mechanism applied on top of the dataset's native missingness."""

    name: str = MISSING  # none | mcar_row | mcar_column | mcar_independent | mar | nmar | tabcsdi
    ratio: float = 0.2
    # mar / nmar: share of columns used as inputs of the logistic model (Muzellec et al. p_obs).
    input_fraction: float = 0.3
    # Never hide the dataset's target (ForestDiffusion's imputation protocol masks the features
    # only); its native missing values stay missing.
    spare_target: bool = False


@dataclass
class DiffusionBudget:
    """What the diffusion models (MissDiff, Diff-delete, Diff-mean, CSDI_T) are trained with for one
    kind of task; the model YAMLs read it as `${profile.${budget}.<field>}`. See
    DiffusionConfig (missdiff/models/diffusion.py) for what each field does."""

    epochs: int = 250
    train_steps: int = 0  # > 0: a budget of optimiser steps; epochs then unused
    batch_size: int = 64
    channels: int = 64
    n_heads: int = 4
    num_steps: int = 100
    column_embedding_dim: int = 128
    feature_embedding_dim: int = 8
    denoiser: str = "backbone"
    mlp_width: int = 512  # the MLP denoiser's size (denoiser: mlp)
    mlp_depth: int = 4
    ema_decay: float = 0.0


@dataclass
class ProfileConfig:
    """Sizes only, never the protocol: smoke (seconds), quick (minutes on 2 CPUs), paper.

    The runner reads the `run_field`s itself; every other size reaches a run through an
    interpolation in a model's, evaluator's or dataset's YAML (`n_impute_samples:
    ${profile.n_impute_samples}`). The diffusion models take one of two budgets, chosen by the
    top-level `budget` (set by the evaluator: `rmse` -> imputation, the others -> generation):
    the paper trains its imputation table with TabCSDI's settings and its generation tables with
    250 epochs of batch 64 (Appendix C.1, C.4)."""

    name: str = MISSING
    imputation: DiffusionBudget = MISSING
    generation: DiffusionBudget = MISSING
    n_impute_samples: int = MISSING  # draws per row for diffusion imputation (paper: 100)
    max_train_rows: int | None = run_field(None)  # cap on training rows (None = all)
    max_test_rows: int | None = run_field(None)  # cap on evaluated test rows (None = all)
    n_generate: int | None = run_field(None)  # synthetic rows (None = as many as training rows)
    bayesnet_rows: int = 10_000
    # Rows x draws per network call at inference (0: the model's default for the device: 128 on
    # CPU, where small cache-resident chunks are fastest, 8192 on CUDA).
    max_batch: int = 0
    # Library imputers (hyperimpute): iterations / training steps.
    mice_max_iter: int = 1000
    missforest_max_iter: int = 100
    # MissForest with full-depth trees (missforest_full): trees per forest (its authors' 100).
    missforest_full_trees: int = 100
    gain_steps: int = 1000
    miwae_epochs: int = 500
    # Newer peers (baselines/forest_diffusion.py, baselines/miceforest.py): ForestDiffusion's
    # noise levels, noisy copies per row and trees per model (its defaults: 50, 100, 100), and
    # miceforest's rounds of chained equations.
    forest_n_t: int = 50
    forest_duplicate_k: int = 100
    forest_n_estimators: int = 100
    miceforest_iterations: int = 5
    # STaSy: training and likelihood fine-tuning epochs (paper: 1000 + 50; Tables 18-19: 250).
    stasy_epochs: int = 1000
    stasy_finetune_epochs: int = 50
    # Utility evaluator: hyperparameter grids of Kim et al. 2023 ("paper") or one point ("small").
    utility_grid: str = "paper"

    def check(self) -> None:
        """Sizes must be positive (0 where the field says it means "auto" or "none")."""
        zero_ok = ("max_batch", "stasy_finetune_epochs", "train_steps")
        for where, node in (("profile", self), ("profile.imputation", self.imputation),
                            ("profile.generation", self.generation)):  # fmt: skip
            for name, value in vars(node).items():
                if isinstance(value, bool) or not isinstance(value, int):
                    continue
                if value < 0 or (value == 0 and name not in zero_ok):
                    least = "0 or more" if name in zero_ok else "a positive integer"
                    raise ConfigError(f"{where}.{name} must be {least}, got {value}")


@dataclass
class LoggerConfig:
    name: str = "none"  # none | wandb
    project: str = "missdiff"
    mode: str = "offline"  # offline | online | disabled
    entity: str | None = None


@dataclass
class RunConfig:
    seed: int = MISSING
    dataset: DatasetConfig = MISSING
    missingness: MissingnessConfig = MISSING
    # Models and evaluators have schemas of their own (missdiff/registry.py).
    model: Any = MISSING
    evaluator: Any = MISSING
    profile: ProfileConfig = MISSING
    logger: LoggerConfig = field(default_factory=LoggerConfig)
    experiment: str = "adhoc"
    records_dir: str = "results/runs"
    data_dir: str | None = None
    device: str = "auto"  # auto | cpu | cuda
    # torch intra-op threads per run; see missdiff.run.resolve_threads for what null means.
    threads: int | None = None
    # Progress bars: null = on when stderr is a terminal (off in logs and CI).
    progress: bool | None = None
    # `missdiff-run -m` only: a sweep whose pending jobs are estimated (missdiff/sweep.py: Costs)
    # to need more single-thread minutes than this, or that has a pending job with no estimate,
    # is not started; it prints the command that runs it. null: no limit. `make reproduce` sets it.
    max_sweep_minutes: float | None = None
    # Which of the profile's diffusion budgets the diffusion models use: imputation | generation.
    # Each evaluator's YAML sets it (rmse: imputation); an experiment or the command line may too.
    budget: str = "generation"


def register_configs() -> None:
    """The run schema, for missdiff/configs/config.yaml's defaults list (`- run_schema`)."""
    ConfigStore.instance().store(name="run_schema", node=RunConfig)
