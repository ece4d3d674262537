"""Missing-data mechanisms (paper Appendix C.1/C.2): rates, nesting in the native mask, seeding,
MAR/NMAR dependence structure, and the errors users see."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from missdiff.config import MissingnessConfig
from missdiff.data.schema import Schema, Table
from missdiff.errors import MissDiffError
from missdiff.missingness import (
    MECHANISMS,
    apply_missingness,
    check_every_column_observed,
    mar_input_columns,
    mar_mask,
    nmar_mask,
    row_mask,
)

N, D = 5000, 8
COLUMNS = tuple(f"x{j}" for j in range(D))
NATIVE_NAN = {"x5": 0.10, "x6": 0.05}  # natively incomplete columns and their NaN share
ALL = sorted(MECHANISMS)
MASKING = [m for m in ALL if m != "none"]


def _complete() -> np.ndarray:
    """Correlated Gaussians (pairwise correlation 0.5)."""
    rng = np.random.default_rng(12345)
    cov = 0.5 * np.ones((D, D)) + 0.5 * np.eye(D)
    return rng.multivariate_normal(np.zeros(D), cov, size=N)


def _table(values: np.ndarray, native_nan: bool) -> Table:
    df = pd.DataFrame(values.copy(), columns=COLUMNS)  # never write into `values`
    # x7 is categorical: three string levels cut from a Gaussian.
    df["x7"] = np.where(values[:, 7] > 0.5, "b", np.where(values[:, 7] > -0.5, "a", "c"))
    if native_nan:
        rng = np.random.default_rng(54321)
        for col, share in NATIVE_NAN.items():
            df.loc[rng.random(N) < share, col] = np.nan
    return Table("synthetic", df, Schema(COLUMNS, ("x7",)))


@pytest.fixture(scope="module")
def complete() -> np.ndarray:
    return _complete()


@pytest.fixture(scope="module")
def table(complete: np.ndarray) -> Table:
    return _table(complete, native_nan=True)


@pytest.fixture(scope="module")
def full_table(complete: np.ndarray) -> Table:
    return _table(complete, native_nan=False)


def _cfg(name: str, ratio: float = 0.2, input_fraction: float = 0.3) -> MissingnessConfig:
    return MissingnessConfig(name=name, ratio=ratio, input_fraction=input_fraction)


def _rng(seed: int = 0) -> np.random.Generator:
    return np.random.default_rng(seed)


def test_registry_names() -> None:
    assert set(ALL) == {
        "none",
        "mcar_row",
        "mcar_column",
        "mcar_independent",
        "mar",
        "nmar",
        "tabcsdi",
    }


@pytest.mark.parametrize("name", ALL)
def test_mask_is_subset_of_native(name: str, table: Table) -> None:
    observed = apply_missingness(_cfg(name), table, _rng())
    assert observed.shape == (N, D) and observed.dtype == bool
    assert not (observed & ~table.observed).any()
    if name == "none":
        assert np.array_equal(observed, table.observed)
    else:
        assert (table.observed & ~observed).any()


@pytest.mark.parametrize("name", MASKING)
def test_seeding(name: str, table: Table) -> None:
    first = apply_missingness(_cfg(name), table, _rng(7))
    assert np.array_equal(first, apply_missingness(_cfg(name), table, _rng(7)))
    assert not np.array_equal(first, apply_missingness(_cfg(name), table, _rng(8)))


@pytest.mark.parametrize("ratio", [0.2, 0.5, 0.8])
def test_mcar_row_exact_count(ratio: float, table: Table, full_table: Table) -> None:
    k = math.floor(D * ratio)
    hidden = MECHANISMS["mcar_row"](table, _cfg("mcar_row", ratio), _rng())
    assert (hidden.sum(axis=1) == k).all()
    # On a complete table every row ends with exactly D - k observed entries.
    observed = apply_missingness(_cfg("mcar_row", ratio), full_table, _rng())
    assert (observed.sum(axis=1) == D - k).all()
    # Positions are uniform: every column is hidden about k/D of the time.
    assert np.allclose(hidden.mean(axis=0), k / D, atol=0.03)


def test_row_count_survives_float_products() -> None:
    # 0.29 * 100 = 28.999999999999996 in floating point; the paper's floor means 29.
    assert (row_mask(3, 100, 0.29, _rng()).sum(axis=1) == 29).all()


@pytest.mark.parametrize("ratio", [0.1, 0.5, 0.9])
def test_mcar_column_exact_count(ratio: float, table: Table, full_table: Table) -> None:
    k = math.floor(N * ratio)
    hidden = MECHANISMS["mcar_column"](table, _cfg("mcar_column", ratio), _rng())
    assert (hidden.sum(axis=0) == k).all()
    observed = apply_missingness(_cfg("mcar_column", ratio), full_table, _rng())
    assert (observed.sum(axis=0) == N - k).all()


@pytest.mark.parametrize("ratio", [0.1, 0.5, 0.9])
def test_mcar_independent_rate(ratio: float, table: Table) -> None:
    hidden = MECHANISMS["mcar_independent"](table, _cfg("mcar_independent", ratio), _rng())
    tolerance = 4 * math.sqrt(ratio * (1 - ratio) / (N * D))  # 4 binomial standard errors
    assert abs(hidden.mean() - ratio) < tolerance
    # Independent of the native mask: the same rate among natively observed entries.
    new = table.observed & ~apply_missingness(_cfg("mcar_independent", ratio), table, _rng())
    assert abs(new.sum() / table.observed.sum() - ratio) < 1.1 * tolerance


@pytest.mark.parametrize("ratio", [0.2, 0.5])
def test_tabcsdi_exact_count_among_observed(ratio: float, table: Table) -> None:
    native = table.observed
    observed = apply_missingness(_cfg("tabcsdi", ratio), table, _rng())
    hidden = native & ~observed
    expected = [int(ratio * int(c)) for c in native.sum(axis=0)]
    assert hidden.sum(axis=0).tolist() == expected
    hidden_direct = MECHANISMS["tabcsdi"](table, _cfg("tabcsdi", ratio), _rng())
    assert np.array_equal(hidden_direct, hidden)  # draws only among observed entries


@pytest.mark.parametrize("name", ["mar", "nmar"])
@pytest.mark.parametrize("ratio", [0.2, 0.4])
def test_logistic_overall_rate(name: str, ratio: float, table: Table) -> None:
    hidden = MECHANISMS[name](table, _cfg(name, ratio), _rng())
    assert abs(hidden.mean() - ratio) < 0.02
    new = table.observed & ~apply_missingness(_cfg(name, ratio), table, _rng())
    assert abs(new.sum() / table.observed.sum() - ratio) < 0.02


def test_mar_inputs_fully_observed(table: Table) -> None:
    cfg = _cfg("mar", 0.3)
    for seed in range(3):
        inputs = mar_input_columns(cfg, table, _rng(seed))
        assert len(inputs) == max(1, int(cfg.input_fraction * D))
        assert not set(inputs) & set(NATIVE_NAN)  # chosen among natively complete columns
        observed = apply_missingness(cfg, table, _rng(seed))
        idx = [COLUMNS.index(c) for c in inputs]
        assert observed[:, idx].all()
        others = [j for j in range(D) if j not in idx]
        assert (~observed[:, others]).any(axis=0).all()
        _, from_mask = mar_mask(table, cfg.ratio, cfg.input_fraction, _rng(seed))
        assert [COLUMNS[j] for j in from_mask] == list(inputs)


def _standardise(a: np.ndarray) -> np.ndarray:
    return (a - a.mean(axis=0)) / a.std(axis=0)


def _logit_coefs(features: np.ndarray, target: np.ndarray) -> np.ndarray:
    model = LogisticRegression(C=1e6, max_iter=1000).fit(_standardise(features), target)
    return model.coef_[0]


def test_mar_depends_only_on_inputs(table: Table, complete: np.ndarray) -> None:
    """Given the inputs, a column's missingness carries no trace of its own (complete) value."""
    hidden, inputs = mar_mask(table, 0.3, 0.3, _rng(3))
    input_values = complete[:, inputs]
    strongest_input, own_weights, marginal = 0.0, [], []
    for j in range(7):  # continuous columns (x7 is categorical)
        if j in inputs:
            continue
        coefs = _logit_coefs(np.column_stack([input_values, complete[:, j]]), hidden[:, j])
        strongest_input = max(strongest_input, float(np.abs(coefs[:-1]).max()))
        own_weights.append(float(coefs[-1]))
        marginal.append(abs(np.corrcoef(complete[:, j], hidden[:, j])[0, 1]))
    assert strongest_input > 0.5  # the mask really depends on the inputs (not MCAR)
    # Marginally the own value does predict missingness (it is correlated with the inputs), so
    # only the conditional check below can tell MAR from NMAR.
    assert max(marginal) > 0.1
    # With n=5000 the standard error of a standardised coefficient is about 0.04-0.05.
    assert max(abs(w) for w in own_weights) < 0.15


