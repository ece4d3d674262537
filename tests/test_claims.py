"""The paper's claims: checks with known answers, on hand-made tables and on the paper's own."""

from __future__ import annotations

import math

import numpy as np
import pytest

from missdiff.claims import Estimate, beats, best, paired_p, widens, within
from missdiff.records import COMPLETED, iter_records, write_record
from missdiff.report.aggregate import check_claims
from missdiff.report.cli import write_report
from missdiff.report.discover import load_experiment

NA = Estimate(math.nan)  # the paper's "-"


def paper(**cells: float) -> dict[tuple[str, ...], Estimate]:
    """{'row__model': value} -> {(row, model): Estimate} (the paper's values: no spread)."""
    return {tuple(k.split("__")): NA if v is None else Estimate(v) for k, v in cells.items()}


def test_beats_holds_only_when_every_applicable_rival_is_beaten() -> None:
    table = paper(a__M=80, a__X=70, a__Y=None, b__M=80, b__X=75, b__Y=85)
    verdict = beats("M", ["X", "Y"])(table, True)
    assert verdict.holds is False
    assert verdict.text.startswith("1 of 2 rows")  # row a: Y does not apply; row b: Y wins
    assert beats("M", ["X"])(table, True).holds is True
    # Lower is better: the same numbers reverse.
    assert beats("M", ["X"])(table, False).holds is False
    assert (
        beats("M", ["X"], need="most")(paper(a__M=1, a__X=2, b__M=3, b__X=2), False).holds is False
    )


def test_a_row_with_a_cell_not_run_is_named_not_counted() -> None:
    table = paper(a__M=80, a__X=70, b__M=80)  # b: X has not run
    verdict = beats("M", ["X"])(table, True)
    assert verdict.holds is True
    assert "1 of 1 rows" in verdict.text and "Not checkable yet: b (X)" in verdict.text
    nothing = beats("M", ["X"])(paper(b__M=80), True)
    assert nothing.holds is None
    assert beats("M", ["X"])({}, True).line() == "not checkable: no cells yet"


def test_a_claim_about_part_of_a_table_does_not_wait_for_cells_outside_it() -> None:
    # A peer run at ratio 0.2 only: the 0.1 row is outside its sweep, never "not checkable yet".
    table = paper(**{"0.1__M": 80, "0.2__M": 80, "0.2__X": 70})
    assert "Not checkable yet: 0.1 (X)" in beats("M", ["X"])(table, True).text
    verdict = within(lambda key: key[0] == "0.2", beats("M", ["X"]))(table, True)
    assert verdict.holds is True and "0.1" not in verdict.text


def test_a_row_already_lost_to_a_present_rival_counts_as_no() -> None:
    # b: X has not run, but Y already beats M there; c: M leads the cells present, X could win.
    table = paper(a__M=80, a__X=70, a__Y=60, b__M=80, b__Y=90, c__M=80, c__Y=70)
    verdict = beats("M", ["X", "Y"])(table, True)
    assert verdict.holds is False
    assert "1 of 2 rows" in verdict.text and "b no (80 < Y 90; X not run)" in verdict.text
    assert "Not checkable yet: c (X)" in verdict.text
    ranked = best("M")(table, True)
    assert "b no (80; best Y 90; X not run)" in ranked.text and "c (X)" in ranked.text
    assert ranked.holds is False  # 1 of 2 rows is not most


def test_best_counts_rows_won_and_needs_most() -> None:
    # Lower is better: M is best on d1 and d2, not on d3 -> 2 of 3 = most.
    table = {
        ("M", "d1"): Estimate(0.1), ("X", "d1"): Estimate(0.2),
        ("M", "d2"): Estimate(0.1), ("X", "d2"): Estimate(0.3),
        ("M", "d3"): Estimate(0.5), ("X", "d3"): Estimate(0.2),
    }  # fmt: skip
    verdict = best("M", axis=0)(table, False)
    assert verdict.holds is True
    assert "2 of 3 rows" in verdict.text and "d3 no (0.5; best X 0.2)" in verdict.text
    assert best("M", axis=0, need="all")(table, False).holds is False
    assert best("M", axis=0)(table, True).holds is False  # higher is better: M wins d3 only


