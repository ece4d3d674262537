"""The sweeper of `missdiff-run -m`, a Hydra plugin (Hydra instantiates sweepers only from the
`hydra_plugins` namespace). Its logic lives in missdiff/sweep.py; this module stays light, since
Hydra imports every plugin module at start-up."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import Any

from hydra._internal.core_plugins.basic_sweeper import BasicSweeper
from hydra.errors import CompactHydraException, HydraException
from omegaconf.errors import OmegaConfBaseException


class SweepError(CompactHydraException):
    """Printed by Hydra as its message alone (no traceback); the command exits 1."""


class _Deferred(Exception):
    """The sweep is over its `max_sweep_minutes`: nothing is launched, and the command exits 0."""


class MissdiffSweeper(BasicSweeper):
    """Hydra's basic sweeper (same `params`, same job order), plus: every job validated before the
    first starts, a plan when the sweep starts, a summary when it ends, exit 1 on any failure, and
    no start at all when the plan is over `max_sweep_minutes` (checked per batch: one batch unless
    `max_batch_size` splits the sweep)."""

    command = "missdiff-run -m"  # this sweep's command line, without its `max_sweep_minutes`

    def validate_batch_is_legal(self, batch: Sequence[Sequence[str]]) -> None:
        from pathlib import Path

        from missdiff.sweep import (
            Costs,
            check_jobs,
            config_errors_text,
            deferral_text,
            job_config,
            plan_text,
        )

        assert self.hydra_context is not None and self.config is not None
        loader = self.hydra_context.config_loader
        configs: list[Any] = []
        for overrides in batch:
            try:
                cfg = loader.load_sweep_config(self.config, list(overrides))
                configs.append(job_config(cfg))
            except (HydraException, OmegaConfBaseException) as err:
                configs.append(" ".join(str(err).split()))
        jobs = check_jobs(configs, batch)
        if any(j.error for j in jobs):
            raise SweepError(config_errors_text(jobs))
        records = {Path(c.records_dir) for c in configs}
        costs = Costs.from_records(next(iter(records))) if len(records) == 1 else None
        if costs is not None:
            print(plan_text(jobs, costs), flush=True)
        limit = configs[0].get("max_sweep_minutes") if configs else None
        deferred = deferral_text(jobs, costs, limit, self.command)
        if deferred:
            raise _Deferred(deferred)

    def sweep(self, arguments: list[str]) -> Any:
        from missdiff.sweep import summary_text

        kept = [a for a in arguments if not a.startswith("max_sweep_minutes=")]
        self.command = " ".join(["missdiff-run -m", *kept])
        try:
            returns = super().sweep(arguments)
        except _Deferred as deferred:
            print(deferred, flush=True)
            return []
        outcomes = [
            r.return_value if isinstance(r.return_value, dict) else {"status": "FAILED"}
            for batch in returns
            for r in batch
        ]
        text, failed = summary_text(outcomes)
        if failed:
            raise SweepError(text)
        print(text, file=sys.stderr, flush=True)
        return returns
