"""Every config group composes; the schemas reject misspelt or mistyped keys."""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys

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
    # A misspelt key in a group's YAML file fails too (RunConfig types the group's node).
    configs = tmp_path / "configs"
    shutil.copytree(CONFIG_DIR, configs)
    (configs / "dataset" / "typo.yaml").write_text("name: wine\nvarient: red\n")
    with pytest.raises(ConfigCompositionException, match="varient"):
        compose(["dataset=typo"], config_dir=configs)
    with pytest.raises(ConfigCompositionException):
        compose(["missingness.ratoi=0.3"])


def test_misspelt_key_in_a_model_yaml_fails_before_any_work(tmp_path) -> None:
    """Model and evaluator sections are checked against their dataclass by validate_run."""
    from missdiff.errors import ConfigError
    from missdiff.validate import validate_run

    configs = tmp_path / "configs"
    shutil.copytree(CONFIG_DIR, configs)
    text = (configs / "model" / "missdiff.yaml").read_text().replace("n_heads:", "n_haeds:")
    (configs / "model" / "typo.yaml").write_text(text)
    cfg = compose(["model=typo", "profile=smoke"], config_dir=configs)
    with pytest.raises(ConfigError, match=r"model=missdiff has no field\(s\) \['n_haeds'\]"):
        validate_run(cfg)
    cfg = compose(["model=missdiff", "profile=smoke", "model.epochs=many"])
    with pytest.raises(ConfigError, match="epochs"):
        validate_run(cfg)


@pytest.mark.parametrize("group", ["model", "evaluator"])
def test_each_yaml_lists_every_field_a_user_may_override(group: str) -> None:
    """Hydra overrides only what a group's YAML holds (`model.dropout=0.2` must work), so each
    YAML lists every field of its dataclass but the runtime ones the runner fills in."""
    from missdiff import registry
    from missdiff.keys import CHANGES, NOTHING

    for option in options(group):
        cfg = compose([f"{group}={option}"])[group]
        _, schema = registry.load(group, cfg.name)
        fields = {f.name: f for f in dataclasses.fields(schema)}
        wanted = {n for n, f in fields.items() if f.metadata.get(CHANGES) != NOTHING}
        assert wanted <= set(cfg), (option, sorted(wanted - set(cfg)))
        assert set(cfg) <= set(fields), (option, sorted(set(cfg) - set(fields)))


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


def fresh_modules(code: str) -> list[str]:
    """Modules a fresh interpreter has loaded after running `code`."""
    script = f"import sys\n{code}\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    return out.stdout.split()


def test_the_runner_starts_without_model_code() -> None:
    """`missdiff-run --help` answers in about a second because composing a config imports no
    model: torch, scikit-learn and the model packages load only when a run asks for them."""
    loaded = fresh_modules("import missdiff.run")
    heavy = ("torch", "sklearn", "hyperimpute", "baselines", "missdiff.models", "experiments")
    assert not [m for m in loaded if m.split(".")[0] in heavy or m.startswith(heavy)]


def test_help_lists_only_user_facing_options() -> None:
    proc = subprocess.run([sys.executable, "-m", "missdiff.run", "--help"], capture_output=True,
                          text=True, check=True)  # fmt: skip
    listed = "model: csdi_t, diff_delete, diff_mean, forest_diffusion, forest_flow, gain"
    assert listed in proc.stdout
    assert "schema" not in proc.stdout


def test_the_report_spec_imports_no_experiment() -> None:
    """No cycle: experiments import the spec; the report's modules reach experiments only by
    name, at run time (missdiff/report/discover.py)."""
    for module in ("missdiff.report.spec", "missdiff.report.cli"):
        assert "experiments" not in fresh_modules(f"import {module}")
