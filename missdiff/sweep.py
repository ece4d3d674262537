"""What a sweep knows before and after its jobs run: the checks, the plan and the summary.

Used by the sweeper of `missdiff-run -m` (hydra_plugins/missdiff_sweeper) and by
scripts/sweep_budget.py:
- `check_jobs`: every job's composed config validated before the first job starts; each bad
  job gets its one line, and a sweep with any runs nothing;
- `Costs`: the single-thread time of a pending job, estimated as the median of completed records
  of the same dataset, model, evaluator and profile (any mechanism, seed or experiment), each
  record's wall time times the threads it ran on;
- `plan_text` and `summary_text`: printed when a sweep starts and when it ends;
- `deferral_text`: why a sweep over its `max_sweep_minutes` is not started, and how to run it;
- `tag_finished`: tags the finished records of a sweep's jobs with its experiment without running
  anything (scripts/tag_records.py), so a table shows a record another sweep made;
- `add_sweep_arguments` / `chosen_sweeps`: the sweeps, profile and records folder that the scripts
  over sweeps take on their command line.
"""

from __future__ import annotations

import argparse
import itertools
import json
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from omegaconf import DictConfig, OmegaConf, open_dict

from missdiff.records import (
    COMPLETED,
    FAILED,
    FINAL_STATUSES,
    finished,
    iter_records,
    run_seconds,
    tag_experiment,
)

SWEEPS = Path(__file__).resolve().parent / "configs" / "experiment"


def add_sweep_arguments(parser: argparse.ArgumentParser) -> None:
    """The arguments of a script over sweeps: sweep names (default: all), profile, records."""
    parser.add_argument(
        "sweeps", nargs="*", help="missdiff/configs/experiment/<name>.yaml (default: all)"
    )
    parser.add_argument("--profile", default="quick")
    parser.add_argument("--records", default="results/runs")


def chosen_sweeps(parser: argparse.ArgumentParser, names: Sequence[str]) -> list[str]:
    """`names`, or every sweep when none is given; an unknown name is a one-line usage error."""
    known = sorted(p.stem for p in SWEEPS.glob("*.yaml"))
    unknown = [s for s in names if s not in known]
    if unknown:
        parser.error(f"unknown sweep {', '.join(unknown)}: choose from {', '.join(known)}")
    return list(names) or known


def sweep_jobs(sweep: str, overrides: dict[str, str] | None = None) -> list[list[str]]:
    """The override lists `missdiff-run -m experiment=<sweep>` launches (the product of its
    `hydra.sweeper.params`, in the basic sweeper's order); `overrides` replace swept keys."""
    params = OmegaConf.load(SWEEPS / f"{sweep}.yaml").hydra.sweeper.params
    axes = {key: str(value).split(",") for key, value in params.items()}
    for key, value in (overrides or {}).items():
        axes[key] = value.split(",")
    keys = list(axes)
    return [
        [f"{k}={v}" for k, v in zip(keys, combo, strict=True)]
        for combo in itertools.product(*(axes[k] for k in keys))
    ]


def composed_jobs(
    sweep: str, profile: str, overrides: dict[str, str] | None = None
) -> Iterator[tuple[list[str], dict[str, Any], str]]:
    """(job overrides, resolved config, record key) of every job of a sweep at a profile, composed
    as `missdiff-run -m experiment=<sweep> profile=<profile>` composes them."""
    from hydra import compose, initialize_config_dir

    from missdiff.config import register_configs
    from missdiff.run import CONFIG_DIR, run_config

    register_configs()
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        for job in sweep_jobs(sweep, overrides):
            cfg = compose("config", [f"experiment={sweep}", f"profile={profile}", *job])
            config, key = run_config(cfg)
            yield job, config, key


def tag_finished(
    sweep: str, profile: str, records_dir: Path, overrides: dict[str, str] | None = None
) -> tuple[int, int]:
    """Tag the finished records of a sweep's jobs with the sweep's experiment, as running the
    sweep would when it skips them, but without starting the jobs that have none. A table
    selects its records by tag, so a record made by another sweep (Table 1's MissDiff runs, for
    Table 1 beside the peers) shows there only once tagged. Returns (jobs, finished records)."""
    experiment = str(OmegaConf.load(SWEEPS / f"{sweep}.yaml").experiment)
    jobs = found = 0
    for _, config, key in composed_jobs(sweep, profile, overrides):
        jobs += 1
        record = finished(records_dir, key, config)
        if record is not None:
            tag_experiment(record, experiment)
            found += 1
    return jobs, found


