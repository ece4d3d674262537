"""`missdiff-report`: rebuild every table from the run records (never reruns anything).

For each experiment found in the records it writes `<out>/<experiment>.md` and `.csv`: the mean
and standard deviation over seeds, the number of seeds, the profile each cell reached, the paper's
value beside ours where the experiment module stores it, and the command that reproduces it.
"""

from __future__ import annotations

import argparse
import importlib
import math
import sys
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from missdiff.records import COMPLETED, FAILED, NOT_APPLICABLE, Record, iter_records

PROFILE_RANK = {"smoke": 0, "quick": 1, "paper": 2}


def dataset_label(config: dict[str, Any]) -> str:
    ds = config["dataset"]
    variant = ds.get("variant", "default")
    return ds["name"] if variant in ("default", None) else f"{ds['name']}/{variant}"


def missingness_label(config: dict[str, Any]) -> str:
    m = config["missingness"]
    return m["name"] if m["name"] == "none" else f"{m['name']}@{m['ratio']:g}"


def model_label(config: dict[str, Any]) -> str:
    return str(config["model"]["name"])


@dataclass
class TableSpec:
    """How an experiment's records become a table."""

    title: str
    rows: Sequence[tuple[str, Callable[[dict], str]]] = (
        ("dataset", dataset_label),
        ("missingness", missingness_label),
    )
    column: tuple[str, Callable[[dict], str]] = ("model", model_label)
    metric: str | None = None  # None: each record's primary metric
    scale: float = 1.0  # e.g. 100 to show accuracy in %
    digits: int = 3
    notes: str = ""
    # (row labels..., column label) -> the paper's value, in the table's displayed units.
    paper: dict[tuple[str, ...], float] = field(default_factory=dict)
    column_order: Sequence[str] = ()
    row_order: Sequence[str] = ()  # order of the first row label; others follow, sorted


def load_spec(experiment: str) -> TableSpec:
    try:
        module = importlib.import_module(f"experiments.{experiment}")
    except ModuleNotFoundError:
        return TableSpec(title=f"Experiment `{experiment}`")
    return module.SPEC


@dataclass
class Cell:
    values: list[float] = field(default_factory=list)
    seeds: list[int] = field(default_factory=list)
    failed: int = 0
    not_applicable: bool = False
    profile: str = ""
    metric: str = ""
    higher_is_better: bool | None = None
    errors: list[str] = field(default_factory=list)


def collect(records: list[Record], spec: TableSpec) -> dict[tuple[str, ...], Cell]:
    """Group records into cells; each cell keeps only its highest profile reached."""
    by_profile: dict[tuple[str, ...], dict[str, Cell]] = defaultdict(dict)
    for rec in records:
        cfg = rec.config
        key = (*(f(cfg) for _, f in spec.rows), spec.column[1](cfg))
        profile = cfg.get("profile", {}).get("name", "")
        cell = by_profile[key].setdefault(profile, Cell(profile=profile))
        status = rec.status
        if status == COMPLETED:
            metric = spec.metric or rec.metrics.get("primary_metric", "")
            value = rec.metrics.get("metrics", {}).get(metric)
            cell.metric = metric
            cell.higher_is_better = rec.metrics.get("higher_is_better")
            if value is not None and math.isfinite(value):
                cell.values.append(float(value) * spec.scale)
                cell.seeds.append(int(cfg["seed"]))
        elif status == NOT_APPLICABLE:
            cell.not_applicable = True
        elif status == FAILED:
            cell.failed += 1
            cell.errors.append(str(rec.metrics.get("error", "")))
    out = {}
    for key, profiles in by_profile.items():
        best = max(profiles, key=lambda p: (bool(profiles[p].values), PROFILE_RANK.get(p, -1)))
        out[key] = profiles[best]
    return out


def _fmt(x: float, digits: int) -> str:
    return f"{x:.{digits}f}"


def cell_text(cell: Cell, paper: float | None, digits: int) -> str:
    if cell.not_applicable:
        text = "-"
    elif cell.values:
        mean = float(np.mean(cell.values))
        std = float(np.std(cell.values, ddof=1)) if len(cell.values) > 1 else float("nan")
        std_txt = _fmt(std, digits) if math.isfinite(std) else "n/a"
        text = f"{_fmt(mean, digits)} ({std_txt}) n={len(cell.values)} {cell.profile}"
        if cell.failed:
            text += f", {cell.failed} failed"
    elif cell.failed:
        text = f"FAILED ({cell.failed})"
    else:
        text = "missing"
    if paper is not None:
        text += f" | paper {_fmt(paper, digits)}"
        if cell.values:
            text += f" ({float(np.mean(cell.values)) - paper:+.{digits}f})"
    return text


