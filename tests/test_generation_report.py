"""The generation evaluator (fidelity + utility on one sample), multi-table reports, figures,
experiments without records, and the experiment sweep files."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from missdiff.data.bayesnet import simulate_bayesnet
from missdiff.data.schema import Schema
from missdiff.errors import MissDiffError
from missdiff.evaluation.base import EvalInputs
from missdiff.evaluation.fidelity import FidelityEvaluator
from missdiff.evaluation.generation import GenerationConfig, GenerationEvaluator
from missdiff.evaluation.utility import UtilityConfig, UtilityEvaluator
from missdiff.records import COMPLETED, FAILED, NOT_APPLICABLE, iter_records, write_record
from missdiff.report.cli import main, write_report
from missdiff.report.discover import experiment_modules, load_experiment
from tests.conftest import CONFIG_DIR

REPO = CONFIG_DIR.parent
CLS = Schema(("x1", "x2", "c", "y"), categorical=("c", "y"), target="y", task="classification")
REG = Schema(("x1", "x2", "c", "t"), categorical=("c",), target="t", task="regression")


def table(n: int, rng: np.random.Generator, regression: bool = False) -> pd.DataFrame:
    x1, x2 = rng.normal(size=n), rng.normal(size=n)
    c = rng.choice(["a", "b", "c"], size=n)
    signal = 2.0 * x1 - x2 + np.where(c == "a", 1.0, -0.5)
    frame = pd.DataFrame({"x1": x1, "x2": x2, "c": c})
    if regression:
        frame["t"] = signal + rng.normal(scale=0.3, size=n)
    else:
        frame["y"] = np.where(signal + rng.normal(size=n) > 0, ">50K", "<=50K")
    return frame


def inputs_for(schema: Schema, train, test, synthetic) -> EvalInputs:
    return EvalInputs(
        schema, train, test, train.notna().to_numpy(), test.notna().to_numpy(), synthetic=synthetic
    )


def fast(**kw) -> GenerationConfig:
    return GenerationConfig(models=["decision_tree", "xgboost"], grid="small", **kw)


# -- evaluator ----------------------------------------------------------------------------------
def test_generation_merges_fidelity_and_utility_of_one_sample() -> None:
    rng = np.random.default_rng(0)
    train, test = table(300, rng), table(200, rng)
    synthetic = train.sample(300, replace=True, random_state=1).reset_index(drop=True)
    inputs = inputs_for(CLS, train, test, synthetic)
    ev = GenerationEvaluator(fast())
    metrics = ev.evaluate(inputs, np.random.default_rng(7))

    fidelity = FidelityEvaluator().evaluate(inputs, np.random.default_rng(7))
    utility = UtilityEvaluator(
        UtilityConfig(models=["decision_tree", "xgboost"], grid="small")
    ).evaluate(inputs, np.random.default_rng(7))
    # Exactly the two evaluators' numbers (same evaluation stream for utility), merged.
    assert {k: metrics[k] for k in fidelity} == fidelity
    assert {k: metrics[k] for k in utility} == utility
    assert set(metrics) == {*fidelity, *utility, "utility_scored"}
    assert metrics["utility_scored"] == 1.0
    for name in ("fidelity", "accuracy", "f1", "weighted_f1", "auroc", "decision_tree/accuracy"):
        assert math.isfinite(metrics[name])
    assert ev.primary_metric == "accuracy" and ev.higher_is_better is True
    assert set(ev.selected) == {"decision_tree", "xgboost"}


def test_generation_regression_target_has_rmse_as_primary() -> None:
    rng = np.random.default_rng(1)
    train, test = table(200, rng, regression=True), table(100, rng, regression=True)
    ev = GenerationEvaluator(GenerationConfig(models=["logistic"], primary_model="logistic"))
    metrics = ev.evaluate(inputs_for(REG, train, test, train.copy()), np.random.default_rng(0))
    assert {"fidelity", "rmse", "r2", "linear/rmse"} <= set(metrics)
    assert ev.primary_metric == "rmse" and ev.higher_is_better is False


def test_generation_without_target_scores_fidelity_only() -> None:
    rng = np.random.default_rng(2)
    bn = simulate_bayesnet(300, rng)
    assert bn.schema.target is None
    train, test = bn.data.iloc[:240].reset_index(drop=True), bn.data.iloc[240:]
    synthetic = simulate_bayesnet(200, rng).data
    ev = GenerationEvaluator(fast())
    metrics = ev.evaluate(inputs_for(bn.schema, train, test, synthetic), rng)
    assert metrics["utility_scored"] == 0.0
    assert "accuracy" not in metrics and 0.0 <= metrics["fidelity"] <= 1.0
    assert ev.primary_metric == "fidelity" and ev.higher_is_better is True
    assert ev.selected == {}


def test_generation_utility_off_and_bad_settings() -> None:
    rng = np.random.default_rng(3)
    train = table(150, rng)
    ev = GenerationEvaluator(fast(utility=False))
    assert ev.primary_metric == "fidelity"
    metrics = ev.evaluate(inputs_for(CLS, train, train, train.copy()), rng)
    assert "accuracy" not in metrics and metrics["utility_scored"] == 0.0
    # Bad settings fail at construction, before any model is trained.
    with pytest.raises(MissDiffError):
        GenerationEvaluator(GenerationConfig(real_rows="everything"))
    with pytest.raises(MissDiffError):
        GenerationEvaluator(GenerationConfig(models=["catboost"]))
    with pytest.raises(ValueError):
        GenerationEvaluator().evaluate(inputs_for(CLS, train, train, None), rng)


def test_generation_yaml_composes_to_its_schema() -> None:
    from missdiff import registry
    from tests.conftest import compose

    cfg = compose(["evaluator=generation", "profile=smoke"])
    ev = registry.build_evaluator(cfg.evaluator)
    assert isinstance(ev, GenerationEvaluator)
    assert ev.cfg.grid == "small" and ev.cfg.primary_model == "xgboost" and ev.cfg.utility


# -- report -------------------------------------------------------------------------------------
def fake_record(
    records: Path,
    experiment: str,
    model: str,
    mechanism: str,
    seed: int,
    metrics: dict[str, float] | None = None,
    ratio: float = 0.2,
    dataset: dict | None = None,
    status: str = COMPLETED,
    primary: str = "accuracy",
    profile: str = "quick",
) -> None:
    config = {
        "seed": seed,
        "dataset": dataset or {"name": "census", "variant": "adult"},
        "missingness": {"name": mechanism, "ratio": ratio},
        "model": {"name": model},
        "evaluator": {"name": "generation"},
        "profile": {"name": profile},
    }
    body = {"status": status, "experiments": [experiment]}
    if status == COMPLETED:
        body.update(metrics=metrics or {}, primary_metric=primary, higher_is_better=True)
    else:
        body["error"] = "row deletion leaves no row"
    key = f"{experiment}-{model}-{mechanism}-{ratio:g}-{seed}-{profile}"
    write_record(records, key, config, body)


CENSUS_METRICS = ("accuracy", "fidelity", "f1", "weighted_f1", "auroc")
CLASSIFIERS = ("decision_tree", "adaboost", "logistic", "mlp", "random_forest")


def census_metrics(base: float, seed: int) -> dict[str, float]:
    out = {m: base + 0.01 * seed for m in CENSUS_METRICS}
    out.update({f"{c}/accuracy": base - 0.1 + 0.01 * seed for c in CLASSIFIERS})
    return out


def md_row(text: str, *labels: str) -> list[str]:
    """The cells of the markdown row whose first cells are `labels`."""
    for line in text.splitlines():
        # Cells are split at unescaped pipes; an escaped pipe inside a cell reads back as "|".
        inner = line.strip().removeprefix("|").removesuffix("|")
        cells = [c.strip().replace("\\|", "|") for c in re.split(r"(?<!\\)\|", inner)]
        if cells[: len(labels)] == list(labels):
            return cells[len(labels) :]
    raise AssertionError(f"no row {labels} in\n{text}")


def test_report_writes_every_table_of_a_multi_table_experiment(tmp_path) -> None:
    records = tmp_path / "runs"
    for seed in range(3):
        for mech in ("mcar_row", "mcar_column", "mcar_independent"):
            fake_record(records, "table2", "missdiff", mech, seed, census_metrics(0.8, seed))
        fake_record(records, "table2", "diff_delete", "mcar_row", seed, status=NOT_APPLICABLE)
        fake_record(records, "table2", "diff_mean", "mcar_column", seed, census_metrics(0.6, seed))
    written = write_report(records, tmp_path / "tables", tmp_path / "figs", include_unrun=False)

    names = {p.name for p in written.tables}
    expected = ["table2", "table7", "table10", *(f"table{n}" for n in range(13, 18))]
    assert names == {f"{t}.{ext}" for t in expected for ext in ("md", "csv")}
    assert written.unrun == [] and written.figures == []

    t2 = (tmp_path / "tables" / "table2.md").read_text()
    header = md_row(t2, "mechanism")
    assert header[:3] == ["MissDiff", "Diff-delete", "Diff-mean"]
    row = dict(zip(header, md_row(t2, "Row Missing"), strict=True))
    # accuracy 0.80, 0.81, 0.82 -> 81.00 (1.00) %; beside the paper's 79.48
    assert row["MissDiff"].startswith("81.00 (1.00) n=3 quick | paper 79.48 (+1.52)")
    assert row["Diff-delete"] == "-"  # not applicable, and "-" in the paper too
    assert row["STaSy-mean"] == "not run | paper 70.79"
    assert "Reproduce: `missdiff-run -m experiment=table2 profile=quick" in t2

    t7 = (tmp_path / "tables" / "table7.csv").read_text()
    frame = pd.read_csv(tmp_path / "tables" / "table7.csv")
    cell = frame[(frame.mechanism == "Column Missing") & (frame.model == "Diff-mean")].iloc[0]
    assert cell["metric"] == "fidelity" and cell["mean"] == pytest.approx(61.0)
    assert cell["paper"] == pytest.approx(76.17) and cell["n_seeds"] == 3
    assert "not_run" in t7

    # Table 10: criterion x mechanism rows, one metric per criterion, in the paper's order.
    t10 = (tmp_path / "tables" / "table10.md").read_text()
    firsts = [ln.split(" | ")[0][2:] for ln in t10.splitlines() if ln.startswith("| ")][1:]
    assert firsts == ["Binary F1"] * 3 + ["Weighted-F1"] * 3 + ["AUROC"] * 3
    assert md_row(t10, "AUROC", "Row Missing")[0].startswith("0.810 (0.010) n=3")
    f10 = pd.read_csv(tmp_path / "tables" / "table10.csv")
    assert set(f10["metric"].dropna()) == {"f1", "weighted_f1", "auroc"}
    t13 = pd.read_csv(tmp_path / "tables" / "table13.csv")
    mine = t13[(t13.model == "MissDiff") & (t13.mechanism == "Independent Missing")].iloc[0]
    assert mine["metric"] == "decision_tree/accuracy" and mine["mean"] == pytest.approx(71.0)
    assert mine["paper"] == pytest.approx(80.68)


def test_status_page_counts_each_tables_cells(tmp_path) -> None:
    records = tmp_path / "runs"
    for seed in range(2):
        for mech in ("mcar_row", "mcar_column"):
            fake_record(records, "table2", "missdiff", mech, seed, census_metrics(0.8, seed))
    fake_record(records, "table2", "diff_mean", "mcar_row", 0, census_metrics(0.6, 0))
    fake_record(records, "table2", "diff_delete", "mcar_row", 0, status=NOT_APPLICABLE)
    fake_record(records, "table2", "csdi_t", "mcar_column", 0, status=FAILED)
    written = write_report(records, tmp_path / "tables", include_unrun=False)
    assert [p.name for p in written.status] == ["status.md"]
    text = written.status[0].read_text()
    # The paper's grid is 3 mechanisms x 6 models; ours adds no cell outside it.
    # cells, ran, n>=2, seeds, at paper, at quick, not applicable, not run, failed only
    assert md_row(text, "table2") == ["18", "3", "2", "1-2", "0", "3", "1", "13", "1"]
    tables = [ln.split(" | ")[0][2:] for ln in text.splitlines() if ln.startswith("| table")]
    assert tables[1:4] == ["table2", "table7", "table10"]  # [0]: the header; paper order


def test_report_writes_figure1_from_records(tmp_path) -> None:
    records = tmp_path / "runs"
    bn = {"name": "bayesnet", "variant": "default"}
    for seed in range(3):
        for ratio in (0.2, 0.4):
            fake_record(
                records,
                "figure1",
                "missdiff",
                "mcar_row",
                seed,
                {"fidelity": 0.8 + seed / 100},
                ratio,
                bn,
                primary="fidelity",
            )
            fake_record(
                records,
                "figure1",
                "diff_delete",
                "mcar_row",
                seed,
                ratio=ratio,
                dataset=bn,
                status=NOT_APPLICABLE,
            )
        for mech in ("mcar_column", "mcar_independent"):
            for ratio in (0.1, 0.5, 0.9):
                for model, base in (("missdiff", 0.85), ("diff_mean", 0.7)):
                    fake_record(
                        records,
                        "figure1",
                        model,
                        mech,
                        seed,
                        {"fidelity": base - ratio / 10},
                        ratio,
                        bn,
                        primary="fidelity",
                    )
    written = write_report(records, tmp_path / "tables", tmp_path / "figs", include_unrun=False)
    png = tmp_path / "figs" / "figure1.png"
    assert written.figures == [png]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000

    text = (tmp_path / "tables" / "figure1.md").read_text()
    assert md_row(text, "Row Missing", "0.4")[:2] == ["81.00 (1.00) n=3 quick", "-"]
    assert md_row(text, "Independent Missing", "0.9")[0].startswith("76.00 (0.00) n=3")
    assert "paper" not in md_row(text, "Column Missing", "0.1")[0]
    assert "experiment=figure1_row profile=quick && missdiff-run -m experiment=figure1_colind" in (
        text
    )

    fig = load_experiment("figure1").figures["figure1"](list(iter_records(records)))
    row_panel, column_panel, _ = fig.axes[:3]
    assert [ln.get_label() for ln in row_panel.get_lines()] == ["MissDiff"]  # Diff-delete: "-"
    assert [ln.get_label() for ln in column_panel.get_lines()] == ["MissDiff", "Diff-mean"]
    assert list(column_panel.get_lines()[0].get_xdata()) == [0.1, 0.5, 0.9]


def test_figure1_draws_each_profile_as_its_own_line(tmp_path) -> None:
    """A paper-profile slice beside the quick curves: separate, labelled lines, never spliced."""
    records = tmp_path / "runs"
    bn = {"name": "bayesnet", "variant": "default"}
    for profile, ratios in (("quick", (0.1, 0.5, 0.9)), ("paper", (0.5,))):
        for ratio in ratios:
            fake_record(
                records, "figure1", "missdiff", "mcar_column", 0, {"fidelity": 0.9}, ratio, bn,
                primary="fidelity", profile=profile,
            )  # fmt: skip
    fig = load_experiment("figure1").figures["figure1"](list(iter_records(records)))
    lines = {ln.get_label(): list(ln.get_xdata()) for ln in fig.axes[1].get_lines()}
    assert lines == {"MissDiff (quick)": [0.1, 0.5, 0.9], "MissDiff (paper)": [0.5]}


def test_report_writes_unrun_experiments_with_paper_values_and_requirements(tmp_path) -> None:
    records = tmp_path / "runs"
    records.mkdir()
    out = tmp_path / "tables"
    # No records at all: the command writes nothing (tests/test_report_cli.py); the report
    # still writes every experiment module's tables, with the paper's values.
    written = write_report(records, out, tmp_path / "figures")
    assert written.tables == [] and written.figures == []
    for name in experiment_modules():
        for table in load_experiment(name).specs:
            assert (out / f"{table}.md").exists(), table
    t3 = (out / "table3.md").read_text()
    assert "Not run yet" in t3 and "mimic4ed-benchmark" in t3 and "<data_dir>/mimic4ed/" in t3
    assert md_row(t3, "Row Missing")[0] == "not run | paper 1.826"
    assert "lower is better" in t3
    assert "experiment=table3 profile=quick && missdiff-run -m experiment=table3_stasy" in t3
    for table, paper in (("table8", "paper 84.45"), ("table11", "paper 0.088")):
        assert paper in (out / f"{table}.md").read_text()
    assert not (tmp_path / "figures").exists()  # no figure without records

    # With a record elsewhere the report succeeds and still writes table3 (no records of its own).
    fake_record(records, "table2", "missdiff", "mcar_row", 0, census_metrics(0.8, 0))
    (out / "table3.md").unlink()
    assert main(["--records", str(records), "--out", str(out), "--figures-out", str(tmp_path)]) == 0
    assert "mimic4ed-benchmark" in (out / "table3.md").read_text()
    assert "n=1 quick" in (out / "table2.md").read_text()


def test_every_experiment_module_builds_its_tables() -> None:
    from missdiff.report.render import build_table

    names = experiment_modules()
    assert {"figure1", "table2", "table3", "table4", "table5", "table6", "table18_19"} <= set(names)
    tables = []
    for name in names:
        exp = load_experiment(name)
        assert exp.defined
        for table, spec in exp.specs.items():
            build_table(name, [], spec, exp.requires, exp.sweeps)  # checks the paper keys
            tables.append(table)
    expected = {f"table{n}" for n in range(1, 20)}
    assert expected <= set(tables) and "figure1" in tables
    assert len(tables) == len(set(tables))  # no table written by two experiments


# -- sweep files --------------------------------------------------------------------------------
GROUPS = ("dataset", "missingness", "model", "evaluator")


def sweep_files() -> list[Path]:
    return sorted((CONFIG_DIR / "experiment").glob("*.yaml"))


@pytest.mark.parametrize("path", sweep_files(), ids=lambda p: p.stem)
def test_sweep_params_name_existing_options(path: Path) -> None:
    cfg = yaml.safe_load(path.read_text())
    params = cfg["hydra"]["sweeper"]["params"]
    for group in GROUPS:
        assert group in params, f"{path.name} does not sweep {group}"
        for option in str(params[group]).split(","):
            option = option.strip()
            exists = (CONFIG_DIR / group / f"{option}.yaml").is_file()
            assert exists, f"{path.name}: {group}={option} has no {group}/{option}.yaml"
    for ratio in str(params.get("missingness.ratio", "0.2")).split(","):
        assert 0.0 < float(ratio) < 1.0
    # The records are tagged with `experiment`, which must name a module with its tables.
    experiment = cfg["experiment"]
    assert experiment in experiment_modules(), f"{path.name}: no experiments/{experiment}.py"
    assert path.stem in load_experiment(experiment).sweeps


def test_module_sweeps_tag_their_experiment() -> None:
    for name in experiment_modules():
        for sweep in load_experiment(name).sweeps:
            cfg = yaml.safe_load((CONFIG_DIR / "experiment" / f"{sweep}.yaml").read_text())
            assert cfg["experiment"] == name, sweep


def test_figure1_row_ratios_hide_at_least_one_entry() -> None:
    cfg = yaml.safe_load((CONFIG_DIR / "experiment" / "figure1_row.yaml").read_text())
    ratios = [
        float(r) for r in str(cfg["hydra"]["sweeper"]["params"]["missingness.ratio"]).split(",")
    ]
    assert ratios == [0.2, 0.4, 0.6, 0.8]
    assert all(1 <= math.floor(5 * r) <= 4 for r in ratios)  # bayesnet has 5 columns


@pytest.mark.parametrize("panel", ["row", "colind"])
def test_figure1_on_the_released_network_is_the_same_grid_but_the_convention(panel) -> None:
    """The two conventions' figures are comparable only if their sweeps differ in nothing else."""

    def params(name: str) -> dict:
        cfg = yaml.safe_load((CONFIG_DIR / "experiment" / f"{name}.yaml").read_text())
        return dict(cfg["hydra"]["sweeper"]["params"])

    released = params(f"figure1_released_{panel}")
    assert released.pop("dataset.variant") == "released"
    assert released == params(f"figure1_{panel}")


