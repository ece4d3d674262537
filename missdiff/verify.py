"""Verify committed records by recomputing them: `missdiff-verify` (and `make reproduce`'s step b).

A seeded random sample of the finished records under `--records` (COMPLETED, not superseded) is
recomposed from each record's own overrides with today's code, run into a scratch folder, and
its metrics compared with the committed ones:

- a record whose recomposed key is not its own is *stale* (today's code would run a different
  configuration for that command, e.g. a budget changed since): it cannot be checked and is
  counted, not run;
- **bit for bit** when the record says it ran on the same kind of device, with the same thread
  count, the same versions of the packages that compute (records.PACKAGES) and the same CPU
  kernels (device.numeric_kernels) as this process;
- otherwise **within a tolerance** (`TOLERANCE`, relative): another build of torch, numpy or
  scikit-learn, or another BLAS kernel (OpenBLAS picks one per CPU generation), sums floats in
  another order, which moves the last digits of a metric but not its leading ones; the summary
  says which package or setting differed, and how many came out identical anyway. Records
  written before the kernels were recorded (session 22) are checked this way.

A record whose only difference from this process is its CPU kernels (or whose kernels were not
recorded) and that differs beyond the tolerance is run once more, in a child process that asks
torch and OpenBLAS for the record's kernels (`ATEN_CPU_CAPABILITY`, `OPENBLAS_CORETYPE`; for a
record that does not name them, `OLDER_KERNELS`). A model trained by many gradient steps carries
a last-digit difference into its third digit (MIWAE on Libras: 2.7 % of its RMSE between torch's
AVX2 and AVX-512 kernels, session 25), so no tolerance separates that from a change in the code;
the record's own kernels do. Verified that way only if it comes back bit for bit, and the summary
says so.

Either way a difference beyond the rule is a *mismatch*: an error (exit 1). The sample is drawn
in a seeded order and filled greedily up to `--minutes`, each record's cost read from its own
wall time; `--all` takes every record whatever the time (a cluster recomputing everything).
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import random
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from missdiff.records import (
    COMPLETED,
    Record,
    iter_records,
    package_versions,
    read_record,
    run_seconds,
)

# Relative, when the device, threads, package versions or CPU kernels differ. Measured: the
# Haswell and SkylakeX kernels of OpenBLAS put 1,000 MICE rounds (Table 1 at `paper`) 5.6e-6
# apart on Breast; 1e-4 is still below the last digit a table prints (4 decimals of a metric
# near 0.1, 2 of a score x 100), so a change in what the code computes stays a mismatch.
TOLERANCE = 1e-4
# Bookkeeping in `metrics` that is not a result of the run, and measured times (a rerun never
# gives them back: forest_imputation's `time`, the peer's column).
NOT_RESULTS = frozenset({"superseded", "time"})
# Kernels asked for when a record does not name its own: those of the CPUs without AVX-512 that
# wrote the records before session 22 (their MICE records come back bit for bit under OpenBLAS's
# Haswell kernel, session 22; their MIWAE records under torch's AVX2 ones, session 25).
OLDER_KERNELS = (("openblas Haswell", "torch AVX2"),)


@dataclass
class Check:
    """The outcome for one record."""

    key: str
    label: str
    outcome: str  # verified | mismatch | stale | failed
    rule: str = ""  # "bit for bit" or "rel. tol. 0.0001 (torch 2.13.0 -> 2.14.0)"
    minutes: float = 0.0
    # A mismatch's differences, or the last digits a check within the tolerance let through.
    differences: list[str] = field(default_factory=list)
    # Only the CPU kernels differ from the record's (or it does not name them): a mismatch is
    # then run again under the record's kernels (`under_kernels`).
    kernels_only: bool = False
    # What the run under the record's kernels found, or, when it verified, what this machine's
    # own kernels gave first.
    retried: str = ""

    @property
    def identical(self) -> bool:
        """Every metric equal to the last bit, whatever the rule asked."""
        return self.outcome == "verified" and not self.differences


def candidates(records_dir: Path) -> list[Record]:
    """The finished, current records: what a table shows and what can be checked."""
    return sorted(
        (
            rec
            for rec in iter_records(records_dir)
            if rec.status == COMPLETED
            and "superseded" not in rec.metrics
            and rec.metrics.get("overrides")
        ),
        key=lambda rec: rec.path.name,
    )


def wall_minutes(rec: Record) -> float | None:
    """What recomputing `rec` costs, from its own record; None where that is not known."""
    seconds = run_seconds(rec.metrics)
    return None if seconds is None else seconds / 60


def choose(records: list[Record], minutes: float | None, seed: int) -> list[Record]:
    """A seeded random order of `records`, kept while the sum of their wall times fits
    `minutes` (a record too long for what is left is passed over, and so is one whose cost is
    not known: a run resumed from a checkpoint timed only its rest); None: all of them."""
    order = list(records)
    random.Random(seed).shuffle(order)
    if minutes is None:
        return order
    chosen, spent = [], 0.0
    for rec in order:
        cost = wall_minutes(rec)
        if cost is not None and spent + cost <= minutes:
            chosen.append(rec)
            spent += cost
    return chosen


def rule_for(changes: list[str]) -> tuple[bool, str]:
    """(bit for bit?, the rule as words) given the `environment_changes` of a recomputation."""
    if not changes:
        return True, "bit for bit"
    return False, f"rel. tol. {TOLERANCE:g} ({'; '.join(changes)})"


def environment_changes(rec: Record, threads: int | None = None) -> list[str]:
    """What differs between the environment `rec` records and this process's, as words."""
    from missdiff.device import numeric_kernels, resolve_device

    changes = []
    ours = package_versions()
    theirs = rec.metrics.get("packages") or {}
    for name in sorted(set(ours) | set(theirs)):
        if ours.get(name) != theirs.get(name):
            changes.append(f"{name} {theirs.get(name, 'absent')} -> {ours.get(name, 'absent')}")
    device = resolve_device(str(rec.config.get("device", "auto")))
    if rec.metrics.get("device") != device:
        changes.append(f"device {rec.metrics.get('device')} -> {device}")
    if threads is not None and rec.metrics.get("threads") not in (None, threads):
        changes.append(f"threads {rec.metrics.get('threads')} -> {threads}")
    theirs_kernels, our_kernels = (rec.metrics.get("host") or {}).get("kernels"), numeric_kernels()
    if theirs_kernels is None:
        changes.append("CPU kernels not recorded")
    elif theirs_kernels != our_kernels:
        changes.append(f"kernels {', '.join(theirs_kernels)} -> {', '.join(our_kernels)}")
    return changes