def reproduce_command(records: list[Record], experiment: str) -> str:
    """The command that recreates these records: the experiment, or the swept overrides."""
    profiles = sorted({r.config.get("profile", {}).get("name", "") for r in records} - {""})
    if experiment != "adhoc":
        cmds = [f"missdiff-run -m experiment={experiment} profile={p}" for p in profiles]
        return " && ".join(cmds) + " && missdiff-report"
    values: dict[str, set[str]] = defaultdict(set)
    for rec in records:
        for ov in rec.metrics.get("overrides", []):
            k, _, v = ov.partition("=")
            # Paths and launcher settings do not define the runs.
            if k.lstrip("+~").split(".")[0] not in ("records_dir", "data_dir", "hydra"):
                values[k].add(v)
    parts = [f"{k}={','.join(sorted(v))}" for k, v in sorted(values.items())]
    return "missdiff-run -m " + " ".join(parts) + " && missdiff-report"


def build_table(
    experiment: str, records: list[Record], spec: TableSpec
) -> tuple[str, pd.DataFrame]:
    cells = collect(records, spec)
    order = {label: i for i, label in enumerate(spec.row_order)}
    row_keys = sorted({k[:-1] for k in cells}, key=lambda k: (order.get(k[0], len(order)), k))
    columns = list(spec.column_order) or sorted({k[-1] for k in cells})
    columns += sorted({k[-1] for k in cells} - set(columns))
    metric = next((c.metric for c in cells.values() if c.metric), spec.metric or "?")
    hib = next((c.higher_is_better for c in cells.values() if c.higher_is_better is not None), None)
    direction = {True: "higher is better", False: "lower is better", None: ""}[hib]

    header = [name for name, _ in spec.rows] + columns
    lines = [
        f"# {spec.title}",
        "",
        f"Metric: `{metric}` ({direction}). Cells: mean (std over seeds) n=seeds profile;"
        " `| paper x (+d)` is the paper's value and our difference. `-`: not applicable.",
    ]
    if spec.notes:
        lines += ["", spec.notes.strip()]
    lines += [
        "",
        f"Reproduce: `{reproduce_command(records, experiment)}`",
        "",
        "| " + " | ".join(header) + " |",
        "|" + "---|" * len(header),
    ]
    rows_csv = []
    for rk in row_keys:
        texts = []
        for col in columns:
            cell = cells.get((*rk, col))
            paper = spec.paper.get((*rk, col))
            texts.append("" if cell is None else cell_text(cell, paper, spec.digits))
            if cell is None:
                continue
            mean = float(np.mean(cell.values)) if cell.values else None
            std = float(np.std(cell.values, ddof=1)) if len(cell.values) > 1 else None
            rows_csv.append(
                {
                    **{name: v for (name, _), v in zip(spec.rows, rk, strict=True)},
                    spec.column[0]: col,
                    "metric": cell.metric,
                    "mean": mean,
                    "std": std,
                    "n_seeds": len(cell.values),
                    "seeds": " ".join(map(str, sorted(cell.seeds))),
                    "profile": cell.profile,
                    "failed": cell.failed,
                    "not_applicable": cell.not_applicable,
                    "paper": paper,
                    "difference": None if mean is None or paper is None else mean - paper,
                }
            )
        lines.append("| " + " | ".join([*rk, *texts]) + " |")
    failures = sorted({e for c in cells.values() for e in c.errors if e})
    if failures:
        lines += ["", "Failed runs (see their records):", *[f"- {e}" for e in failures[:20]]]
    return "\n".join(lines) + "\n", pd.DataFrame(rows_csv)


def write_tables(records_dir: Path, out_dir: Path, only: str | None = None) -> list[Path]:
    groups: dict[str, list[Record]] = defaultdict(list)
    for rec in iter_records(records_dir):
        for name in rec.metrics.get("experiments") or ["adhoc"]:
            groups[str(name)].append(rec)
    if only is not None:
        groups = {k: v for k, v in groups.items() if k == only}
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, recs in sorted(groups.items()):
        text, frame = build_table(name, recs, load_spec(name))
        md, csv = out_dir / f"{name}.md", out_dir / f"{name}.csv"
        md.write_text(text)
        frame.to_csv(csv, index=False)
        written += [md, csv]
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="missdiff-report", description=__doc__.splitlines()[0])
    parser.add_argument("--records", default="results/runs", help="records folder")
    parser.add_argument("--out", default="results/tables", help="where tables are written")
    parser.add_argument("--experiment", default=None, help="only this experiment")
    parser.add_argument(
        "--wandb",
        nargs="?",
        const="offline",
        choices=["offline", "online"],
        help="also log each table to wandb as a wandb.Table (default mode: offline; project from "
        "$WANDB_PROJECT, else missdiff; folder: $WANDB_DIR, else the current folder)",
    )
    args = parser.parse_args(argv)
    records = Path(args.records)
    if not records.is_dir():
        print(f"missdiff-report: error: no records folder {records}; run missdiff-run first",
              file=sys.stderr)  # fmt: skip
        return 2
    written = write_tables(records, Path(args.out), args.experiment)
    if not written:
        print(f"missdiff-report: no finished records under {records}", file=sys.stderr)
        return 1
    for path in written:
        print(path)
    if args.wandb:
        from missdiff.loggers import log_tables_to_wandb

        log_tables_to_wandb([p for p in written if p.suffix == ".csv"], mode=args.wandb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
