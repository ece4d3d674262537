"""Cells and verdicts -> text: each table's markdown and CSV frame, its claims section, the
one-page status.md and claims.md, and the experiments' figures as PNG."""

from __future__ import annotations

import math
import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from missdiff.claims import Claim, Verdict
from missdiff.files import atomic_path
from missdiff.records import Record
from missdiff.report.aggregate import (
    Cell,
    Verdicts,
    cells_by_profile,
    check_claims,
    collect,
    column_ranks,
    higher_is_better,
    row_sort_key,
)
from missdiff.report.spec import TableSpec, profile_label

# Shown in the reproduce command of an experiment that has no records yet (`make reproduce`'s).
DEFAULT_PROFILE = "quick"


# -- one table ----------------------------------------------------------------------------------
PAPER_CLAIMS = "The paper's claims, checked on its values and on ours"
PEER_CLAIMS = "Against newer peers"  # our claims about methods published after the paper


def paper_verdict(claim: Claim, on_paper: Verdict) -> str | None:
    """The verdict on the published values, or None where there is nothing to check: no
    published table has MissDiff beside a newer peer."""
    return None if claim.about_peers and on_paper.holds is None else on_paper.line()


def claims_markdown(verdicts: Verdicts) -> list[str]:
    """The claims sections under a table: the paper's, then ours about the newer peers."""
    lines: list[str] = []
    for peers, title in ((False, PAPER_CLAIMS), (True, f"{PEER_CLAIMS} (ours, not the paper's)")):
        chosen = [v for v in verdicts if v[0].about_peers is peers]
        if chosen:
            lines += ["", f"## {title}", ""]
        for claim, on_paper, on_ours in chosen:
            lines.append(f'- "{claim.quote}" ({claim.where})')
            if claim.reading:
                lines.append(f"  - read as: {claim.reading}")
            if (published := paper_verdict(claim, on_paper)) is not None:
                lines.append(f"  - paper's values: {published}")
            for profile, verdict in on_ours:
                lines.append(f"  - ours at `{profile}`: {verdict.line()}")
            if not on_ours:
                lines.append("  - ours: not run yet")
    return lines


def _fmt(x: float, digits: int) -> str:
    return f"{x:.{digits}f}"


def cell_text(cell: Cell | None, paper: float | None, digits: int, tag: str = "paper") -> str:
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
        if cell.threads > 1:
            text += f", {cell.threads} threads"
        if cell.failed:
            text += f", {cell.failed} failed"
    elif cell.failed:
        text = f"FAILED ({cell.failed})"
    else:
        text = "missing"
    if paper_na:
        text += f" | {tag} -"
    elif paper is not None:
        text += f" | {tag} {_fmt(paper, digits)}"
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


def budget_text(model: Mapping[str, Any]) -> str:
    """A diffusion model's training budget and denoiser in words, from its config section."""
    steps = model.get("train_steps") or 0
    budget = f"{steps:,} steps" if steps else f"{model['epochs']} epochs"
    if model.get("denoiser", "backbone") == "mlp":
        net = f"MLP {model.get('mlp_width')}x{model.get('mlp_depth')}"
    else:
        net = f"backbone {model.get('channels')} channels, {model.get('n_heads')} heads"
    ema = f", EMA {model['ema_decay']:g}" if model.get("ema_decay") else ""
    return f"{budget} of batch {model['batch_size']}, {net}, T = {model.get('num_steps')}{ema}"


