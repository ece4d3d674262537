"""Bad input gets one line naming the fix, no traceback and no record (the second campaign)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from missdiff import registry
from missdiff.data.schema import Schema
from missdiff.errors import ConfigError, MissDiffError
from missdiff.registry import Entry, RegistryError
from missdiff.run import execute
from missdiff.validate import validate_run
from tests.conftest import compose


def cli(
    args: list[str], cwd: Path, data_dir: Path, env_extra: dict[str, str] | None = None, **popen
) -> subprocess.Popen:
    env = {**os.environ, "MISSDIFF_DATA_DIR": str(data_dir), "PYTHONUNBUFFERED": "1"}
    env.update(env_extra or {})
    return subprocess.Popen(
        [sys.executable, "-m", "missdiff.run", *args], cwd=cwd, env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen,
    )  # fmt: skip


# (overrides, a word the one-line message must hold)
BEFORE_ANY_WORK = [
    (["device=tpu"], "auto, cpu, cuda"),
    (["threads=0"], "threads"),
    (["model=missdiff", "model.channels=0"], "model.channels must be positive"),
    (["model=missdiff", "model.channels=30"], "multiple of model.n_heads"),
    (["model=stasy_mean", "evaluator=fidelity", "model.sampler=dopri"], "model.sampler"),
    (["model=gain", "model.hint_rate=2"], "hint_rate"),
    (["profile.max_train_rows=0"], "profile.max_train_rows"),
    (["profile.generation.epochs=-3"], "profile.generation.epochs"),
    (["missingness.ratio=1.5"], "missingness.ratio"),
    (["missingness=mar", "missingness.input_fraction=0"], "input_fraction"),
    (["dataset=wine", "dataset.variant=rose"], "red, white"),
    (["dataset=wine", "dataset.test_fraction=0"], "test_fraction"),
    (["dataset=csv"], "needs dataset.path"),
    (["dataset=csv", "dataset.path=/no/such.csv"], "no file /no/such.csv"),
    (["model=mean_mode", "evaluator=fidelity"], "can only impute"),
    (["model=mean_mode", "evaluator=generation"], "can only impute"),
    (["model=stasy_mean", "evaluator=rmse"], "can only sample"),
    (["model=missdiff", "evaluator=utility", "evaluator.grid=huge"], "evaluator.grid"),
    (["model=missdiff", "evaluator=utility", "evaluator.models=[svm]"], "evaluator.models"),
    (["model=missdiff", "evaluator=fidelity", "evaluator.real_rows=some"], "real_rows"),
    (["evaluator.normalisation=zscore"], "normalisation"),
    (["logger=wandb", "logger.mode=sometimes"], "logger.mode"),
    (["seed=-1"], "seed"),
    (["data_dir=/no/such/folder"], "data_dir"),
    (["dataset=mimic4ed", f"data_dir={tempfile.gettempdir()}"], "mimic4ed-benchmark"),
    (["+model.chanels=3"], "no field(s) ['chanels']"),
    (["model=missdiff", "model.epochs=many"], "epochs"),
]


@pytest.mark.parametrize(("overrides", "hint"), BEFORE_ANY_WORK, ids=lambda x: str(x))
def test_a_config_that_cannot_run_fails_before_any_work(overrides, hint, tmp_path) -> None:
    cfg = compose([*overrides, "profile=smoke", f"records_dir={tmp_path / 'runs'}"])
    with pytest.raises(ConfigError) as err:
        validate_run(cfg)
    message = str(err.value)
    assert hint in message and "\n" not in message
    with pytest.raises(ConfigError):
        execute(cfg)
    assert not (tmp_path / "runs").exists()  # no record, no folder


def test_records_dir_that_is_a_file_or_under_one(tmp_path) -> None:
    afile = tmp_path / "afile"
    afile.write_text("x")
    for where, says in ((afile, "is a file"), (afile / "runs", f"is under the file {afile}")):
        cfg = compose(["profile=smoke", f"records_dir={where}"])
        with pytest.raises(ConfigError, match=says):
            validate_run(cfg)


def test_a_target_that_is_not_a_column_is_a_config_error(tmp_path, data_dir) -> None:
    cfg = compose(["dataset=wine", "dataset.target=colour", "profile=smoke",
                   f"records_dir={tmp_path}", f"data_dir={data_dir}"])  # fmt: skip
    with pytest.raises(ConfigError, match="has target 'quality', not 'colour'"):
        execute(cfg)
    assert not list(tmp_path.iterdir())


def test_a_column_selection_naming_no_column_is_a_config_error(tmp_path, data_dir) -> None:
    cfg = compose(["dataset=wine", "dataset.columns=[alcohol,colour]", "profile=smoke",
                   f"records_dir={tmp_path}", f"data_dir={data_dir}"])  # fmt: skip
    with pytest.raises(ConfigError, match=r"has no column\(s\) \['colour'\]"):
        execute(cfg)
    assert not list(tmp_path.iterdir())


USER_TABLE = ["dataset=mimic4ed", "dataset.target=null", "missingness=mcar_independent",
              "profile=smoke"]  # fmt: skip


def user_tables(root: Path, train: pd.DataFrame, test: pd.DataFrame) -> Path:
    (root / "mimic4ed").mkdir(parents=True)
    train.to_csv(root / "mimic4ed" / "train.csv", index=False)
    test.to_csv(root / "mimic4ed" / "test.csv", index=False)
    return root


def test_a_column_empty_in_the_data_itself_is_named(tmp_path) -> None:
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"a": rng.normal(size=50), "b": np.nan, "c": rng.normal(size=50)})
    root = user_tables(tmp_path / "data", frame[:40], frame[40:])
    cfg = compose([*USER_TABLE, f"data_dir={root}", f"records_dir={tmp_path / 'runs'}"])
    with pytest.raises(ConfigError, match=r"\['b'\] have no value"):
        execute(cfg)
    assert not (tmp_path / "runs").exists()


def test_two_user_tables_under_one_name_do_not_share_a_record(tmp_path) -> None:
    """The data's own checksum is part of a user table's key (was: the second table's run was
    skipped and reported the first table's RMSE)."""
    rng = np.random.default_rng(0)
    results = []
    for i in range(2):
        frame = pd.DataFrame({"a": rng.normal(size=60) + 10 * i, "b": rng.normal(size=60)})
        root = user_tables(tmp_path / f"data{i}", frame[:50], frame[50:])
        cfg = compose([*USER_TABLE, f"data_dir={root}", f"records_dir={tmp_path / 'runs'}"])
        results.append(execute(cfg))
    assert not results[1].get("skipped")
    assert results[0]["key"] != results[1]["key"]


def test_inf_in_a_table_is_named_not_imputed() -> None:
    from baselines.mean_mode import MeanMode

    data = pd.DataFrame({"x": [1.0, np.inf, np.nan, 2.0], "y": [0.0, 1.0, 2.0, np.nan]})
    with pytest.raises(MissDiffError, match="column 'x' holds inf"):
        MeanMode().fit(data, Schema(("x", "y")), np.random.default_rng(0))


def test_a_broken_model_module_fails_loudly_naming_the_model(monkeypatch) -> None:
    monkeypatch.setitem(registry.MODELS, "mean_mode", Entry("baselines.no_such", "X", "XConfig"))
    with pytest.raises(RegistryError, match=r"model 'mean_mode' cannot be loaded.*no_such"):
        registry.load("model", "mean_mode")
    with pytest.raises(RegistryError):
        validate_run(compose(["model=mean_mode", "profile=smoke"]))


def test_single_run_config_error_is_one_line_exit_2_no_record(tmp_path, data_dir) -> None:
    proc = cli(["model=missdiff", "model.channels=0", "profile=smoke",
                f"records_dir={tmp_path / 'runs'}"], tmp_path, data_dir)  # fmt: skip
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 2
    assert err == "missdiff-run: error: model.channels must be positive, got 0\n"
    assert not (tmp_path / "runs").exists()


def test_a_sweep_with_a_bad_job_runs_nothing_and_names_it(tmp_path, data_dir) -> None:
    proc = cli(["-m", "dataset=wine", "model=mean_mode", "missingness.ratio=0.2,1.5",
                "profile=smoke", f"records_dir={tmp_path / 'runs'}",
                f"hydra.sweep.dir={tmp_path / 'sweep'}"], tmp_path, data_dir)  # fmt: skip
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 1
    assert "1 job(s) of this sweep cannot run; nothing was started" in err
    assert "missingness.ratio=1.5 " in err and "Traceback" not in err
    assert not (tmp_path / "runs").exists()


def test_ctrl_c_ends_with_one_line_and_keeps_the_checkpoint(tmp_path, data_dir) -> None:
    records = tmp_path / "runs"
    # A user's Ctrl-C reaches a process with SIGINT's default disposition. A test run started as
    # a shell's background job (`make test &`) ignores SIGINT and its children inherit that, so
    # the run would never see the signal (seen: it trained on): the child gets the default back.
    # PYTHONFAULTHANDLER: should it still hang, SIGABRT prints where each thread stands.
    proc = cli(["dataset=bayesnet", "model=missdiff", "profile=smoke", "model.epochs=400",
                f"records_dir={records}"], tmp_path, data_dir,
               env_extra={"PYTHONFAULTHANDLER": "1"},
               preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))  # fmt: skip
    deadline = time.monotonic() + 120
    while not list(records.glob(".checkpoints/*/*.pt")):
        assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
        time.sleep(0.1)
    proc.send_signal(signal.SIGINT)
    try:
        _, err = proc.communicate(timeout=60)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGABRT)
        pytest.fail("no exit 60 s after SIGINT; stacks:\n" + proc.communicate()[1][-6000:])
    assert proc.returncode == 130
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("missdiff-run: interrupted;")
    assert list(records.glob(".checkpoints/*/*.pt"))  # kept for the resumed run
    assert not [p for p in records.iterdir() if not p.name.startswith(".")]  # no record


