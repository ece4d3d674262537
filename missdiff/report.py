"""`missdiff-report`: rebuild every table from the run records (never reruns anything).

For each experiment it writes `<out>/<table>.md` and `.csv`: the mean and standard deviation over
seeds, the number of seeds, the profile each cell reached, the paper's value beside ours where the
experiment module stores it, and the command that reproduces it.

An experiment module `experiments/<name>.py` may define:
- `SPEC` (one table named `<name>`) or `SPECS: dict[str, TableSpec]` (several tables from the
  same records, e.g. table2 -> table2, table7, table10, table13..table17);
- `FIGURES: dict[str, Callable[[list[Record]], matplotlib.figure.Figure]]`, written to
  `<figures-out>/<figure>.png` when the experiment has records;
- `REQUIRES`: text shown in its tables while it has no records (e.g. user-supplied data);
- `SWEEPS`: the sweep files (configs/experiment/*.yaml) whose runs it collects, when they are not
  just `<name>` (e.g. figure1 = figure1_row + figure1_colind), for the reproduce command.
`missdiff-report` writes the tables of every such module, also those with no records yet: the
paper's values beside "not run".
"""

from __future__ import annotations

import argparse
import importlib
import math
import pkgutil
import re
import sys
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from missdiff.claims import Claim, Estimate, Verdict
from missdiff.records import COMPLETED, FAILED, NOT_APPLICABLE, Record, iter_records

PROFILE_RANK = {"smoke": 0, "quick": 1, "paper": 2}
# Shown in the reproduce command of an experiment that has no records yet (`make reproduce`'s).
DEFAULT_PROFILE = "quick"


# -- labels -------------------------------------------------------------------------------------
def dataset_label(config: dict[str, Any]) -> str:
    """name[/variant][ (all numeric)]: every dataset key that changes the data's encoding."""
    ds = config["dataset"]
    variant = ds.get("variant", "default")
    label = ds["name"] if variant in ("default", None) else f"{ds['name']}/{variant}"
    return label + (" (all numeric)" if ds.get("all_continuous") else "")


def missingness_label(config: dict[str, Any]) -> str:
    m = config["missingness"]
    return m["name"] if m["name"] == "none" else f"{m['name']}@{m['ratio']:g}"


def model_label(config: dict[str, Any]) -> str:
    return str(config["model"]["name"])


def profile_label(config: dict[str, Any]) -> str:
    """The profile a record ran at ("" for a record without one)."""
    return str(config.get("profile", {}).get("name", ""))


# The paper's names (Section 4.2, Appendix C.2); the paper's Tables 13-19 write "independent".
MECHANISM_NAMES = {
    "mcar_row": "Row Missing",
    "mcar_column": "Column Missing",
    "mcar_independent": "Independent Missing",
    "mar": "MAR",
    "nmar": "NMAR",
    "tabcsdi": "MCAR (TabCSDI)",
    "none": "None",
}
MODEL_NAMES = {
    "missdiff": "MissDiff",
    "diff_delete": "Diff-delete",
    "diff_mean": "Diff-mean",
    "stasy_delete": "STaSy-delete",
    "stasy_mean": "STaSy-mean",
    "csdi_t": "CSDI_T",
    "miwae": "MIWAE",
    "miwae_modified": "MIWAE (modified)",
    "mean_mode": "Mean/Mode",
    "mice": "MICE(linear)",
    "missforest": "MissForest",
    "gain": "GAIN",
}


def mechanism_label(config: dict[str, Any]) -> str:
    """The paper's name of the missingness mechanism ("Row Missing", ..., "MAR", "NMAR")."""
    name = config["missingness"]["name"]
    return MECHANISM_NAMES.get(name, name)


def ratio_label(config: dict[str, Any]) -> str:
    return f"{float(config['missingness']['ratio']):g}"


def paper_model_label(config: dict[str, Any]) -> str:
    """The paper's name of the model ("MissDiff", "Diff-delete", ..., "CSDI_T")."""
    name = model_label(config)
    return MODEL_NAMES.get(name, name)


