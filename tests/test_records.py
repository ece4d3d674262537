"""Records are written whole or not at all (keys: tests/test_keys.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from missdiff.records import (
    COMPLETED,
    code_version,
    finished,
    iter_records,
    write_record,
)


def config(**over):
    base = {
        "seed": 0,
        "dataset": {"name": "wine"},
        "model": {"name": "m", "progress": True, "device": "cpu"},
        "records_dir": "a",
        "data_dir": None,
        "logger": {"name": "none"},
    }
    base.update(over)
    return base


class Unserialisable:
    def __str__(self) -> str:
        raise RuntimeError("boom")


def test_a_write_that_fails_leaves_nothing(tmp_path) -> None:
    with pytest.raises(RuntimeError):
        write_record(tmp_path, "k", config(), {"status": COMPLETED, "bad": Unserialisable()})
    assert list(tmp_path.iterdir()) == []
    assert finished(tmp_path, "k") is None


def test_finished_needs_a_final_status(tmp_path) -> None:
    write_record(tmp_path, "k", config(), {"status": "FAILED", "error": "x"})
    assert finished(tmp_path, "k") is None
    write_record(tmp_path, "k", config(), {"status": COMPLETED, "metrics": {"rmse": 0.1}})
    assert finished(tmp_path, "k") is not None
    assert [r.status for r in iter_records(tmp_path)] == [COMPLETED]
    # A folder without metrics.json (e.g. copied half-way) is not a record.
    (tmp_path / "partial").mkdir()
    (tmp_path / "partial" / "config.yaml").write_text("seed: 0\n")
    assert len(list(iter_records(tmp_path))) == 1


def test_code_version_is_dirty_for_code_changes_not_for_results(tmp_path) -> None:
    """Sweeps write records under results/ while they run; only a code change marks a run dirty."""

    def git(*args: str) -> None:
        subprocess.run(["git", "-C", str(tmp_path), *args], check=True, capture_output=True)

    git("init", "-q")
    (tmp_path / "results").mkdir()
    (tmp_path / "results" / "NOTES.md").write_text("a\n")
    (tmp_path / "model.py").write_text("a = 1\n")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    assert code_version(tmp_path)["dirty"] is False
    (tmp_path / "results" / "NOTES.md").write_text("b\n")
    assert code_version(tmp_path)["dirty"] is False
    (tmp_path / "model.py").write_text("a = 2\n")
    assert code_version(tmp_path)["dirty"] is True


def test_a_record_of_one_sweep_is_tagged_for_another_without_running(tmp_path: Path) -> None:
    """Table 1 beside the peers shows the paper's methods from Table 1's records: tagging finds
    them by key (the two sweeps must compose the same job identically) and starts nothing."""
    from missdiff.sweep import composed_jobs, tag_finished

    job = {"dataset": "concrete", "model": "mean_mode", "seed": "0"}
    ((_, config, key),) = list(composed_jobs("table1", "quick", job))
    write_record(tmp_path, key, config, {"status": COMPLETED, "experiments": ["table1"]})
    # seed 1 has no record: tagging must not run it.
    assert tag_finished("table1_peers", "quick", tmp_path, {**job, "seed": "0,1"}) == (2, 1)
    (record,) = list(iter_records(tmp_path))
    assert record.metrics["experiments"] == ["table1", "table1_peers"]