def budget_line(records: Sequence[Record]) -> str:
    """Which budgets the diffusion models of these cells trained with, per profile (a table says
    which budget it used; the imputation and generation tables use different ones)."""
    seen: dict[str, set[str]] = {}
    for rec in records:
        model = rec.config.get("model", {})
        if "num_steps" in model and "batch_size" in model:  # the diffusion models
            profile = str(rec.config.get("profile", {}).get("name", ""))
            seen.setdefault(profile, set()).add(budget_text(model))
    if not seen:
        return ""
    parts = [f"`{p}`: {'; '.join(sorted(b))}" for p, b in sorted(seen.items())]
    return "Diffusion models trained for " + " / ".join(parts) + "."


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
    row_keys = sorted({k[:-1] for k in keys}, key=row_sort_key(spec))
    # `column_order` orders the columns that have records or paper values; others follow, sorted.
    present = {k[-1] for k in keys}
    columns = [c for c in spec.column_order if c in present]
    columns += sorted(present - set(columns))
    hib = higher_is_better(cells, spec)
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
        metric_line + " Cells: mean (std over seeds) n=seeds profile (and the CPU threads a"
        " run used, where more than one);"
        f" `| {spec.reference_tag} x (+d)` is {spec.reference_source}'s value and our"
        " difference. `-`: not applicable;"
        " `not run`: no record yet.",
    ]
    if not records:
        lines += ["", "**Not run yet**: no records for this experiment."]
        if requires:
            lines += ["", requires.strip()]
    if spec.notes:
        lines += ["", spec.notes.strip()]
    budgets = budget_line(records)
    if budgets:
        lines += ["", budgets]
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
            texts.append(cell_text(cell, paper, spec.digits, spec.reference_tag))
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
                    "threads": cell.threads if cell is not None and cell.values else None,
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
    if spec.rank_row and len(row_names) == 1 and hib is not None:
        ranks = column_ranks(cells, cells_by_profile(records, spec), spec.rank_row, hib)
        lines += rank_lines(spec.rank_row, ranks, columns)
    failures = sorted({e for c in cells.values() for e in c.errors if e})
    if failures:
        lines += ["", "Failed runs (see their records):", *[f"- {e}" for e in failures[:20]]]
    if verdicts is None:
        verdicts = check_claims(records, spec)
    lines += claims_markdown(verdicts)
    return "\n".join(lines) + "\n", pd.DataFrame(rows_csv)


def rank_lines(
    row: str, ranks: Mapping[str, tuple[int, int, str]], columns: Sequence[str]
) -> list[str]:
    """A line under the table: where `row` stands in each column it has a value in."""
    if not ranks:
        return []
    parts = [f"{c} {ranks[c][0]} of {ranks[c][1]} ({ranks[c][2]})" for c in columns if c in ranks]
    return [
        "",
        f"{row}'s rank (1 = best; among the methods with records in that column at the profile"
        f" of {row}'s cell, each set against {row} on the seeds both ran): "
        + "; ".join(parts)
        + ".",
    ]


def profile_note(text: str, profile: str) -> str:
    """A table's markdown with a line under its title: only the records of `profile`."""
    title, rest = text.split("\n", 1)
    return (f"{title}\n\nOnly records at the `{profile}` profile"
            f" (`missdiff-report --profile {profile}`).\n{rest}")  # fmt: skip


# -- one-page summaries -------------------------------------------------------------------------
def claims_rows(table: str, verdicts: Verdicts) -> list[tuple[bool, str]]:
    """A table's rows of claims.md: one per claim, its verdicts on the paper's values and ours,
    each with whether the claim is ours about the newer peers (`Claim.about_peers`)."""
    rows = []
    for claim, on_paper, on_ours in verdicts:
        ours = "<br>".join(f"`{p}`: {v.line()}" for p, v in on_ours) or "not run yet"
        paper = paper_verdict(claim, on_paper) or "-"
        cols = (table, f'"{claim.quote}" ({claim.where})', paper, ours)
        row = "| " + " | ".join(c.replace("|", "\\|") for c in cols) + " |"
        rows.append((claim.about_peers, row))
    return rows


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


