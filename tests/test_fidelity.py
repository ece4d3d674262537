"""Fidelity (SDMetrics Quality Report): bounds and direction on data with known structure."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf

from missdiff.data.schema import Schema
from missdiff.errors import MissDiffError
from missdiff.evaluation.base import EvalInputs
from missdiff.evaluation.fidelity import (
    FidelityConfig,
    FidelityEvaluator,
    as_category_strings,
    quality_report,
)

SCHEMA = Schema(("x1", "x2", "c", "k"), categorical=("c", "k"))


def correlated_table(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """x2 follows x1 closely, c and k follow x1: every pair is strongly dependent."""
    x1 = rng.normal(size=n)
    x2 = 2.0 * x1 + rng.normal(scale=0.3, size=n)
    c = np.where(x1 > 0.3, "hi", np.where(x1 < -0.3, "lo", "mid"))
    k = (x1 > 0).astype(int) + 1  # integer-coded category, values 1 and 2
    return pd.DataFrame({"x1": x1, "x2": x2, "c": c, "k": k})


def inputs_for(train: pd.DataFrame, test: pd.DataFrame, synthetic: pd.DataFrame) -> EvalInputs:
    return EvalInputs(
        SCHEMA,
        train,
        test,
        train.notna().to_numpy(),
        test.notna().to_numpy(),
        synthetic=synthetic,
    )


@pytest.fixture(scope="module")
def tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    return correlated_table(400, rng), correlated_table(200, rng)


def test_real_against_itself_scores_one(tables):
    train, test = tables
    ev = FidelityEvaluator()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no deprecation or other warnings from the report
        m = ev.evaluate(inputs_for(train, test, train.copy()), np.random.default_rng(0))
    assert m["fidelity"] == pytest.approx(1.0, abs=1e-9)
    assert m["column_shapes"] == pytest.approx(1.0, abs=1e-9)
    assert m["column_pair_trends"] == pytest.approx(1.0, abs=1e-9)
    assert ev.primary_metric == "fidelity" and ev.higher_is_better and ev.needs == "sample"


def test_shuffled_columns_lose_pair_trends_and_noise_scores_lower(tables):
    train, test = tables
    rng = np.random.default_rng(1)
    shuffled = train.copy()
    for col in shuffled.columns:  # same marginals, every dependence destroyed
        shuffled[col] = rng.permutation(shuffled[col].to_numpy())
    noise = pd.DataFrame(
        {
            "x1": rng.uniform(-5, 5, len(train)),
            "x2": rng.uniform(-10, 10, len(train)),
            "c": rng.choice(["hi", "lo", "mid"], len(train)),
            "k": rng.choice([1, 2], len(train)),
        }
    )
    ev = FidelityEvaluator()
    same = ev.evaluate(inputs_for(train, test, train), rng)
    shuf = ev.evaluate(inputs_for(train, test, shuffled), rng)
    rand = ev.evaluate(inputs_for(train, test, noise), rng)
    # A permutation keeps every column's distribution exactly.
    assert shuf["column_shapes"] == pytest.approx(1.0, abs=1e-9)
    assert shuf["column_pair_trends"] < same["column_pair_trends"] - 0.1
    assert shuf["fidelity"] < same["fidelity"] - 0.05
    assert rand["column_shapes"] < shuf["column_shapes"] - 0.1
    assert rand["fidelity"] < shuf["fidelity"]
    for m in (shuf, rand):
        for key in ("fidelity", "column_shapes", "column_pair_trends"):
            assert 0.0 <= m[key] <= 1.0
        # The overall score is the mean of its two properties.
        assert m["fidelity"] == pytest.approx((m["column_shapes"] + m["column_pair_trends"]) / 2)


def test_weak_pairs_are_scored():
    """With SDMetrics' default thresholds, pairs of independent real columns would be skipped and
    the overall score would equal Column Shapes; here a spurious synthetic pair is penalised."""
    rng = np.random.default_rng(2)
    independent = pd.DataFrame(
        {
            "x1": rng.normal(size=300),
            "x2": rng.normal(size=300),
            "c": rng.choice(["a", "b"], 300),
            "k": rng.choice([1, 2], 300),
        }
    )
    m = quality_report(independent, independent.iloc[::-1].reset_index(drop=True), SCHEMA)
    assert m["column_pair_trends"] == pytest.approx(1.0)  # all pairs exist and match
    inverted = independent.copy()
    inverted["x2"] = -independent["x1"] + rng.normal(scale=0.1, size=300)
    m = quality_report(independent, inverted, SCHEMA)
    assert m["column_pair_trends"] < 0.9  # a weak real pair vs a strong synthetic one is scored


def test_real_rows_option_and_category_dtypes(tables):
    train, test = tables
    rng = np.random.default_rng(3)
    # Floats for integer-coded categories are the same categories.
    as_floats = test.assign(k=test["k"].astype(float))
    m = FidelityEvaluator(FidelityConfig(real_rows="test")).evaluate(
        inputs_for(train, test, as_floats), rng
    )
    assert m["fidelity"] == pytest.approx(1.0, abs=1e-9)
    both = pd.concat([train, test], ignore_index=True)
    m = FidelityEvaluator(FidelityConfig(real_rows="all")).evaluate(
        inputs_for(train, test, both), rng
    )
    assert m["fidelity"] == pytest.approx(1.0, abs=1e-9)
    assert m["n_real"] == len(both)
    with pytest.raises(MissDiffError):
        FidelityEvaluator(FidelityConfig(real_rows="everything"))


def test_native_missing_values_are_kept_in_real_rows(tables):
    train, test = tables
    holed = train.copy()
    holed.loc[::7, "c"] = np.nan
    holed.loc[::5, "x1"] = np.nan
    m = FidelityEvaluator().evaluate(inputs_for(holed, test, train), np.random.default_rng(4))
    assert 0.9 < m["fidelity"] < 1.0


def test_category_strings_and_config_composes():
    s = pd.Series([2, 2.0, "2", np.int64(3), 1.5, np.nan, "a"], dtype=object)
    assert as_category_strings(s).tolist()[:5] == ["2", "2", "2", "3", "1.5"]
    assert pd.isna(as_category_strings(s).iloc[5])
    cfg = OmegaConf.to_object(
        OmegaConf.merge(OmegaConf.structured(FidelityConfig), {"real_rows": "all"})
    )
    assert FidelityEvaluator(cfg).cfg.real_rows == "all"
