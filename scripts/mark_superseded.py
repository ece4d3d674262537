"""Mark the records that a newer configuration of the same job replaces: prints what it did.

When a profile's budget changes (e.g. Table 1's `paper` imputation budget became TabCSDI's), the
records of the old configuration stay under results/runs: their numbers are real and their
configs still reproduce them. But a table must show the current budgets only. A record is
superseded when an experiment it is tagged with has, at the record's profile, a job for the same
cell (same data, mechanism, model, evaluator, seed; missdiff.sweep.cell_of) whose record key is
not the record's, and no tagged experiment has the record's own key as a job. Such a record gets
`superseded: {"on": <date>, "by": <the current key>, "why": ...}` in its metrics.json (a record
that became current again loses the mark); missdiff-report leaves superseded records out and
counts them on status.md. A record of a cell no sweep has (an off-protocol extra) is left alone.
Without --apply it only reports.

    .venv/bin/python scripts/mark_superseded.py results/runs [--apply]
"""

from __future__ import annotations

import argparse
import datetime
import sys
from collections import defaultdict
from pathlib import Path

from missdiff.records import iter_records, rewrite_metrics
from missdiff.report.discover import load_experiment
from missdiff.report.spec import profile_label
from missdiff.sweep import SWEEPS, cell_of, composed_jobs


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=Path)
    parser.add_argument("--apply", action="store_true", help="write the marks (default: report)")
    args = parser.parse_args()
    records = list(iter_records(args.records))
    wanted = defaultdict(set)  # (experiment, profile) pairs that records need
    for rec in records:
        for exp in rec.metrics.get("experiments") or []:
            wanted[(exp, profile_label(rec.config))].add(rec.path.name)
    current: dict[tuple[str, str], tuple[set[str], dict[str, str]]] = {}
    for exp, profile in sorted(wanted):
        sweeps = [s for s in load_experiment(exp).sweeps if (SWEEPS / f"{s}.yaml").is_file()]
        keys, cells = set(), {}
        for sweep in sweeps:
            for _, config, key in composed_jobs(sweep, profile):
                keys.add(key)
                cells[cell_of(config)] = key
        current[(exp, profile)] = (keys, cells)
        print(f"{exp} at {profile}: {len(keys)} current jobs", flush=True)
    today = datetime.date.today().isoformat()
    marked = unmarked = 0
    for rec in records:
        profile = profile_label(rec.config)
        tags = [t for t in rec.metrics.get("experiments") or [] if (t, profile) in current]
        key = rec.path.name
        if any(key in current[(t, profile)][0] for t in tags):
            by = None
        else:
            by = next((current[(t, profile)][1].get(cell_of(rec.config)) for t in tags
                       if cell_of(rec.config) in current[(t, profile)][1]), None)  # fmt: skip
        before = rec.metrics.get("superseded")
        if by is None and before is not None:
            unmarked += 1
            print(f"current again: {key}")
            if args.apply:
                del rec.metrics["superseded"]
                rewrite_metrics(rec)
        elif by is not None and (before is None or before.get("by") != by):
            marked += 1
            print(f"superseded: {key} ({', '.join(tags)} at {profile}) by {by}")
            if args.apply:
                rec.metrics["superseded"] = {
                    "on": today, "by": by,
                    "why": "the sweep's job for this cell now has another configuration",
                }  # fmt: skip
                rewrite_metrics(rec)
    dry = "" if args.apply else " (dry run: --apply to write)"
    print(f"{len(records)} records: {marked} newly superseded, {unmarked} current again{dry}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