def kernel_env(kernels: tuple[str, ...]) -> dict[str, str] | None:
    """The environment that asks torch and OpenBLAS for `kernels` (as `numeric_kernels` names
    them), or None if one of them cannot be asked for."""
    env = {}
    for name in kernels:
        library, _, arch = name.partition(" ")
        if library == "torch":
            env["ATEN_CPU_CAPABILITY"] = arch.lower()
        elif library == "openblas":
            env["OPENBLAS_CORETYPE"] = arch
        else:
            return None
    return env


def rerun_overrides(rec: Record) -> list[str]:
    """`rec`'s own command line, less its records folder, with progress bars off unless it set
    them (runtime settings: the key does not cover them, and a bar per record is noise here)."""
    overrides = [o for o in rec.metrics["overrides"] if not o.startswith("records_dir=")]
    quiet = [] if any(o.startswith("progress=") for o in overrides) else ["progress=false"]
    return [*overrides, *quiet]


def under_kernels(rec: Record, scratch: Path, check: Check) -> Check:
    """`check`, a mismatch where only the CPU kernels differ, after running `rec`'s command
    again in a child process under the record's kernels (`OLDER_KERNELS` when it names none).
    Verified only if the child got those kernels and every metric came back bit for bit."""
    from missdiff.device import numeric_kernels

    named = (rec.metrics.get("host") or {}).get("kernels")
    options = [tuple(sorted(named))] if named else list(OLDER_KERNELS)
    old = rec.metrics.get("metrics") or {}
    notes, minutes = [], check.minutes
    for i, kernels in enumerate(options):
        env = kernel_env(kernels)
        if env is None or list(kernels) == numeric_kernels():
            continue
        # A folder per try: a finished record in it would be skipped, not recomputed.
        folder = scratch / f"kernels-{i}-{rec.path.name}"
        start = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-m", "missdiff.run", *rerun_overrides(rec),
             f"records_dir={folder}", f"hydra.run.dir={folder / 'hydra'}"],
            env={**os.environ, **env}, capture_output=True, text=True, check=False,
        )  # fmt: skip
        minutes += (time.perf_counter() - start) / 60
        new = read_record(folder / rec.path.name)
        got = tuple(sorted((new.metrics.get("host") or {}).get("kernels") or ())) if new else ()
        words = ", ".join(kernels)
        if new is None or new.status != COMPLETED:
            last = (child.stderr.strip().splitlines() or ["no output"])[-1]
            notes.append(f"under {words}: the run did not complete ({last})")
        elif got != kernels:
            notes.append(f"under {words}: this CPU gave {', '.join(got)} instead")
        elif differences := compare(old, new.metrics.get("metrics") or {}, exact=True):
            notes.append(f"under {words}: {'; '.join(differences)}")
        else:
            why = "the record's own" if named else "the record names none: the older CPUs'"
            return dataclasses.replace(
                check, outcome="verified", differences=[], minutes=minutes,
                rule=f"bit for bit under {words} ({why})",
                retried=f"this machine's kernels gave {'; '.join(check.differences)}",
            )  # fmt: skip
    return dataclasses.replace(check, minutes=minutes, retried="; ".join(notes))