def cell_of(config: dict[str, Any]) -> str:
    """What a table cell's run is, whatever its sizes: data, mechanism, model, evaluator, seed
    and profile name. Two records of one cell with different keys ran different budgets. The
    data and mechanism enter without their fields at schema defaults (missdiff/keys.py), so a
    record written before a defaulted field was added still finds its cell."""
    from missdiff.keys import result_identity

    ident = result_identity(config)
    return json.dumps([ident["dataset"], ident["missingness"], config["model"]["name"],
                       config["evaluator"]["name"], config["seed"],
                       config["profile"]["name"]], sort_keys=True, default=str)  # fmt: skip


@dataclass
class Job:
    """One job of a sweep, as composed before it runs."""

    overrides: list[str]
    config: dict[str, Any] = field(default_factory=dict)
    key: str = ""
    status: str | None = None  # its record's status, None when it has no record
    error: str = ""  # a config error: the job cannot run


def cost_key(config: dict[str, Any]) -> tuple[str, ...]:
    """Runs whose wall times are comparable: same data, model, evaluator and sizes."""
    ds = config["dataset"]
    dataset = (
        ds["name"]
        if ds.get("variant", "default") == "default"
        else (f"{ds['name']}/{ds['variant']}")
    )
    if ds.get("all_continuous"):
        dataset += " (all numeric)"
    return (dataset, str(config["model"]["name"]), str(config["evaluator"]["name"]),
            str(config["profile"]["name"]))  # fmt: skip


@dataclass
class Costs:
    """Median single-thread minutes of finished records per `cost_key`, and each record's own.

    A record's single-thread time is its wall time times the threads it ran on: an upper bound
    (no run gains more than its thread count from threads), close for ForestDiffusion's parallel
    fits, which a two-thread Libras record would otherwise price at half."""

    minutes: dict[tuple[str, ...], float]
    spent_of: dict[str, float]  # each finished record's single-thread seconds
    status_of: dict[str, str]

    @classmethod
    def from_records(cls, records_dir: Path) -> Costs:
        seconds: dict[tuple[str, ...], list[float]] = defaultdict(list)
        spent_of, status_of = {}, {}
        for rec in iter_records(records_dir):
            status_of[rec.path.name] = rec.status
            wall = rec.metrics.get("wall_time")
            # A superseded record ran at an old budget: its time says nothing of today's job.
            current = "superseded" not in rec.metrics
            if rec.status in FINAL_STATUSES and wall is not None and current:
                threads = int(rec.metrics.get("threads") or 1)
                cost = run_seconds(rec.metrics)
                # Spent: at least what the process that finished it cost.
                spent_of[rec.path.name] = threads * (float(wall) if cost is None else cost)
                # A not-applicable run stops before training (e.g. Diff-delete with no complete
                # row): its 0.1 s would price an applicable job of the same model at nothing; a
                # resumed run's cost is unknown unless its model logged the earlier part.
                if rec.status == COMPLETED and cost is not None:
                    seconds[cost_key(rec.config)].append(threads * cost)
        minutes = {k: statistics.median(v) / 60 for k, v in seconds.items()}
        return cls(minutes, spent_of, status_of)

    def estimate(self, config: dict[str, Any]) -> float | None:
        return self.minutes.get(cost_key(config))


def job_config(cfg: DictConfig) -> DictConfig:
    """A composed sweep config as the job sees it (without the `hydra` node)."""
    if "hydra" in cfg:
        with open_dict(cfg):
            del cfg["hydra"]
    return cfg


