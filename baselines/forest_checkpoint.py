"""Resumable fitting for ForestDiffusion: each of its XGBoost fits is kept on disk as it ends.

The library fits one model per (noise level, column) inside its constructor and keeps nothing
until all are done; on Libras at `quick` that is 5,250 fits and about 5.8 single-thread hours,
longer than a job may run here. Its fits go through `train_iterator(X1, X_covs, t, dim)`, which
is deterministic given the run (it reseeds numpy's global RNG with the library's seed), so a
subclass that stores each fitted Booster under (t, dim) and hands it back on the next try gives
exactly the model an uninterrupted run gives. Our runner passes a folder keyed by the run
(`checkpoint_dir`) and deletes it once the record is written.

Each process that fits also appends the span of every fit it made to its own log, so that a
resumed run can report the fitting time of the earlier processes (`restored_seconds`).
"""

from __future__ import annotations

import hashlib
import os
import pickle
import time
import uuid
from pathlib import Path
from typing import Any

import numpy as np


def checkpoint_folder(root: str | Path, x: np.ndarray, settings: dict[str, Any]) -> Path:
    """One sub-folder per (training matrix, settings): a run that fits more than once (refits per
    imputation) never reads another fit's models."""
    digest = hashlib.sha256(x.tobytes())
    digest.update(repr(sorted(settings.items())).encode())
    return Path(root) / f"forest-{digest.hexdigest()[:16]}"


def resumable(library: type, folder: Path) -> type:
    """`library` (ForestDiffusionModel) whose fits are read from and written to `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    log = folder / f"spans-{uuid.uuid4().hex}.log"

    class Resumable(library):  # type: ignore[misc, valid-type]
        def train_iterator(self, X1_splitted, X_covs_splitted, t, dim):
            path = folder / f"fit-{float(t):.9f}-{dim}.pkl"
            if path.exists():
                with path.open("rb") as fh:
                    return pickle.load(fh)
            started = time.time()
            booster = super().train_iterator(X1_splitted, X_covs_splitted, t, dim)
            # Written whole or not at all: a kill mid-write leaves a temporary file, not a model.
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            with tmp.open("wb") as fh:
                pickle.dump(booster, fh)
            os.replace(tmp, path)
            with log.open("a") as fh:
                fh.write(f"{started} {time.time()}\n")
            return booster

    Resumable.__name__ = Resumable.__qualname__ = f"Resumable{library.__name__}"
    Resumable._log_name = log.name  # type: ignore[attr-defined]
    return Resumable


def restored_seconds(folder: Path, current: type) -> float:
    """Wall time the earlier processes spent fitting the models this one read back: for each
    earlier log, from its first fit's start to its last fit's end."""
    total = 0.0
    mine = getattr(current, "_log_name", None)
    for log in folder.glob("spans-*.log"):
        if log.name == mine:
            continue
        spans = [tuple(map(float, line.split())) for line in log.read_text().splitlines() if line]
        if spans:
            total += max(end for _, end in spans) - min(start for start, _ in spans)
    return total
