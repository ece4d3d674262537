"""Run records: one folder per result-relevant config, written atomically.

`<records_dir>/<key>/config.yaml` (the resolved config) and `metrics.json` (status, metrics, wall
times, git commit, package versions). The key names what can change the result
(missdiff/keys.py), so a sweep that is run again finds its finished runs and skips them. A
record is first written into a temporary folder and renamed into place, so a killed run never
leaves a folder that reads as finished.

Statuses: COMPLETED and NOT_APPLICABLE (e.g. row deletion left no row: a "-" cell) are final and
never recomputed; FAILED records the error and is retried when the sweep runs again.
"""

from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

import yaml

from missdiff.errors import ConfigError
from missdiff.files import atomic_write_text
from missdiff.keys import result_differences

COMPLETED, FAILED, NOT_APPLICABLE = "COMPLETED", "FAILED", "NOT_APPLICABLE"
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML was built with it
FINAL_STATUSES = (COMPLETED, NOT_APPLICABLE)

PACKAGES = (
    "torch", "numpy", "pandas", "scikit-learn", "hydra-core", "omegaconf", "sdmetrics",
    "xgboost-cpu", "xgboost", "hyperimpute", "wandb",
)  # fmt: skip


@dataclass
class Record:
    path: Path
    config: dict[str, Any]
    metrics: dict[str, Any] = field(default_factory=dict)

    @property
    def status(self) -> str:
        return str(self.metrics.get("status", FAILED))


def run_seconds(metrics: dict[str, Any]) -> float | None:
    """What a run cost in wall seconds, or None where that is not known. A run resumed from a
    checkpoint timed only what was left, unless its model logged the earlier processes' fitting
    (ForestDiffusion's `fit_before_resume`); an older record without a wall time says nothing."""
    wall = metrics.get("wall_time")
    before = (metrics.get("timings") or {}).get("fit_before_resume")
    if wall is None or (metrics.get("resumed") and before is None):
        return None
    return float(wall) + float(before or 0.0)


def read_record(path: Path) -> Record | None:
    """The record in `path`, or None if it is absent or incomplete."""
    try:
        # libyaml's safe loader: the same documents, about 10x faster than the pure-Python one
        # (a sweep's cost estimate reads every record).
        config = yaml.load((path / "config.yaml").read_text(), Loader=SAFE_LOADER)
        metrics = json.loads((path / "metrics.json").read_text())
    except (FileNotFoundError, json.JSONDecodeError, yaml.YAMLError):
        return None
    return Record(path, config, metrics)


class StaleRecordError(ConfigError):
    """A finished record under a run's key was made with other result-relevant values: a schema
    default changed since, so the key no longer names one result."""


def finished(records_dir: Path, key: str, config: dict[str, Any] | None = None) -> Record | None:
    """The finished (COMPLETED or NOT_APPLICABLE) record under `key`, else None. With the new
    run's `config`, a record that differs from it in a result-relevant field is an error, never
    a silent reuse (missdiff/keys.py: this happens only after a schema default changed)."""
    rec = read_record(records_dir / key)
    if rec is None or rec.status not in FINAL_STATUSES:
        return None
    if config is not None and (diffs := result_differences(rec.config, config)):
        raise StaleRecordError(
            f"record {rec.path} has this run's key but was made with {'; '.join(diffs[:3])}: a "
            "schema default changed; re-key the records with scripts/rekey_records.py"
        )
    return rec


def tag_experiment(record: Record, experiment: str) -> None:
    """Add `experiment` to a finished record's tags: one run can serve several tables."""
    tags = list(record.metrics.get("experiments", []))
    if experiment in tags:
        return
    record.metrics["experiments"] = [*tags, experiment]
    rewrite_metrics(record)


def rewrite_metrics(record: Record) -> None:
    """Write a finished record's (changed) metrics.json back, atomically."""
    atomic_write_text(record.path / "metrics.json", _metrics_json(record.metrics))


def _metrics_json(metrics: dict[str, Any]) -> str:
    return json.dumps(metrics, indent=2, default=_jsonable) + "\n"


def write_record(records_dir: Path, key: str, config: dict[str, Any], metrics: dict) -> Path:
    """Write config.yaml + metrics.json into `<records_dir>/<key>` atomically."""
    records_dir.mkdir(parents=True, exist_ok=True)
    final = records_dir / key
    tmp = Path(tempfile.mkdtemp(prefix=f".tmp-{key}-", dir=records_dir))
    try:
        (tmp / "config.yaml").write_text(yaml.safe_dump(config, sort_keys=False))
        (tmp / "metrics.json").write_text(_metrics_json(metrics))
        if final.exists():
            # Only a FAILED record is ever replaced; move it aside first so rename is atomic.
            old = Path(tempfile.mkdtemp(prefix=f".old-{key}-", dir=records_dir))
            os.replace(final, old / key)
            os.replace(tmp, final)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(tmp, final)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)
    return final


def iter_records(records_dir: Path, unreadable: list[Path] | None = None) -> Iterator[Record]:
    """Every complete record under `records_dir` (temporary dot-folders are skipped). A folder
    whose config.yaml or metrics.json is missing or corrupt is not a record: its path is
    appended to `unreadable` when given, so a reader can name it."""
    if not records_dir.is_dir():
        return
    for path in sorted(records_dir.iterdir()):
        if path.is_dir() and not path.name.startswith("."):
            rec = read_record(path)
            if rec is not None:
                yield rec
            elif unreadable is not None:
                unreadable.append(path)


def code_version(root: Path | None = None) -> dict[str, Any]:
    """Git commit of the code that ran (the checkout at `root`, default: this package's), and
    whether it had uncommitted changes outside results/."""
    root = root if root is not None else Path(__file__).resolve().parents[1]

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args], cwd=root, capture_output=True, text=True, timeout=10, check=True
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip()

    # Only code counts: the records and tables under results/ change while sweeps run.
    status = git("status", "--porcelain", "--untracked-files=no", "--", ".", ":(exclude)results")
    return {
        "commit": git("rev-parse", "HEAD"),
        "dirty": bool(status) if status is not None else None,
    }


@functools.cache
def code_version_at_start() -> dict[str, Any]:
    """`code_version()` read once per process: the commit of the code this process imported.

    A sweep keeps the modules it imported for hours while the checkout moves on (a commit made
    during a long sweep); reading the commit per job would credit later jobs to code they did not
    run. `missdiff-run` reads it before its first job; a launcher's worker process on its first.
    """
    return code_version()


def job_code_version() -> dict[str, Any]:
    """What a record says about its code: the commit its process started on (see above) and,
    when the checkout has moved since, `checkout_at_job` (the checkout's commit and state at the
    job's start): such a job ran the start's code, except for modules first imported after the
    move (a model's module is imported when a job first asks for that model)."""
    start, now = code_version_at_start(), code_version()
    return start if now == start else {**start, "checkout_at_job": now}


def package_versions() -> dict[str, str]:
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions


def _jsonable(value: Any) -> Any:
    if hasattr(value, "item"):
        return value.item()
    return str(value)
