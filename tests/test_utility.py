"""Utility (train on synthetic, choose on real train, test on real test): metrics and direction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from omegaconf import OmegaConf
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

from missdiff.data.schema import Schema
from missdiff.errors import MissDiffError
from missdiff.evaluation.base import EvalInputs
from missdiff.evaluation.utility import (
    MODELS,
    FeatureMaker,
    UtilityConfig,
    UtilityEvaluator,
    auroc,
    weighted_f1,
)

CLS = Schema(
    ("x1", "x2", "big", "c", "y"), categorical=("c", "y"), target="y", task="classification"
)
REG = Schema(("x1", "x2", "c", "t"), categorical=("c",), target="t", task="regression")


def classification_table(n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Balanced binary target with a strong signal in x1, x2 and c; `big` >= 1e3 is log-scaled."""
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    c = rng.choice(["a", "b", "c"], size=n)
    logit = 3.0 * x1 - 2.0 * x2 + np.where(c == "a", 1.5, -0.75)
    y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), ">50K", "<=50K")
    big = np.exp(rng.normal(8.0, 1.0, size=n))
    return pd.DataFrame({"x1": x1, "x2": x2, "big": big, "c": c, "y": y})


def inputs_for(
    schema: Schema, train: pd.DataFrame, test: pd.DataFrame, synthetic: pd.DataFrame
) -> EvalInputs:
    return EvalInputs(
        schema, train, test, train.notna().to_numpy(), test.notna().to_numpy(), synthetic=synthetic
    )


def small(**kw) -> UtilityConfig:
    return UtilityConfig(grid="small", **kw)


@pytest.fixture(scope="module")
def cls_data() -> tuple[pd.DataFrame, pd.DataFrame]:
    rng = np.random.default_rng(0)
    return classification_table(500, rng), classification_table(1000, rng)


# -- metric definitions -------------------------------------------------------------------------
def test_weighted_f1_hand_computed():
    # Per-class one-vs-rest F1: 0.8, 0.5, 2/3; weights (1 - p_i) / (K - 1) = 1/4, 1/3, 5/12.
    y_true = np.array([0, 0, 0, 1, 1, 2])
    y_pred = np.array([0, 0, 1, 1, 2, 2])
    assert weighted_f1(y_true, y_pred, np.array([1 / 2, 1 / 3, 1 / 6])) == pytest.approx(29 / 45)
    # Binary: F1 0.8 (majority) and 2/3 (minority) weighted 0.25 and 0.75.
    binary = weighted_f1(np.array([0, 0, 0, 1]), np.array([0, 0, 1, 1]), np.array([0.75, 0.25]))
    assert binary == pytest.approx(0.7)


def test_auroc_matches_sklearn():
    rng = np.random.default_rng(0)
    y = rng.integers(0, 3, size=200)
    p = rng.dirichlet(np.ones(3), size=200)
    assert auroc(y, p) == pytest.approx(roc_auc_score(y, p, multi_class="ovr", average="macro"))
    yb = rng.integers(0, 2, size=200)
    pb = rng.dirichlet(np.ones(2), size=200)
    assert auroc(yb, pb) == pytest.approx(roc_auc_score(yb, pb[:, 1]))


# -- the pipeline -------------------------------------------------------------------------------
def test_synthetic_equal_to_real_train_gives_the_real_data_score(cls_data):
    train, test = cls_data
    ev = UtilityEvaluator(UtilityConfig(models=["logistic"], primary_model="logistic", tune=False))
    m = ev.evaluate(inputs_for(CLS, train, test, train.copy()), np.random.default_rng(0))
    # The same model fitted on the real training rows directly.
    fm = FeatureMaker(CLS).fit(train, train)
    model = LogisticRegression().fit(fm.transform(train), train["y"] == ">50K")
    prob = model.predict_proba(fm.transform(test))[:, 1]
    truth = (test["y"] == ">50K").to_numpy()
    assert m["accuracy"] == pytest.approx(np.mean((prob > 0.5) == truth))
    assert m["auroc"] == pytest.approx(roc_auc_score(truth, prob))
    assert m["accuracy"] > 0.75 and m["auroc"] > 0.85  # the problem has signal
    assert ev.primary_metric == "accuracy" and ev.higher_is_better


def test_all_models_learn_from_real_training_rows(cls_data):
    train, test = cls_data
    real = UtilityEvaluator(small()).evaluate(
        inputs_for(CLS, train, test, train), np.random.default_rng(1)
    )
    for name in MODELS:
        assert real[f"{name}/accuracy"] > 0.75
        assert real[f"{name}/auroc"] > 0.8
        for key in ("accuracy", "f1", "weighted_f1", "auroc"):
            assert 0.0 <= real[f"{name}/{key}"] <= 1.0
    assert real["accuracy"] == real["xgboost/accuracy"]
    assert real["mean/accuracy"] == pytest.approx(np.mean([real[f"{m}/accuracy"] for m in MODELS]))
    assert real["n_train_used"] == len(train) and real["n_synthetic_classes"] == 2