def test_best_among_the_papers_methods_ignores_a_newer_peer() -> None:
    # Higher is better. A peer P beats M everywhere; among the paper's M and X, M wins 2 of 2.
    table = {
        ("r1", "M"): Estimate(0.8), ("r1", "X"): Estimate(0.7), ("r1", "P"): Estimate(0.9),
        ("r2", "M"): Estimate(0.6), ("r2", "X"): Estimate(0.5), ("r2", "P"): Estimate(0.9),
        ("r3", "P"): Estimate(0.9),  # a row only the peer ran: nothing to compare
    }  # fmt: skip
    assert best("M")(table, True).holds is False
    among = best("M", among=["X"])(table, True)
    assert among.holds is True and "2 of 2 rows" in among.text
    assert "P" not in among.text and "r3" not in among.text


def test_our_comparisons_flag_one_seed_and_overlap() -> None:
    close = {
        ("r", "M"): Estimate(0.80, 0.05, 3, "quick"),
        ("r", "X"): Estimate(0.78, 0.04, 3, "quick"),
    }
    clear = {
        ("r", "M"): Estimate(0.90, 0.01, 3, "quick"),
        ("r", "X"): Estimate(0.78, 0.01, 3, "quick"),
    }
    single = {
        ("r", "M"): Estimate(0.90, math.nan, 1, "paper"),
        ("r", "X"): Estimate(0.7, 0.01, 5, "quick"),
    }
    assert "within one std" in beats("M", ["X"])(close, True).text
    assert "within one std" not in beats("M", ["X"])(clear, True).text
    text = beats("M", ["X"])(single, True).text
    assert "one seed" in text and text.endswith("Cells at paper, quick.")


def test_seeds_shared_by_two_cells_are_compared_in_pairs() -> None:
    """A seed's mask and fold are the same for every model: a margin smaller than either cell's
    spread over seeds is still clear when every seed agrees (paired t-test), and a margin that
    flips sign from seed to seed is flagged with its p-value."""

    def cell(values: list[float]) -> Estimate:
        return Estimate(float(np.mean(values)), float(np.std(values, ddof=1)), len(values),
                        "quick", tuple(enumerate(values)))  # fmt: skip

    hard_seeds = [0.70, 0.80, 0.90, 0.75, 0.85]  # the seeds differ a lot in difficulty
    consistent = {("r", "M"): cell([v + 0.02 for v in hard_seeds]), ("r", "X"): cell(hard_seeds)}
    text = beats("M", ["X"])(consistent, True).text
    assert "within one std" not in text and "paired" not in text
    flipping = {("r", "M"): cell([0.82, 0.70, 0.93, 0.72, 0.87]), ("r", "X"): cell(hard_seeds)}
    p, shared = paired_p(flipping[("r", "M")], flipping[("r", "X")])
    assert shared == 5 and p > 0.05
    assert f"paired p = {p:.2f} over 5 seeds" in beats("M", ["X"])(flipping, True).text


def test_a_cell_with_fewer_seeds_is_compared_on_the_seeds_both_ran() -> None:
    """Lower is better. M ran seed 0 only, on a fold hard for every model; X ran five seeds.
    X's five-seed mean (0.078) is below M's 0.082, but on seed 0 X has 0.095: M is better there,
    and the verdict says it rests on one seed."""

    def cell(values: dict[int, float]) -> Estimate:
        v = list(values.values())
        std = float(np.std(v, ddof=1)) if len(v) > 1 else math.nan
        return Estimate(float(np.mean(v)), std, len(v), "paper", tuple(values.items()))

    table = {("wine", "M"): cell({0: 0.082}),
             ("wine", "X"): cell({0: 0.095, 1: 0.075, 2: 0.075, 3: 0.07, 4: 0.075})}  # fmt: skip
    verdict = beats("M", ["X"])(table, False)
    assert verdict.holds is True
    assert "0.082 < X 0.095, on shared seed 0, one seed" in verdict.text
    ranked = best("M")(table, False)
    assert ranked.holds is True and "next X 0.095, on shared seed 0" in ranked.text
    # On a seed M did not run, nothing is shared: the means are compared, flagged.
    apart = {("wine", "M"): cell({5: 0.082}), ("wine", "X"): table[("wine", "X")]}
    assert beats("M", ["X"])(apart, False).holds is False