def status_page(rows: list[tuple[str, str]], profile: str | None, superseded: int = 0) -> str:
    """`status.md`: how far each table has got, one (table, status_row) per table; `superseded`
    counts the records left out because a newer configuration of their job replaced them."""
    scope = f"records at the `{profile}` profile" if profile else "each cell at its highest profile"
    intro = (
        f"Counted from the tables' CSVs ({scope}). A cell is one (row, column) of a table that has"
        " a record of ours or a value of the paper's. `ran`: at least one finished seed;"
        " `n>=2`: enough seeds for a standard deviation; `at paper` / `at quick`: the profile"
        " the cell shows; `not run`: no record yet (the paper's value stands alone);"
        " `failed only`: every record of the cell failed. A job whose cell has neither a record"
        " nor a value of the paper's (a newer peer's cell, a ForestFlow column) is not a cell"
        " here: pending-quick.md counts every job of every sweep, run or not. What each pending"
        " sweep costs:"
        " pending-quick.md beside this page (`python scripts/sweep_budget.py --profile quick"
        " --markdown results/tables/pending-quick.md`; `--profile paper` for the other profile);"
        " `make reproduce` leaves a sweep unstarted when its pending jobs do not fit its"
        " RUN_MINUTES, and names it. Cells that cannot run on this project's 2-core CPU"
        " machines: Tables 3, 8 and 11 need"
        " MIMIC-IV-ED, credentialed data a user supplies (each table says how); Census's"
        " diffusion cells at `paper` need a GPU (a Table 1 run there is 15-18 single-thread hours"
        " on the CPU, results/NOTES.md; scripts/device/ runs them on a lent one); ForestDiffusion"
        " and ForestFlow on Census need a cluster's CPUs (about 10.6 single-thread hours per run,"
        " scripts/bench_forest_fit.py; results/NOTES.md, session 28): our wrapper fits their"
        " XGBoost models on the CPU (the library's `gpu_hist` option is not exposed)."
    )
    if superseded:
        intro += (
            f" {superseded} records of older configurations of their jobs (e.g. a budget that"
            " changed) are kept under results/runs, marked `superseded` by"
            " scripts/mark_superseded.py, and left out of every table."
        )
    header = ("table", "cells", "ran", "n>=2", "seeds", "at paper", "at quick", "not applicable",
              "not run", "failed only")  # fmt: skip
    ordered = [row for _, row in sorted(rows, key=lambda r: _paper_order(r[0]))]
    return _page("How far each table has got", intro, header, ordered)


def claims_page(rows: list[tuple[bool, str]], profile: str | None) -> str:
    """`claims.md`: every table's claims and their verdicts (claims_rows), on one page; our
    claims about the newer peers in a section of their own after the paper's."""
    scope = f"records at the `{profile}` profile" if profile else "every profile that ran"
    intro = (
        "Each claim is a sentence of the paper about one of its tables, checked by the same code"
        " (missdiff/claims.py) on the paper's own values and on our records"
        f" ({scope}), each profile on its own. Our comparisons are flagged when a paired t-test"
        " over the seeds both cells share gives p >= 0.05 (a seed's mask and fold are the same"
        " for every model), or, below three shared seeds, when they lie within one standard"
        " deviation or rest on one seed. Details and each table's cells: `<table>.md`."
    )
    header = ("table", "claim", "paper's values", "ours")
    page = _page(PAPER_CLAIMS, intro, header, [row for peers, row in rows if not peers])
    peer_rows = [row for peers, row in rows if peers]
    if not peer_rows:
        return page
    peers_intro = (
        "Not the paper's claims: where MissDiff stands against methods published after it"
        " (ForestDiffusion and ForestFlow, Jolicoeur-Martineau et al. 2024; miceforest), on the"
        " paper's protocols (Table 1 beside the peers, Figure 1, Tables 2 and 7) and on"
        " ForestDiffusion's own imputation benchmark, checked by the same code (`-`: no"
        " published table has both MissDiff and the peer)."
    )
    return page + "\n#" + _page(PEER_CLAIMS, peers_intro, header, peer_rows)


def _page(title: str, intro: str, header: Sequence[str], rows: Iterable[str]) -> str:
    """A one-table markdown page: title, intro paragraph, header, the given table rows."""
    lines = [f"# {title}", "", intro, "", "| " + " | ".join(header) + " |",
             "|" + "---|" * len(header), *rows]  # fmt: skip
    return "\n".join(lines) + "\n"


# -- figures ------------------------------------------------------------------------------------
def write_figures(
    figures: Mapping[str, Callable[[list[Record]], Any]], records: list[Record], out_dir: Path
) -> list[Path]:
    """Each figure function's matplotlib Figure as `<out_dir>/<name>.png`, written atomically."""
    paths = []
    for name, make in figures.items():
        fig = make(records)
        path = out_dir / f"{name}.png"
        with atomic_path(path) as tmp:  # the temporary name has no .png: say the format
            fig.savefig(tmp, format="png", dpi=150, bbox_inches="tight")
        paths.append(path)
    return paths
