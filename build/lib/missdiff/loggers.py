"""Run loggers: a dashboard view of a run. The run records stay the source of every table.

`make_logger(cfg.logger, output_dir)` gives a `NoneLogger` (logger=none, the tests' choice) or a
`WandbLogger` (logger=wandb). The runner calls `start` before the pipeline, `log_history` and
`log_summary` once the record is written, and `finish` in a `finally`, so a wandb run is always
closed, also when the run fails or is interrupted.

Where wandb writes: `$WANDB_DIR` when set, else the Hydra job's output folder
(`<sweep dir>/<job num>/wandb/offline-run-*` for a multirun, `outputs/<date>/<time>/wandb/...` for a
single run), else the current folder. wandb also writes debug logs under `$WANDB_CACHE_DIR`
(default ~/.cache/wandb) and stages table artifacts under `$WANDB_DATA_DIR` (default
~/.local/share/wandb); set those variables to keep it elsewhere. Offline runs are uploaded later
with `wandb sync <offline-run folder>...`.

A logger never changes a run's outcome: wandb errors are logged and swallowed, because the record
on disk, not the dashboard, is what the tables are built from.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from omegaconf import DictConfig

if TYPE_CHECKING:
    import pandas as pd

log = logging.getLogger("missdiff")

MODES = ("offline", "online", "disabled")


class RunLogger:
    """Interface of a run logger; this base class logs nothing (logger=none)."""

    def start(self, config: dict[str, Any], name: str, group: str, tags: list[str]) -> None:
        """Open a dashboard run for one job."""

    def reference(self) -> dict[str, str] | None:
        """Where the dashboard run lives (stored in the run record), or None."""
        return None

    def log_history(self, history: dict[str, list[float]]) -> None:
        """Per-epoch training curves, one point per epoch (step = epoch)."""

    def log_summary(self, metrics: dict[str, Any]) -> None:
        """Final values shown in the run's summary."""

    def log_table(self, name: str, frame: pd.DataFrame) -> None:
        """A table (e.g. a rebuilt paper table) attached to the run."""

    def finish(self, exit_code: int = 0, interrupted: bool = False) -> None:
        """Close the run; exit_code != 0 marks it failed, `interrupted` marks it preempted."""


class NoneLogger(RunLogger):
    """logger=none: no dashboard."""


class WandbLogger(RunLogger):
    """logger=wandb. wandb is imported only here, when a run asks for it."""

    def __init__(
        self,
        project: str = "missdiff",
        mode: str = "offline",
        entity: str | None = None,
        output_dir: str | Path | None = None,
        job_type: str = "train",
    ) -> None:
        if mode not in MODES:
            raise ValueError(f"logger.mode must be one of {MODES}, got {mode!r}")
        self.project = project
        self.mode = mode
        self.entity = entity
        self.job_type = job_type
        self.dir = wandb_dir(output_dir)
        self.run: Any = None

    def start(self, config: dict[str, Any], name: str, group: str, tags: list[str]) -> None:
        try:
            import wandb

            if self.dir is not None:
                self.dir.mkdir(parents=True, exist_ok=True)
            self.run = wandb.init(
                project=self.project,
                entity=self.entity,
                # The mode is passed explicitly so that WANDB_MODE is not needed.
                mode=self.mode,
                dir=None if self.dir is None else str(self.dir),
                name=name,
                group=group,
                tags=[t[:64] for t in tags],  # wandb rejects tags longer than 64 characters
                config=config,
                job_type=self.job_type,
                # Curves are logged explicitly; capturing the console would also wrap Hydra's
                # logging and the job's log file already holds it.
                settings=wandb.Settings(console="off"),
                # Jobs of a basic-launcher sweep share one process: never reuse a previous run.
                reinit="finish_previous",
            )
        except Exception as err:  # a dashboard problem never costs the run
            log.error(
                "wandb: no run started (%s: %s); going on without it", type(err).__name__, err
            )
            self.run = None

    def reference(self) -> dict[str, str] | None:
        if self.run is None:
            return None
        return {"wandb_id": self.run.id, "project": self.project, "dir": str(self.run.dir)}

    def log_history(self, history: dict[str, list[float]]) -> None:
        curves = {k: list(v) for k, v in history.items() if isinstance(v, (list, tuple))}
        if self.run is None or not curves:
            return
        try:
            for epoch in range(max(len(v) for v in curves.values())):
                point: dict[str, Any] = {"epoch": epoch}
                for key, values in curves.items():
                    if epoch < len(values) and _is_number(values[epoch]):
                        point[f"train/{key}"] = float(values[epoch])
                self.run.log(point, step=epoch)
        except Exception as err:
            log.error("wandb: could not log the training history: %s", err)

    def log_summary(self, metrics: dict[str, Any]) -> None:
        if self.run is None:
            return
        try:
            self.run.summary.update(metrics)
        except Exception as err:
            log.error("wandb: could not write the run summary: %s", err)

    def log_table(self, name: str, frame: pd.DataFrame) -> None:
        if self.run is None:
            return
        try:
            import wandb

            # NaN/None cells (a missing paper value) would make wandb guess mixed column types.
            clean = frame.astype(object).where(frame.notna(), None)
            self.run.log({name: wandb.Table(dataframe=clean)})
        except Exception as err:
            log.error("wandb: could not log table %s: %s", name, err)

    def finish(self, exit_code: int = 0, interrupted: bool = False) -> None:
        run, self.run = self.run, None
        if run is None:
            return
        try:
            if interrupted:
                run.mark_preempting()
        except Exception as err:
            log.error("wandb: could not mark the run preempted: %s", err)
        finally:
            try:
                run.finish(exit_code=exit_code)
                # finish() can return before wandb's service has flushed an offline run (seen:
                # a .wandb file holding only its header); teardown waits for it. Without this a
                # job could end with an incomplete run folder: SLURM kills what is left of a
                # finished job step, and joblib's worker processes never run atexit hooks.
                import wandb

                wandb.teardown()
            except Exception as err:
                log.error("wandb: could not finish the run: %s", err)


