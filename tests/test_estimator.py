"""The public estimators, in the spirit of scikit-learn's check_estimator: every estimator keeps
its input, index, columns and dtypes, clones, repeats itself for one random_state, pickles, and
the diffusion ones save and load without their training data."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone

import missdiff
from missdiff.data.schema import infer_schema
from missdiff.errors import MissDiffError
from missdiff.estimator import ESTIMATORS

pytestmark = pytest.mark.usefixtures("one_thread")

# Seconds, not quality: the contract, not the defaults (results/tables/convergence.md).
TINY = {"train_steps": 30, "mlp_width": 32, "mlp_depth": 1, "n_impute_samples": 2,
        "channels": 8, "n_heads": 2, "n_layers": 1, "num_steps": 10, "progress": False}  # fmt: skip
SIZES = {"MissDiff": TINY, "CSDIT": TINY, "MICEImputer": {"options": {"max_iter": 3}},
         "MissForestImputer": {"options": {"max_iter": 2}},
         "GAINImputer": {"options": {"n_epochs": 50}}}  # fmt: skip
FAST = ["MissDiff", "CSDIT", "MeanModeImputer", "MICEImputer", "MissForestImputer", "GAINImputer"]


def table(n: int = 80, seed: int = 0) -> pd.DataFrame:
    """Mixed types, a non-default index, NaNs, an int column with and one without NaNs."""
    rng = np.random.default_rng(seed)
    a = rng.normal(size=n)
    df = pd.DataFrame(
        {
            "a": a,
            "b": 2 * a + rng.normal(scale=0.3, size=n),
            "kind": np.where(a > 0, "hi", "lo").astype(object),
            "count": rng.integers(0, 5, n),
            "flag": rng.random(n) > 0.5,
            "full": rng.integers(0, 9, n),
        },
        index=pd.RangeIndex(100, 100 + n, name="row"),
    )
    hidden = rng.random((n, 5)) < 0.2
    for j, col in enumerate(["a", "b", "kind", "count", "flag"]):
        df[col] = df[col].mask(hidden[:, j])
    return df


def make(name: str, **kw) -> missdiff.estimator.TableEstimator:
    return ESTIMATORS[name](**{**SIZES.get(name, {}), "random_state": 0, **kw})


@pytest.mark.parametrize("name", FAST)
def test_contract(name: str) -> None:
    df = table()
    before = df.copy()
    est = make(name).fit(df)
    out = est.transform(df)
    pd.testing.assert_frame_equal(df, before)  # input not mutated
    assert out.index.equals(df.index) and list(out.columns) == list(df.columns)
    assert out.notna().all().all()
    observed = df.notna()
    for col in df.columns:  # observed entries come back bit for bit
        assert out[col][observed[col]].equals(df[col][observed[col]])
    full = df["full"]
    assert out["full"].dtype == full.dtype and out["kind"].dtype == df["kind"].dtype
    # The same random_state gives the same output; a clone is unfitted with equal params.
    again = make(name).fit(df).transform(df)
    pd.testing.assert_frame_equal(out, again)
    twin = clone(est)
    assert twin.get_params() == est.get_params() and not hasattr(twin, "model_")
    # Pickling round trip.
    restored = pickle.loads(pickle.dumps(est))
    pd.testing.assert_frame_equal(restored.transform(df), out)


@pytest.mark.parametrize("name", ["MissDiff", "CSDIT"])
def test_diffusion_estimators_save_load_sample_and_draw(name: str, tmp_path) -> None:
    df = table()
    est = make(name).fit(df)
    path = est.save(tmp_path / "model.pt")
    loaded = type(est).load(path)  # no training data needed
    pd.testing.assert_frame_equal(loaded.transform(df.iloc[:10]), est.transform(df.iloc[:10]))
    rows = loaded.sample(7)
    assert rows.shape == (7, df.shape[1]) and rows.notna().all().all()
    assert set(rows["kind"]) <= {"hi", "lo"} and rows["full"].dtype == df["full"].dtype
    draws = est.impute_draws(df, 3)
    assert len(draws) == 3 and all(d.index.equals(df.index) for d in draws)
    assert not draws[0].equals(draws[1])  # different draws of the posterior
    with pytest.raises(MissDiffError, match="holds a"):
        (missdiff.CSDIT if name == "MissDiff" else missdiff.MissDiff).load(path)


def test_the_top_level_import_is_the_estimator() -> None:
    assert missdiff.MissDiff is ESTIMATORS["MissDiff"]
    with pytest.raises(AttributeError):
        missdiff.NoSuchEstimator  # noqa: B018


BAD_TABLES = [
    (pd.DataFrame(), "no columns"),
    (pd.DataFrame({"a": [1.0]}), "1 row"),
    (pd.DataFrame([[1.0, 2.0], [3.0, 4.0]], columns=["a", "a"]), "duplicate column names"),
    (pd.DataFrame({"a": [1.0, 2.0], "b": [np.nan, np.nan]}), "['b'] have no value"),
    (pd.DataFrame({"a": [1.0, np.inf, 2.0]}), "column 'a' holds inf"),
]


@pytest.mark.parametrize(("data", "says"), BAD_TABLES, ids=lambda x: str(x)[:20])
def test_bad_tables_are_named_in_one_line(data: pd.DataFrame, says: str) -> None:
    with pytest.raises(MissDiffError, match=says.replace("[", r"\[").replace("]", r"\]")):
        infer_schema(data)


def test_declared_numeric_text_unseen_categories_and_other_columns_are_named() -> None:
    df = table()
    bad = df.astype({"count": object})
    bad.loc[bad.index[0], "count"] = "three"
    with pytest.raises(MissDiffError, match=r"column 'count' is numeric .* holds 'three'"):
        infer_schema(bad, categorical=["kind", "flag"])
    est = make("MissDiff").fit(df)
    new = df.copy()
    new.loc[new.index[0], "kind"] = "mid"
    with pytest.raises(MissDiffError, match="column 'kind' has categories not seen in fit"):
        est.transform(new)
    with pytest.raises(MissDiffError, match=r"missing \['full'\], extra \['other'\]"):
        est.transform(df.drop(columns="full").assign(other=1.0))
    with pytest.raises(MissDiffError, match="not fitted"):
        missdiff.MissDiff().transform(df)
    with pytest.raises(MissDiffError, match="imputes only"):
        make("MeanModeImputer").fit(df).sample(3)
