"""Every experiment end to end at the smoke profile: sweep -> records -> rebuilt tables.

One seed per experiment keeps this to minutes; the sweep grid is otherwise the experiment's own.
Marked slow: `make test` skips it, CI (`make test-slow`) runs it.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from missdiff.records import COMPLETED, NOT_APPLICABLE, iter_records
from missdiff.report.cli import main as report_main
from tests.conftest import CONFIG_DIR

EXPERIMENTS = sorted(p.stem for p in (CONFIG_DIR / "experiment").glob("*.yaml"))
NEEDS_USER_DATA = {"table3", "table3_stasy"}  # MIMIC-IV-ED is credentialed


# Figure 1 sweeps 4 + 2 x 9 ratios; one ratio per panel keeps the test to minutes (every cell of
# the other experiments runs, with one seed, except the paper's methods in table1_peers).
FEWER = {
    "figure1_row": ["missingness.ratio=0.4"],
    "figure1_colind": ["missingness.ratio=0.5"],
    "figure1_released_row": ["missingness.ratio=0.4"],
    "figure1_released_colind": ["missingness.ratio=0.5"],
    "figure1_forestflow": ["missingness.ratio=0.4"],
    # ForestFlow on Census: one mechanism (its utility scoring takes a minute at smoke).
    "table2_forestflow": ["missingness=mcar_independent"],
    # table1 runs the paper's methods; miceforest's default mean matching fails on smoke's 300
    # Census rows after one round (a probability of exactly 1; baselines/miceforest.py).
    "table1_peers": [
        "model=forest_diffusion,miceforest,missforest_full",
        "dataset=breast_numeric,wine_white,concrete,libras_numeric,diabetes",
    ],
    # Every model on a class target with a categorical column (iris) and a regression one.
    "forest_benchmark": ["dataset=iris,concrete"],
}


def sweep_size(name: str, overrides: list[str]) -> int:
    params = yaml.safe_load((CONFIG_DIR / "experiment" / f"{name}.yaml").read_text())
    params = dict(params["hydra"]["sweeper"]["params"])
    params.update(o.split("=", 1) for o in overrides)
    size = 1
    for key, value in params.items():
        if key != "seed":
            size *= len(str(value).split(","))
    return size


@pytest.mark.slow
@pytest.mark.parametrize("name", EXPERIMENTS)
def test_experiment_runs_end_to_end_at_smoke(name: str, tmp_path: Path, data_dir: Path) -> None:
    records = tmp_path / "runs"
    env = {**os.environ, "MISSDIFF_DATA_DIR": str(data_dir)}
    cmd = [
        sys.executable, "-m", "missdiff.run", "-m", f"experiment={name}", "profile=smoke",
        "seed=0", f"records_dir={records}", f"hydra.sweep.dir={tmp_path / 'sweep'}",
        *FEWER.get(name, []),
    ]  # fmt: skip
    proc = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=3000)
    if name in NEEDS_USER_DATA:
        # Without the user's files every job is a config error: nothing runs, each is named.
        assert proc.returncode == 1
        assert "nothing was started" in proc.stderr
        # Each job names the missing file and how to make it.
        named = proc.stderr.count("no file mimic4ed/train.csv")
        assert named == proc.stderr.count("dataset=mimic4ed") > 0
        assert "mimic4ed-benchmark pipeline" in proc.stderr
        assert not records.exists()
        return
    assert proc.returncode == 0, proc.stderr[-3000:]
    recs = list(iter_records(records))
    assert len(recs) == sweep_size(name, FEWER.get(name, []))
    statuses = {r.status for r in recs}
    failed = [r.metrics.get("error") for r in recs if r.status not in (COMPLETED, NOT_APPLICABLE)]
    assert not failed, failed[:3]
    assert COMPLETED in statuses
    out = tmp_path / "tables"
    assert report_main(["--records", str(records), "--out", str(out),
                        "--figures-out", str(tmp_path / "figures")]) == 0  # fmt: skip
    assert any(out.glob("*.md"))