def test_widens_reads_the_trend_of_the_advantage() -> None:
    def table(gaps: list[float]) -> dict[tuple[str, ...], Estimate]:
        out = {}
        for ratio, gap in zip(("0.2", "0.4", "0.6"), gaps, strict=True):
            out[("row", ratio, "M")] = Estimate(90.0)
            out[("row", ratio, "X")] = Estimate(90.0 - gap)
        return out

    assert widens("M", "X", trend_axis=1)(table([1, 5, 20]), True).holds is True
    assert widens("M", "X", trend_axis=1)(table([20, 5, 1]), True).holds is False
    # Lower is better: X below M by a growing margin is M's advantage shrinking.
    assert widens("M", "X", trend_axis=1)(table([1, 5, 20]), False).holds is False
    two = {k: v for k, v in table([1, 5, 20]).items() if k[1] != "0.6"}
    verdict = widens("M", "X", trend_axis=1)(two, True)
    assert verdict.holds is None and "row (2 of the 3 points a trend needs)" in verdict.text


@pytest.mark.parametrize(
    ("table", "claim", "holds", "fragment"),
    [
        # Table 1: MissDiff lowest on Census, Breast, Wine, Diabetes; CSDI_T on Concrete, Libras.
        ("table1", 0, True, "4 of 6 rows"),
        ("table1", 1, False, "Concrete no (0.161 > CSDI_T 0.131)"),
        # Table 2, column missing: MissDiff 71.68 < STaSy-mean 74.47.
        ("table2", 0, False, "Column Missing no"),
        ("table5", 0, True, "2 of 2 rows"),
        ("table6", 0, True, "2 of 2 rows"),
        # Table 10: MissDiff best in 4 of the 9 (criterion, mechanism) rows.
        ("table10", 0, False, "4 of 9 rows"),
        ("table18", 0, True, "3 of 3 rows"),
    ],
)
def test_the_papers_own_tables_give_the_known_verdicts(
    table: str, claim: int, holds: bool, fragment: str
) -> None:
    """The verdicts on the paper's values, read off its tables by hand."""
    experiment = {"table18": "table18_19", "table10": "table2"}.get(table, table)
    spec = load_experiment(experiment).specs[table]
    _, on_paper, on_ours = check_claims([], spec)[claim]
    assert on_paper.holds is holds
    assert fragment in on_paper.text
    assert on_ours == []  # no records


def test_report_writes_each_claim_under_its_table_and_on_one_page(tmp_path) -> None:
    records = tmp_path / "runs"
    records.mkdir()
    out = tmp_path / "tables"
    write_report(records, out, include_unrun=True)
    claims = (out / "claims.md").read_text()
    assert '| table1 | "For most datasets, MissDiff achieves the lowest RMSE."' in claims
    # Our claims about the newer peers are on the page, apart from the paper's.
    papers, peers = claims.split("## Against newer peers")
    assert "For most datasets" in papers and "miceforest" not in papers
    assert '| table1_peers | "MissDiff imputes better than miceforest."' in peers
    assert "MissDiff imputes better than ForestDiffusion on ForestDiffusion's benchmark" in peers
    # Under a table, too; and no published table has MissDiff beside a peer: nothing to check.
    forest = (out / "forest_benchmark.md").read_text()
    assert "## Against newer peers" in forest and "## The paper's claims" not in forest
    assert "paper's values:" not in forest
    assert "## The paper's claims" in (out / "table2.md").read_text()
    assert "## The paper's claims" not in (out / "table1_pooled.md").read_text()