def check_jobs(configs: Sequence[DictConfig | str], batch: Sequence[Sequence[str]]) -> list[Job]:
    """Validate and key every job; `configs[i]` is a composed config, or the composition error's
    text. Returns the jobs, each with its record status or its config error."""
    from missdiff.errors import ConfigError
    from missdiff.records import read_record
    from missdiff.registry import RegistryError
    from missdiff.run import run_config
    from missdiff.validate import validate_run

    jobs = []
    for cfg, overrides in zip(configs, batch, strict=True):
        job = Job(list(overrides))
        jobs.append(job)
        if isinstance(cfg, str):
            job.error = cfg
            continue
        try:
            validate_run(cfg)
            job.config, job.key = run_config(cfg)
        except (ConfigError, RegistryError) as err:
            job.error = str(err)
            continue
        rec = read_record(Path(cfg.records_dir) / job.key)
        job.status = rec.status if rec is not None else None
    return jobs


def config_errors_text(jobs: Iterable[Job]) -> str:
    bad = [j for j in jobs if j.error]
    lines = [f"{len(bad)} job(s) of this sweep cannot run; nothing was started:"]
    lines += [f"  {' '.join(j.overrides)}: {j.error}" for j in bad]
    return "\n".join(lines)


def pending_estimates(jobs: Sequence[Job], costs: Costs | None) -> tuple[list[Job], list[float]]:
    """The jobs still to run, and the minutes of those that have an estimate."""
    todo = [j for j in jobs if j.status not in FINAL_STATUSES]
    estimates = [costs.estimate(j.config) if costs is not None else None for j in todo]
    return todo, [m for m in estimates if m is not None]


def plan_text(jobs: Sequence[Job], costs: Costs) -> str:
    """How many jobs are finished, how many will run, and an estimate of their time."""
    todo, known = pending_estimates(jobs, costs)
    done = [j for j in jobs if j.status in FINAL_STATUSES]
    retry = sum(j.status == FAILED for j in todo)
    line = f"missdiff-run: sweep of {len(jobs)} jobs: {len(done)} finished (skipped), "
    line += f"{len(todo)} to run" + (f" ({retry} failed before)" if retry else "")
    if known:
        some = f" for {len(known)} of them" if len(known) < len(todo) else ""
        line += f"; about {sum(known) / 60:.1f} single-thread hours{some}"
    if len(known) < len(todo):
        line += f"; no estimate for {len(todo) - len(known)} (no finished record alike)"
    return line


def deferral_text(
    jobs: Sequence[Job], costs: Costs | None, limit_minutes: float | None, command: str
) -> str | None:
    """None when a sweep may start under `max_sweep_minutes` (no limit, nothing pending, or every
    pending job has an estimate and together they fit); else the line saying why it is left
    unstarted and the command that runs it. A job without an estimate never fits: its time is
    unknown, and a budget is a promise about time."""
    if limit_minutes is None:
        return None
    todo, estimates = pending_estimates(jobs, costs)
    known, unknown, minutes = len(estimates), len(todo) - len(estimates), sum(estimates)
    if not todo or (not unknown and minutes <= limit_minutes):
        return None
    need = f"need about {minutes / 60:.1f} single-thread hours" if known else ""
    if known and unknown:
        need += f" for {known} of them"
    if unknown:
        need += (
            (" and " if known else "")
            + f"have no estimate for {unknown}"
            + ("" if known else " (no finished record alike)")
        )
    return (
        f"missdiff-run: sweep not started: its {len(todo)} pending jobs {need}, over"
        f" max_sweep_minutes={max(limit_minutes, 0):g}; run them with: {command}"
    )


def summary_text(outcomes: Sequence[dict[str, Any]]) -> tuple[str, int]:
    """The end-of-sweep summary, and the number of jobs that failed or could not run."""
    counts = Counter(str(o.get("status")) for o in outcomes)
    bad = [o for o in outcomes if o.get("status") in (FAILED, "CONFIG_ERROR")]
    parts = [f"{counts[s]} {label}" for s, label in (
        ("COMPLETED", "completed"), ("NOT_APPLICABLE", "not applicable"),
        ("SKIPPED", "skipped (finished before)"), ("FAILED", "failed"),
        ("CONFIG_ERROR", "config error"),
    ) if counts[s]]  # fmt: skip
    lines = [f"missdiff-run: sweep of {len(outcomes)} jobs done: " + ", ".join(parts)]
    lines += [f"  failed: {o.get('label')}: {o.get('error')}" for o in bad]
    return "\n".join(lines), len(bad)
