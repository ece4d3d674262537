"""`missdiff-verify`: committed records recomputed and compared (make reproduce, step b)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from missdiff import verify
from missdiff.device import numeric_kernels
from missdiff.records import iter_records

REPO = Path(__file__).resolve().parents[1]
COMMITTED = REPO / "results" / "runs"


def committed_cheap_record() -> Path:
    """A committed, current Mean/Mode record that recomputes in a second."""
    for rec in verify.candidates(COMMITTED):
        overrides = rec.metrics["overrides"]
        if "model=mean_mode" in overrides and rec.metrics.get("wall_time", 99) < 2:
            return rec.path
    pytest.skip("no committed Mean/Mode record")


def edit(folder: Path, change) -> None:
    path = next(folder.glob("*/metrics.json"))
    record = json.loads(path.read_text())
    change(record)
    path.write_text(json.dumps(record))


def copy_committed(folder: Path) -> Path:
    folder.mkdir()
    shutil.copytree(committed_cheap_record(), folder / committed_cheap_record().name)
    return folder


@pytest.fixture
def unstamped(tmp_path: Path, data_dir: Path) -> Path:
    """A copy of a committed record, its CPU kernels not recorded (as in records written before
    session 22)."""
    folder = copy_committed(tmp_path / "unstamped")
    edit(folder, lambda r: r.get("host", {}).pop("kernels", None))
    return folder


@pytest.fixture
def records(tmp_path: Path, data_dir: Path) -> Path:
    """A copy saying it ran on this machine's CPU kernels: the bit-for-bit case."""
    folder = copy_committed(tmp_path / "records")
    edit(folder, lambda r: r.setdefault("host", {}).update(kernels=numeric_kernels()))
    return folder


def corrupt(folder: Path, metric: str = "rmse", by: float = 1e-9) -> tuple[float, float]:
    """Add `by` to one number (default: in its ninth decimal)."""
    values = {}

    def change(record):
        values["old"] = record["metrics"][metric]
        record["metrics"][metric] = values["new"] = values["old"] + by

    edit(folder, change)
    return values["old"], values["new"]


def test_a_committed_record_recomputes_bit_for_bit(records: Path, tmp_path: Path) -> None:
    (check,) = verify.verify(records, tmp_path / "scratch", minutes=1, log=lambda _: None)
    assert check.outcome == "verified", check.differences
    assert check.rule == "bit for bit"


def test_a_corrupted_number_is_a_mismatch(records: Path, tmp_path: Path, capsys) -> None:
    old, new = corrupt(records)
    with pytest.raises(SystemExit) as exit_:
        verify.main(["--records", str(records), "--scratch", str(tmp_path / "s"), "--minutes", "1"])
    assert exit_.value.code == 1
    out = capsys.readouterr().out
    assert "1 mismatch" in out and "MISMATCH" in out
    assert f"rmse: {new!r} -> {old!r}" in out


def test_a_record_of_other_or_unrecorded_kernels_is_held_to_the_tolerance(
    records: Path, unstamped: Path, tmp_path: Path
) -> None:
    # Another CPU generation's BLAS kernel (whichever this machine does not use: the project's
    # machines have had both, results/NOTES.md session 27): the rule says which, and a number
    # off in its fourth significant digit is still a mismatch.
    other = ["openblas Haswell", "torch AVX2"]
    if numeric_kernels() == other:
        other = ["openblas SkylakeX", "torch AVX512"]
    edit(records, lambda r: r["host"].update(kernels=other))
    old, new = corrupt(records, by=1e-3)
    (check,) = verify.verify(records, tmp_path / "a", minutes=1, log=lambda _: None)
    assert check.outcome == "mismatch" and not check.identical
    assert f"kernels {', '.join(other)} -> " in check.rule
    assert check.differences[0] == f"rmse: {new!r} -> {old!r}"
    # A record from before the kernels were recorded: within the tolerance, said so; Mean/Mode
    # sums no floats a kernel could reorder, so it comes out identical anyway.
    (check,) = verify.verify(unstamped, tmp_path / "b", minutes=1, log=lambda _: None)
    assert check.outcome == "verified" and check.identical
    assert "CPU kernels not recorded" in check.rule
    assert "1 verified within it" in verify.summary([check], 1)
    assert "WITHIN" not in verify.summary([check], 1)
    # Last digits that moved within the tolerance are shown, not hidden.
    moved = verify.Check(
        "k", "a run", "verified", check.rule, differences=["rmse: 0.1 -> 0.1000001"]
    )
    assert "  WITHIN k a run: rmse: 0.1 -> 0.1000001" in verify.summary([moved], 1)


