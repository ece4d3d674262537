"""The package installs with plain pip: a wheel in a fresh virtual environment runs
`missdiff-run`, `missdiff` and the estimator from another folder (slow: it installs torch and the
core dependencies; CI runs it with `make test-slow`)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO

LOCK = REPO / "requirements" / "lock.txt"


def run(cmd: list[str], cwd: Path, timeout: int = 900) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MISSDIFF_", "VIRTUAL_ENV"))}
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.mark.slow
def test_the_wheel_installs_into_a_fresh_venv_and_runs_from_another_folder(tmp_path) -> None:
    dist, venv, elsewhere = tmp_path / "dist", tmp_path / "venv", tmp_path / "elsewhere"
    elsewhere.mkdir()
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(dist), str(REPO)],
        tmp_path)  # fmt: skip
    (wheel,) = dist.glob("missdiff-*.whl")
    run([sys.executable, "-m", "venv", str(venv)], tmp_path)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "-q", "-c", str(LOCK)]
    run([*pip, "torch==2.13.0"], tmp_path)  # the CPU build, pinned as the Makefile pins it
    run([*pip, str(wheel)], tmp_path)

    rng = np.random.default_rng(0)
    a = rng.normal(size=120)
    table = pd.DataFrame({"a": a, "b": 2 * a + rng.normal(scale=0.2, size=120),
                          "kind": np.where(a > 0, "hi", "lo")})  # fmt: skip
    table.mask(rng.random(table.shape) < 0.2).to_csv(elsewhere / "t.csv", index=False)
    bin_ = venv / "bin"
    help_ = run([str(bin_ / "missdiff-run"), "--help"], elsewhere).stdout
    assert "model: csdi_t, diff_delete" in help_
    out = run([str(bin_ / "missdiff"), "impute", "t.csv", "-o", "out.csv", "--steps", "30"],
              elsewhere).stdout  # fmt: skip
    assert out.startswith("missdiff: imputed out.csv: 120 rows x 3 columns")
    assert pd.read_csv(elsewhere / "out.csv").notna().all().all()
    sweep = run([str(bin_ / "missdiff-run"), "-m", "dataset=csv", "dataset.path=t.csv",
                 "model=mean_mode,missdiff", "evaluator=rmse", "profile=smoke",
                 "records_dir=runs"], elsewhere)  # fmt: skip
    assert "sweep of 2 jobs done: 2 completed" in sweep.stderr
    assert len([p for p in (elsewhere / "runs").iterdir() if not p.name.startswith(".")]) == 2
    script = (
        "import pandas as pd; from missdiff import MissDiff\n"
        "df = pd.read_csv('t.csv')\n"
        "m = MissDiff(random_state=0, train_steps=30).fit(df)\n"
        "m.save('m.pt'); assert MissDiff.load('m.pt').transform(df).equals(m.transform(df))\n"
    )
    run([str(bin_ / "python"), "-c", script], elsewhere)
