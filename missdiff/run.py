"""`missdiff-run`: the Hydra application. One job = one run record.

    missdiff-run dataset=wine missingness=mcar_row model=mean_mode evaluator=rmse profile=smoke
    missdiff-run -m experiment=mechanisms profile=quick

Before any work a job's config is validated (missdiff/validate.py): a config that could never
run prints one line naming the fix and writes no record (in a sweep, the sweeper checks every
job before the first starts). A job whose record is already finished is skipped, so a sweep that
is run again resumes. A job that fails writes a FAILED record with the error and the sweep goes
on; a single run then exits 1, a sweep prints its summary and exits 1. Every run prints its
headline metric in one line.

Cluster time limits: under hydra-submitit-launcher each job runs inside submitit, and the
launcher's own `checkpoint` method (resubmit the same callable with the same arguments) is the
hook submitit calls on the pre-timeout signal before requeueing (up to `max_num_timeout` times).
The requeued job composes the same config, so it has the same record key and finds its model's
checkpoint in `<records_dir>/.checkpoints/<key>/`. A job stopped that way (submitit's SystemExit,
Ctrl-C, SIGTERM, SIGKILL) writes no record and keeps its checkpoint; a written record removes it.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import shutil
import signal
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, OmegaConf, open_dict

from missdiff.config import register_configs
from missdiff.errors import ConfigError, MissDiffError, NotApplicableError
from missdiff.loggers import make_logger, run_name, run_tags
from missdiff.records import (
    COMPLETED,
    FAILED,
    NOT_APPLICABLE,
    code_version_at_start,
    finished,
    job_code_version,
    package_versions,
    tag_experiment,
    write_record,
)

log = logging.getLogger("missdiff")
# Inside the package, so an installed wheel finds them wherever it runs.
CONFIG_DIR = str(Path(__file__).resolve().parent / "configs")
# Outcomes a sweep counts besides a record's status; never written into a record.
SKIPPED, CONFIG_ERROR = "SKIPPED", "CONFIG_ERROR"

register_configs()


def _data_dir(cfg: DictConfig) -> str | None:
    return cfg.data_dir or os.environ.get("MISSDIFF_DATA_DIR") or None


def checkpoint_dir(records_dir: Path, key: str) -> Path:
    """Where a run's model keeps its training checkpoint: a dot-folder, so the records reader never
    takes it for a record. Absolute, so a resubmitted job finds it whatever its working folder."""
    return records_dir.resolve() / ".checkpoints" / key


def resolve_threads(threads: int | None) -> int:
    """torch intra-op threads of a run: `null` means one. Measured on a 2-core machine (README,
    "Threads"): one thread per job with a job per core beats two threads per job, and a lone run
    gains little from a second thread with this model's small matrices."""
    return 1 if threads is None else int(threads)


def resolve_progress(progress: bool | None) -> bool:
    """Progress bars: as asked, else on when stderr is a terminal (off in logs and CI)."""
    return sys.stderr.isatty() if progress is None else bool(progress)


def run_config(cfg: DictConfig) -> tuple[dict[str, Any], str]:
    """The resolved config as its record stores it, and its record key (missdiff/keys.py)."""
    from missdiff.data.datasets import dataset_identity
    from missdiff.keys import result_key

    config: dict[str, Any] = OmegaConf.to_container(cfg, resolve=True)  # type: ignore[assignment]
    identity = dataset_identity(cfg.dataset, _data_dir(cfg))
    if identity is not None:
        config["data_identity"] = identity
    return config, result_key(config)