def paper_grid(
    rows: Sequence[str],
    columns: Sequence[str],
    values: Sequence[Sequence[float | None]],
    prefix: tuple[str, ...] = (),
) -> dict[tuple[str, ...], float]:
    """A paper table typed row by row -> {(*prefix, row, column): value}.

    None is the paper's "-" (not applicable) and is stored as NaN, shown as `paper -`."""
    if len(values) != len(rows):
        raise ValueError(f"paper_grid: {len(rows)} rows but {len(values)} value rows")
    out = {}
    for row, vals in zip(rows, values, strict=True):
        if len(vals) != len(columns):
            raise ValueError(f"paper_grid: row {row!r} has {len(vals)} values, not {len(columns)}")
        for col, v in zip(columns, vals, strict=True):
            out[(*prefix, row, col)] = math.nan if v is None else float(v)
    return out


# -- specs --------------------------------------------------------------------------------------
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
    # Several metrics in one table (Table 10: F1, weighted F1, AUROC): (row label, metric) pairs.
    # Each record then fills one row per metric, under a first row column `metrics_header`, and
    # `metric` is ignored. The paper's keys start with the row label of the metric.
    metrics: Sequence[tuple[str, str]] = ()
    metrics_header: str = "criterion"
    scale: float = 1.0  # e.g. 100 to show accuracy in %
    digits: int = 3
    notes: str = ""
    # (row labels..., column label) -> the paper's value, in the table's displayed units.
    paper: dict[tuple[str, ...], float] = field(default_factory=dict)
    column_order: Sequence[str] = ()  # preferred order; a column shows when it has a cell
    # Order of the first row label (after the metric's, if `metrics`); the others are sorted.
    row_order: Sequence[str] = ()
    # Shown in the header when no record tells (an experiment that has not run yet).
    higher_is_better: bool | None = None
    # The paper's sentences about this table, checked on its values and on ours (claims.py).
    claims: Sequence[Claim] = ()

    @property
    def row_names(self) -> list[str]:
        return ([self.metrics_header] if self.metrics else []) + [n for n, _ in self.rows]


@dataclass
class Experiment:
    """What an experiments/<name>.py module declares (module docstring)."""

    name: str
    specs: dict[str, TableSpec]
    figures: dict[str, Callable[[list[Record]], Any]] = field(default_factory=dict)
    requires: str = ""
    sweeps: tuple[str, ...] = ()
    defined: bool = True  # False: no module (or no SPEC/SPECS): a generic table


def load_experiment(name: str) -> Experiment:
    """The tables, figures, requirements and sweeps an experiment module declares."""
    try:
        module = importlib.import_module(f"experiments.{name}")
    except ModuleNotFoundError as err:
        if err.name not in (f"experiments.{name}", "experiments"):
            raise  # the module exists but imports something missing: a real error
        module = None
    specs = getattr(module, "SPECS", None)
    if specs is None and hasattr(module, "SPEC"):
        specs = {name: module.SPEC}
    if specs is None:
        generic = TableSpec(title=f"Experiment `{name}`")
        return Experiment(name, {name: generic}, sweeps=(name,), defined=False)
    return Experiment(
        name,
        dict(specs),
        figures=dict(getattr(module, "FIGURES", {})),
        requires=str(getattr(module, "REQUIRES", "")),
        sweeps=tuple(getattr(module, "SWEEPS", (name,))),
    )


def load_spec(experiment: str) -> TableSpec:
    """The experiment's table spec (its first one when it declares several)."""
    return next(iter(load_experiment(experiment).specs.values()))


def experiment_modules() -> list[str]:
    """Names of the modules under experiments/ that declare SPEC or SPECS."""
    import experiments

    names = []
    for info in pkgutil.iter_modules(experiments.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"experiments.{info.name}")
        if hasattr(module, "SPEC") or hasattr(module, "SPECS"):
            names.append(info.name)
    return sorted(names)


