"""Records -> cells (one per row labels and column; mean over seeds, highest profile reached),
and the paper's claims checked on the paper's values and on ours, each profile on its own."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from missdiff.claims import Claim, Estimate, Verdict, better_than
from missdiff.records import COMPLETED, FAILED, NOT_APPLICABLE, Record
from missdiff.report.spec import PROFILE_RANK, TableSpec, profile_label


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
    threads: int = 1  # the most CPU threads any of its finished runs used (wall times scale)


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
                cell.threads = max(cell.threads, int(rec.metrics.get("threads") or 1))
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


def higher_is_better(cells: Mapping[tuple[str, ...], Cell], spec: TableSpec) -> bool | None:
    """What the records say (their metric's direction), else what the spec says."""
    hib = next((c.higher_is_better for c in cells.values() if c.higher_is_better is not None), None)
    return spec.higher_is_better if hib is None else hib


def by_profile(records: Iterable[Record]) -> dict[str, list[Record]]:
    """Records grouped by profile, lowest profile first (smoke, quick, paper)."""
    groups: dict[str, list[Record]] = defaultdict(list)
    for rec in records:
        groups[profile_label(rec.config)].append(rec)
    return {p: groups[p] for p in sorted(groups, key=lambda p: PROFILE_RANK.get(p, -1))}


def row_sort_key(spec: TableSpec) -> Callable[[tuple[str, ...]], tuple]:
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


def cells_by_profile(
    records: list[Record], spec: TableSpec
) -> dict[str, dict[tuple[str, ...], Cell]]:
    """The table's cells made from each profile's records alone, lowest profile first."""
    return {p: collect(recs, spec) for p, recs in by_profile(records).items()}


def estimate(cell: Cell) -> Estimate:
    """A cell with values as the claims see it (comparisons on the seeds two cells share)."""
    return Estimate.of(zip(cell.seeds, cell.values, strict=True), cell.profile)


Verdicts = list[tuple[Claim, Verdict, list[tuple[str, Verdict]]]]


def check_claims(records: list[Record], spec: TableSpec) -> Verdicts:
    """(claim, verdict on the paper's values, [(profile, verdict on ours at it)]) per claim.

    Ours is checked at each profile on its own, never on a table that mixes profiles: a cell is
    its mean over seeds; a not-applicable cell is the paper's "-"; a cell with no finished seed
    is left out (not run), and so is a column outside `spec.column_order` (e.g. another encoding
    of a dataset, which the paper's claim is not about)."""
    if not spec.claims:
        return []
    cells_at = cells_by_profile(records, spec)
    hib = higher_is_better({k: c for cells in cells_at.values() for k, c in cells.items()}, spec)
    if hib is None:
        raise ValueError(f"{spec.title}: claims need higher_is_better in the spec")
    order = row_sort_key(spec)
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
                table[key] = estimate(cell)
            elif cell.not_applicable:
                table[key] = Estimate(math.nan, profile=profile)
    out = []
    for claim in spec.claims:
        on_paper = claim.check(paper, hib) if paper else Verdict(None, "the paper gives no values")
        out.append((claim, on_paper, [(p, claim.check(t, hib)) for p, t in ours.items()]))
    return out


def column_ranks(
    cells: Mapping[tuple[str, ...], Cell],
    at_profile: Mapping[str, Mapping[tuple[str, ...], Cell]],
    row: str,
    higher_is_better: bool,
) -> dict[str, tuple[int, int, str]]:
    """Per column of a one-row-label table: (rank, rows ranked, profile) of `row`'s shown cell
    (`cells`), 1 = best, among the rows that have values at that cell's profile (a `quick` mean
    is not ranked against a `paper` one). Rivals come from `at_profile` (cells_by_profile): each
    rival's cell made from its records at that profile alone, so a rival whose shown cell moved
    up to `paper` still ranks against a `quick` row. Each rival is set against `row` on the seeds
    the two ran (`on_shared_seeds`): a rival ranks above when its mean there beats `row`'s. Ties
    share the better rank."""
    out = {}
    for (label, column), cell in cells.items():
        if label != row or not cell.values:
            continue
        mine = estimate(cell)
        rivals = [
            estimate(c)
            for (other, col), c in at_profile.get(cell.profile, {}).items()
            if col == column and other != row and c.values
        ]
        better = sum(better_than(r, mine, higher_is_better) for r in rivals)
        out[column] = (1 + better, 1 + len(rivals), cell.profile)
    return out