def wandb_dir(output_dir: str | Path | None) -> Path | None:
    """Folder handed to wandb.init(dir=...): None lets $WANDB_DIR (or the current folder) decide."""
    if os.environ.get("WANDB_DIR") or output_dir is None:
        return None
    return Path(output_dir)


def make_logger(cfg: DictConfig | Any, output_dir: str | Path | None = None) -> RunLogger:
    """The logger chosen by the `logger` config group."""
    name = cfg.name
    if name == "none":
        return NoneLogger()
    if name == "wandb":
        return WandbLogger(cfg.project, cfg.mode, cfg.entity, output_dir)
    raise ValueError(f"unknown logger {name!r}; choose none or wandb")


def run_tags(config: dict[str, Any]) -> list[str]:
    """Dashboard tags of a run: dataset, mechanism, ratio, model, seed (as key=value, so that e.g.
    dataset and missingness values named `none` cannot be confused)."""
    ds, miss = config["dataset"], config["missingness"]
    dataset = (
        ds["name"] if ds.get("variant", "default") == "default" else f"{ds['name']}/{ds['variant']}"
    )
    return [
        f"dataset={dataset}",
        f"missingness={miss['name']}",
        f"ratio={miss.get('ratio')}",
        f"model={config['model']['name']}",
        f"seed={config['seed']}",
    ]


def run_name(config: dict[str, Any]) -> str:
    miss = config["missingness"]
    model, dataset, seed = config["model"]["name"], config["dataset"]["name"], config["seed"]
    return f"{model}-{dataset}-{miss['name']}{miss.get('ratio')}-s{seed}"


def log_tables_to_wandb(
    tables: Sequence[Path],
    project: str | None = None,
    mode: str = "offline",
    entity: str | None = None,
    output_dir: str | Path | None = None,
) -> None:
    """Log each rebuilt table (`<experiment>.csv` from missdiff-report) as a wandb.Table, one
    report run per experiment, grouped with that experiment's training runs."""
    import pandas as pd

    project = project or os.environ.get("WANDB_PROJECT") or "missdiff"
    for csv in tables:
        experiment = Path(csv).stem
        logger = WandbLogger(project, mode, entity, output_dir, job_type="report")
        exit_code = 1
        try:
            tags = [f"experiment={experiment}"]
            logger.start({"experiment": experiment}, f"table-{experiment}", experiment, tags)
            logger.log_table("table", pd.read_csv(csv))
            exit_code = 0
        finally:
            logger.finish(exit_code)


def _is_number(value: Any) -> bool:
    # NaN is kept: a diverging loss should show on the curve.
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True