def test_a_superseded_record_stays_on_disk_and_out_of_the_tables(tmp_path) -> None:
    """A record that a newer configuration of its job replaced is counted, never shown: the cell
    shows the current record, or `not run` when there is none yet."""
    from missdiff.records import iter_records, rewrite_metrics

    records = tmp_path / "runs"
    fake_record(records, "table2", "missdiff", "mcar_row", 0, census_metrics(0.80, 0))
    fake_record(records, "table2", "diff_mean", "mcar_row", 0, census_metrics(0.70, 0))
    for rec in iter_records(records):
        if rec.config["model"]["name"] == "diff_mean":
            rec.metrics["superseded"] = {"on": "2026-12-01", "by": "x", "why": "budget"}
            rewrite_metrics(rec)
    write_report(records, tmp_path / "tables", None)
    text = (tmp_path / "tables" / "table2.md").read_text()
    row = dict(zip(md_row(text, "mechanism"), md_row(text, "Row Missing"), strict=True))
    assert row["MissDiff"].startswith("80.00 (n/a) n=1 quick")
    assert row["Diff-mean"].startswith("not run")
    assert len(list(iter_records(records))) == 2
    assert "1 records of older configurations" in (tmp_path / "tables" / "status.md").read_text()


def test_a_table_says_which_budget_its_diffusion_models_used() -> None:
    from missdiff.records import Record
    from missdiff.report.render import budget_line

    def rec(profile: str, **model) -> Record:
        base = {"name": "missdiff", "epochs": 500, "batch_size": 8, "channels": 64, "n_heads": 2,
                "num_steps": 150, "train_steps": 0, "denoiser": "backbone"}  # fmt: skip
        return Record(Path("x"), {"profile": {"name": profile}, "model": {**base, **model}})

    line = budget_line([rec("paper"), rec("quick", train_steps=5000, denoiser="mlp",
                                           mlp_width=512, mlp_depth=4, ema_decay=0.999),
                        Record(Path("y"), {"profile": {"name": "quick"},
                                           "model": {"name": "mean_mode"}})])  # fmt: skip
    assert line == (
        "Diffusion models trained for `paper`: 500 epochs of batch 8, backbone 64 channels,"
        " 2 heads, T = 150 / `quick`: 5,000 steps of batch 8, MLP 512x4, T = 150, EMA 0.999."
    )