# -- cells --------------------------------------------------------------------------------------
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
    # A cell holds one run per seed: when a config changed (e.g. a profile gained a size) and
    # the same cell was run again, only the newest record of each seed counts.
    newest: dict[tuple, Record] = {}
    for rec in sorted(records, key=lambda r: r.metrics.get("started", 0.0)):
        cfg = rec.config
        labels = (*(f(cfg) for _, f in spec.rows), spec.column[1](cfg))
        newest[(labels, profile_label(cfg), cfg.get("seed"))] = rec
    for rec in newest.values():
        cfg = rec.config
        labels = (*(f(cfg) for _, f in spec.rows), spec.column[1](cfg))
        profile = profile_label(cfg)
        # (key prefix, metric): one cell per metric row, or one cell with the table's metric.
        targets = [((label,), m) for label, m in spec.metrics] or [((), spec.metric)]
        for prefix, wanted in targets:
            cell = by_profile[(*prefix, *labels)].setdefault(profile, Cell(profile=profile))
            status = rec.status
            if status == COMPLETED:
                metric = wanted or rec.metrics.get("primary_metric", "")
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


def _higher_is_better(cells: Mapping[tuple[str, ...], Cell], spec: TableSpec) -> bool | None:
    """What the records say (their metric's direction), else what the spec says."""
    hib = next((c.higher_is_better for c in cells.values() if c.higher_is_better is not None), None)
    return spec.higher_is_better if hib is None else hib


def by_profile(records: Iterable[Record]) -> dict[str, list[Record]]:
    """Records grouped by profile, lowest profile first (smoke, quick, paper)."""
    groups: dict[str, list[Record]] = defaultdict(list)
    for rec in records:
        groups[profile_label(rec.config)].append(rec)
    return {p: groups[p] for p in sorted(groups, key=lambda p: PROFILE_RANK.get(p, -1))}


Verdicts = list[tuple[Claim, Verdict, list[tuple[str, Verdict]]]]


def check_claims(records: list[Record], spec: TableSpec) -> Verdicts:
    """(claim, verdict on the paper's values, [(profile, verdict on ours at it)]) per claim.

    Ours is checked at each profile on its own, never on a table that mixes profiles: a cell is
    its mean over seeds; a not-applicable cell is the paper's "-"; a cell with no finished seed
    is left out (not run), and so is a column outside `spec.column_order` (e.g. another encoding
    of a dataset, which the paper's claim is not about)."""
    if not spec.claims:
        return []
    cells_at = {p: collect(recs, spec) for p, recs in by_profile(records).items()}
    hib = _higher_is_better({k: c for cells in cells_at.values() for k, c in cells.items()}, spec)
    if hib is None:
        raise ValueError(f"{spec.title}: claims need higher_is_better in the spec")
    order = _row_sort_key(spec)
    columns = {c: i for i, c in enumerate(spec.column_order)}

    def sort_key(key: tuple[str, ...]) -> tuple:
        return (order(key[:-1]), columns.get(key[-1], len(columns)), key[-1])

    paper = {k: Estimate(v) for k, v in sorted(spec.paper.items(), key=lambda kv: sort_key(kv[0]))}
    ours: dict[str, dict[tuple[str, ...], Estimate]] = {}
    for profile, cells in cells_at.items():
        table = ours[profile] = {}
        for key in sorted(cells, key=sort_key):
            if columns and key[-1] not in columns:
                continue
            cell = cells[key]
            if cell.values:
                std = float(np.std(cell.values, ddof=1)) if len(cell.values) > 1 else math.nan
                table[key] = Estimate(float(np.mean(cell.values)), std, len(cell.values), profile)
            elif cell.not_applicable:
                table[key] = Estimate(math.nan, profile=profile)
    out = []
    for claim in spec.claims:
        on_paper = claim.check(paper, hib) if paper else Verdict(None, "the paper gives no values")
        out.append((claim, on_paper, [(p, claim.check(t, hib)) for p, t in ours.items()]))
    return out