def _rmse_record(
    records, experiment: str, dataset: dict, mechanism: str, model: str, profile: str, rmse: float
) -> None:
    """A finished imputation record of one seed, as the runner writes it."""
    config = {
        "seed": 0,
        "dataset": dataset,
        "missingness": {"name": mechanism, "ratio": 0.2},
        "model": {"name": model},
        "evaluator": {"name": "rmse"},
        "profile": {"name": profile},
    }
    body = {
        "status": COMPLETED,
        "experiments": [experiment],
        "metrics": {"rmse": rmse},
        "primary_metric": "rmse",
        "higher_is_better": False,
    }
    write_record(records, f"{dataset['name']}-{profile}-{model}-{mechanism}", config, body)


def test_ours_is_checked_at_each_profile_on_its_own(tmp_path) -> None:
    """A paper-profile cell is never weighed against a quick one: one verdict per profile."""
    records = tmp_path / "runs"
    rmse = {("quick", "missdiff"): 0.10, ("quick", "csdi_t"): 0.12, ("paper", "missdiff"): 0.09}
    for (profile, model), value in rmse.items():
        for mechanism in ("mar", "nmar"):
            dataset = {"name": "census", "variant": "tabcsdi"}
            _rmse_record(records, "table5", dataset, mechanism, model, profile, value)
    spec = load_experiment("table5").specs["table5"]
    [(_, on_paper, on_ours)] = check_claims(list(iter_records(records)), spec)
    assert on_paper.holds is True
    (quick, at_quick), (paper, at_paper) = on_ours
    assert (quick, at_quick.holds) == ("quick", True)
    assert "one seed" in at_quick.text
    # At paper, CSDI_T has not run: nothing to compare, not a win against quick's CSDI_T.
    assert (paper, at_paper.holds) == ("paper", None)
    assert "Not checkable yet: MAR (CSDI_T); NMAR (CSDI_T)" in at_paper.text
    out = tmp_path / "tables"
    write_report(records, out, include_unrun=False)
    assert "`quick`: holds: 2 of 2 rows" in (out / "claims.md").read_text()
    assert "  - ours at `paper`: not checkable" in (out / "table5.md").read_text()


def test_a_claim_needs_all_or_most() -> None:
    with pytest.raises(ValueError, match="need must be one of"):
        beats("M", ["X"], need="some")


def test_table1_keeps_another_encoding_of_a_dataset_out_of_the_papers_cell() -> None:
    # `dataset=libras` (class categorical) is not the protocol's `libras_numeric`: its records
    # must not join, and so change, the paper's Libras cell or the claims checked on it.
    from experiments.table1 import dataset_column

    def config(**dataset) -> dict:
        return {"dataset": dataset}

    assert dataset_column(config(name="libras", all_continuous=True)) == "Libras"
    assert (
        dataset_column(config(name="breast", variant="original", all_continuous=True)) == "Breast"
    )
    off = dataset_column(config(name="libras", all_continuous=False))
    assert off != "Libras" and "not the paper's protocol" in off
    assert dataset_column(config(name="breast", variant="original")) != "Breast"
    assert dataset_column(config(name="wine", variant="white")) == "Wine"


def test_a_column_off_the_papers_protocol_is_left_out_of_its_claims(tmp_path) -> None:
    records = tmp_path / "runs"
    for model, value in {"missdiff": 0.2, "mice": 0.1}.items():
        dataset = {"name": "libras", "all_continuous": False}  # not the protocol's encoding
        _rmse_record(records, "table1", dataset, "mcar_column", model, "paper", value)
    spec = load_experiment("table1").specs["table1"]
    for _, _, on_ours in check_claims(list(iter_records(records)), spec):
        [(_, verdict)] = on_ours
        assert verdict.holds is None and "protocol" not in verdict.text