def test_table1_says_where_missdiff_ranks_among_cells_of_its_profile(tmp_path) -> None:
    records = tmp_path / "runs"
    runs = {("missdiff", "quick"): 0.20, ("mice", "quick"): 0.15, ("mean_mode", "quick"): 0.25,
            ("gain", "quick"): 0.20, ("csdi_t", "paper"): 0.10,
            ("miwae", "paper"): 0.30, ("miwae", "quick"): 0.10}  # fmt: skip
    for (model, profile), rmse in runs.items():
        for seed in range(2):
            config = {"seed": seed, "dataset": {"name": "concrete"},
                      "missingness": {"name": "tabcsdi", "ratio": 0.2}, "model": {"name": model},
                      "evaluator": {"name": "rmse"}, "profile": {"name": profile}}  # fmt: skip
            body = {"status": COMPLETED, "experiments": ["table1"], "primary_metric": "rmse",
                    "higher_is_better": False, "metrics": {"rmse": rmse + seed / 1000}}  # fmt: skip
            write_record(records, f"{model}-{profile}-{seed}", config, body)
    write_report(records, tmp_path / "tables", include_unrun=False)
    text = (tmp_path / "tables" / "table1.md").read_text()
    # Below MICE and MIWAE, tied with GAIN (a tie shares the better rank); CSDI_T, which ran at
    # `paper` only, is not ranked against `quick` means. MIWAE's cell shows its `paper` runs
    # (worse than MissDiff), but its `quick` runs are the ones that rank beside MissDiff's.
    miwae = next(line for line in text.splitlines() if line.startswith("| MIWAE |"))
    assert "| 0.300 (0.001) n=2 paper" in miwae
    assert "MissDiff's rank (1 = best;" in text
    assert text.split("seeds both ran): ")[1].startswith("Concrete 3 of 5 (quick).")


