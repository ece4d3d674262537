"""The spine end to end: config -> data -> mechanism -> model -> evaluator -> record -> table."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from missdiff.errors import ConfigError
from missdiff.keys import result_key
from missdiff.records import COMPLETED, FAILED, NOT_APPLICABLE, iter_records
from missdiff.report.cli import main as report_main
from missdiff.report.cli import write_report
from missdiff.run import execute
from missdiff.sweep import Costs, Job, cost_key, deferral_text
from tests.conftest import REPO, compose


def run_cli(args: list[str], data_dir: Path, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "MISSDIFF_DATA_DIR": str(data_dir)}
    return subprocess.run(
        [sys.executable, "-m", "missdiff.run", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_single_run_writes_record_and_is_not_recomputed(tmp_path, data_dir) -> None:
    cfg = compose(
        ["dataset=wine", "missingness=mcar_row", "profile=smoke", f"records_dir={tmp_path}"]
    )
    first = execute(cfg)
    assert first["status"] == COMPLETED, first.get("error")
    metrics = first["metrics"]
    assert 0.0 < metrics["rmse"] < 1.0 and metrics["n_hidden"] > 0
    (record,) = list(iter_records(tmp_path))
    assert record.config["dataset"]["name"] == "wine"
    assert record.metrics["code"]["commit"] is None or len(record.metrics["code"]["commit"]) == 40
    assert "torch" in record.metrics["packages"]
    assert record.metrics["host"]["cpu"] and record.metrics["host"]["cores"] >= 1  # whose times
    # ... and the BLAS kernel its CPU generation got, without which it is not compared bit for bit
    assert any(not k.startswith("torch ") for k in record.metrics["host"]["kernels"])
    mtime = (record.path / "metrics.json").stat().st_mtime_ns
    again = execute(cfg)
    assert again["started"] == first["started"]
    assert (record.path / "metrics.json").stat().st_mtime_ns == mtime


def test_same_seed_same_numbers_and_key_ignores_paths(tmp_path, data_dir) -> None:
    a = compose(["dataset=breast", "profile=smoke", f"records_dir={tmp_path / 'a'}"])
    b = compose(["dataset=breast", "profile=smoke", f"records_dir={tmp_path / 'b'}"])
    from missdiff.pipeline import to_container

    assert result_key(to_container(a)) == result_key(to_container(b))
    assert execute(a)["metrics"] == execute(b)["metrics"]
    c = compose(["dataset=breast", "profile=smoke", "seed=1"])
    assert result_key(to_container(c)) != result_key(to_container(a))


def test_failed_run_is_recorded_and_retried(tmp_path, data_dir) -> None:
    # Every entry of a column hidden: MissDiff's guarantee needs each column partly observed.
    cfg = compose(
        ["dataset=wine", "missingness=mcar_column", "missingness.ratio=0.999", "profile=smoke",
         f"records_dir={tmp_path}"]
    )  # fmt: skip
    out = execute(cfg)
    assert out["status"] == FAILED
    assert "\n" not in out["error"] and "ratio" in out["error"]
    (record,) = list(iter_records(tmp_path))
    assert record.status == FAILED
    # A FAILED record is retried (and stays FAILED here): still exactly one complete record.
    execute(cfg)
    assert len(list(iter_records(tmp_path))) == 1
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]


def test_bad_ratio_single_run_exits_with_one_line_error(tmp_path, data_dir) -> None:
    records = tmp_path / "runs"
    proc = run_cli(
        ["dataset=wine", "missingness.ratio=1.5", "profile=smoke", f"records_dir={records}"],
        data_dir,
        tmp_path,
    )
    # A config that could never run: one line, exit 2, and no record (FAILED is for runs).
    assert proc.returncode == 2
    assert proc.stderr == "missdiff-run: error: missingness.ratio must be in (0, 1), got 1.5\n"
    assert not records.exists()


def test_a_negative_seed_is_named_in_the_error(tmp_path, data_dir) -> None:
    with pytest.raises(ConfigError, match=r"^seed must be a non-negative integer, got -1$"):
        execute(compose(["dataset=wine", "profile=smoke", "seed=-1", f"records_dir={tmp_path}"]))
    assert not list(tmp_path.iterdir())


def test_multirun_resumes_and_report_builds_table(tmp_path, data_dir) -> None:
    records = tmp_path / "runs"
    args = [
        "-m",
        "dataset=bayesnet,wine",
        "missingness=mcar_row,mar",
        "model=mean_mode",
        "evaluator=rmse",
        "profile=smoke",
        "seed=0,1",
        f"records_dir={records}",
        f"hydra.sweep.dir={tmp_path / 'sweep'}",
    ]
    # Over its budget (no record alike: no estimate), the sweep starts nothing and says how to run.
    proc = run_cli([*args, "max_sweep_minutes=60"], data_dir, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "not started: its 8 pending jobs have no estimate for 8 (no finished" in proc.stdout
    assert "run them with: missdiff-run -m dataset=bayesnet,wine" in proc.stdout
    assert "max_sweep_minutes" not in proc.stdout.split("run them with:")[1]
    assert not records.exists() or not list(iter_records(records))

    proc = run_cli(args, data_dir, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    recs = list(iter_records(records))
    assert len(recs) == 8 and all(r.status == COMPLETED for r in recs)
    stamps = {r.path.name: (r.path / "metrics.json").stat().st_mtime_ns for r in recs}

    proc = run_cli([*args, "max_sweep_minutes=0"], data_dir, tmp_path)  # nothing left: it runs
    assert proc.returncode == 0
    assert proc.stderr.count("skip") + proc.stdout.count("skip") >= 8
    after = {
        r.path.name: (r.path / "metrics.json").stat().st_mtime_ns for r in iter_records(records)
    }
    assert after == stamps

    written = write_report(records, tmp_path / "tables", include_unrun=False)
    md = (tmp_path / "tables" / "adhoc.md").read_text()
    assert "missdiff-run -m" in md and "n=2" in md
    assert [p.name for p in written.tables] == ["adhoc.md", "adhoc.csv"] and written.unrun == []
    frame = pd.read_csv(tmp_path / "tables" / "adhoc.csv")
    assert len(frame) == 4  # 2 datasets x 2 mechanisms, one model
    assert set(frame["n_seeds"]) == {2}


def test_cli_entry_points_exist() -> None:
    scripts = Path(sys.executable).parent
    for name in ("missdiff-run", "missdiff-report", "missdiff"):
        assert (scripts / name).exists() or pytest.skip("package not installed as scripts")
    assert (REPO / "missdiff" / "configs" / "config.yaml").exists()


def test_a_finished_run_serves_every_experiment_that_asks_for_it(tmp_path, data_dir) -> None:
    base = ["dataset=wine", "profile=smoke", f"records_dir={tmp_path}"]
    first = execute(compose(base))
    again = execute(compose([*base, "experiment=mechanisms"]))
    assert again["started"] == first["started"]  # not recomputed
    (record,) = list(iter_records(tmp_path))
    assert record.metrics["experiments"] == ["adhoc", "mechanisms"]
    write_report(tmp_path, tmp_path / "tables", include_unrun=False)
    assert (tmp_path / "tables" / "mechanisms.md").exists()
    assert (tmp_path / "tables" / "adhoc.md").exists()


def test_a_cell_counts_one_run_per_seed(tmp_path, data_dir) -> None:
    # The same cell run under two configs that differ only in a size the cell does not show.
    for rows in (300, 200):
        cfg = compose(
            ["dataset=wine", "profile=smoke", f"profile.max_train_rows={rows}",
             f"records_dir={tmp_path}"]
        )  # fmt: skip
        execute(cfg)
    assert len(list(iter_records(tmp_path))) == 2
    write_report(tmp_path, tmp_path / "tables", include_unrun=False)
    frame = pd.read_csv(tmp_path / "tables" / "adhoc.csv")
    assert list(frame["n_seeds"]) == [1]


def test_report_shows_the_highest_profile_or_only_the_one_asked_for(tmp_path, data_dir) -> None:
    # Two runs of one cell, labelled smoke and quick (the same smoke sizes: only the label
    # matters to the report).
    for name in ("smoke", "quick"):
        execute(compose(["dataset=wine", "profile=smoke", f"profile.name={name}",
                         f"records_dir={tmp_path}"]))  # fmt: skip
    write_report(tmp_path, tmp_path / "best")
    write_report(tmp_path, tmp_path / "smoke", profile="smoke")
    assert list(pd.read_csv(tmp_path / "best" / "adhoc.csv")["profile"]) == ["quick"]
    assert list(pd.read_csv(tmp_path / "smoke" / "adhoc.csv")["profile"]) == ["smoke"]
    assert "Only records at the `smoke` profile" in (tmp_path / "smoke" / "adhoc.md").read_text()
    assert report_main(["--records", str(tmp_path), "--profile", "fast"]) == 2
    out = tmp_path / "cli"
    assert report_main(["--records", str(tmp_path), "--profile", "smoke", "--out", str(out)]) == 0
    # No unrun tables; the status page counts what ran.
    assert sorted(p.name for p in out.iterdir()) == ["adhoc.csv", "adhoc.md", "status.md"]


def test_sweep_budget_lists_pending_jobs_and_rejects_an_unknown_sweep(tmp_path) -> None:
    script = [sys.executable, str(REPO / "scripts" / "sweep_budget.py"), "--records", str(tmp_path)]
    page = tmp_path / "pending.md"
    ok = subprocess.run(
        [*script, "--profile", "smoke", "table5", "--markdown", str(page)],
        capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert ok.returncode == 0, ok.stderr
    (row,) = [line for line in ok.stdout.splitlines() if line.startswith("table5")]
    jobs, done, failed, pending = (int(v) for v in row.split()[1:5])
    assert done == failed == 0 and pending == jobs > 0
    assert float(row.split()[5]) == 0.0  # nothing spent without records
    # The page holds the same figures, and names what is pending.
    (cells,) = [line for line in page.read_text().splitlines() if line.startswith("| table5 |")]
    assert cells.split(" | ")[1:5] == [str(jobs), "0", "0", str(pending)]
    assert "census/tabcsdi missdiff rmse: no record yet" in cells
    bad = subprocess.run([*script, "figure1"], capture_output=True, text=True, timeout=300)
    assert bad.returncode == 2
    assert "unknown sweep figure1: choose from" in bad.stderr.splitlines()[-1]


def test_cost_estimates_leave_superseded_and_not_applicable_records_out(tmp_path, data_dir) -> None:
    # A superseded record ran at an old budget; its wall time must not price today's job.
    execute(compose(["dataset=wine", "profile=smoke", f"records_dir={tmp_path}",
                     f"data_dir={data_dir}"]))  # fmt: skip
    (rec,) = iter_records(tmp_path)
    assert Costs.from_records(tmp_path).estimate(rec.config) is not None
    path = rec.path / "metrics.json"
    metrics = json.loads(path.read_text())
    metrics["superseded"] = {"on": "2026-12-01", "by": "0" * 16, "why": "test"}
    path.write_text(json.dumps(metrics))
    assert Costs.from_records(tmp_path).estimate(rec.config) is None
    # Nor does a not-applicable run's (it stops before any training): it counts as done, not
    # as a price.
    del metrics["superseded"]
    metrics["status"] = NOT_APPLICABLE
    path.write_text(json.dumps(metrics))
    costs = Costs.from_records(tmp_path)
    assert costs.estimate(rec.config) is None and costs.status_of[rec.path.name] == NOT_APPLICABLE
    # Nor does a resumed run's: its wall time is only what was left after its checkpoint (a
    # Census Diff-mean run resumed after its training took 12 s of its usual 90). Its time still
    # counts as spent.
    metrics["status"] = COMPLETED
    metrics["resumed"] = True
    path.write_text(json.dumps(metrics))
    costs = Costs.from_records(tmp_path)
    assert costs.estimate(rec.config) is None and rec.path.name in costs.spent_of
    # Unless its model logged the earlier processes' fitting (ForestDiffusion): then the run's
    # cost is known, and it is the whole of it.
    metrics["timings"] = {**metrics["timings"], "fit_before_resume": 600.0}
    path.write_text(json.dumps(metrics))
    costs = Costs.from_records(tmp_path)
    whole = metrics["wall_time"] + 600.0
    assert costs.estimate(rec.config) == pytest.approx(whole / 60)
    assert costs.spent_of[rec.path.name] == pytest.approx(whole)
    # A two-thread record is priced at its single-thread upper bound: twice its wall time.
    metrics["threads"] = 2
    path.write_text(json.dumps(metrics))
    costs = Costs.from_records(tmp_path)
    assert costs.estimate(rec.config) == pytest.approx(2 * whole / 60)
    assert costs.spent_of[rec.path.name] == pytest.approx(2 * whole)


def test_a_sweep_budget_admits_only_pending_jobs_whose_estimates_fit() -> None:
    cheap = {"dataset": {"name": "wine"}, "model": {"name": "mean_mode"},
             "evaluator": {"name": "rmse"}, "profile": {"name": "quick"}}  # fmt: skip
    new = {**cheap, "dataset": {"name": "census"}}
    costs = Costs(minutes={cost_key(cheap): 4.0}, spent_of={}, status_of={})
    jobs = [Job([], cheap), Job([], cheap), Job([], new, status=COMPLETED)]
    assert deferral_text(jobs, costs, None, "cmd") is None  # no limit
    assert deferral_text(jobs, costs, 8, "cmd") is None  # 2 x 4 minutes fit in 8
    text = deferral_text(jobs, costs, 7.5, "missdiff-run -m x=1,2")
    assert text is not None and text.endswith(
        "its 2 pending jobs need about 0.1 single-thread hours, over max_sweep_minutes=7.5;"
        " run them with: missdiff-run -m x=1,2"
    )
    unknown = [*jobs, Job([], new)]  # a job with no record alike has no estimate: never fits
    assert "hours for 2 of them and have no estimate for 1," in (
        deferral_text(unknown, costs, 1e9, "cmd") or ""
    )
    finished = [Job([], new, status=COMPLETED)]
    assert deferral_text(finished, costs, -5, "cmd") is None  # nothing pending: runs (skips)


def test_progress_bars_only_on_a_terminal_or_when_asked(tmp_path, data_dir) -> None:
    """The model YAMLs leave runtime fields out; the runner must still switch the diffusion
    model's bars off when stderr is a log (here a pipe), and on when `progress=true`."""
    base = ["dataset=wine", "model=missdiff", "profile=smoke", "threads=1"]
    quiet = run_cli([*base, f"records_dir={tmp_path / 'a'}"], data_dir, tmp_path)
    assert quiet.returncode == 0, quiet.stderr
    assert "train:" not in quiet.stderr
    loud = run_cli([*base, "progress=true", f"records_dir={tmp_path / 'b'}"], data_dir, tmp_path)
    assert loud.returncode == 0, loud.stderr
    assert "train:" in loud.stderr


