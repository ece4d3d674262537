"""What is left of each experiment's sweep at a profile, and what it will cost: prints figures.

Not a test. For every sweep in missdiff/configs/experiment/ (or the ones named), expands its
`hydra.sweeper.params` (plus any `--override`s, which replace a swept key as on the
`missdiff-run -m` command line), composes each job exactly as `missdiff-run` does and looks its
record key up under the records folder. A pending job's cost is the median wall time of the
completed records with the same dataset, model, evaluator and profile (any experiment, any mechanism
or seed); jobs without such a record are counted as "no estimate". `spent hours` sums the wall
times of the sweep's finished jobs: what it has cost so far (a record two sweeps share counts in
both; the last line, `distinct`, counts each finished record of the listed sweeps once). Wall times
are what the records measured: one thread per run with two runs sharing the 2-core machine, unless
the records say otherwise.

    .venv/bin/python scripts/sweep_budget.py --profile quick [table2 table4 ...]
    .venv/bin/python scripts/sweep_budget.py --profile paper table1 --override dataset=concrete
    .venv/bin/python scripts/sweep_budget.py --markdown results/tables/pending-quick.md
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

from missdiff.files import atomic_write_text
from missdiff.records import FINAL_STATUSES
from missdiff.sweep import Costs, add_sweep_arguments, chosen_sweeps, composed_jobs, cost_key


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_sweep_arguments(parser)
    parser.add_argument("--override", action="append", default=[], metavar="KEY=VALUES")
    parser.add_argument(
        "--markdown", metavar="PATH", help="also write the figures as a markdown page to PATH"
    )
    args = parser.parse_args()
    sweeps = chosen_sweeps(parser, args.sweeps)
    bad = [o for o in args.override if "=" not in o]
    if bad:
        parser.error(f"--override takes KEY=VALUES, got {', '.join(bad)}")
    overrides = dict(o.split("=", 1) for o in args.override)

    costs = Costs.from_records(Path(args.records))
    finished, spent_of, minutes = costs.status_of, costs.spent_of, costs.minutes

    print(f"profile {args.profile}; records {args.records}; hours are single-thread run hours")
    header = (
        "sweep",
        "jobs",
        "done",
        "failed",
        "pending",
        "spent hours",
        "est. hours",
        "no estimate",
    )
    print("{:<16}{:>6}{:>6}{:>8}{:>9}{:>13}{:>12}{:>13}".format(*header))
    shared: set[str] = set()  # finished records of any listed sweep, each counted once
    page = [
        f"# What is left to run at `{args.profile}`, and its cost",
        "",
        "Written by `python scripts/sweep_budget.py --profile "
        f"{args.profile} --markdown <this file>` from the records under `{args.records}`."
        " Hours are single-thread run hours, estimated per job from the median of completed"
        " records of the same dataset, model, evaluator and profile, each record's wall time"
        " times the threads it ran on (an upper bound for a multi-thread record); `no"
        " estimate`: no such record yet.",
        "",
        "| sweep | jobs | done | failed | pending | spent hours | est. hours | no estimate |"
        " pending jobs |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for sweep in sweeps:
        counts = {"done": 0, "failed": 0, "pending": 0, "unknown": 0}
        hours = spent = 0.0
        todo: dict[tuple[str, ...], int] = defaultdict(int)
        for _, config, record in composed_jobs(sweep, args.profile, overrides):
            status = finished.get(record)
            if status in FINAL_STATUSES:
                counts["done"] += 1
                spent += spent_of.get(record, 0.0) / 3600
                shared.add(record)
                continue
            counts["failed" if status else "pending"] += 1
            key = cost_key(config)
            if key in minutes:
                hours += minutes[key] / 60
            else:
                counts["unknown"] += 1
            todo[key] += 1
        n = sum(counts[k] for k in ("done", "failed", "pending"))
        print(
            f"{sweep:<16}{n:>6}{counts['done']:>6}{counts['failed']:>8}{counts['pending']:>9}"
            f"{spent:>13.1f}{hours:>12.1f}{counts['unknown']:>13}"
        )
        lines = []
        for key, count in sorted(todo.items()):
            each = f"{minutes[key]:.1f} min each" if key in minutes else "no record yet"
            lines.append(f"{count} x {' '.join(key[:3])}: {each}")
            print(f"    {lines[-1]}")
        page.append(
            f"| {sweep} | {n} | {counts['done']} | {counts['failed']} | {counts['pending']} |"
            f" {spent:.1f} | {hours:.1f} | {counts['unknown']} | {'<br>'.join(lines)} |"
        )
    if len(sweeps) > 1:
        # Sweeps share runs (same config, same record), so their `spent hours` do not add up.
        total = sum(spent_of.get(r, 0.0) for r in shared) / 3600
        print(f"{'distinct':<16}{'':>6}{len(shared):>6}{'':>17}{total:>13.1f}")
    if args.markdown:
        atomic_write_text(Path(args.markdown), "\n".join(page) + "\n")


if __name__ == "__main__":
    main()