def claims_markdown(verdicts: Verdicts) -> list[str]:
    """The claims section under a table."""
    if not verdicts:
        return []
    lines = ["", "## The paper's claims, checked on its values and on ours", ""]
    for claim, on_paper, on_ours in verdicts:
        lines.append(f'- "{claim.quote}" ({claim.where})')
        if claim.reading:
            lines.append(f"  - read as: {claim.reading}")
        lines.append(f"  - paper's values: {on_paper.line()}")
        for profile, verdict in on_ours:
            lines.append(f"  - ours at `{profile}`: {verdict.line()}")
        if not on_ours:
            lines.append("  - ours: not run yet")
    return lines


def _fmt(x: float, digits: int) -> str:
    return f"{x:.{digits}f}"


def cell_text(cell: Cell | None, paper: float | None, digits: int) -> str:
    paper_na = paper is not None and math.isnan(paper)  # the paper's "-"
    if cell is None:
        text = "not run" if paper is not None else ""
    elif cell.not_applicable:
        text = "-"
        if paper_na:
            return text  # not applicable here and in the paper
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
    if paper_na:
        text += " | paper -"
    elif paper is not None:
        text += f" | paper {_fmt(paper, digits)}"
        if cell is not None and cell.values:
            text += f" ({float(np.mean(cell.values)) - paper:+.{digits}f})"
    return text


def reproduce_command(
    records: list[Record], experiment: str, sweeps: Sequence[str] | None = None
) -> str:
    """The command that recreates these records: the experiment's sweeps, or the swept overrides."""
    profiles = sorted({profile_label(r.config) for r in records} - {""})
    if experiment != "adhoc":
        cmds = [
            f"missdiff-run -m experiment={sweep} profile={p}"
            for p in profiles or [DEFAULT_PROFILE]
            for sweep in sweeps or (experiment,)
        ]
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


def _row_sort_key(spec: TableSpec) -> Callable[[tuple[str, ...]], tuple]:
    """Rows in the order of `metrics`, then `row_order` (first row label), then by label."""
    orders: list[dict[str, int]] = []
    if spec.metrics:
        orders.append({label: i for i, (label, _) in enumerate(spec.metrics)})
    orders.append({label: i for i, label in enumerate(spec.row_order)})

    def key(labels: tuple[str, ...]) -> tuple:
        ranks = []
        for i, label in enumerate(labels):
            order = orders[i] if i < len(orders) else {}
            ranks.append((order.get(label, len(order)), label))
        return tuple(ranks)

    return key


