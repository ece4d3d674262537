"""Record keys name exactly what can change a result, and stay put when the schemas grow."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from missdiff import registry
from missdiff.config import DiffusionBudget, ProfileConfig
from missdiff.keys import RUN, result_identity, result_key
from missdiff.records import COMPLETED, StaleRecordError, finished, iter_records, write_record
from tests.conftest import CONFIG_DIR, REPO, compose

MODELS = sorted(registry.MODELS)


def evaluator_for(model: str) -> str:
    cls, _ = registry.load("model", model)
    return "rmse" if "impute" in cls.capabilities else "generation"


def configs(extra: list[str] = ()) -> dict[str, dict]:
    """Every model's resolved run config at the quick profile (as a run would store it)."""
    out = {}
    for model in MODELS:
        cfg = compose([f"model={model}", f"evaluator={evaluator_for(model)}", "profile=quick",
                       *extra])  # fmt: skip
        out[model] = OmegaConf.to_container(cfg, resolve=True)
    return out


def keys(cfgs: dict[str, dict]) -> dict[str, str]:
    return {m: result_key(c) for m, c in cfgs.items()}


def with_field(schema: type, name: str, default: object) -> type:
    """`schema` with one more field and its default, as a developer would add one."""
    return dataclasses.make_dataclass(
        schema.__name__, [(name, type(default), dataclasses.field(default=default))],
        bases=(schema,),
    )  # fmt: skip


def test_a_new_defaulted_model_field_changes_no_key(monkeypatch) -> None:
    """Adding `ema: false` to the diffusion schema and to its YAML (as the convergence work will)
    re-keys nothing: not the diffusion models' records, not anyone else's."""
    before = configs()
    old = keys(before)
    module = __import__("missdiff.models.diffusion", fromlist=["DiffusionConfig"])
    monkeypatch.setattr(module, "DiffusionConfig", with_field(module.DiffusionConfig, "ema", False))
    grown = {m: {**c, "model": {**c["model"], "ema": False}} if "channels" in c["model"] else c
             for m, c in before.items()}  # fmt: skip
    assert keys(grown) == old
    # The field's value, once set away from its default, is part of the key.
    changed = {**grown["missdiff"], "model": {**grown["missdiff"]["model"], "ema": True}}
    assert result_key(changed) != old["missdiff"]


def test_a_new_profile_field_or_a_size_one_model_reads_touches_only_its_readers() -> None:
    old = keys(configs())
    # A new profile value read only through an interpolation enters no key by itself.
    grown = {
        m: {**c, "profile": {**c["profile"], "ema_decay": 0.999}} for m, c in configs().items()
    }
    assert keys(grown) == old
    # STaSy's epochs are read by the STaSy models alone.
    new = keys(configs(["profile.stasy_epochs=31"]))
    changed = {m for m in MODELS if new[m] != old[m]}
    assert changed == {"stasy_delete", "stasy_mean"}
    # The rows cap is read by the runner: every key changes.
    new = keys(configs(["profile.max_train_rows=3999"]))
    assert all(new[m] != old[m] for m in MODELS)


def test_key_ignores_paths_logger_device_threads_and_progress() -> None:
    base = compose(["model=missdiff", "profile=smoke"])
    key = result_key(OmegaConf.to_container(base, resolve=True))
    other = compose(["model=missdiff", "profile=smoke", "records_dir=/elsewhere", "data_dir=/x",
                     "logger=wandb", "device=cpu", "threads=2", "progress=true",
                     "+model.progress=false", "model.checkpoint_dir=/ckpt"])  # fmt: skip
    assert result_key(OmegaConf.to_container(other, resolve=True)) == key
    for change in ("seed=1", "model.lr=0.001", "model.n_impute_samples=4", "missingness.ratio=0.3",
                   "evaluator.normalisation=minmax", "dataset.n_rows=500"):  # fmt: skip
        cfg = compose(["model=missdiff", "profile=smoke", change])
        assert result_key(OmegaConf.to_container(cfg, resolve=True)) != key, change


