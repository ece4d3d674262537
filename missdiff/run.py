"""`missdiff-run`: the Hydra application. One job = one run record.

    missdiff-run dataset=wine missingness=mcar_row model=mean_mode evaluator=rmse profile=smoke
    missdiff-run -m experiment=mechanisms profile=quick

A job whose record is already finished is skipped, so a sweep that is run again resumes. A job
that fails writes a FAILED record with the error and the sweep goes on; a single run then exits 1.

Cluster time limits: under hydra-submitit-launcher each job runs inside submitit, and the
launcher's own `checkpoint` method (resubmit the same callable with the same arguments) is the
hook submitit calls on the pre-timeout signal before requeueing (up to `max_num_timeout` times).
The requeued job composes the same config, so it has the same record key and finds its model's
checkpoint in `<records_dir>/.checkpoints/<key>/`. A job stopped that way (submitit's SystemExit,
Ctrl-C, SIGKILL) writes no record and keeps its checkpoint; a written record removes it.
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import time
import traceback
from pathlib import Path
from typing import Any

import hydra
from hydra.core.hydra_config import HydraConfig
from hydra.types import RunMode
from omegaconf import DictConfig, open_dict

from missdiff.config import register_configs
from missdiff.errors import MissDiffError, NotApplicableError
from missdiff.loggers import make_logger, run_name, run_tags
from missdiff.records import (
    COMPLETED,
    FAILED,
    NOT_APPLICABLE,
    code_version,
    finished,
    package_versions,
    result_key,
    tag_experiment,
    write_record,
)

log = logging.getLogger("missdiff")
CONFIG_DIR = str(Path(__file__).resolve().parents[1] / "configs")

register_configs()


def _data_dir(cfg: DictConfig) -> str | None:
    return cfg.data_dir or os.environ.get("MISSDIFF_DATA_DIR") or None


def checkpoint_dir(records_dir: Path, key: str) -> Path:
    """Where a run's model keeps its training checkpoint: a dot-folder, so the records reader never
    takes it for a record. Absolute, so a resubmitted job finds it whatever its working folder."""
    return records_dir.resolve() / ".checkpoints" / key


def execute(
    cfg: DictConfig, overrides: list[str] | None = None, output_dir: str | Path | None = None
) -> dict[str, Any]:
    """Run one job unless its record is finished; always leave a complete record behind.

    `output_dir` is the Hydra job folder; a wandb logger writes its offline run there.
    """
    from missdiff.pipeline import resolve_device, run_pipeline, to_container

    config = to_container(cfg)
    key = result_key(config)
    records_dir = Path(cfg.records_dir)
    ckpt = checkpoint_dir(records_dir, key)
    done = finished(records_dir, key)
    if done is not None:
        log.info("skip %s: finished record at %s", key, done.path)
        tag_experiment(done, cfg.experiment)
        shutil.rmtree(ckpt, ignore_errors=True)  # left by a copy of this job that finished first
        return done.metrics

    device = resolve_device(cfg.device)
    if cfg.threads is not None:
        import torch  # only a run that asks for a thread count pays for the import here

        torch.set_num_threads(cfg.threads)
    with open_dict(cfg):
        if "device" in cfg.model:
            cfg.model.device = device
        # A model that checkpoints gets a folder keyed by the run, so that a job resubmitted
        # after a time limit, a preemption or a kill resumes where it stopped.
        if "checkpoint_dir" in cfg.model and cfg.model.checkpoint_dir is None:
            cfg.model.checkpoint_dir = str(ckpt)
    started = time.time()
    record: dict[str, Any] = {
        "key": key,
        "experiments": [cfg.experiment],
        "overrides": overrides or [],
        "device": device,
        "threads": cfg.threads,
        "code": code_version(),
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "started": started,
    }
    if ckpt.is_dir() and any(ckpt.iterdir()):
        # Training began in an earlier, interrupted process: this record's fit time covers only
        # the rest, so a reader of its timings must know.
        record["resumed"] = True
    run_logger = make_logger(cfg.logger, output_dir)
    # Anything that escapes below (submitit's requeue exit, Ctrl-C) leaves no record: the run is
    # interrupted, its checkpoint stays, and the dashboard run is closed as preempted.
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
        except NotApplicableError as err:
            record.update(status=NOT_APPLICABLE, error=str(err))
            log.warning("not applicable: %s", err)
        except MissDiffError as err:
            record.update(status=FAILED, error=str(err), error_type="MissDiffError")
            log.error("%s", err)
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
        log.info("%s %s -> %s", record["status"], key, path)
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


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def app(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    record = execute(cfg, list(hc.overrides.task), hc.runtime.output_dir)
    if record.get("status") == FAILED and hc.mode == RunMode.RUN:
        print(f"missdiff-run: error: {record.get('error')}", file=sys.stderr)
        sys.exit(1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
