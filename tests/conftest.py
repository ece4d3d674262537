"""Shared fixtures. Tests read datasets from $MISSDIFF_DATA_DIR, else ../shared/datasets."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CONFIG_DIR = REPO / "missdiff" / "configs"


def shared_data_dir() -> Path | None:
    env = os.environ.get("MISSDIFF_DATA_DIR")
    path = Path(env) if env else REPO.parent / "shared" / "datasets"
    return path if path.is_dir() else None


@pytest.fixture(scope="session")
def data_dir() -> Path:
    path = shared_data_dir()
    if path is None:
        pytest.skip("no dataset folder: set MISSDIFF_DATA_DIR")
    return path


def compose(overrides: list[str], config_dir: Path = CONFIG_DIR):
    """Compose the run config as missdiff-run would, with the given overrides."""
    from hydra import compose as hydra_compose
    from hydra import initialize_config_dir

    from missdiff.config import register_configs

    register_configs()
    with initialize_config_dir(config_dir=str(config_dir), version_base="1.3"):
        return hydra_compose(config_name="config", overrides=overrides)


@pytest.fixture
def one_thread():
    """Tiny networks run faster on one intra-op thread (no OpenMP overhead on a busy 2-core
    machine); the previous count is restored for the other tests."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