def test_jobs_of_one_process_record_the_commit_it_started_on(tmp_path, data_dir, monkeypatch):
    """A sweep keeps the code it imported while the checkout moves on (a commit made during a
    long sweep): every job of the process records the commit read when it started, not the
    checkout's HEAD at the job's own start, and a job that started after the move says so."""
    from missdiff import records

    a, b = {"commit": "a" * 40, "dirty": False}, {"commit": "b" * 40, "dirty": False}
    heads = iter([a, a, b])  # the process's start, job 1's start, job 2's start
    monkeypatch.setattr(records, "code_version", lambda: next(heads))
    records.code_version_at_start.cache_clear()
    try:
        for seed in (0, 1):
            out = execute(compose(["dataset=wine", "profile=smoke", "model=mean_mode",
                                   f"seed={seed}", f"records_dir={tmp_path}"]))  # fmt: skip
            assert out["status"] == COMPLETED, out.get("error")
    finally:
        records.code_version_at_start.cache_clear()
    codes = sorted((r.metrics["code"] for r in iter_records(tmp_path)), key=len)
    assert [c["commit"] for c in codes] == ["a" * 40, "a" * 40]
    # The second job saw the checkout moved: its record says so (a lazily imported module may
    # come from the new checkout).
    assert "checkout_at_job" not in codes[0] and codes[1]["checkout_at_job"]["commit"] == "b" * 40


@pytest.mark.parametrize("threads", [1, 2])
def test_a_library_baseline_runs_with_the_threads_its_record_states(
    tmp_path, data_dir, monkeypatch, threads
) -> None:
    """`threads=2` must reach a library baseline's own thread cap (ForestDiffusion's joblib
    workers), not only torch: otherwise a record says 2 threads for a one-thread run."""
    from missdiff import pipeline
    from missdiff.errors import MissDiffError

    seen = {}

    def capture(cfg, _data_dir):
        seen["threads"] = cfg.model.threads
        raise MissDiffError("stop after the config is built")

    monkeypatch.setattr(pipeline, "run_pipeline", capture)
    out = execute(compose(["dataset=wine", "profile=smoke", "model=forest_diffusion",
                           f"threads={threads}", f"records_dir={tmp_path}"]))  # fmt: skip
    assert seen == {"threads": threads} and out["threads"] == threads