def execute(
    cfg: DictConfig, overrides: list[str] | None = None, output_dir: str | Path | None = None
) -> dict[str, Any]:
    """Run one job unless its record is finished; always leave a complete record behind.

    Raises ConfigError (and writes nothing) for a config that could never run. `output_dir` is
    the Hydra job folder; a wandb logger writes its offline run there. Returns the record (a
    finished one that was skipped has `skipped: True`).
    """
    from missdiff.pipeline import run_pipeline
    from missdiff.validate import validate_run

    validate_run(cfg)
    config, key = run_config(cfg)
    records_dir = Path(cfg.records_dir)
    ckpt = checkpoint_dir(records_dir, key)
    done = finished(records_dir, key, config)
    if done is not None:
        log.info("skip %s: finished record at %s", key, done.path)
        tag_experiment(done, cfg.experiment)
        shutil.rmtree(ckpt, ignore_errors=True)  # left by a copy of this job that finished first
        return {**done.metrics, "skipped": True, "path": str(done.path)}

    from missdiff.device import describe_host, resolve_device

    device = resolve_device(cfg.device)
    threads = resolve_threads(cfg.threads)
    import torch  # every model that trains uses torch; the thread count must be set first

    torch.set_num_threads(threads)
    # The runtime settings reach every model whose config has them, listed in its YAML or not
    # (the YAMLs leave runtime fields out; the schema's default would otherwise apply).
    from missdiff.registry import config_schema

    fields = {f.name for f in dataclasses.fields(config_schema("model", cfg.model.name))}
    with open_dict(cfg):
        if "device" in fields:
            cfg.model.device = device
        if "progress" in fields:
            cfg.model.progress = resolve_progress(cfg.progress)
        # A library baseline's thread cap (XGBoost, LightGBM, joblib workers) is the run's: the
        # record's `threads` must be what the run used, so a multi-thread cell says so.
        if "threads" in fields:
            cfg.model.threads = threads
        # A model that checkpoints gets a folder keyed by the run, so that a job resubmitted
        # after a time limit, a preemption or a kill resumes where it stopped.
        if "checkpoint_dir" in fields and cfg.model.get("checkpoint_dir") is None:
            cfg.model.checkpoint_dir = str(ckpt)
    started = time.time()
    record: dict[str, Any] = {
        "key": key,
        "experiments": [cfg.experiment],
        "overrides": overrides or [],
        "device": device,
        "threads": threads,
        "code": job_code_version(),
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "host": describe_host(device),
        "started": started,
    }
    if ckpt.is_dir() and any(ckpt.iterdir()):
        # Training began in an earlier, interrupted process: this record's fit time covers only
        # the rest, so a reader of its timings must know.
        record["resumed"] = True
    run_logger = make_logger(cfg.logger, output_dir)
    # Anything that escapes below (submitit's requeue exit, Ctrl-C, SIGTERM) leaves no record: the
    # run is interrupted, its checkpoint stays, and the dashboard run is closed as preempted.
    exit_code, interrupted = 1, True
    try:
        name, tags = run_name(config), run_tags(config)
        run_logger.start({**config, "record_key": key}, name, cfg.experiment, tags)
        if (dashboard := run_logger.reference()) is not None:
            record["dashboard"] = dashboard
        try:
            result = run_pipeline(cfg, _data_dir(cfg))
            record.update(status=COMPLETED, metrics=result.metrics, timings=result.timings)
            record.update(result.info)
        except ConfigError:
            # The data showed the config can never run (e.g. a target that is not a column):
            # no record, as for a config error found before the run.
            interrupted = False
            raise
        except NotApplicableError as err:
            record.update(status=NOT_APPLICABLE, error=str(err))
        except MissDiffError as err:
            record.update(status=FAILED, error=str(err), error_type="MissDiffError")
        except Exception as err:  # recorded, never hidden: the sweep goes on
            record.update(
                status=FAILED,
                error=f"{type(err).__name__}: {err}",
                error_type=type(err).__name__,
                traceback=traceback.format_exc(),
            )
            log.exception("run %s failed", key)
        record["wall_time"] = time.time() - started
        path = write_record(records_dir, key, config, record)
        record["path"] = str(path)
        # Once a record is written the run is over: a FAILED one is retried from scratch, so its
        # retry gives the same numbers as a fresh run.
        shutil.rmtree(ckpt, ignore_errors=True)
        interrupted = False
        exit_code = 1 if record["status"] == FAILED else 0
        # The dashboard is a view of the record just written.
        run_logger.log_history(record.get("history") or {})
        run_logger.log_summary(summary_of(record))
    finally:
        run_logger.finish(exit_code, interrupted=interrupted)
    return record