def test_sigterm_stops_a_run_and_its_worker_processes(tmp_path, data_dir) -> None:
    """`timeout`, `kill` or a scheduler's SIGTERM ends a run as Ctrl-C does (no record, the
    checkpoint kept) and takes ForestDiffusion's worker processes with it: with Python's default
    SIGTERM they outlived the run and fitted on (session 24)."""
    records = tmp_path / "runs"
    proc = cli(["dataset=bayesnet", "model=forest_diffusion", "profile=smoke", "threads=2",
                "model.n_t=20", "model.n_estimators=50", f"records_dir={records}"],
               tmp_path, data_dir, start_new_session=True)  # fmt: skip
    try:
        deadline = time.monotonic() + 120
        while not list(records.glob(".checkpoints/*/forest-*/fit-*.pkl")):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()
            time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        # Workers left behind hold the run's stderr open: communicate() then times out.
        _, err = proc.communicate(timeout=60)
        deadline = time.monotonic() + 10
        with pytest.raises(ProcessLookupError):  # nobody left in the run's process group
            while time.monotonic() < deadline:
                os.killpg(proc.pid, 0)
                time.sleep(0.2)
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)  # never leave a fitting worker to the next test
    assert proc.returncode == 143
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1].startswith("missdiff-run: stopped (SIGTERM);")
    assert list(records.glob(".checkpoints/*/forest-*/fit-*.pkl"))  # kept for the resumed run
    assert not [p for p in records.iterdir() if not p.name.startswith(".")]  # no record


