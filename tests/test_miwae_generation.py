"""MIWAE as a generator (Table 6): plain prior sampling and "MIWAE (modified)"."""

from __future__ import annotations

import random
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("hyperimpute")

from baselines.hyperimpute import Miwae, MiwaeConfig, MiwaeModified, MiwaeModifiedConfig
from baselines.hyperimpute.miwae import hide_at_random
from missdiff.data.schema import Schema
from missdiff.errors import ConfigError, MissDiffError

# The contract, not the quality: a few epochs of a small network.
TINY = {"n_epochs": 4, "batch_size": 32, "n_hidden": 16, "latent_size": 2, "K": 5}
MODELS = {"miwae": (Miwae, MiwaeConfig), "miwae_modified": (MiwaeModified, MiwaeModifiedConfig)}


def _mixed_table(n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, Schema]:
    """Two correlated continuous columns (different scales), a string and an integer categorical."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    data = pd.DataFrame(
        {
            "x0": z * 3.0 + 10.0,
            "grade": np.array(["lo", "mid", "hi"])[np.digitize(z, [-0.5, 0.5])],
            "x1": z + 0.3 * rng.normal(size=n),
            "level": rng.integers(1, 4, size=n),
        }
    )
    return data.mask(rng.random(data.shape) < 0.2), Schema(tuple(data.columns), ("grade", "level"))


@pytest.fixture(scope="module", params=sorted(MODELS))
def fitted(request: pytest.FixtureRequest) -> tuple[Miwae, pd.DataFrame, Schema]:
    model_cls, config_cls = MODELS[request.param]
    data, schema = _mixed_table()
    model = model_cls(config_cls(**TINY)).fit(data, schema, np.random.default_rng(0))
    return model, data, schema


def _global_rng_states() -> tuple[np.ndarray, object, object]:
    import torch

    np_state = np.random.get_state()[1].copy()  # noqa: NPY002 (the global RNG is under test)
    return np_state, random.getstate(), torch.get_rng_state()


def test_sample_contract(fitted: tuple[Miwae, pd.DataFrame, Schema]) -> None:
    model, data, schema = fitted
    assert model.capabilities == frozenset({"impute", "sample"})
    out = model.sample(50, np.random.default_rng(1))

    assert list(out.columns) == list(schema.columns) and len(out) == 50
    assert not out.isna().to_numpy().any()
    assert set(out["grade"]) <= {"lo", "mid", "hi"}
    assert set(out["level"]) <= {1, 2, 3}
    for col in schema.continuous:
        values = out[col].to_numpy(dtype=float)
        assert np.isfinite(values).all(), col
        # Clipped to the observed training range.
        assert values.min() >= data[col].min() and values.max() <= data[col].max(), col
        assert values.std() > 0, col  # draws, not one repeated row


def test_sample_reproducible_and_leaves_global_rngs(
    fitted: tuple[Miwae, pd.DataFrame, Schema],
) -> None:
    import torch

    model = fitted[0]
    np_state, py_state, torch_state = _global_rng_states()
    first = model.sample(40, np.random.default_rng(7))
    again = model.sample(40, np.random.default_rng(7))
    other = model.sample(40, np.random.default_rng(8))

    pd.testing.assert_frame_equal(first, again)
    assert not first.equals(other)
    assert (np.random.get_state()[1] == np_state).all()  # noqa: NPY002
    assert random.getstate() == py_state
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_sample_needs_fit() -> None:
    with pytest.raises(MissDiffError, match="fitted"):
        MiwaeModified(MiwaeModifiedConfig(**TINY)).sample(5, np.random.default_rng(0))


def test_hide_at_random_keeps_one_entry_per_row() -> None:
    rng = np.random.default_rng(0)
    hidden = hide_at_random((2000, 5), 0.5, rng)
    assert not hidden.all(axis=1).any()
    assert abs(hidden.mean() - 0.5) < 0.03  # only the 1/32 all-hidden rows get one back
    everything = hide_at_random((300, 4), 1.0, rng)
    assert (everything.sum(axis=1) == 3).all()
    assert not hide_at_random((300, 4), 0.0, rng).any()
    assert not hide_at_random((300, 1), 0.9, rng).any()


def test_modified_config_and_validation() -> None:
    cfg = MiwaeModifiedConfig()
    assert cfg.name == "miwae_modified" and cfg.hide_ratio == 0.5
    # Everything else as MiwaeConfig, so the two columns of Table 6 share one model setup.
    base = asdict(MiwaeConfig())
    assert {k: v for k, v in asdict(cfg).items() if k in base and k != "name"} == {
        k: v for k, v in base.items() if k != "name"
    }
    with pytest.raises(ConfigError, match="hide_ratio"):
        MiwaeModifiedConfig(hide_ratio=1.5).check()
    with pytest.raises(ConfigError, match="hide_ratio"):
        MiwaeModified(MiwaeModifiedConfig(hide_ratio=1.5))


def test_modified_imputes_like_miwae() -> None:
    # Same configuration and seeds: MiwaeModified's `impute` is exactly Miwae's.
    data, _ = _mixed_table()
    schema = Schema(tuple(data.columns), ("grade", "level"))
    train, new = data.iloc[:90], data.iloc[90:]
    results = []
    for model in (Miwae(MiwaeConfig(**TINY)), MiwaeModified(MiwaeModifiedConfig(**TINY))):
        model.fit(train, schema, np.random.default_rng(0))
        results.append(model.impute(new, np.random.default_rng(1)).completed)
    completed = results[1]
    assert not completed.isna().to_numpy().any()
    observed = new.notna()
    for col in schema.columns:
        assert (completed[col][observed[col]] == new[col][observed[col]]).all(), col
    pd.testing.assert_frame_equal(results[0], completed)


def test_modified_sample_statistics_on_correlated_gaussian() -> None:
    # A sanity check of generate-then-impute, not a quality benchmark: 2-D Gaussian, corr 0.8,
    # columns on different scales, 20 % of entries missing in training.
    rng = np.random.default_rng(0)
    cov = np.array([[1.0, 0.8], [0.8, 1.0]])
    full = pd.DataFrame(
        rng.multivariate_normal([2.0, -1.0], cov, size=400) * [1.0, 3.0], columns=["a", "b"]
    )
    data = full.mask(rng.random(full.shape) < 0.2)
    cfg = MiwaeModifiedConfig(n_epochs=100, batch_size=64, n_hidden=32, latent_size=2, K=10)
    model = MiwaeModified(cfg).fit(data, Schema(("a", "b")), np.random.default_rng(1))

    modified = model.sample(2000, np.random.default_rng(2))
    plain = Miwae._sample(model, 2000, np.random.default_rng(2))  # same model, prior draws only
    mean, std = full.mean(), full.std()
    for col in ("a", "b"):
        # Means within 0.5 std of the data's; spread neither collapsed nor blown up.
        assert abs(modified[col].mean() - mean[col]) < 0.5 * std[col], col
        assert 0.5 * std[col] < modified[col].std() < 1.5 * std[col], col
    corr_modified = modified.corr().iloc[0, 1]
    corr_plain = plain.corr().iloc[0, 1]
    # Data: 0.8. Imputing half the entries from the others should keep the dependence at least
    # as well as the independent per-entry Student-t draws do (0.1 of slack for seed noise).
    assert corr_modified > 0.5
    assert corr_modified >= corr_plain - 0.1
