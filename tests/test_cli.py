"""`missdiff impute` / `missdiff generate` on a CSV file: the output, the summary line, and one
line for each bad input with nothing written."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from missdiff.cli import main

pytestmark = pytest.mark.usefixtures("one_thread")


def csv(tmp_path: Path, n: int = 60, name: str = "in.csv") -> Path:
    rng = np.random.default_rng(0)
    a = rng.normal(size=n)
    df = pd.DataFrame({"a": a, "b": 3 * a + rng.normal(scale=0.1, size=n),
                       "kind": np.where(a > 0, "hi", "lo")})  # fmt: skip
    df = df.mask(rng.random(df.shape) < 0.2)
    path = tmp_path / name
    df.to_csv(path, index=False)
    return path


def test_impute_writes_the_completed_table_draws_and_model(tmp_path, capsys) -> None:
    src = csv(tmp_path)
    out, draws, model = tmp_path / "out.csv", tmp_path / "draws", tmp_path / "m.pt"
    args = ["impute", str(src), "-o", str(out), "--steps", "20", "--draws", "2",
            "--draws-output", str(draws), "--save", str(model)]  # fmt: skip
    assert main(args) == 0
    line = capsys.readouterr().out.strip()
    assert line.startswith(f"missdiff: imputed {out}: 60 rows x 3 columns,") and "filled" in line
    given = pd.read_csv(src, float_precision="round_trip")
    filled = pd.read_csv(out, float_precision="round_trip")
    assert filled.notna().all().all() and filled.shape == given.shape
    observed = given.notna()
    assert (filled[observed] == given[observed]).sum().sum() == observed.sum().sum()
    assert sorted(p.name for p in draws.iterdir()) == ["draw_1.csv", "draw_2.csv"]
    # The saved model generates without the data.
    rows = tmp_path / "rows.csv"
    assert main(["generate", "--load", str(model), "--rows", "9", "-o", str(rows)]) == 0
    assert pd.read_csv(rows).shape == (9, 3)


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["impute", "{dir}/nope.csv", "-o", "{dir}/o.csv"], "no file"),
        (["impute", "{src}", "-o", "{dir}/no/such/o.csv"], "does not exist"),
        (["impute", "{src}", "-o", "{dir}"], "is a folder"),
        (["impute", "{empty}", "-o", "{dir}/o.csv"], "is empty"),
        (["impute", "{header}", "-o", "{dir}/o.csv"], "a header but no rows"),
        (["impute", "{one}", "-o", "{dir}/o.csv"], "1 row(s)"),
        (["impute", "{src}", "-o", "{dir}/o.csv", "--categorical", "nope"], "not in the table"),
        (
            ["impute", "{src}", "-o", "{dir}/o.csv", "--categorical", "a"],
            "column 'kind' is numeric",
        ),
        (["impute", "{src}", "-o", "{dir}/o.csv", "--draws", "2"], "--draws-output"),
        (["impute", "{src}", "-o", "{dir}/o.csv", "--model", "mice", "--steps", "5"], "--steps"),
        (["generate", "{src}", "--rows", "0", "-o", "{dir}/o.csv"], "positive"),
        (["generate", "--rows", "3", "-o", "{dir}/o.csv"], "--load MODEL"),
        (["generate", "--load", "{src}", "--rows", "3", "-o", "{dir}/o.csv"], "not a saved"),
    ],
)
def test_bad_input_is_one_line_and_writes_nothing(tmp_path, capsys, args, says) -> None:
    src = csv(tmp_path)
    (tmp_path / "empty.csv").write_text("")
    (tmp_path / "header.csv").write_text("a,b\n")
    (tmp_path / "one.csv").write_text("a,b\n1,2\n")
    names = {"dir": tmp_path, "src": src, "empty": tmp_path / "empty.csv",
             "header": tmp_path / "header.csv", "one": tmp_path / "one.csv"}  # fmt: skip
    before = sorted(p.name for p in tmp_path.iterdir())
    assert main([a.format(**names) for a in args]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("missdiff: error:") and says in err
    assert sorted(p.name for p in tmp_path.iterdir()) == before