def test_label_permuted_synthetic_is_at_chance(cls_data):
    """One permutation can correlate with the features by chance (a model fitted on it then
    ranks test rows well or badly: AUROC 0.2-0.6 were seen), so average over permutations."""
    train, test = cls_data
    rng = np.random.default_rng(2)
    ev = UtilityEvaluator(small(models=["logistic", "decision_tree", "xgboost"]))
    runs = [
        ev.evaluate(
            inputs_for(CLS, train, test, train.assign(y=rng.permutation(train["y"].to_numpy()))),
            rng,
        )
        for _ in range(8)
    ]
    majority = test["y"].value_counts(normalize=True).max()
    assert abs(np.mean([r["mean/auroc"] for r in runs]) - 0.5) < 0.08
    assert np.mean([r["mean/accuracy"] for r in runs]) < majority + 0.05


def test_same_rng_same_scores(cls_data):
    train, test = cls_data
    cfg = small(models=["random_forest", "xgboost", "mlp"])
    runs = [
        UtilityEvaluator(cfg).evaluate(
            inputs_for(CLS, train, test, train), np.random.default_rng(7)
        )
        for _ in range(2)
    ]
    assert runs[0] == runs[1]


def test_single_class_synthetic_does_not_crash(cls_data):
    train, test = cls_data
    one_class = train[train["y"] == "<=50K"]
    m = UtilityEvaluator(small()).evaluate(
        inputs_for(CLS, train, test, one_class), np.random.default_rng(2)
    )
    share = float(np.mean(test["y"] == "<=50K"))
    for name in MODELS:
        assert m[f"{name}/accuracy"] == pytest.approx(share)
        assert m[f"{name}/auroc"] == pytest.approx(0.5)
        assert m[f"{name}/f1"] == 0.0  # the positive class (">50K") is never predicted
    assert m["n_synthetic_classes"] == 1


def test_multiclass_with_a_class_missing_from_synthetic():
    rng = np.random.default_rng(3)
    n = 600
    x = rng.normal(size=n)
    y = np.digitize(x, [-0.6, 0.0, 0.6])  # four integer classes
    table = pd.DataFrame({"x": x, "z": rng.normal(size=n), "y": y})
    schema = Schema(("x", "z", "y"), categorical=("y",), target="y", task="classification")
    train, test = table.iloc[:300], table.iloc[300:].reset_index(drop=True)
    synthetic = train[train["y"] != 2].assign(y=lambda d: d["y"].astype(float))  # floats: same
    m = UtilityEvaluator(small(models=["xgboost", "logistic"])).evaluate(
        inputs_for(schema, train, test, synthetic), rng
    )
    assert m["n_synthetic_classes"] == 3
    assert 0.5 < m["xgboost/auroc"] <= 1.0 and 0.5 < m["accuracy"] < 1.0


def test_native_missing_real_rows_are_dropped(cls_data):
    train, test = cls_data
    holed = train.copy()
    holed.loc[:49, "c"] = np.nan
    m = UtilityEvaluator(small(models=["decision_tree"], primary_model="decision_tree")).evaluate(
        inputs_for(CLS, holed, test, train), np.random.default_rng(4)
    )
    assert m["n_train_used"] == len(train) - 50
    assert m["n_synthetic_used"] == len(train)


def test_regression_path():
    rng = np.random.default_rng(5)

    def table(n: int) -> pd.DataFrame:
        x1, x2 = rng.normal(size=n), rng.normal(size=n)
        c = rng.choice(["u", "v"], size=n)
        t = 3.0 * x1 - 2.0 * x2 + np.where(c == "u", 1.0, -1.0) + rng.normal(scale=0.5, size=n)
        return pd.DataFrame({"x1": x1, "x2": x2, "c": c, "t": t})

    train, test = table(400), table(400)
    ev = UtilityEvaluator(small(models=["logistic", "xgboost", "random_forest"]))
    m = ev.evaluate(inputs_for(REG, train, test, train), rng)
    assert ev.primary_metric == "rmse" and not ev.higher_is_better
    assert m["linear/rmse"] == pytest.approx(0.5, abs=0.1)  # the noise level
    assert m["linear/r2"] > 0.95
    assert m["rmse"] == m["xgboost/rmse"] and m["xgboost/r2"] > 0.8
    shuffled = train.assign(t=rng.permutation(train["t"].to_numpy()))
    bad = ev.evaluate(inputs_for(REG, train, test, shuffled), rng)
    assert bad["linear/r2"] < 0.1 and bad["rmse"] > 2 * m["rmse"]


def test_config_validation_and_composition():
    cfg = OmegaConf.to_object(
        OmegaConf.merge(OmegaConf.structured(UtilityConfig), {"grid": "small", "n_jobs": 2})
    )
    assert cfg.models == list(MODELS) and cfg.grid == "small"
    for bad in (
        {"grid": "huge"},
        {"models": ["svm"]},
        {"models": ["mlp"], "primary_model": "xgboost"},
        {"select": "best"},
    ):
        with pytest.raises(MissDiffError):
            UtilityEvaluator(UtilityConfig(**bad))
    no_target = Schema(("x", "c"), categorical=("c",))
    table = pd.DataFrame({"x": [0.0, 1.0], "c": ["a", "b"]})
    with pytest.raises(MissDiffError):
        UtilityEvaluator().evaluate(inputs_for(no_target, table, table, table), None)