def test_nmar_depends_on_missing_values(table: Table, complete: np.ndarray) -> None:
    """Masks of non-input columns depend on input values that are themselves hidden."""
    hidden, inputs = nmar_mask(table, 0.3, 0.3, _rng(3))
    others = [j for j in range(D) if j not in inputs]
    # Inputs are masked MCAR at the ratio.
    assert abs(hidden[:, inputs].mean() - 0.3) < 0.02
    strongest = 0.0
    for k_pos, k in enumerate(inputs):
        rows = hidden[:, k]  # rows where input k is missing
        for j in others:
            coefs = _logit_coefs(complete[rows][:, inputs], hidden[rows, j])
            strongest = max(strongest, abs(float(coefs[k_pos])))
    # The conditional effect of an unobserved input value on another column's mask.
    assert strongest > 0.5
    # The same check under MAR finds no such rows: MAR inputs are never hidden.
    mar_hidden, mar_inputs = mar_mask(table, 0.3, 0.3, _rng(3))
    assert not mar_hidden[:, mar_inputs].any()


# -- errors ------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", MASKING)
@pytest.mark.parametrize("ratio", [0.0, 1.0, -0.1, 1.5])
def test_ratio_outside_unit_interval(name: str, ratio: float, table: Table) -> None:
    with pytest.raises(MissDiffError, match=r"missingness.ratio must be in \(0, 1\)"):
        apply_missingness(_cfg(name, ratio), table, _rng())


