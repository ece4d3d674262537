"""`missdiff-run`: the Hydra application. One job = one run record.

    missdiff-run dataset=wine missingness=mcar_row model=mean_mode evaluator=rmse profile=smoke
    missdiff-run -m experiment=mechanisms profile=quick

A job whose record is already finished is skipped, so a sweep that is run again resumes. A job
that fails writes a FAILED record with the error and the sweep goes on; a single run then exits 1.
"""

from __future__ import annotations

import logging
import os
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


def execute(cfg: DictConfig, overrides: list[str] | None = None) -> dict[str, Any]:
    """Run one job unless its record is finished; always leave a complete record behind."""
    from missdiff.pipeline import resolve_device, run_pipeline, to_container

    config = to_container(cfg)
    key = result_key(config)
    records_dir = Path(cfg.records_dir)
    done = finished(records_dir, key)
    if done is not None:
        log.info("skip %s: finished record at %s", key, done.path)
        tag_experiment(done, cfg.experiment)
        return done.metrics

    device = resolve_device(cfg.device)
    if "device" in cfg.model:
        with open_dict(cfg):
            cfg.model.device = device
    started = time.time()
    record: dict[str, Any] = {
        "key": key,
        "experiments": [cfg.experiment],
        "overrides": overrides or [],
        "device": device,
        "code": code_version(),
        "packages": package_versions(),
        "python": sys.version.split()[0],
        "started": started,
    }
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
    return record


@hydra.main(version_base="1.3", config_path=CONFIG_DIR, config_name="config")
def app(cfg: DictConfig) -> None:
    hc = HydraConfig.get()
    record = execute(cfg, list(hc.overrides.task))
    if record.get("status") == FAILED and hc.mode == RunMode.RUN:
        print(f"missdiff-run: error: {record.get('error')}", file=sys.stderr)
        sys.exit(1)


def main() -> None:
    app()


if __name__ == "__main__":
    main()
