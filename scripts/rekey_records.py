"""Re-key run records under the current record keys (missdiff/keys.py), proving that no metric
changes: prints what it did.

Each record's folder is renamed to the key its stored config has today, and `key` in its
metrics.json is updated; nothing else in a record is touched. Two records that now share a key
(they differed only in something that cannot change the result, e.g. a profile size their model
never reads) are merged when their status and metrics are identical: the earlier-started one is
kept, with the union of both experiments' tags; if they differ, the script stops before changing
anything and names them. Afterwards every record is read back and its metrics compared with what
they were before. Without --apply it only reports.

    .venv/bin/python scripts/rekey_records.py results/runs            # what would change
    .venv/bin/python scripts/rekey_records.py results/runs --apply
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from collections import defaultdict
from pathlib import Path

from missdiff.keys import result_key
from missdiff.records import Record, iter_records, read_record, rewrite_metrics


def content(rec: Record) -> str:
    """What must survive re-keying: status and metrics."""
    return json.dumps([rec.status, rec.metrics.get("metrics")], sort_keys=True, default=str)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("records", type=Path)
    parser.add_argument("--apply", action="store_true", help="rename (default: report only)")
    args = parser.parse_args()
    unreadable: list[Path] = []
    records = list(iter_records(args.records, unreadable))
    for path in unreadable:
        print(f"warning: cannot read record {path}; left as it is", file=sys.stderr)
    by_key: dict[str, list[Record]] = defaultdict(list)
    for rec in records:
        by_key[result_key(rec.config)].append(rec)
    conflicts = [
        (key, group) for key, group in by_key.items() if len({content(r) for r in group}) > 1
    ]
    if conflicts:
        for key, group in conflicts:
            names = ", ".join(r.path.name for r in group)
            print(f"error: records {names} now share key {key} but differ in their metrics")
        print("nothing changed", file=sys.stderr)
        return 1
    before = {rec.path.name: content(rec) for rec in records}
    names = {key: [r.path.name for r in group] for key, group in by_key.items()}
    moved = merged = 0
    for key, group in sorted(by_key.items()):
        group.sort(key=lambda r: r.metrics.get("started", 0.0))
        keep, extra = group[0], group[1:]
        if keep.path.name != key or extra:
            if keep.path.name != key:
                moved += 1
            merged += len(extra)
            print(f"{' + '.join(r.path.name for r in group)} -> {key}")
        if not args.apply:
            continue
        tags = list(keep.metrics.get("experiments", []))
        for rec in extra:
            tags += [t for t in rec.metrics.get("experiments", []) if t not in tags]
            shutil.rmtree(rec.path)
        if keep.path.name != key:
            target = args.records / key
            keep.path.rename(target)
            keep.path = target
        if keep.metrics.get("key") != key or tags != keep.metrics.get("experiments", []):
            keep.metrics.update(key=key, experiments=tags)
            rewrite_metrics(keep)
    dry = "" if args.apply else " (dry run: --apply to change)"
    print(f"{len(records)} records: {moved} re-keyed, {merged} merged, {len(by_key)} after{dry}")
    if args.apply:
        for key, olds in names.items():
            rec = read_record(args.records / key)
            if rec is None or rec.metrics.get("key") != key:
                print(f"error: record {key} did not read back", file=sys.stderr)
                return 1
            changed = [name for name in olds if before[name] != content(rec)]
            if changed:
                print(f"error: {key}: metrics differ from {changed}", file=sys.stderr)
                return 1
        print(f"checked: all {len(by_key)} records read back with the metrics they had before")
    return 0


if __name__ == "__main__":
    sys.exit(main())
