"""logger=wandb in offline mode: runs land in predictable folders with their summary and curves.

Nothing is written outside tmp: HOME and every wandb folder variable point into it. Offline runs
keep no JSON summary file, so the `.wandb` transaction log is read with wandb's own protobuf
messages.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from missdiff.records import COMPLETED, FAILED, iter_records
from missdiff.run import checkpoint_dir, execute
from tests.conftest import compose


def wandb_env(root: Path) -> dict[str, str]:
    """Environment that keeps wandb (and anything else using HOME) inside `root`."""
    env = {
        "HOME": root / "home",
        "WANDB_CACHE_DIR": root / "wandb_cache",  # debug logs of wandb-core
        "WANDB_CONFIG_DIR": root / "wandb_config",
        "WANDB_DATA_DIR": root / "wandb_data",  # staged table artifacts
    }
    for path in env.values():
        path.mkdir(parents=True, exist_ok=True)
    return {**{k: str(v) for k, v in env.items()}, "WANDB_SILENT": "true"}


def read_wandb_log(path: Path) -> list[Any]:
    """Records of an offline run's `run-<id>.wandb` file (a LevelDB-style log of 32 KiB blocks,
    7-byte chunk headers: crc32, little-endian length, type; after a 7-byte file header)."""
    from wandb.proto import wandb_internal_pb2

    data = path.read_bytes()
    assert data[:4] == b":W&B"
    pos, chunk, records = 7, b"", []
    while pos + 7 <= len(data):
        left = 32768 - pos % 32768
        if left < 7:  # block trailer padding
            pos += left
            continue
        length, kind = int.from_bytes(data[pos + 4 : pos + 6], "little"), data[pos + 6]
        chunk += data[pos + 7 : pos + 7 + length]
        pos += 7 + length
        if kind in (1, 4):  # FULL or LAST chunk: one complete record
            record = wandb_internal_pb2.Record()
            record.ParseFromString(chunk)
            records.append(record)
            chunk = b""
    return records


def offline_run(run_dir: Path) -> dict[str, Any]:
    """Run info, summary, history rows and exit code of one offline run folder."""
    (log_file,) = run_dir.glob("run-*.wandb")
    out: dict[str, Any] = {"summary": {}, "history": [], "exit_code": None, "preempting": False}
    for rec in read_wandb_log(log_file):
        kind = rec.WhichOneof("record_type")
        if kind == "run":
            out.update(project=rec.run.project, group=rec.run.run_group, tags=list(rec.run.tags))
            out["config"] = {i.key: json.loads(i.value_json) for i in rec.run.config.update}
        elif kind == "summary":
            for item in rec.summary.update:
                key = item.key or "/".join(item.nested_key)
                out["summary"][key] = json.loads(item.value_json)
        elif kind == "history":
            row = {item.key or "/".join(item.nested_key): json.loads(item.value_json)
                   for item in rec.history.item}  # fmt: skip
            out["history"].append(row)
        elif kind == "exit":
            out["exit_code"] = rec.exit.exit_code
        elif kind == "preempting":
            out["preempting"] = True
    return out


def offline_runs(folder: Path) -> list[Path]:
    return sorted(folder.glob("**/wandb/offline-run-*"))


def test_sweep_offline_runs_hold_summary_and_close_on_failure(tmp_path, data_dir) -> None:
    env = {**os.environ, **wandb_env(tmp_path), "MISSDIFF_DATA_DIR": str(data_dir)}
    env.pop("WANDB_DIR", None)
    env.pop("WANDB_MODE", None)  # the mode comes from the config, not the environment
    records, sweep = tmp_path / "runs", tmp_path / "sweep"
    # One good run and one that fails (every entry of a column hidden), in two joblib worker
    # processes: workers are reused and never run atexit hooks, so each run must be closed and
    # flushed by the runner.
    args = ["-m", "hydra/launcher=joblib", "hydra.launcher.n_jobs=2", "dataset=wine",
            "missingness=mcar_column", "missingness.ratio=0.3,0.999",
            "profile=smoke", "logger=wandb", "seed=3", f"records_dir={records}",
            f"hydra.sweep.dir={sweep}"]  # fmt: skip
    proc = subprocess.run(
        [sys.executable, "-m", "missdiff.run", *args],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    # A sweep with a failed job ends with its summary and exits 1.
    assert proc.returncode == 1, proc.stderr[-3000:]
    assert "sweep of 2 jobs done: 1 completed, 1 failed" in proc.stderr
    assert "Joblib.Parallel(n_jobs=2" in proc.stdout + proc.stderr
    by_status = {r.status: r for r in iter_records(records)}
    assert set(by_status) == {COMPLETED, FAILED}

    # Each job's offline run lies in its Hydra job folder, nowhere else.
    runs = offline_runs(tmp_path)
    assert {p.parent.parent for p in runs} == {sweep / "0", sweep / "1"}
    assert not list((tmp_path / "home").rglob("offline-run-*"))
    seen = {}
    for run_dir in runs:
        info = offline_run(run_dir)
        seen[info["summary"]["status"]] = info
        assert info["project"] == "missdiff" and info["group"] == "adhoc"
        assert info["config"]["logger"] == {
            "name": "wandb", "project": "missdiff", "mode": "offline", "entity": None,
        }  # fmt: skip
        assert {"missingness=mcar_column", "model=mean_mode", "seed=3"} <= set(info["tags"])
        assert any(tag.startswith("dataset=wine") for tag in info["tags"])
    done, failed = seen[COMPLETED], seen[FAILED]
    record = by_status[COMPLETED]
    assert done["summary"]["rmse"] == pytest.approx(record.metrics["metrics"]["rmse"])
    assert done["summary"]["record_key"] == record.path.name
    assert done["config"]["record_key"] == record.path.name
    assert record.metrics["dashboard"]["dir"].startswith(str(sweep / "0"))
    assert "ratio=0.3" in done["tags"] and done["exit_code"] == 0
    # The failed run is finished too, marked failed, with the recorded error in its summary.
    assert failed["exit_code"] == 1
    assert "ratio" in failed["summary"]["error"]

    # A finished run is skipped and opens no new wandb run.
    single = [a for a in args[1:] if not a.startswith(("hydra", "missingness.ratio"))]
    again = execute(compose([*single, "missingness.ratio=0.3"]))
    assert again["started"] == record.metrics["started"]
    assert len(offline_runs(tmp_path)) == len(runs)


@pytest.fixture
def wandb_in_process(tmp_path, monkeypatch):
    for key, value in wandb_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("WANDB_DIR", str(tmp_path / "wandb_dir"))
    monkeypatch.delenv("WANDB_MODE", raising=False)
    yield tmp_path / "wandb_dir"
    import wandb

    wandb.teardown()  # stop wandb's service process before HOME goes away


def test_training_curves_summary_and_interruption(wandb_in_process, tmp_path, monkeypatch) -> None:
    import missdiff.pipeline
    from missdiff.pipeline import RunResult

    def fake_pipeline(cfg, data_dir):
        return RunResult({"rmse": 0.25}, {"fit": 1.0}, {"history": {"loss": [3.0, 2.0, 1.5]}})

    def interrupted(cfg, data_dir):
        # What submitit's signal handler does on a time limit: exit from inside the run.
        raise SystemExit(-1)

    base = ["dataset=wine", "profile=smoke", "logger=wandb", f"records_dir={tmp_path / 'runs'}"]
    monkeypatch.setattr(missdiff.pipeline, "run_pipeline", interrupted)
    with pytest.raises(SystemExit):
        execute(compose([*base, "seed=1"]))
    assert not list(iter_records(tmp_path / "runs"))  # interrupted: no record at all
    (run_dir,) = offline_runs(wandb_in_process)
    info = offline_run(run_dir)
    assert info["exit_code"] == 1 and info["preempting"]

    monkeypatch.setattr(missdiff.pipeline, "run_pipeline", fake_pipeline)
    out = execute(compose([*base, "seed=2", "logger.project=curves"]))
    assert out["status"] == COMPLETED
    (run_dir,) = [p for p in offline_runs(wandb_in_process) if p != run_dir]
    info = offline_run(run_dir)
    assert info["project"] == "curves" and info["exit_code"] == 0
    curve = [(row["epoch"], row["train/loss"]) for row in info["history"] if "train/loss" in row]
    assert curve == [(0, 3.0), (1, 2.0), (2, 1.5)]
    assert info["summary"]["rmse"] == 0.25 and info["summary"]["time/fit"] == 1.0
    assert info["summary"]["device"] == out["device"]
    assert not checkpoint_dir(tmp_path / "runs", out["key"]).exists()


def test_report_logs_rebuilt_tables(wandb_in_process, tmp_path, data_dir) -> None:
    from missdiff.report.cli import main as report_main

    records = tmp_path / "runs"
    execute(compose(["dataset=wine", "profile=smoke", f"records_dir={records}"]))
    assert report_main(["--records", str(records), "--out", str(tmp_path / "t"), "--wandb"]) == 0
    (run_dir,) = offline_runs(wandb_in_process)
    info = offline_run(run_dir)
    assert info["group"] == "adhoc" and info["exit_code"] == 0
    (table_file,) = run_dir.glob("files/media/table/*.table.json")
    table = json.loads(table_file.read_text())
    assert "mean" in table["columns"] and len(table["data"]) == 1