def test_every_profile_field_reaches_a_key() -> None:
    """A profile size is keyed either as a run field or through an interpolation in some config
    (a diffusion budget's field through `${profile.${budget}.<field>}`): a size that did neither
    could change a result without changing its key."""
    text = "\n".join(p.read_text() for p in CONFIG_DIR.rglob("*.yaml"))
    used = set(re.findall(r"\$\{profile\.(\w+)\}", text))
    run = {f.name for f in dataclasses.fields(ProfileConfig) if f.metadata.get("changes") == RUN}
    budgets = {"imputation", "generation"}
    unkeyed = {f.name for f in dataclasses.fields(ProfileConfig)} - used - run - budgets - {"name"}
    assert not unkeyed
    per_budget = set(re.findall(r"\$\{profile\.\$\{budget\}\.(\w+)\}", text))
    assert {f.name for f in dataclasses.fields(DiffusionBudget)} == per_budget


def test_a_changed_default_is_caught_not_silently_reused(tmp_path, monkeypatch) -> None:
    """Under defaults-only keys, changing a default makes an old record's key name a new value:
    the finished record is refused with a one-line pointer to the re-keying script."""
    config = configs()["missdiff"]
    key = result_key(config)
    write_record(tmp_path, key, config, {"status": COMPLETED, "metrics": {"rmse": 0.1}})
    assert finished(tmp_path, key, config) is not None
    module = __import__("missdiff.models.diffusion", fromlist=["DiffusionConfig"])
    fields = {f.name: f for f in dataclasses.fields(module.DiffusionConfig)}
    assert fields["n_layers"].default == config["model"]["n_layers"] == 4
    changed = dataclasses.make_dataclass(
        "DiffusionConfig", [("n_layers", int, dataclasses.field(default=6))],
        bases=(module.DiffusionConfig,),
    )  # fmt: skip
    monkeypatch.setattr(module, "DiffusionConfig", changed)
    new_run = {**config, "model": {**config["model"], "n_layers": 6}}
    assert result_key(new_run) == key  # the collision the check exists for
    with pytest.raises(StaleRecordError, match=r"n_layers: 4 -> 6.*rekey_records") as err:
        finished(tmp_path, key, new_run)
    assert "\n" not in str(err.value)


def test_committed_records_sit_under_their_current_keys() -> None:
    """Every committed record is found by the key a run of its config computes today (the
    re-keying was applied, and nothing since changed a key without re-keying)."""
    records = list(iter_records(REPO / "results" / "runs"))
    assert records
    wrong = [r.path.name for r in records if r.path.name != result_key(r.config)]
    assert not wrong, f"{len(wrong)} records need scripts/rekey_records.py, e.g. {wrong[:3]}"


def test_identity_keeps_names_and_leaves_defaults_out() -> None:
    ident = result_identity(configs()["mean_mode"])
    assert ident["model"] == {"name": "mean_mode"}
    assert ident["profile"] == {"name": "quick", "max_train_rows": 4000, "max_test_rows": 1000}
    assert set(ident) == {"seed", "dataset", "missingness", "model", "evaluator", "profile"}


def test_user_data_identity_enters_the_key(tmp_path: Path) -> None:
    config = configs()["mean_mode"]
    a = {**config, "data_identity": "sha256:aaaa"}
    b = {**config, "data_identity": "sha256:bbbb"}
    assert len({result_key(config), result_key(a), result_key(b)}) == 3


def test_a_record_written_before_a_defaulted_field_existed_finds_its_cell() -> None:
    """scripts/mark_superseded.py matches records to today's jobs by cell; a record stored before
    the dataset schema grew fields (path, na_values, ...) must still match, or a changed budget
    would leave its old records unmarked in the tables."""
    from missdiff.sweep import cell_of, composed_jobs

    ((_, config, _),) = list(
        composed_jobs("table1", "quick", {"dataset": "concrete", "model": "missdiff", "seed": "0"})
    )
    old = {**config, "dataset": {k: v for k, v in config["dataset"].items()
                                 if k in ("name", "variant", "test_fraction")}}  # fmt: skip
    assert cell_of(old) == cell_of(config)
    other = {**config, "seed": 1}
    assert cell_of(other) != cell_of(config)
