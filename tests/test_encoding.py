"""TabularEncoder: scaling, one-hot with a "missing" category, masks, and the round trip."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from missdiff.data.encoding import TabularEncoder
from missdiff.data.schema import Schema
from missdiff.errors import MissDiffError

SCHEMA = Schema(columns=("age", "city", "grade", "income"), categorical=("city", "grade"))


def mixed_frame(n: int = 200, seed: int = 0) -> pd.DataFrame:
    """Complete data: floats of very different scales, string and integer categories."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "age": rng.normal(40.0, 12.0, n),
            "city": rng.choice(["paris", "oslo", "lima"], n),
            "grade": rng.choice([3, 1, 10, 2], n),
            "income": rng.lognormal(10.0, 1.0, n) - 5e4,
        }
    )


@pytest.mark.parametrize("scaling", ["minmax", "tabcsdi"])
@pytest.mark.parametrize("onehot", ["zero_one", "plus_minus_one"])
def test_round_trip_on_complete_mixed_data(scaling: str, onehot: str) -> None:
    df = mixed_frame()
    enc = TabularEncoder(SCHEMA, scaling=scaling, onehot=onehot).fit(df)
    x, mask = enc.transform(df)
    assert x.dtype == np.float32 and mask.dtype == bool
    assert x.shape == mask.shape == (len(df), enc.width) and mask.all()
    back = enc.inverse_transform(x)
    assert list(back.columns) == list(SCHEMA.columns)
    pd.testing.assert_series_equal(back["city"], df["city"])
    pd.testing.assert_series_equal(back["grade"], df["grade"])  # int64 stays int64
    for col in SCHEMA.continuous:
        span = df[col].max() - df[col].min()
        np.testing.assert_allclose(back[col], df[col], rtol=1e-6, atol=1e-6 * span)
        assert back[col].dtype == np.float64


def test_layout_and_block_helpers() -> None:
    df = mixed_frame()
    enc = TabularEncoder(SCHEMA).fit(df)
    assert enc.categories == {"city": ["lima", "oslo", "paris"], "grade": [1, 2, 3, 10]}
    # age(1) + city(3 + na) + grade(4 + na) + income(1)
    assert enc.width == 1 + 4 + 5 + 1
    assert enc.column_slices == {
        "age": slice(0, 1),
        "city": slice(1, 5),
        "grade": slice(5, 10),
        "income": slice(10, 11),
    }
    assert enc.categorical_blocks == [slice(1, 4), slice(5, 9)]
    np.testing.assert_array_equal(enc.missing_category_index, [4, 9])
    np.testing.assert_array_equal(enc.continuous_index, [0, 10])


def test_onehot_values_for_both_styles() -> None:
    df = pd.DataFrame({"c": ["b", "a"]})
    schema = Schema(("c",), ("c",))
    x01, _ = TabularEncoder(schema).fit(df).transform(df)
    xpm, _ = TabularEncoder(schema, onehot="plus_minus_one").fit(df).transform(df)
    np.testing.assert_array_equal(x01, [[0, 1, 0], [1, 0, 0]])
    np.testing.assert_array_equal(xpm, [[-1, 1, -1], [1, -1, -1]])


def test_missing_continuous_is_zero_and_masked() -> None:
    df = pd.DataFrame({"v": [1.0, np.nan, 3.0]})
    enc = TabularEncoder(Schema(("v",))).fit(df)
    x, mask = enc.transform(df)
    np.testing.assert_array_equal(x[:, 0], [0.0, 0.0, 1.0])
    np.testing.assert_array_equal(mask[:, 0], [True, False, True])


@pytest.mark.parametrize("onehot,off", [("zero_one", 0.0), ("plus_minus_one", -1.0)])
def test_missing_categorical_uses_missing_category_and_masks_block(onehot: str, off: float) -> None:
    df = pd.DataFrame({"x": [0.5, 1.0, 2.0], "c": ["u", np.nan, "v"]})
    enc = TabularEncoder(Schema(("x", "c"), ("c",)), onehot=onehot).fit(df)
    x, mask = enc.transform(df)
    assert enc.column_slices["c"] == slice(1, 4)
    np.testing.assert_array_equal(x[1, 1:4], [off, off, 1.0])  # the "missing" category is on
    np.testing.assert_array_equal(x[0, 1:4], [1.0, off, off])
    assert not mask[1, 1:4].any() and mask[1, 0]
    assert mask[[0, 2]].all()


def test_argmax_ignores_missing_category() -> None:
    df = pd.DataFrame({"c": [7, 5]})
    enc = TabularEncoder(Schema(("c",), ("c",))).fit(df)
    x = np.array([[0.1, 0.3, 9.0], [0.8, 0.2, 5.0]])  # last dim = "missing", largest everywhere
    back = enc.inverse_transform(x)
    assert back["c"].tolist() == [7, 5] and back["c"].dtype == np.int64


def test_inverse_clips_to_observed_range() -> None:
    df = pd.DataFrame({"v": [2.0, 4.0, 6.0]})
    for scaling in ("minmax", "tabcsdi"):
        enc = TabularEncoder(Schema(("v",)), scaling=scaling).fit(df)
        back = enc.inverse_transform(np.array([[-3.0], [0.6], [7.0]]))
        assert back["v"].iloc[0] == 2.0 and back["v"].iloc[2] == 6.0
        assert 2.0 < back["v"].iloc[1] < 6.0