def test_a_rank_sets_one_seed_against_the_same_seed_of_each_rival() -> None:
    """MissDiff ran seed 0 only, on a hard fold; the rivals ran five seeds. Against their means
    it would rank last; against their seed-0 values (the same fold and mask) it ranks second."""
    from missdiff.report.aggregate import Cell, column_ranks

    def cell(*values: float) -> Cell:
        return Cell(values=list(values), seeds=list(range(len(values))), profile="paper")

    cells = {
        ("MissDiff", "Wine"): cell(0.082),
        ("MICE", "Wine"): cell(0.069, 0.060, 0.060, 0.060, 0.060),
        ("Mean/Mode", "Wine"): cell(0.095, 0.075, 0.075, 0.075, 0.075),
        ("MIWAE", "Wine"): cell(0.085, 0.070, 0.070, 0.070, 0.070),
    }
    ranks = column_ranks(cells, {"paper": cells}, "MissDiff", higher_is_better=False)
    assert ranks == {"Wine": (2, 4, "paper")}
    # With every seed shared, the rank is the rank of the means.
    cells[("MissDiff", "Wine")] = cell(0.082, 0.080, 0.080, 0.080, 0.080)
    ranks = column_ranks(cells, {"paper": cells}, "MissDiff", higher_is_better=False)
    assert ranks["Wine"][0] == 4


