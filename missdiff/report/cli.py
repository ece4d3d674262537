"""`missdiff-report`: rebuild every table from the run records (never reruns anything).

For each experiment it writes `<out>/<table>.md` and `.csv`: the mean and standard deviation over
seeds, the number of seeds, the profile each cell reached, the paper's value beside ours where the
experiment module stores it, and the command that reproduces it; then `<out>/status.md` (how far
each table has got) and `<out>/claims.md` (the paper's claims, checked), and each experiment's
figures into `<figures-out>` (what an experiment module declares: missdiff/report/discover.py).
Every file is written atomically.

The tracked tables (results/tables, results/figures) are rebuilt only from the tracked records
(results/runs): records read from elsewhere need an `--out` outside results/, and their figures
are written only with an explicit `--figures-out`. It checks its arguments and reads the records
before writing anything; an error is one line on stderr and leaves nothing written.
"""

from __future__ import annotations

import argparse
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from missdiff.errors import MissDiffError
from missdiff.files import atomic_write_text
from missdiff.records import Record, iter_records
from missdiff.report.aggregate import check_claims
from missdiff.report.discover import experiment_modules, load_experiment
from missdiff.report.render import (
    build_table,
    claims_page,
    claims_rows,
    profile_note,
    status_page,
    status_row,
    write_figures,
)
from missdiff.report.spec import PROFILE_RANK, profile_label

PROG = "missdiff-report"
# The defaults are relative to the current folder; the tracked results are the repository's.
DEFAULT_RECORDS, DEFAULT_OUT, DEFAULT_FIGURES = "results/runs", "results/tables", "results/figures"
REPO = Path(__file__).resolve().parents[2]
TRACKED_RESULTS = REPO / "results"
TRACKED_RECORDS = TRACKED_RESULTS / "runs"


@dataclass
class Written:
    tables: list[Path] = field(default_factory=list)  # .md and .csv of tables with records
    unrun: list[Path] = field(default_factory=list)  # .md and .csv of experiments with none
    figures: list[Path] = field(default_factory=list)
    claims: list[Path] = field(default_factory=list)  # claims.md
    status: list[Path] = field(default_factory=list)  # status.md
    # Figures of experiments with records, not written because no figures folder was given.
    figures_skipped: list[str] = field(default_factory=list)

    @property
    def all(self) -> list[Path]:
        return [*self.tables, *self.unrun, *self.figures, *self.claims, *self.status]


def group_records(records: Iterable[Record], profile: str | None = None) -> dict[str, list[Record]]:
    """Records by experiment tag (a record tagged with several experiments is in each); with
    `profile`, only the records run at that profile."""
    groups: dict[str, list[Record]] = defaultdict(list)
    for rec in records:
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
    records: Iterable[Record] | None = None,
) -> Written:
    """Every table (and, with `figures_dir`, every figure) of every experiment.

    `include_unrun`: also experiment modules without records (paper values, "not run").
    `profile`: only the records of that profile (default: each cell shows its highest profile).
    `records`: the records of `records_dir` when the caller has read them already."""
    everything = list(iter_records(records_dir) if records is None else records)
    # A record that a newer configuration of its job replaced (scripts/mark_superseded.py) stays
    # on disk and out of the tables.
    current = [rec for rec in everything if "superseded" not in rec.metrics]
    groups = group_records(current, profile)
    names: Iterable[str] = set(groups) | (set(experiment_modules()) if include_unrun else set())
    if only is not None:
        names = {only} if only in groups or include_unrun else set()
    written = Written()
    claim_rows: list[tuple[bool, str]] = []
    status_rows: list[tuple[str, str]] = []
    for name in sorted(names):
        recs = groups.get(name, [])
        exp = load_experiment(name)
        if not recs and not exp.defined:
            continue  # neither records nor a module: nothing to show
        for table, spec in exp.specs.items():
            verdicts = check_claims(recs, spec)
            text, frame = build_table(name, recs, spec, exp.requires, exp.sweeps, verdicts)
            claim_rows += claims_rows(table, verdicts)
            if profile is not None:
                text = profile_note(text, profile)
            md, csv = out_dir / f"{table}.md", out_dir / f"{table}.csv"
            atomic_write_text(md, text)
            atomic_write_text(csv, frame.to_csv(index=False))
            (written.tables if recs else written.unrun).extend([md, csv])
            status_rows.append((table, status_row(table, frame)))
        if recs and figures_dir is not None:
            written.figures += write_figures(exp.figures, recs, figures_dir)
        elif recs:
            written.figures_skipped += list(exp.figures)
    if claim_rows and only is None:
        written.claims.append(atomic_write_text(out_dir / "claims.md",
                                                claims_page(claim_rows, profile)))  # fmt: skip
    if status_rows and only is None:
        page = status_page(status_rows, profile, len(everything) - len(current))
        written.status.append(atomic_write_text(out_dir / "status.md", page))
    return written


