"""A sweep killed at any point resumes: finished runs are kept, nothing half-written counts.

Also holds `CheckpointedMeanMode`, a test model that trains through a (sleeping) epoch loop and
checkpoints after every epoch the way a real model must: state written atomically into
`cfg.checkpoint_dir`, resumed from when present. tests/test_launchers.py uses it in the jobs of a
SLURM sweep; `register_test_model` makes it available there through a sitecustomize file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from baselines.mean_mode import MeanMode
from missdiff.keys import result_key
from missdiff.pipeline import to_container
from missdiff.records import COMPLETED, iter_records
from missdiff.registry import Entry
from tests.conftest import compose

TEST_MODEL = Entry(
    "tests.test_fault_tolerance", "CheckpointedMeanMode", "CheckpointedMeanModeConfig"
)


@dataclass
class CheckpointedMeanModeConfig:
    name: str = "ckpt_mean"
    epochs: int = 6
    epoch_seconds: float = 0.2
    checkpoint_dir: str | None = None  # set by the runner: <records_dir>/.checkpoints/<key>


class CheckpointedMeanMode(MeanMode):
    """Mean/Mode after a fake training loop that checkpoints after every epoch."""

    name = "ckpt_mean"

    def __init__(self, cfg: CheckpointedMeanModeConfig) -> None:
        super().__init__()
        self.cfg = cfg  # type: ignore[assignment]

    def _fit(self, data: pd.DataFrame, rng: np.random.Generator) -> None:
        path = Path(self.cfg.checkpoint_dir) / "state.json" if self.cfg.checkpoint_dir else None
        state = {"epoch": 0, "loss": [], "starts": []}
        if path is not None and path.exists():
            state = json.loads(path.read_text())
        state["starts"].append(state["epoch"])  # where each attempt began
        state["pid"] = os.getpid()  # lets a test signal the process that trains
        while state["epoch"] < self.cfg.epochs:
            time.sleep(self.cfg.epoch_seconds)
            state["loss"].append(1.0 / (state["epoch"] + 1))
            state["epoch"] += 1
            if path is not None:
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_suffix(".tmp")
                tmp.write_text(json.dumps(state))
                os.replace(tmp, path)  # a signal never leaves a torn checkpoint
            if os.environ.get("CKPT_MEAN_EXIT_AT") == str(state["epoch"]):
                raise SystemExit(-1)  # as submitit's handler does at a time limit
        self.history = {"loss": state["loss"], "starts": state["starts"]}
        super()._fit(data, rng)


def register_test_model() -> None:
    """Make `model=ckpt_mean` composable and buildable in this process."""
    from hydra.core.config_store import ConfigStore

    from missdiff import registry

    registry.MODELS["ckpt_mean"] = TEST_MODEL
    # A plain node: pytest and the registry may import this file under two module names, and
    # the registry merges the node into the dataclass it imports itself.
    node = {"name": "ckpt_mean", "epochs": 6, "epoch_seconds": 0.2, "checkpoint_dir": None}
    ConfigStore.instance().store(group="model", name="ckpt_mean", node=node)


def run_cli(args: list[str], data_dir: Path, cwd: Path, **popen) -> subprocess.Popen:
    env = {**os.environ, "MISSDIFF_DATA_DIR": str(data_dir)}
    return subprocess.Popen(
        [sys.executable, "-m", "missdiff.run", *args],
        cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, **popen,
    )  # fmt: skip


def snapshot(records: Path) -> dict[str, tuple[int, float]]:
    return {
        r.path.name: ((r.path / "metrics.json").stat().st_mtime_ns, r.metrics["started"])
        for r in iter_records(records)
    }


def test_killed_sweep_resumes_without_recomputing(tmp_path, data_dir) -> None:
    records = tmp_path / "runs"
    seeds = list(range(6))
    run = ["dataset=bayesnet", "missingness=mar", "profile=smoke", f"records_dir={records}"]
    seed_list = ",".join(map(str, seeds))
    args = ["-m", *run, f"seed={seed_list}", f"hydra.sweep.dir={tmp_path / 'sweep'}"]
    proc = run_cli(args, data_dir, tmp_path, start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(iter_records(records)) and time.monotonic() < deadline:
        assert proc.poll() is None, proc.stdout.read()[-3000:]
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the whole sweep, at once, no clean-up
    proc.wait()
    proc.stdout.close()
    before = snapshot(records)
    assert 1 <= len(before) < len(seeds), "the kill should land part-way through the sweep"

    # Debris a kill can leave: a record folder copied half-way, and a temporary folder of an
    # interrupted write. Neither may read as a finished run.
    base = compose(run)
    keys = {s: result_key({**to_container(base), "seed": s}) for s in seeds}
    pending = [s for s in seeds if keys[s] not in before]
    half, torn = keys[pending[0]], keys[pending[-1]]
    (records / half).mkdir(exist_ok=True)
    (records / half / "config.yaml").write_text("seed: 0\n")
    (records / half / "metrics.json").write_text('{"status": "COMPLETED", "metr')
    tmp_write = records / f".tmp-{torn}-killed"
    tmp_write.mkdir()
    (tmp_write / "config.yaml").write_text("seed: 0\n")
    (tmp_write / "metrics.json").write_text('{"status": "COMPLETED"}\n')

    proc = run_cli(args, data_dir, tmp_path)
    out, _ = proc.communicate(timeout=300)
    assert proc.returncode == 0, out[-3000:]
    after = snapshot(records)
    # Finished runs were skipped, untouched; the rest ran once each.
    assert {k: after[k] for k in before} == before
    assert out.count("skip ") == len(before)
    assert sorted(after) == sorted(keys.values())
    assert all(r.status == COMPLETED for r in iter_records(records))
    # Exactly one record per run: no other folder reads as one (dot-folders are never read).
    visible = [p.name for p in records.iterdir() if not p.name.startswith(".")]
    assert sorted(visible) == sorted(keys.values())
    assert not (records / ".checkpoints").exists() or not any((records / ".checkpoints").iterdir())


@pytest.fixture
def test_model(monkeypatch):
    from missdiff import registry

    monkeypatch.setitem(registry.MODELS, "ckpt_mean", TEST_MODEL)
    register_test_model()


def test_interrupted_run_resumes_from_its_checkpoint(tmp_path, data_dir, test_model, monkeypatch):
    from missdiff.run import checkpoint_dir, execute

    cfg = ["dataset=wine", "model=ckpt_mean", "profile=smoke", f"records_dir={tmp_path}"]
    key = result_key(to_container(compose(cfg)))
    ckpt = checkpoint_dir(tmp_path, key)
    monkeypatch.setenv("CKPT_MEAN_EXIT_AT", "2")
    with pytest.raises(SystemExit):
        execute(compose(cfg))
    # Interrupted: no record, the checkpoint is kept for the resubmitted job.
    assert not list(iter_records(tmp_path))
    assert json.loads((ckpt / "state.json").read_text())["epoch"] == 2

    monkeypatch.delenv("CKPT_MEAN_EXIT_AT")
    out = execute(compose(cfg))
    assert out["status"] == COMPLETED
    assert out["history"]["starts"] == [0, 2]  # resumed at epoch 2, not from scratch
    assert out["resumed"] is True  # its fit time covers epochs 2-6 only, and says so
    assert out["history"]["loss"] == [1.0 / (e + 1) for e in range(6)]
    assert not ckpt.exists()  # removed once the record is written
    # The checkpoint path is not part of the record's key or config.
    (record,) = list(iter_records(tmp_path))
    assert record.path.name == key and record.config["model"]["checkpoint_dir"] is None
