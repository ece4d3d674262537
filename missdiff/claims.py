"""The paper's claims about its tables, checked by the same code on its values and on ours.

The paper's text states what its tables show ("For most datasets, MissDiff achieves the lowest
RMSE", Section 4.1). An experiment's `TableSpec.claims` lists those sentences as `Claim`s, each
with a check over the table's cells. `missdiff-report` prints under the table whether each claim
holds in the paper's own values and in our records, and gathers every verdict in `claims.md`: a
reader sees what we measured and also whether the paper's table supports its text.

Checks are literal: "better" is the cell mean (of ours: over the seeds both cells ran, since a
seed's fold and mask are shared by every model), a claim about every row fails on one row that
contradicts it, and a row where a needed cell has not run is left out and named, unless a rival
present already beats the method there (no missing cell can then save the row: it counts as
"no"). Our comparisons are tested seed by seed where both cells share three seeds or more (a
seed's mask and fold are the same for every model): a two-sided paired t-test with p >= 0.05 is
flagged ("paired p = ..."). With fewer shared seeds a margin within one standard deviation, or a
single seed, is flagged. A flagged comparison is never settled in anyone's favour.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.stats import spearmanr

Key = tuple[str, ...]


@dataclass(frozen=True)
class Estimate:
    """One cell: its mean and, for ours, the spread over seeds and the profile it reached.

    A NaN mean is a cell that does not apply (the paper's "-"); a cell that has not run is not in
    the table at all."""

    mean: float
    std: float = math.nan  # sample std over seeds: NaN for the paper's values and for one seed
    n: int = 0  # seeds: 0 for the paper's values
    profile: str = ""
    # (seed, value) of each of our seeds: a seed's mask and fold are the same for every model,
    # so two cells are compared seed by seed (a paired test), not by their spreads alone.
    by_seed: tuple[tuple[int, float], ...] = ()

    @classmethod
    def of(cls, by_seed: Iterable[tuple[int, float]], profile: str = "") -> Estimate:
        """Ours, from (seed, value) pairs: mean, sample std (NaN for one seed) and n."""
        pairs = tuple(by_seed)
        values = [v for _, v in pairs]
        std = float(np.std(values, ddof=1)) if len(values) > 1 else math.nan
        return cls(float(np.mean(values)), std, len(values), profile, pairs)


Table = Mapping[Key, Estimate]
NEEDS = ("all", "most")  # a claim about every row, or about more than half of them


@dataclass(frozen=True)
class Verdict:
    holds: bool | None  # None: no row could be checked
    text: str

    def line(self) -> str:
        word = {True: "holds", False: "does not hold", None: "not checkable"}[self.holds]
        return f"{word}: {self.text}" if self.text else word


Check = Callable[[Table, bool], Verdict]  # (cells, higher_is_better) -> verdict


def _need(need: str) -> str:
    if need not in NEEDS:
        raise ValueError(f"need must be one of {NEEDS}, got {need!r}")
    return need


PEERS = "not a paper claim (newer peers)"  # a Claim's `where` when the sentence is ours


@dataclass(frozen=True)
class Claim:
    """A sentence of the paper about a table, and how to check it on one table of cell means.

    A claim of ours about the newer peers (not in the paper) has `where=PEERS`; claims.md lists
    those apart from the paper's."""

    quote: str  # the paper's words
    where: str  # where the paper says it, e.g. "Section 4.1"
    check: Check
    reading: str = ""  # how we read words that need a reading ("most", "better")

    @property
    def about_peers(self) -> bool:
        return self.where == PEERS


# -- helpers ------------------------------------------------------------------------------------
def _split(table: Table, axis: int) -> dict[Key, dict[str, Estimate]]:
    """{key without the method label: {method label: estimate}}, in the table's order."""
    groups: dict[Key, dict[str, Estimate]] = {}
    for key, est in table.items():
        i = axis % len(key)
        groups.setdefault(key[:i] + key[i + 1 :], {})[key[i]] = est
    return groups


def _name(group: Key) -> str:
    return " / ".join(group) or "all"


def on_shared_seeds(a: Estimate, b: Estimate) -> tuple[Estimate, Estimate, str]:
    """a and b over the seeds both have, and a note saying so ("" when nothing was dropped).

    A seed's fold and mask are the same for every model, and folds differ in difficulty (Wine's
    seed 0 fold: Mean/Mode 0.095 against its five-seed 0.078), so one model's seed-0 value is set
    against the other's seed-0 value, never against its mean over seeds it ran and the first did
    not. Cells without per-seed values (the paper's) or with no seed in common stay as they are."""
    va, vb = dict(a.by_seed), dict(b.by_seed)
    shared = sorted(set(va) & set(vb))
    if not shared or (len(shared) == len(va) and len(shared) == len(vb)):
        return a, b, ""
    note = f"seed {shared[0]}" if len(shared) == 1 else f"seeds {', '.join(map(str, shared))}"
    a2 = Estimate.of(((s, va[s]) for s in shared), a.profile)
    b2 = Estimate.of(((s, vb[s]) for s in shared), b.profile)
    return a2, b2, f"on shared {note}"


def better_than(a: Estimate, b: Estimate, higher: bool) -> bool:
    """a's mean beats b's, over the seeds both ran (see `on_shared_seeds`)."""
    a, b, _ = on_shared_seeds(a, b)
    return a.mean > b.mean if higher else a.mean < b.mean


PAIRED_MIN_SEEDS = 3  # fewer shared seeds: no paired test, the one-std rule instead
PAIRED_ALPHA = 0.05


def paired_p(a: Estimate, b: Estimate) -> tuple[float, int]:
    """Two-sided paired t-test of a against b over the seeds both have: (p, shared seeds); p is
    NaN below PAIRED_MIN_SEEDS shared seeds. Identical differences (zero spread) give p = 0 when
    they are not all zero."""
    from scipy.stats import ttest_rel

    va, vb = dict(a.by_seed), dict(b.by_seed)
    shared = sorted(set(va) & set(vb))
    if len(shared) < PAIRED_MIN_SEEDS:
        return math.nan, len(shared)
    diffs = np.array([va[s] - vb[s] for s in shared])
    if np.all(diffs == diffs[0]):
        return (0.0 if diffs[0] != 0 else 1.0), len(shared)
    return float(ttest_rel([va[s] for s in shared], [vb[s] for s in shared]).pvalue), len(shared)


def _caveat(a: Estimate, b: Estimate) -> str:
    """Why our comparison of a and b may be noise ("" for the paper's values or a clear gap).

    With PAIRED_MIN_SEEDS or more shared seeds: a paired t-test, flagged at p >= 0.05; else a
    margin within one standard deviation over seeds, or a single seed, is flagged."""
    if a.n == 0 and b.n == 0:
        return ""
    p, shared = paired_p(a, b)
    if not math.isnan(p):
        return f"paired p = {p:.2f} over {shared} seeds" if p >= PAIRED_ALPHA else ""
    a, b, _ = on_shared_seeds(a, b)
    if min(a.n, b.n) < 2:
        return "one seed"
    if abs(a.mean - b.mean) <= max(a.std, b.std):
        return "within one std"
    return ""


def _versus(a: Estimate, b: Estimate, b_name: str, joiner: str = "") -> str:
    """a set against b on the seeds both ran, with the caveats, as a verdict prints it: e.g.
    `0.08 < X 0.09, on shared seed 0, one seed`; `joiner` replaces the " < " / " > "."""
    a2, b2, note = on_shared_seeds(a, b)
    joiner = joiner or (" > " if a2.mean > b2.mean else " < ")
    extra = ", ".join(t for t in (note, _caveat(a, b)) if t)
    return f"{_fmt(a2.mean)}{joiner}{b_name} {_fmt(b2.mean)}" + (f", {extra}" if extra else "")


def _fmt(x: float) -> str:
    return f"{x:.4g}"


def _profiles(table: Table) -> str:
    """Names the profiles only of a table that mixes them (the report checks one at a time)."""
    found = sorted({e.profile for e in table.values() if e.profile})
    return f" Cells at {', '.join(found)}." if len(found) > 1 else ""


# Rows listed with their numbers; beyond this many, rows that hold unflagged are only named.
_FULL_ROWS = 9


def _summary(
    table: Table, results: list[tuple[str, bool, str]], skipped: list[str], need: str
) -> Verdict:
    """`need`: "all" (every checked row) or "most" (more than half of them)."""
    tail = f" Not checkable yet: {'; '.join(skipped)}." if skipped else ""
    if not results:
        return Verdict(None, ("no row has the cells it needs." + tail) if table else "no cells yet")
    ok = sum(good for _, good, _ in results)
    holds = ok == len(results) if need == "all" else ok > len(results) / 2
    full = len(results) <= _FULL_ROWS
    parts, plain = [], []
    for name, good, detail in results:
        if full or not good or "one seed" in detail or "within one std" in detail:
            parts.append(f"{name} {'yes' if good else 'no'} ({detail})")
        else:
            plain.append(name)
    if plain:
        parts.append(f"yes: {', '.join(plain)}")
    text = f"{ok} of {len(results)} rows: " + "; ".join(parts) + "." + tail + _profiles(table)
    return Verdict(holds, text)


# -- checks -------------------------------------------------------------------------------------
def within(keep: Callable[[Key], bool], check: Check) -> Check:
    """`check` on the cells whose key `keep` accepts: a claim about part of a table (e.g. the
    ratios a peer is run at), so cells it never covers are not listed as "not checkable yet"."""

    def checked(table: Table, higher: bool) -> Verdict:
        return check({key: est for key, est in table.items() if keep(key)}, higher)

    return checked


def against_peer(
    quote: str,
    peer: str,
    reading: str,
    *,
    axis: int = -1,
    keep: Callable[[Key], bool] | None = None,
) -> Claim:
    """Our claim (not the paper's) that MissDiff beats the newer `peer` in every row: of the
    cells `keep` accepts, where the peer's sweep covers only part of the table."""
    check = beats("MissDiff", [peer], axis=axis, need="all")
    return Claim(quote, PEERS, check if keep is None else within(keep, check), reading)


def beats(method: str, rivals: Sequence[str], *, axis: int = -1, need: str = "all") -> Check:
    """`method` is better than every applicable rival, in all (or most) rows.

    `axis`: which key label names the method (-1: the table's column)."""
    _need(need)

    def check(table: Table, higher: bool) -> Verdict:
        results, skipped = [], []
        for group, row in _split(table, axis).items():
            missing = [m for m in (method, *rivals) if m not in row]
            if missing and method not in row:
                if any(r in row for r in rivals):
                    skipped.append(f"{_name(group)} ({', '.join(missing)})")
                continue
            lead = row[method]
            present = [r for r in rivals if r in row and not math.isnan(row[r].mean)]
            if math.isnan(lead.mean) or not present:
                if missing:
                    skipped.append(f"{_name(group)} ({', '.join(missing)})")
                continue  # otherwise not applicable here (the paper's "-")
            details, good = [], True
            for r in present:
                good &= better_than(lead, row[r], higher)
                details.append(_versus(lead, row[r], r))
            if missing:
                if good:  # the missing rival could still decide the row
                    skipped.append(f"{_name(group)} ({', '.join(missing)})")
                    continue
                details.append(f"{', '.join(missing)} not run")  # already lost to a rival
            results.append((_name(group), good, "; ".join(details)))
        return _summary(table, results, skipped, need)

    return check


def best(
    method: str, *, axis: int = -1, need: str = "most", among: Sequence[str] | None = None
) -> Check:
    """`method` has the best mean among the methods of a row, in most (or all) rows.

    `among`: the methods the claim compares (e.g. the paper's, when a table also shows newer
    peers); default every method of the table. A row counts when every method compared has a
    cell in it (run or "-"), or when a method present already beats `method` there: no missing
    cell can then make it the best."""
    _need(need)

    def check(table: Table, higher: bool) -> Verdict:
        groups = _split(table, axis)
        if among is not None:
            kept = {method, *among}
            rows = {g: {m: e for m, e in row.items() if m in kept} for g, row in groups.items()}
            groups = {g: row for g, row in rows.items() if row}  # a row only peers ran: no row
        expected = {m for row in groups.values() for m in row}
        results, skipped = [], []
        for group, row in groups.items():
            missing = sorted(expected - set(row))
            values = {m: e for m, e in row.items() if not math.isnan(e.mean)}
            lead = values.get(method)
            rivals = [m for m in values if m != method]
            # Ours against each rival on the seeds the two share; the rival ahead by most (or,
            # when ours leads every pair, the one closest behind) is the one the row names.
            margins = {}
            for m in rivals if lead is not None else []:
                a, b, _ = on_shared_seeds(lead, values[m])
                margins[m] = (b.mean - a.mean) if higher else (a.mean - b.mean)
            wins = lead is not None and all(d <= 0 for d in margins.values())
            # A row with cells not run is settled only when a present method already beats ours.
            if missing and (lead is None or wins):
                skipped.append(f"{_name(group)} ({', '.join(missing)})")
                continue
            if lead is None or not rivals:
                continue
            named = max(margins, key=lambda m: margins[m])
            detail = _versus(lead, values[named], named, "; next " if wins else "; best ") + (
                f"; {', '.join(missing)} not run" if missing else ""
            )
            results.append((_name(group), wins, detail))
        return _summary(table, results, skipped, need)

    return check


def widens(method: str, rival: str, *, trend_axis: int, axis: int = -1) -> Check:
    """`method`'s advantage over `rival` grows with the numeric label at `trend_axis` (e.g. the
    missing ratio): Spearman's rank correlation of advantage and label is positive in each group.
    """

    def check(table: Table, higher: bool) -> Verdict:
        series: dict[Key, list[tuple[float, float]]] = {}
        for key, est in table.items():
            if key[axis] != method:
                continue
            i = axis % len(key)
            other = (*key[:i], rival, *key[i + 1 :])
            if other not in table or math.isnan(est.mean) or math.isnan(table[other].mean):
                continue
            gap = est.mean - table[other].mean
            drop = {axis % len(key), trend_axis % len(key)}
            group = tuple(label for j, label in enumerate(key) if j not in drop)
            series.setdefault(group, []).append((float(key[trend_axis]), gap if higher else -gap))
        results, skipped = [], []
        for group, points in series.items():
            if len(points) < 3:  # a trend needs three points
                skipped.append(f"{_name(group)} ({len(points)} of the 3 points a trend needs)")
                continue
            points.sort()
            rho = float(spearmanr(*np.array(points).T).statistic)
            detail = (
                f"advantage {_fmt(points[0][1])} at {points[0][0]:g} -> {_fmt(points[-1][1])} at"
                f" {points[-1][0]:g}, Spearman {rho:+.2f}"
            )
            results.append((_name(group), rho > 0, detail))
        return _summary(table, results, skipped, "all")

    return check