def compare(old: dict[str, Any], new: dict[str, Any], exact: bool) -> list[str]:
    """The committed metrics that the recomputation does not give back within the rule, as
    'name: committed -> recomputed'. A metric added to the code after the record was written is
    not a difference: the record never claimed it."""
    out = []
    for name in sorted(old):
        if name in NOT_RESULTS:
            continue
        a, b = old.get(name), new.get(name)
        numbers = all(isinstance(v, int | float) and not isinstance(v, bool) for v in (a, b))
        if numbers and (isinstance(a, float) or isinstance(b, float)):
            a, b = float(a), float(b)  # type: ignore[arg-type]
            if math.isnan(a) and math.isnan(b):
                continue
            same = a == b if exact else math.isclose(a, b, rel_tol=TOLERANCE, abs_tol=1e-12)
        else:
            same = a == b
        if not same:
            out.append(f"{name}: {a!r} -> {b!r}")
    return out


def recompute(rec: Record, scratch: Path) -> Check:
    """Run `rec`'s command again into `scratch` and compare."""
    from hydra import compose, initialize_config_dir

    from missdiff.config import register_configs
    from missdiff.errors import ConfigError
    from missdiff.run import CONFIG_DIR, execute, job_label, resolve_threads, run_config

    key = rec.path.name
    overrides = rerun_overrides(rec)
    register_configs()
    try:
        with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
            cfg = compose("config", [*overrides, f"records_dir={scratch}"])
    except Exception as err:  # an override today's configs no longer know
        return Check(key, " ".join(overrides), "stale", differences=[f"does not compose: {err}"])
    label = job_label(cfg)
    _, new_key = run_config(cfg)
    if new_key != key:
        return Check(key, label, "stale", differences=[f"today's key for its command: {new_key}"])
    changes = environment_changes(rec, resolve_threads(cfg.threads))
    exact, rule = rule_for(changes)
    kernels_only = len(changes) == 1 and "kernels" in changes[0]
    start = time.perf_counter()
    try:
        record = execute(cfg, overrides)
    except ConfigError as err:
        return Check(key, label, "failed", rule, differences=[str(err)])
    minutes = (time.perf_counter() - start) / 60
    if record.get("status") != COMPLETED:
        why = record.get("error", record.get("status"))
        return Check(key, label, "failed", rule, minutes, [str(why)])
    old, new = rec.metrics.get("metrics") or {}, record.get("metrics") or {}
    last_bits = compare(old, new, exact=True)
    beyond = last_bits if exact or not last_bits else compare(old, new, exact=False)
    # Verified within the tolerance, its moved last digits are still shown (summary's WITHIN).
    outcome = "mismatch" if beyond else "verified"
    return Check(key, label, outcome, rule, minutes, beyond or last_bits, kernels_only)