def test_a_mismatch_of_other_kernels_is_run_again_under_them(records: Path, tmp_path: Path) -> None:
    """A record naming kernels other than this machine's, beyond the tolerance, is rerun in a
    child process that asks torch and OpenBLAS for them: verified only if the child got those
    kernels and every metric is back bit for bit; a real difference stays a mismatch."""
    theirs = ("openblas Sandybridge", "torch DEFAULT")  # asked of any x86-64 CPU with AVX
    edit(records, lambda r: r["host"].update(kernels=list(theirs)))
    (rec,) = verify.candidates(records)
    first = verify.Check(rec.path.name, "a run", "mismatch", "rel. tol.", 0.0, ["rmse: 1 -> 2"],
                         kernels_only=True)  # fmt: skip
    check = verify.under_kernels(rec, tmp_path / "a", first)
    assert check.outcome == "verified" and check.identical, check.retried
    assert check.rule == "bit for bit under openblas Sandybridge, torch DEFAULT (the record's own)"
    assert check.retried == "this machine's kernels gave rmse: 1 -> 2"
    assert "KERNELS" in verify.summary([check], 1)
    old, new = corrupt(records, by=1e-3)
    (rec,) = verify.candidates(records)
    check = verify.under_kernels(rec, tmp_path / "b", first)
    assert check.outcome == "mismatch"
    assert check.retried.startswith(f"under {', '.join(theirs)}: rmse: {new!r} -> {old!r}")


def test_a_record_of_another_configuration_is_stale_not_run(records: Path, tmp_path: Path) -> None:
    (folder,) = list(records.iterdir())
    folder.rename(records / "0000000000000000")  # a key today's code does not give its command
    (check,) = verify.verify(records, tmp_path / "scratch", minutes=1, log=lambda _: None)
    assert check.outcome == "stale"
    assert not (tmp_path / "scratch").exists() or not any((tmp_path / "scratch").iterdir())


def test_superseded_and_failed_records_are_not_candidates(records: Path) -> None:
    (rec,) = iter_records(records)
    path = rec.path / "metrics.json"
    record = json.loads(path.read_text())
    path.write_text(json.dumps({**record, "superseded": {"by": "x"}}))
    assert verify.candidates(records) == []
    path.write_text(json.dumps({**record, "status": "FAILED"}))
    assert verify.candidates(records) == []


def test_the_sample_is_seeded_and_fits_the_budget() -> None:
    class Rec:
        def __init__(self, i: int, wall: float):
            self.path, self.metrics = Path(f"{i:04d}"), {"wall_time": wall}

    recs = [Rec(i, 60.0 * (1 + i % 7)) for i in range(200)]  # 1 to 7 minutes each
    first = verify.choose(recs, 30, seed=3)  # type: ignore[arg-type]
    assert [r.path for r in first] == [r.path for r in verify.choose(recs, 30, seed=3)]  # type: ignore[arg-type]
    assert [r.path for r in first] != [r.path for r in verify.choose(recs, 30, seed=4)]  # type: ignore[arg-type]
    assert 25 <= sum(verify.wall_minutes(r) for r in first) <= 30  # type: ignore[arg-type]
    assert len(verify.choose(recs, None, seed=0)) == 200  # type: ignore[arg-type]


def test_a_resumed_record_is_priced_whole_or_passed_over() -> None:
    """A run resumed from a checkpoint timed only its rest: a 2-minute wall time may stand for
    hours. Under a budget it is taken only when its model logged the earlier part."""

    class Rec:
        def __init__(self, name: str, **metrics):
            self.path, self.metrics = Path(name), {"wall_time": 120.0, **metrics}

    unknown = Rec("unknown", resumed=True)
    whole = Rec("whole", resumed=True, timings={"fit_before_resume": 7080.0})
    assert verify.wall_minutes(whole) == pytest.approx(120.0)  # type: ignore[arg-type]
    assert verify.choose([unknown, whole], 10, seed=0) == []  # type: ignore[arg-type]
    assert verify.choose([unknown, whole], 200, seed=0) == [whole]  # type: ignore[arg-type]
    assert len(verify.choose([unknown, whole], None, seed=0)) == 2  # type: ignore[arg-type]


def test_a_metric_added_after_the_record_is_not_a_difference() -> None:
    assert verify.compare({"rmse": 0.5}, {"rmse": 0.5, "new_metric": 1.0}, exact=True) == []
    assert verify.compare({"rmse": 0.5, "gone": 1.0}, {"rmse": 0.5}, exact=True) == [
        "gone: 1.0 -> None"
    ]
    # Another environment: the last digits may move, the leading ones may not.
    assert verify.compare({"rmse": 0.5}, {"rmse": 0.5 * (1 + 1e-5)}, exact=False) == []
    assert verify.compare({"rmse": 0.5}, {"rmse": 0.5 * (1 + 1e-9)}, exact=True) != []
    assert verify.compare({"rmse": 0.5}, {"rmse": 0.5001}, exact=False) != []
    # A measured time is recorded, not a result: a rerun never gives it back.
    assert verify.compare({"min_mae": 0.1, "time": 3.0}, {"min_mae": 0.1, "time": 4.2}, True) == []
