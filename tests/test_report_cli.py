"""`missdiff-report`'s manners: what it refuses (one line on stderr, an exit status, nothing
written), which record folders it names, and where it may write."""

from __future__ import annotations

from pathlib import Path

import pytest

from missdiff.records import COMPLETED, write_record
from missdiff.report import cli
from missdiff.report.cli import main


def record(records: Path, key: str, experiment: str = "table2", profile: str = "quick") -> None:
    """A finished record of one seed, tagged with `experiment`."""
    config = {
        "seed": 0,
        "dataset": {"name": "census", "variant": "adult"},
        "missingness": {"name": "mcar_row", "ratio": 0.2},
        "model": {"name": "missdiff"},
        "evaluator": {"name": "generation"},
        "profile": {"name": profile},
    }
    body = {
        "status": COMPLETED,
        "experiments": [experiment],
        "metrics": {"accuracy": 0.8, "fidelity": 0.7},
        "primary_metric": "accuracy",
        "higher_is_better": True,
    }
    write_record(records, key, config, body)


def stderr_lines(capsys: pytest.CaptureFixture[str]) -> list[str]:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err.splitlines()


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A stand-in repository (results/runs, tables, figures are its tracked ones), the current
    folder, so the defaults of --records / --out / --figures-out point into it."""
    root = tmp_path / "repo"
    monkeypatch.setattr(cli, "TRACKED_RESULTS", root / "results")
    monkeypatch.setattr(cli, "TRACKED_RECORDS", root / "results" / "runs")
    root.mkdir()
    monkeypatch.chdir(root)
    return root


def test_tracked_tables_are_written_only_from_the_tracked_records(repo, tmp_path, capsys) -> None:
    record(repo / "results" / "runs", "a")
    assert main(["--profile", "quick"]) == 0
    assert (repo / "results" / "tables" / "table2.md").exists()
    before = files_under(repo / "results")
    capsys.readouterr()

    elsewhere = tmp_path / "runs"
    record(elsewhere, "b")
    record(elsewhere, "c", experiment="figure1")
    # Records from elsewhere, no --out: the default (tracked) tables would be overwritten.
    assert main(["--records", str(elsewhere)]) == 2
    [line] = stderr_lines(capsys)
    assert line.startswith("missdiff-report: error: --records ") and "pass --out" in line
    # An explicit --out or --figures-out under the tracked results/ is refused too.
    for flags in (["--out", "results/tables/mine"],
                  ["--out", str(tmp_path / "t"), "--figures-out", "results/figures"]):  # fmt: skip
        assert main(["--records", str(elsewhere), *flags]) == 2
        [line] = stderr_lines(capsys)
        assert line.startswith("missdiff-report: error: --") and "tracked" in line
    assert files_under(repo / "results") == before
    assert not (tmp_path / "t").exists()

    # With an --out of its own it writes there; figures only with an explicit --figures-out.
    out = tmp_path / "mine"
    assert main(["--records", str(elsewhere), "--out", str(out), "--profile", "quick"]) == 0
    assert (out / "table2.md").exists() and (out / "figure1.md").exists()
    [note] = stderr_lines(capsys)
    assert note.startswith("missdiff-report: note:") and note.endswith("figure1")
    assert files_under(repo / "results") == before
    assert not list(tmp_path.rglob("*.png"))


def test_unreadable_record_folders_are_named_and_skipped(tmp_path, capsys) -> None:
    records = tmp_path / "runs"
    record(records, "good")
    (records / "half").mkdir()
    (records / "half" / "config.yaml").write_text("seed: 0\n")  # no metrics.json
    record(records, "corrupt")
    (records / "corrupt" / "metrics.json").write_text("{not json")
    out = tmp_path / "tables"
    assert main(["--records", str(records), "--out", str(out), "--profile", "quick"]) == 0
    lines = stderr_lines(capsys)
    assert lines == [
        f"missdiff-report: warning: cannot read record {records / 'corrupt'}:"
        " config.yaml or metrics.json is corrupt",
        f"missdiff-report: warning: cannot read record {records / 'half'}: no metrics.json",
    ]
    assert "n=1 quick" in (out / "table2.md").read_text()


def test_an_unknown_experiment_names_the_known_ones(tmp_path, capsys) -> None:
    records = tmp_path / "runs"
    record(records, "a", experiment="mine")  # a tag with no module is an experiment too
    out = tmp_path / "tables"
    assert main(["--records", str(records), "--out", str(out), "--experiment", "no_such"]) == 2
    [line] = stderr_lines(capsys)
    assert line.startswith("missdiff-report: error: unknown --experiment 'no_such'")
    assert "known: figure1, figure1_released, forest_benchmark, mechanisms, mine, table1" in line
    assert not out.exists()
    assert main(["--records", str(records), "--out", str(out), "--experiment", "mine"]) == 0
    assert sorted(p.name for p in out.iterdir()) == ["mine.csv", "mine.md"]


def test_no_records_is_an_error_before_anything_is_written(tmp_path, capsys) -> None:
    records, out = tmp_path / "runs", tmp_path / "tables"
    args = ["--records", str(records), "--out", str(out), "--figures-out", str(tmp_path / "f")]
    assert main(args) == 2  # no folder
    assert stderr_lines(capsys) == [
        f"missdiff-report: error: no records folder {records}; run missdiff-run first"
    ]
    records.mkdir()
    assert main(args) == 1  # an empty folder
    [line] = stderr_lines(capsys)
    assert line == f"missdiff-report: error: no records under {records}; run missdiff-run first"
    (records / "partial").mkdir()  # a folder, but no record in it
    assert main(args) == 1
    warning, error = stderr_lines(capsys)
    assert warning.startswith("missdiff-report: warning: cannot read record")
    assert error == line
    assert files_under(tmp_path) == []


def test_an_output_folder_that_is_a_file_is_refused(tmp_path, capsys) -> None:
    records = tmp_path / "runs"
    record(records, "a")
    blocker = tmp_path / "file"
    blocker.write_text("")
    out = tmp_path / "tables"
    for flags in (["--out", str(blocker)], ["--out", str(blocker / "sub")],
                  ["--out", str(out), "--figures-out", str(blocker / "figs")]):  # fmt: skip
        assert main(["--records", str(records), *flags]) == 2
        [line] = stderr_lines(capsys)
        assert line.startswith("missdiff-report: error: --") and f"{blocker} is a file" in line
    assert not out.exists() and blocker.read_text() == ""


def test_an_unknown_profile_is_one_line(tmp_path, capsys) -> None:
    records = tmp_path / "runs"
    record(records, "a")
    out = tmp_path / "tables"
    assert main(["--records", str(records), "--out", str(out), "--profile", "fast"]) == 2
    assert stderr_lines(capsys) == [
        "missdiff-report: error: unknown --profile 'fast'; one of smoke, quick, paper"
    ]
    assert not out.exists()