def test_a_cell_whose_runs_used_several_threads_says_so(tmp_path) -> None:
    """Wall times (ForestDiffusion's benchmark has a time table) are one thread per run; a run
    given more threads must not sit unmarked beside them."""
    records = tmp_path / "runs"
    for model, threads in (("missdiff", 1), ("mice", 2)):
        for seed in range(2):
            config = {"seed": seed, "dataset": {"name": "concrete"},
                      "missingness": {"name": "tabcsdi", "ratio": 0.2}, "model": {"name": model},
                      "evaluator": {"name": "rmse"}, "profile": {"name": "quick"}}  # fmt: skip
            body = {"status": COMPLETED, "experiments": ["table1"], "primary_metric": "rmse",
                    "higher_is_better": False, "metrics": {"rmse": 0.2},
                    "threads": threads if seed else 1}  # fmt: skip
            write_record(records, f"{model}-{seed}", config, body)
    write_report(records, tmp_path / "tables", include_unrun=False)
    text = (tmp_path / "tables" / "table1.md").read_text()
    row = dict(zip(md_row(text, "method"), md_row(text, "MICE(linear)"), strict=True))
    assert row["Concrete"].startswith("0.200 (0.000) n=2 quick, 2 threads |")
    row = dict(zip(md_row(text, "method"), md_row(text, "MissDiff"), strict=True))
    assert "threads" not in row["Concrete"]
    frame = pd.read_csv(tmp_path / "tables" / "table1.csv")
    frame = frame[frame.dataset == "Concrete"].set_index("method")
    assert frame.loc["MICE(linear)", "threads"] == 2 and frame.loc["MissDiff", "threads"] == 1