def summary(checks: list[Check], available: int) -> str:
    counts = {
        o: sum(c.outcome == o for c in checks) for o in ("verified", "mismatch", "stale", "failed")
    }
    lines = [
        f"verify: {len(checks)} of {available} current records recomputed: "
        + ", ".join(f"{n} {o}" for o, n in counts.items())
        + f" ({sum(c.minutes for c in checks):.1f} min)"
    ]
    loose = [c for c in checks if c.outcome == "verified" and c.rule.startswith("rel. tol.")]
    if loose:
        same = sum(c.identical for c in loose)
        lines.append(
            f"  tolerance: {len(loose)} verified within it (the record's environment differs or"
            f" is not recorded), {same} of them identical to the last bit anyway"
        )
    for c in checks:
        if c.outcome != "verified" or c.differences:
            outcome = "WITHIN" if c.outcome == "verified" else c.outcome.upper()
            lines.append(f"  {outcome} {c.key} {c.label}: {'; '.join(c.differences)}")
            if c.retried:
                lines.append(f"    and {c.retried}")
        elif c.retried:
            lines.append(f"  KERNELS {c.key} {c.label}: {c.rule}; {c.retried}")
    rules = sorted({c.rule for c in checks if c.outcome in ("verified", "mismatch")})
    lines.extend(f"  rule: {r}" for r in rules)
    return "\n".join(lines)


def verify(
    records_dir: Path,
    scratch: Path,
    minutes: float | None,
    seed: int = 0,
    log=print,
    records: list[Record] | None = None,
) -> list[Check]:
    """Recompute a seeded sample of `records_dir`'s records into `scratch`; one line each.
    `records`: its `candidates`, when the caller has read them already."""
    records = candidates(records_dir) if records is None else records
    chosen = choose(records, minutes, seed)
    budget = "all" if minutes is None else f"{minutes:g} min of recorded wall time"
    log(f"verify: {len(chosen)} of {len(records)} current records chosen ({budget}, seed {seed})")
    checks = []
    for rec in chosen:
        check = recompute(rec, scratch)
        if check.outcome == "mismatch" and check.kernels_only:
            check = under_kernels(rec, scratch, check)
        log(f"  {check.outcome:<9}{check.key} {check.label} ({check.minutes:.1f} min)")
        checks.append(check)
    return checks


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="missdiff-verify",
        description="Recompute a seeded sample of committed records and compare their metrics.",
    )
    parser.add_argument("--records", type=Path, default=Path("results/runs"))
    parser.add_argument(
        "--scratch",
        type=Path,
        default=None,
        help="folder for the recomputed records (default: temporary)",
    )
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--minutes", type=float, default=10.0, help="recorded wall time to spend")
    size.add_argument("--all", action="store_true", help="every current record")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sample's order")
    args = parser.parse_args(argv)
    if not args.records.is_dir():
        sys.exit(f"missdiff-verify: error: no records folder at {args.records}")
    import tempfile

    with tempfile.TemporaryDirectory(prefix="missdiff-verify-") as tmp:
        scratch = args.scratch or Path(tmp)
        if scratch.exists() and not scratch.is_dir():
            sys.exit(f"missdiff-verify: error: --scratch {scratch} is a file; give a folder")
        if scratch.resolve() == args.records.resolve():
            sys.exit("missdiff-verify: error: --scratch must not be the records folder")
        records = candidates(args.records)  # read once: the sample and the summary's count
        minutes = None if args.all else args.minutes
        checks = verify(args.records, scratch, minutes, args.seed, records=records)
        print(summary(checks, len(records)))
    sys.exit(1 if any(c.outcome in ("mismatch", "failed") for c in checks) else 0)


if __name__ == "__main__":
    main()
