"""A table the user supplies as CSV files: `dataset=csv dataset.path=FILE` in a sweep, and the
credentialed MIMIC-IV-ED extract of Tables 3, 8 and 11 (`dataset=mimic4ed`, the same loader
with its files configured).

    missdiff-run dataset=csv dataset.path=my.csv [dataset.categorical=[a,b]] \\
        [dataset.target=y dataset.task=classification] [dataset.na_values=[NA,?]] \\
        [dataset.test_path=my_test.csv] [dataset.columns=[...]] model=missdiff evaluator=rmse

A relative path is looked for in the current folder, then under `data_dir`. Without
`test_path` the rows are split by the seeded `dataset.test_fraction`, as for the public tables.
Column types: `dataset.categorical` names the categorical columns; left empty, text columns are
categorical and number columns continuous (missdiff.data.schema.infer_schema). Every problem is a
ConfigError naming the file or the column: the run never starts and writes no record. The files'
checksums are part of the run's record key (`csv_identity`), so two different tables under one
file name never share a record.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from missdiff.config import DatasetConfig
from missdiff.data.download import resolve_data_dir, sha256_of
from missdiff.data.schema import Schema, Table, infer_schema
from missdiff.errors import ConfigError, MissDiffError

TASKS = ("classification", "regression")


def csv_paths(
    cfg: DatasetConfig,
    data_dir: str | Path | None,
    hint: str = "",
    defaults: tuple[str | None, str | None] = (None, None),
) -> list[Path]:
    """The files a user table reads (path, then test_path; `defaults` where the config leaves
    them out), checked to exist."""
    path, test_path = cfg.path or defaults[0], cfg.test_path or defaults[1]
    if not path:
        raise ConfigError(f"dataset={cfg.name} needs dataset.path=FILE (a CSV file)")
    root = resolve_data_dir(data_dir)
    found = []
    for given in (path, test_path):
        if not given:
            continue
        path = Path(given).expanduser()
        tried = [path] if path.is_absolute() else [path, *([root / path] if root else [])]
        hit = next((p for p in tried if p.is_file()), None)
        if hit is None:
            where = " or ".join(str(p) for p in tried)
            raise ConfigError(f"{cfg.name}: no file {where}" + (f"; {hint}" if hint else ""))
        found.append(hit)
    return found


def csv_identity(
    cfg: DatasetConfig,
    data_dir: str | Path | None,
    defaults: tuple[str | None, str | None] = (None, None),
) -> str | None:
    """The checksums of the files the table reads (None if one is missing: the loader says)."""
    try:
        paths = csv_paths(cfg, data_dir, defaults=defaults)
    except ConfigError:
        return None
    return "sha256:" + "+".join(sha256_of(p)[:16] for p in paths)


def _read(path: Path, cfg: DatasetConfig) -> pd.DataFrame:
    try:
        data = pd.read_csv(path, na_values=list(cfg.na_values) or None, low_memory=False,
                           float_precision="round_trip")  # fmt: skip
    except pd.errors.EmptyDataError:
        raise ConfigError(f"{path} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise ConfigError(
            f"{path} is not a readable CSV file ({str(err).splitlines()[0]})"
        ) from None
    if len(data) == 0:
        raise ConfigError(f"{path} has a header but no rows")
    return data


def load_user_table(
    cfg: DatasetConfig,
    data_dir: str | Path | None,
    hint: str = "",
    defaults: tuple[str | None, str | None] = (None, None),
) -> Table:
    """The table `cfg` names, with the official split when `test_path` is given."""
    paths = csv_paths(cfg, data_dir, hint, defaults)
    frames = [_read(p, cfg) for p in paths]
    columns = list(cfg.columns) or list(frames[0].columns)
    for path, frame in zip(paths, frames, strict=True):
        lacking = [c for c in columns if c not in frame.columns]
        if lacking:
            raise ConfigError(f"{path} lacks the column(s) {lacking}; fix dataset.columns")
    data = pd.concat([f[columns] for f in frames], ignore_index=True)
    try:
        inferred = infer_schema(data, list(cfg.categorical) or None)
    except MissDiffError as err:
        raise ConfigError(f"{cfg.name}: {err}") from None
    target, task = cfg.target, cfg.task
    if target is not None and target not in columns:
        raise ConfigError(f"dataset.target {target!r} is not a column of {paths[0]}; fix it")
    if task is not None and task not in TASKS:
        raise ConfigError(f"dataset.task must be one of {TASKS}, got {task!r}")
    if target is not None and task is None:
        task = "classification" if target in inferred.categorical else "regression"
    schema = Schema(inferred.columns, inferred.categorical, target, task)
    split = None
    if len(frames) == 2:
        split = np.array(["train"] * len(frames[0]) + ["test"] * len(frames[1]))
    name = cfg.name if cfg.name != "csv" else paths[0].stem
    return Table(name, data, schema, split)