def build_table(
    experiment: str,
    records: list[Record],
    spec: TableSpec,
    requires: str = "",
    sweeps: Sequence[str] | None = None,
    verdicts: Verdicts | None = None,
) -> tuple[str, pd.DataFrame]:
    """Markdown and CSV of one table. Rows and columns are those of the records and of the
    paper's values, so a table with no records shows the paper's values beside "not run".
    `verdicts`: the spec's claims checked (check_claims), when the caller has them already."""
    row_names = spec.row_names
    for key in spec.paper:
        if len(key) != len(row_names) + 1:
            raise ValueError(
                f"{spec.title}: paper key {key} needs {len(row_names)} row labels and a column"
            )
    cells = collect(records, spec)
    keys = set(cells) | set(spec.paper)
    row_keys = sorted({k[:-1] for k in keys}, key=_row_sort_key(spec))
    # `column_order` orders the columns that have records or paper values; others follow, sorted.
    present = {k[-1] for k in keys}
    columns = [c for c in spec.column_order if c in present]
    columns += sorted(present - set(columns))
    hib = _higher_is_better(cells, spec)
    direction = {True: "higher is better", False: "lower is better", None: ""}[hib]
    if spec.metrics:
        named = ", ".join(f"{label} = `{m}`" for label, m in spec.metrics)
        metric_line = f"Metrics (one per `{spec.metrics_header}` row): {named} ({direction})."
    else:
        metric = next((c.metric for c in cells.values() if c.metric), spec.metric or "?")
        metric_line = f"Metric: `{metric}` ({direction})."
    if spec.scale != 1:
        metric_line += f" Values x {spec.scale:g}."

    header = [*row_names, *columns]
    lines = [
        f"# {spec.title}",
        "",
        metric_line + " Cells: mean (std over seeds) n=seeds profile;"
        " `| paper x (+d)` is the paper's value and our difference. `-`: not applicable;"
        " `not run`: no record yet.",
    ]
    if not records:
        lines += ["", "**Not run yet**: no records for this experiment."]
        if requires:
            lines += ["", requires.strip()]
    if spec.notes:
        lines += ["", spec.notes.strip()]
    lines += [
        "",
        f"Reproduce: `{reproduce_command(records, experiment, sweeps)}`",
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
            texts.append(cell_text(cell, paper, spec.digits))
            if cell is None and paper is None:
                continue
            values = cell.values if cell is not None else []
            mean = float(np.mean(values)) if values else None
            std = float(np.std(values, ddof=1)) if len(values) > 1 else None
            rows_csv.append(
                {
                    **dict(zip(row_names, rk, strict=True)),
                    spec.column[0]: col,
                    "metric": cell.metric if cell is not None else "",
                    "mean": mean,
                    "std": std,
                    "n_seeds": len(values),
                    "seeds": " ".join(map(str, sorted(cell.seeds))) if cell is not None else "",
                    "profile": cell.profile if cell is not None else "",
                    "failed": cell.failed if cell is not None else 0,
                    "not_applicable": cell.not_applicable if cell is not None else False,
                    "not_run": cell is None,
                    "paper": paper,
                    "paper_not_applicable": paper is not None and math.isnan(paper),
                    "difference": None if mean is None or paper is None else mean - paper,
                }
            )
        # A cell's own "|" (before the paper's value) is escaped so the markdown row stays intact.
        cells_md = [t.replace("|", "\\|") for t in (*rk, *texts)]
        lines.append("| " + " | ".join(cells_md) + " |")
    failures = sorted({e for c in cells.values() for e in c.errors if e})
    if failures:
        lines += ["", "Failed runs (see their records):", *[f"- {e}" for e in failures[:20]]]
    if verdicts is None:
        verdicts = check_claims(records, spec)
    lines += claims_markdown(verdicts)
    return "\n".join(lines) + "\n", pd.DataFrame(rows_csv)


# -- writing ------------------------------------------------------------------------------------
@dataclass
class Written:
    tables: list[Path] = field(default_factory=list)  # .md and .csv of tables with records
    unrun: list[Path] = field(default_factory=list)  # .md and .csv of experiments with none
    figures: list[Path] = field(default_factory=list)
    claims: list[Path] = field(default_factory=list)  # claims.md
    status: list[Path] = field(default_factory=list)  # status.md

    @property
    def all(self) -> list[Path]:
        return [*self.tables, *self.unrun, *self.figures, *self.claims, *self.status]


def group_records(records_dir: Path, profile: str | None = None) -> dict[str, list[Record]]:
    """Records by experiment tag (a record tagged with several experiments is in each); with
    `profile`, only the records run at that profile."""
    groups: dict[str, list[Record]] = defaultdict(list)
    for rec in iter_records(records_dir):
        if profile is not None and profile_label(rec.config) != profile:
            continue
        for name in rec.metrics.get("experiments") or ["adhoc"]:
            groups[str(name)].append(rec)
    return groups


def write_report(
    records_dir: Path,
    out_dir: Path,
    figures_dir: Path | None = None,
    only: str | None = None,
    include_unrun: bool = True,
    profile: str | None = None,
) -> Written:
    """Every table (and, with `figures_dir`, every figure) of every experiment.

    `include_unrun`: also experiment modules without records (paper values, "not run").
    `profile`: only the records of that profile (default: each cell shows its highest profile)."""
    groups = group_records(records_dir, profile)
    names: Iterable[str] = set(groups) | (set(experiment_modules()) if include_unrun else set())
    if only is not None:
        names = {only} if only in groups or include_unrun else set()
    written = Written()
    claim_rows: list[str] = []
    status_rows: list[tuple[str, str]] = []
    for name in sorted(names):
        recs = groups.get(name, [])
        exp = load_experiment(name)
        if not recs and not exp.defined:
            continue  # neither records nor a module: nothing to show
        for table, spec in exp.specs.items():
            verdicts = check_claims(recs, spec)
            text, frame = build_table(name, recs, spec, exp.requires, exp.sweeps, verdicts)
            for claim, on_paper, on_ours in verdicts:
                ours = "<br>".join(f"`{p}`: {v.line()}" for p, v in on_ours) or "not run yet"
                cols = (table, f'"{claim.quote}" ({claim.where})', on_paper.line(), ours)
                claim_rows.append("| " + " | ".join(c.replace("|", "\\|") for c in cols) + " |")
            if profile is not None:
                title, rest = text.split("\n", 1)
                text = (f"{title}\n\nOnly records at the `{profile}` profile"
                        f" (`missdiff-report --profile {profile}`).\n{rest}")  # fmt: skip
            out_dir.mkdir(parents=True, exist_ok=True)
            md, csv = out_dir / f"{table}.md", out_dir / f"{table}.csv"
            md.write_text(text)
            frame.to_csv(csv, index=False)
            (written.tables if recs else written.unrun).extend([md, csv])
            status_rows.append((table, status_row(table, frame)))
        if figures_dir is not None and recs:
            written.figures += write_figures(exp.figures, recs, figures_dir)
    if claim_rows and only is None:
        written.claims.append(write_claims(out_dir, claim_rows, profile))
    if status_rows and only is None:
        written.status.append(write_status(out_dir, status_rows, profile))
    return written


def status_row(table: str, frame: pd.DataFrame) -> str:
    """One table's coverage, from its CSV frame: how many cells have runs, seeds, which profile."""
    if frame.empty:
        return f"| {table} | 0 | 0 | 0 | - | 0 | 0 | 0 | 0 | 0 |"
    ran = frame[frame["n_seeds"] > 0]
    seeds = f"{ran['n_seeds'].min()}-{ran['n_seeds'].max()}" if len(ran) else "-"
    counts = (
        len(frame),
        len(ran),
        int((frame["n_seeds"] >= 2).sum()),
        seeds,
        int((ran["profile"] == "paper").sum()),
        int((ran["profile"] == "quick").sum()),
        int(frame["not_applicable"].sum()),
        int(frame["not_run"].sum()),
        int(((frame["failed"] > 0) & (frame["n_seeds"] == 0)).sum()),
    )
    return f"| {table} | " + " | ".join(map(str, counts)) + " |"


def _paper_order(table: str) -> tuple:
    # figure1, table1, table1_pooled, table2, ..., table19, then tables that are not the paper's.
    parts = re.split(r"(\d+)", table)
    ours = not table.startswith(("figure", "table"))
    return (ours, *[(0, int(p)) if p.isdigit() else (1, p) for p in parts])


def write_status(out_dir: Path, rows: list[tuple[str, str]], profile: str | None) -> Path:
    """`status.md`: how far each table has got, one row per table (what is left to run)."""
    scope = f"records at the `{profile}` profile" if profile else "each cell at its highest profile"
    intro = (
        f"Counted from the tables' CSVs ({scope}). A cell is one (row, column) of a table that has"
        " a record of ours or a value of the paper's. `ran`: at least one finished seed;"
        " `n>=2`: enough seeds for a standard deviation; `at paper` / `at quick`: the profile"
        " the cell shows; `not run`: no record yet (the paper's value stands alone);"
        " `failed only`: every record of the cell failed. What each pending sweep costs:"
        " `python scripts/sweep_budget.py --profile quick`."
    )
    header = ("table", "cells", "ran", "n>=2", "seeds", "at paper", "at quick", "not applicable",
              "not run", "failed only")  # fmt: skip
    ordered = [row for _, row in sorted(rows, key=lambda r: _paper_order(r[0]))]
    return _write_page(out_dir / "status.md", "How far each table has got", intro, header, ordered)


def write_claims(out_dir: Path, rows: list[str], profile: str | None) -> Path:
    """`claims.md`: every table's claims and their verdicts, on one page."""
    scope = f"records at the `{profile}` profile" if profile else "every profile that ran"
    intro = (
        "Each claim is a sentence of the paper about one of its tables, checked by the same code"
        " (missdiff/claims.py) on the paper's own values and on our records"
        f" ({scope}), each profile on its own. Our comparisons within one standard deviation over"
        " seeds, or on one seed, are flagged. Details and each table's cells: `<table>.md`."
    )
    title = "The paper's claims, checked on its values and on ours"
    header = ("table", "claim", "paper's values", "ours")
    return _write_page(out_dir / "claims.md", title, intro, header, rows)


def _write_page(
    path: Path, title: str, intro: str, header: Sequence[str], rows: Iterable[str]
) -> Path:
    """A one-table markdown page: title, intro paragraph, header, the given table rows."""
    lines = [f"# {title}", "", intro, "", "| " + " | ".join(header) + " |",
             "|" + "---|" * len(header), *rows]  # fmt: skip
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    return path


def write_figures(
    figures: Mapping[str, Callable[[list[Record]], Any]], records: list[Record], out_dir: Path
) -> list[Path]:
    """Each figure function's matplotlib Figure as `<out_dir>/<name>.png`."""
    paths = []
    for name, make in figures.items():
        fig = make(records)
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / f"{name}.png"
        fig.savefig(path, dpi=150, bbox_inches="tight")
        paths.append(path)
    return paths


def write_tables(
    records_dir: Path, out_dir: Path, only: str | None = None, include_unrun: bool = False
) -> list[Path]:
    """The tables of the experiments that have records (and, with `include_unrun`, of every
    experiment module); .md and .csv paths."""
    written = write_report(records_dir, out_dir, None, only, include_unrun)
    return [*written.tables, *written.unrun]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="missdiff-report", description=__doc__.splitlines()[0])
    parser.add_argument("--records", default="results/runs", help="records folder")
    parser.add_argument("--out", default="results/tables", help="where tables are written")
    parser.add_argument(
        "--figures-out", default="results/figures", help="where figures (.png) are written"
    )
    parser.add_argument("--experiment", default=None, help="only this experiment")
    parser.add_argument(
        "--profile",
        default=None,
        help="only the records of this profile (default: each cell shows the highest profile it"
        " reached, e.g. paper over quick)",
    )
    parser.add_argument(
        "--wandb",
        nargs="?",
        const="offline",
        choices=["offline", "online"],
        help="also log each table built from records to wandb as a wandb.Table (default mode: "
        "offline; project from $WANDB_PROJECT, else missdiff; folder: $WANDB_DIR, else the current "
        "folder)",
    )
    args = parser.parse_args(argv)
    records = Path(args.records)
    if not records.is_dir():
        print(f"missdiff-report: error: no records folder {records}; run missdiff-run first",
              file=sys.stderr)  # fmt: skip
        return 2
    if args.profile is not None and args.profile not in PROFILE_RANK:
        print(f"missdiff-report: error: unknown --profile {args.profile!r}; one of "
              f"{', '.join(PROFILE_RANK)}", file=sys.stderr)  # fmt: skip
        return 2
    # One profile's tables: only the experiments that ran at it (the full set, with the paper's
    # values for what has not run, is the default report's).
    written = write_report(
        records, Path(args.out), Path(args.figures_out), args.experiment,
        include_unrun=args.profile is None, profile=args.profile,
    )  # fmt: skip
    for path in written.all:
        print(path)
    if not written.tables and next(iter_records(records), None) is None:
        # The paper-only tables were still written; but nothing has run.
        print(f"missdiff-report: no finished records under {records}", file=sys.stderr)
        return 1
    if args.wandb:
        from missdiff.loggers import log_tables_to_wandb

        # Tables without records hold only the paper's values: nothing to put on a dashboard.
        log_tables_to_wandb([p for p in written.tables if p.suffix == ".csv"], mode=args.wandb)
    return 0


if __name__ == "__main__":
    sys.exit(main())
