"""Tag finished records with the experiments whose sweeps contain them, running nothing.

A table selects its records by their `experiments` tag. A run is tagged with the sweep it ran
in, and with any other sweep that later skips it as finished; a record made by `experiment=table1`
shows in Table 1 beside the peers only after `experiment=table1_peers` has been run at that
profile, which would also start that sweep's missing jobs (hours at `paper`). This composes each
named sweep's jobs as `missdiff-run -m` does and tags the finished ones only.

    .venv/bin/python scripts/tag_records.py table1_peers --profile paper
    .venv/bin/python scripts/tag_records.py --profile quick          # every sweep
"""

from __future__ import annotations

import argparse
from pathlib import Path

from missdiff.sweep import add_sweep_arguments, chosen_sweeps, tag_finished


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_sweep_arguments(parser)
    args = parser.parse_args()
    for sweep in chosen_sweeps(parser, args.sweeps):
        jobs, found = tag_finished(sweep, args.profile, Path(args.records))
        print(f"{sweep} at {args.profile}: {found} of {jobs} jobs have a finished record, tagged")


if __name__ == "__main__":
    main()
