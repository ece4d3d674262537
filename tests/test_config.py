"""Every config group composes; the schemas reject misspelt or mistyped keys."""

from __future__ import annotations

import pytest
from hydra.errors import ConfigCompositionException
from omegaconf import OmegaConf

from tests.conftest import CONFIG_DIR, compose

GROUPS = ["dataset", "missingness", "model", "evaluator", "profile", "logger", "experiment"]


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONFIG_DIR / group).glob("*.yaml"))


@pytest.mark.parametrize(
    ("group", "option"), [(g, o) for g in GROUPS for o in options(g)], ids=lambda x: str(x)
)
def test_every_option_composes_and_resolves(group: str, option: str) -> None:
    cfg = compose([f"{group}={option}"])
    container = OmegaConf.to_container(cfg, resolve=True)
    assert isinstance(container["seed"], int)
    if group == "dataset":
        from missdiff.data.datasets import DATASETS

        assert cfg.dataset.name in DATASETS
    elif group != "experiment":
        assert cfg[group].name == option


def test_misspelt_key_fails_at_composition(tmp_path) -> None:
    with pytest.raises(ConfigCompositionException):
        compose(["dataset.n_rowz=3"])
    # A misspelt key in a YAML file of a group fails too (the group's schema is a dataclass).
    import shutil

    configs = tmp_path / "configs"
    shutil.copytree(CONFIG_DIR, configs)
    (configs / "dataset" / "typo.yaml").write_text(
        "defaults:\n  - schema\nname: wine\nvarient: red\n"
    )
    with pytest.raises(ConfigCompositionException):
        compose(["dataset=typo"], config_dir=configs)
    with pytest.raises(ConfigCompositionException):
        compose(["missingness.ratoi=0.3"])


def test_mistyped_value_fails_at_composition() -> None:
    with pytest.raises(ConfigCompositionException):
        compose(["seed=abc"])
    with pytest.raises(ConfigCompositionException):
        compose(["missingness.ratio=lots"])


def test_seed_is_required_integer() -> None:
    with pytest.raises(ConfigCompositionException):
        compose(["seed=null"])


def test_unknown_option_fails() -> None:
    with pytest.raises(ConfigCompositionException):
        compose(["dataset=nosuchdata"])
    with pytest.raises(ConfigCompositionException):
        compose(["experiment=nosuchtable"])  # a misspelt experiment must not run as ad hoc