def test_none_ignores_ratio(table: Table) -> None:
    assert np.array_equal(apply_missingness(_cfg("none", 0.0), table, _rng()), table.observed)


def test_unknown_name_lists_valid_ones(table: Table) -> None:
    with pytest.raises(MissDiffError, match="mcar_row") as info:
        apply_missingness(_cfg("mcra"), table, _rng())
    assert "'mcra'" in str(info.value) and "\n" not in str(info.value)


def test_natively_empty_column_is_reported(complete: np.ndarray) -> None:
    df = _table(complete[:50], native_nan=False).data.copy()
    df["x2"] = np.nan
    empty = Table("t", df, Schema(COLUMNS, ("x7",)))
    with pytest.raises(MissDiffError, match=r"\['x2'\]"):
        apply_missingness(_cfg("none"), empty, _rng())


def test_column_emptied_by_mechanism_is_reported(complete: np.ndarray) -> None:
    # x3 keeps one observed value of 10; mcar_column at 0.95 hides 9 of 10 rows per column, so
    # it empties x3 with probability 0.9 per seed.
    df = _table(complete[:10], native_nan=False).data.copy()
    df.loc[1:, "x3"] = np.nan
    sparse = Table("t", df, Schema(COLUMNS, ("x7",)))
    raised = 0
    for seed in range(10):
        try:
            apply_missingness(_cfg("mcar_column", 0.95), sparse, _rng(seed))
        except MissDiffError as err:
            assert "['x3']" in str(err) and "lower missingness.ratio" in str(err)
            raised += 1
    assert raised > 0


def test_check_every_column_observed() -> None:
    observed = np.array([[True, False, False], [True, False, True]])
    with pytest.raises(MissDiffError, match=r"here: column\(s\) \['b'\]"):
        check_every_column_observed(observed, ["a", "b", "c"], "here")
    check_every_column_observed(observed[:, [0, 2]], ["a", "c"], "here")


def test_row_ratio_too_small(table: Table) -> None:
    with pytest.raises(MissDiffError, match=r"use missingness\.ratio >= 0\.125"):
        apply_missingness(_cfg("mcar_row", 0.1), table, _rng())


def test_mar_rate_too_high(table: Table) -> None:
    # 2 inputs of 8: the other 6 columns would need 0.8 * 8 / 6 > 1.
    with pytest.raises(MissDiffError, match=r"lower missingness\.ratio"):
        apply_missingness(_cfg("mar", 0.8), table, _rng())


def test_mar_needs_a_complete_column(complete: np.ndarray) -> None:
    df = _table(complete[:100], native_nan=False).data.copy()
    for j, col in enumerate(COLUMNS):
        df.loc[j, col] = np.nan
    holey = Table("t", df, Schema(COLUMNS, ("x7",)))
    for name in ("mar", "nmar"):
        with pytest.raises(MissDiffError, match="fully observed"):
            apply_missingness(_cfg(name), holey, _rng())


@pytest.mark.parametrize("fraction", [0.0, 1.0])
def test_mar_input_fraction_range(fraction: float, table: Table) -> None:
    with pytest.raises(MissDiffError, match="input_fraction must be in"):
        apply_missingness(_cfg("mar", 0.2, fraction), table, _rng())