def test_tabcsdi_scaling_values() -> None:
    df = pd.DataFrame({"v": [2.0, 4.0, 6.0]})
    enc = TabularEncoder(Schema(("v",)), scaling="tabcsdi").fit(df)
    x, _ = enc.transform(df)
    np.testing.assert_allclose(x[:, 0], [0.2, 0.6, 1.0], rtol=1e-7)
    np.testing.assert_allclose(enc.normalise(df)[:, 0], [0.2, 0.6, 1.0])
    minmax = TabularEncoder(Schema(("v",))).fit(df)
    np.testing.assert_allclose(minmax.normalise(df)[:, 0], [0.0, 0.5, 1.0])


def test_statistics_use_observed_values_only() -> None:
    df = pd.DataFrame({"v": [np.nan, 10.0, 20.0, np.nan], "c": ["a", np.nan, "b", "a"]})
    enc = TabularEncoder(Schema(("v", "c"), ("c",))).fit(df)
    assert enc.minimum == {"v": 10.0} and enc.maximum == {"v": 20.0}
    assert enc.categories == {"c": ["a", "b"]}
    x, _ = enc.transform(df)
    np.testing.assert_allclose(x[:, 0], [0.0, 0.0, 1.0, 0.0])


def test_constant_column_does_not_divide_by_zero() -> None:
    df = pd.DataFrame({"v": [3.0, 3.0, np.nan]})
    enc = TabularEncoder(Schema(("v",))).fit(df)
    x, _ = enc.transform(df)
    assert np.isfinite(x).all()
    assert enc.inverse_transform(x)["v"].tolist() == [3.0, 3.0, 3.0]


def test_normalise_keeps_nan_and_only_continuous_columns() -> None:
    df = pd.DataFrame({"a": [0.0, np.nan, 4.0], "c": ["x", "y", "x"], "b": [1.0, 3.0, np.nan]})
    enc = TabularEncoder(Schema(("a", "c", "b"), ("c",))).fit(df)
    z = enc.normalise(df)
    assert z.shape == (3, 2) and z.dtype == np.float64
    np.testing.assert_array_equal(np.isnan(z), [[False, False], [True, False], [False, True]])
    np.testing.assert_allclose(z[[0, 2], 0], [0.0, 1.0])


def test_expand_mask_matches_transform_mask() -> None:
    df = mixed_frame(50)
    rng = np.random.default_rng(1)
    observed = rng.random(df.shape) > 0.3
    holey = df.mask(~observed)
    enc = TabularEncoder(SCHEMA).fit(holey)
    _, mask = enc.transform(holey)
    expanded = enc.expand_mask(observed)
    np.testing.assert_array_equal(expanded, mask)
    assert expanded.shape == (50, enc.width)
    with pytest.raises(ValueError):
        enc.expand_mask(observed[:, :2])


def test_integer_categories_with_missing_values_map_and_decode() -> None:
    # A missing entry turns an integer column into floats; test rows with true ints still match.
    train = pd.DataFrame({"g": [1, np.nan, 2]})
    enc = TabularEncoder(Schema(("g",), ("g",))).fit(train)
    x, mask = enc.transform(pd.DataFrame({"g": [2, 1]}))
    np.testing.assert_array_equal(x, [[0, 1, 0], [1, 0, 0]])
    assert mask.all()
    back = enc.inverse_transform(x)
    assert back["g"].tolist() == [2.0, 1.0] and back["g"].dtype == train["g"].dtype


def test_mixed_type_categories_sort_without_error() -> None:
    df = pd.DataFrame({"c": pd.Series(["b", 3, "a", 1], dtype=object)})
    enc = TabularEncoder(Schema(("c",), ("c",))).fit(df)
    assert enc.categories["c"] == [1, 3, "a", "b"]
    back = enc.inverse_transform(enc.transform(df)[0])
    assert back["c"].tolist() == ["b", 3, "a", 1]


def test_entirely_missing_column_is_an_error() -> None:
    df = pd.DataFrame({"v": [1.0, 2.0], "empty": [np.nan, np.nan]})
    with pytest.raises(MissDiffError, match="empty"):
        TabularEncoder(Schema(("v", "empty"))).fit(df)


def test_unseen_category_is_an_error() -> None:
    enc = TabularEncoder(Schema(("c",), ("c",))).fit(pd.DataFrame({"c": ["a", "b"]}))
    with pytest.raises(MissDiffError, match=r"'c'.*zzz"):
        enc.transform(pd.DataFrame({"c": ["a", "zzz"]}))


def test_misuse_errors() -> None:
    with pytest.raises(MissDiffError, match="scaling"):
        TabularEncoder(SCHEMA, scaling="zscore")  # type: ignore[arg-type]
    enc = TabularEncoder(SCHEMA)
    with pytest.raises(MissDiffError, match="fit"):
        enc.transform(mixed_frame())
    enc.fit(mixed_frame())
    with pytest.raises(MissDiffError, match="shape"):
        enc.inverse_transform(np.zeros((2, 3)))
    with pytest.raises(MissDiffError, match="NaN"):
        enc.inverse_transform(np.full((2, enc.width), np.nan))
    with pytest.raises(MissDiffError, match="income"):
        enc.transform(mixed_frame().drop(columns="income"))


def test_unseen_category_can_be_encoded_as_missing() -> None:
    schema = Schema(("x", "c"), categorical=("c",))
    enc = TabularEncoder(schema).fit(pd.DataFrame({"x": [0.0, 1.0], "c": ["a", "b"]}))
    new = pd.DataFrame({"x": [0.5, 0.5], "c": ["a", "zzz"]})
    x, mask = enc.transform(new, unknown="missing")
    block = enc.column_slices["c"]
    assert mask[0, block].all() and not mask[1, block].any()
    assert x[1, block.stop - 1] == 1.0  # the "missing" category