def summary_of(record: dict[str, Any]) -> dict[str, Any]:
    """What a dashboard run shows as its final values: metrics, status, sizes, times, device."""
    summary: dict[str, Any] = {"status": record["status"], "record_key": record["key"]}
    summary.update(record.get("metrics") or {})
    summary.update({f"time/{k}": v for k, v in (record.get("timings") or {}).items()})
    for name in ("wall_time", "device", "n_train", "n_test", "missing_rate_train", "error"):
        if name in record:
            summary[name] = record[name]
    return summary


def job_label(cfg: DictConfig | dict[str, Any]) -> str:
    """dataset[/variant] mechanism@ratio model seed=S profile=P: which run a line is about."""
    ds, miss = cfg["dataset"], cfg["missingness"]
    dataset = ds["name"] if ds["variant"] == "default" else f"{ds['name']}/{ds['variant']}"
    mechanism = miss["name"] if miss["name"] == "none" else f"{miss['name']}@{miss['ratio']:g}"
    return (
        f"{dataset} {mechanism} {cfg['model']['name']} {cfg['evaluator']['name']} "
        f"seed={cfg['seed']} profile={cfg['profile']['name']}"
    )


def headline(record: dict[str, Any], label: str) -> str:
    """One line per run: what ran, its status, its headline metric, its time and record."""
    status = "SKIPPED (finished record)" if record.get("skipped") else record.get("status")
    line = f"missdiff-run: {label}: {status}"
    metric = record.get("primary_metric")
    value = (record.get("metrics") or {}).get(metric)
    if record.get("status") == COMPLETED and value is not None:
        line += f" {metric}={value:.4f}"
    elif record.get("error"):
        line += f": {record['error']}"
    if not record.get("skipped") and "wall_time" in record:
        line += f" ({record['wall_time']:.1f} s)"
    return line + f" -> {record.get('path', '')}"


def fail(message: str, code: int) -> None:
    print(f"missdiff-run: error: {message}", file=sys.stderr)
    sys.exit(code)


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def app(cfg: DictConfig) -> dict[str, Any]:
    """One job. In a sweep, the returned outcome feeds the sweeper's summary."""
    from missdiff.registry import RegistryError

    hc = HydraConfig.get()
    single = hc.mode == RunMode.RUN
    label = job_label(cfg)
    try:
        record = execute(cfg, list(hc.overrides.task), hc.runtime.output_dir)
    except (ConfigError, RegistryError) as err:
        if single:
            fail(str(err), 2)
        print(f"missdiff-run: {label}: config error: {err}", file=sys.stderr)
        return {"status": CONFIG_ERROR, "label": label, "error": str(err)}
    print(headline(record, label), flush=True)
    if record.get("status") == FAILED and single:
        sys.exit(1)
    status = SKIPPED if record.get("skipped") else record.get("status")
    return {"status": status, "label": label, "error": record.get("error", "")}


class Terminated(KeyboardInterrupt):
    """SIGTERM, raised where the main thread stands, so that it unwinds as Ctrl-C does."""


def _stop_on_sigterm(signum: int, frame: Any) -> None:
    # Python's default for SIGTERM ends the process at once: worker processes of a library
    # baseline (ForestDiffusion's loky workers) then outlived it and fitted on for tens of
    # seconds (session 24). Unwinding instead lets joblib kill them (it aborts its workers on any
    # BaseException), and the run ends as an interrupted one: no record, checkpoint kept.
    raise Terminated


def main() -> None:
    code_version_at_start()  # before the sweep: the commit of the code this process imports
    # Only this launching process: a submitit job runs in its own process with its own handlers.
    signal.signal(signal.SIGTERM, _stop_on_sigterm)
    try:
        app()
    except KeyboardInterrupt as stop:
        what = "stopped (SIGTERM)" if isinstance(stop, Terminated) else "interrupted"
        print(
            f"missdiff-run: {what}; no record was written and any training checkpoint is "
            "kept under <records_dir>/.checkpoints: run the same command again to resume",
            file=sys.stderr,
        )
        sys.exit(128 + signal.SIGTERM if isinstance(stop, Terminated) else 130)


if __name__ == "__main__":
    main()
