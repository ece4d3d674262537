"""Every check a run config can fail before any data is read, in one place.

The sweeper calls `validate_run` for every job of a sweep before the first job starts, and each
job calls it again before its run (a job may be launched on another machine). A config that
fails here could never run: it gets one line naming the fix, and no record. Each package owns
the rules of its own section (`check_dataset_config`, `check_missingness_config`,
`ProfileConfig.check`, each model's and evaluator's `check`); this module only gathers them and
adds the run-level ones (seed, device, threads, folders, model x evaluator).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from missdiff.config import ProfileConfig
from missdiff.data.datasets import check_dataset_config, check_user_data
from missdiff.data.download import ENV_DATA_DIR
from missdiff.device import check_device
from missdiff.errors import ConfigError
from missdiff.evaluation.base import CAPABILITY_NEEDED
from missdiff.missingness import check_missingness_config
from missdiff.registry import load, make_config, require

LOGGERS = {"none": (), "wandb": ("offline", "online", "disabled")}


@dataclass
class Checked:
    """What validation built on the way: the typed model and evaluator configs."""

    model: Any
    evaluator: Any


def check_folder(path: str | Path, what: str) -> None:
    """A folder that will be created if needed: neither it nor a parent may be a file."""
    path = Path(path).expanduser()
    for candidate in (path, *path.parents):
        if candidate.exists() and not candidate.is_dir():
            where = "is a file" if candidate == path else f"is under the file {candidate}"
            raise ConfigError(f"{what} {path} {where}; point {what} at a folder")


def check_seed(seed: Any) -> None:
    if not isinstance(seed, int) or isinstance(seed, bool) or seed < 0:
        raise ConfigError(f"seed must be a non-negative integer, got {seed!r}")


def check_threads(threads: Any) -> None:
    if threads is not None and (isinstance(threads, bool) or threads < 1):
        raise ConfigError(f"threads must be 1 or more (or null: one per job), got {threads!r}")


def check_logger(cfg: DictConfig) -> None:
    if cfg.name not in LOGGERS:
        raise ConfigError(f"unknown logger {cfg.name!r}; choose one of {', '.join(LOGGERS)}")
    modes = LOGGERS[cfg.name]
    if modes and cfg.mode not in modes:
        raise ConfigError(f"logger.mode must be one of {', '.join(modes)}, got {cfg.mode!r}")
    if cfg.name == "wandb":
        require("wandb", "logger=wandb")


def check_data_dir(data_dir: str | None) -> None:
    """A data folder that is named must exist (else the run would download instead)."""
    for what, value in (("data_dir", data_dir), (ENV_DATA_DIR, os.environ.get(ENV_DATA_DIR))):
        if value:
            path = Path(value).expanduser()
            if not path.is_dir():
                raise ConfigError(f"{what} {path} is not a folder; point it at the datasets")
            return


def check_compatible(model: str, evaluator: str) -> None:
    """The evaluator's input (imputed test rows, or sampled rows) is something the model gives."""
    model_cls, _ = load("model", model)
    evaluator_cls, _ = load("evaluator", evaluator)
    needs = CAPABILITY_NEEDED[evaluator_cls.needs]
    if needs not in model_cls.capabilities:
        can = " and ".join(sorted(model_cls.capabilities)) or "nothing"
        other = "rmse" if needs == "sample" else "fidelity, utility or generation"
        raise ConfigError(
            f"evaluator={evaluator} needs a model that can {needs}, and model={model} can only "
            f"{can}; use evaluator={other} or another model"
        )


def validate_run(cfg: DictConfig) -> Checked:
    """Raise a one-line ConfigError for the first thing in `cfg` no run could use."""
    try:
        return _validate(cfg)
    except OmegaConfBaseException as err:  # e.g. a mandatory value left out
        key = getattr(err, "full_key", "") or ""
        first = str(err).splitlines()[0]
        raise ConfigError(f"{key}: {first}" if key else first) from None


def _validate(cfg: DictConfig) -> Checked:
    check_seed(cfg.seed)
    check_device(cfg.device)
    check_threads(cfg.threads)
    check_folder(cfg.records_dir, "records_dir")
    check_data_dir(cfg.data_dir)
    check_logger(cfg.logger)
    check_dataset_config(cfg.dataset)
    check_user_data(cfg.dataset, cfg.data_dir)
    check_missingness_config(cfg.missingness)
    profile = OmegaConf.to_object(cfg.profile)
    assert isinstance(profile, ProfileConfig)
    profile.check()
    model = make_config("model", cfg.model)
    evaluator = make_config("evaluator", cfg.evaluator)
    check_compatible(model.name, evaluator.name)
    return Checked(model, evaluator)