def test_csv_tables_of_one_file_name_in_two_folders_get_two_records(tmp_path) -> None:
    """`dataset=csv dataset.path=data.csv` read from two data folders: same config, different
    data, so different keys (the files' checksums are in the key), and each its own RMSE."""
    rng = np.random.default_rng(3)
    results = []
    for i in range(2):
        folder = tmp_path / f"data{i}"
        folder.mkdir()
        a = rng.normal(size=80) * (1 + 5 * i)
        pd.DataFrame({"a": a, "b": a + rng.normal(size=80), "c": rng.choice(["x", "y"], 80)}
                     ).to_csv(folder / "data.csv", index=False)  # fmt: skip
        cfg = compose(["dataset=csv", "dataset.path=data.csv", "missingness=mcar_independent",
                       "profile=smoke", f"data_dir={folder}",
                       f"records_dir={tmp_path / 'runs'}"])  # fmt: skip
        results.append(execute(cfg))
    assert [r["status"] for r in results] == ["COMPLETED", "COMPLETED"]
    assert results[0]["key"] != results[1]["key"] and not results[1].get("skipped")
    assert results[0]["metrics"]["rmse"] != results[1]["metrics"]["rmse"]


def test_a_missing_optional_package_names_the_extra(monkeypatch) -> None:
    """Without hyperimpute (or sdmetrics, xgboost, wandb) a config that needs it stops before
    any work with the pip line that adds it."""
    import importlib.util

    real = importlib.util.find_spec

    def without_hyperimpute(name: str, *args):
        return None if name == "hyperimpute" else real(name, *args)

    monkeypatch.setattr(importlib.util, "find_spec", without_hyperimpute)
    with pytest.raises(ConfigError, match=r"model=mice needs hyperimpute.*missdiff\[imputers\]"):
        validate_run(compose(["model=mice", "profile=smoke"]))