# -- the command --------------------------------------------------------------------------------
class ReportError(MissDiffError):
    """Why `missdiff-report` stops (one line), before it writes anything; `code`: exit status."""

    def __init__(self, message: str, code: int = 2) -> None:
        super().__init__(message)
        self.code = code


def _inside(path: Path, folder: Path) -> bool:
    return path.resolve().is_relative_to(folder.resolve())


def _file_on_path(path: Path) -> Path | None:
    """The file (not a folder) at `path` or at the nearest existing folder above it, if any."""
    for candidate in (path, *path.parents):
        if candidate.exists():
            return None if candidate.is_dir() else candidate
    return None


def _outputs(args: argparse.Namespace, records_dir: Path) -> tuple[Path, Path | None]:
    """The tables and figures folders (None: no figures); checked before anything is written."""
    tracked = records_dir.resolve() == TRACKED_RECORDS.resolve()
    out = Path(args.out if args.out is not None else DEFAULT_OUT)
    figures = Path(args.figures_out) if args.figures_out is not None else None
    if figures is None and tracked:
        figures = Path(DEFAULT_FIGURES)
    if not tracked:
        if args.out is None:
            raise ReportError(
                f"--records {records_dir} is not the tracked results/runs: pass --out (the"
                f" default {DEFAULT_OUT} is rebuilt only from results/runs)"
            )
        for flag, path in (("--out", out), ("--figures-out", figures)):
            if path is not None and _inside(path, TRACKED_RESULTS):
                raise ReportError(
                    f"{flag} {path} is under the tracked {TRACKED_RESULTS}, which is rebuilt only"
                    f" from {TRACKED_RECORDS}, not from --records {records_dir}: pass {flag}"
                    " outside it"
                )
    for flag, path in (("--out", out), ("--figures-out", figures)):
        blocker = _file_on_path(path) if path is not None else None
        if blocker is not None:
            raise ReportError(f"{flag} {path} cannot be a folder: {blocker} is a file")
    return out, figures


def _unreadable_reason(path: Path) -> str:
    missing = [name for name in ("config.yaml", "metrics.json") if not (path / name).is_file()]
    return f"no {' and no '.join(missing)}" if missing else "config.yaml or metrics.json is corrupt"


def _report(args: argparse.Namespace) -> int:
    if args.profile is not None and args.profile not in PROFILE_RANK:
        raise ReportError(f"unknown --profile {args.profile!r}; one of {', '.join(PROFILE_RANK)}")
    records_dir = Path(args.records)
    if not records_dir.is_dir():
        raise ReportError(f"no records folder {records_dir}; run missdiff-run first")
    out, figures = _outputs(args, records_dir)

    unreadable: list[Path] = []
    records = list(iter_records(records_dir, unreadable))
    for path in unreadable:
        print(f"{PROG}: warning: cannot read record {path}: {_unreadable_reason(path)}",
              file=sys.stderr)  # fmt: skip
    if not records:
        raise ReportError(f"no records under {records_dir}; run missdiff-run first", code=1)
    if args.experiment is not None:
        known = set(experiment_modules()) | set(group_records(records))
        if args.experiment not in known:
            raise ReportError(
                f"unknown --experiment {args.experiment!r}: no experiments/{args.experiment}.py"
                f" and no record tagged with it; known: {', '.join(sorted(known))}"
            )

    # One profile's tables: only the experiments that ran at it (the full set, with the paper's
    # values for what has not run, is the default report's).
    try:
        written = write_report(
            records_dir, out, figures, args.experiment,
            include_unrun=args.profile is None, profile=args.profile, records=records,
        )  # fmt: skip
    except OSError as err:
        raise ReportError(f"cannot write the report: {err}", code=1) from err
    for path in written.all:
        print(path)
    if written.figures_skipped:
        print(f"{PROG}: note: not written without --figures-out (records outside results/runs):"
              f" {', '.join(written.figures_skipped)}", file=sys.stderr)  # fmt: skip
    if args.wandb:
        from missdiff.loggers import log_tables_to_wandb

        # Tables without records hold only the paper's values: nothing to put on a dashboard.
        log_tables_to_wandb([p for p in written.tables if p.suffix == ".csv"], mode=args.wandb)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--records", default=DEFAULT_RECORDS, help="records folder")
    parser.add_argument(
        "--out",
        default=None,
        help=f"where tables are written (default: {DEFAULT_OUT}, only from the tracked records)",
    )
    parser.add_argument(
        "--figures-out",
        default=None,
        help=f"where figures (.png) are written (default: {DEFAULT_FIGURES} from the tracked"
        " records; none from other records)",
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
    try:
        return _report(args)
    except ReportError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return err.code


if __name__ == "__main__":
    sys.exit(main())
