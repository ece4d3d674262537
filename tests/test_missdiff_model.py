"""MissDiff, Diff-delete and Diff-mean as TabularModels, and Remark 3.1 in miniature."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest
import torch

from missdiff.data.schema import Schema
from missdiff.diffusion.loss import masked_eps_loss
from missdiff.errors import MissDiffError, NotApplicableError
from missdiff.models.diffusion import (
    DiffDelete,
    DiffMean,
    DiffusionConfig,
    DiffusionModel,
    MissDiff,
)
from missdiff.models.draws import most_frequent

pytestmark = pytest.mark.usefixtures("one_thread")


TINY = DiffusionConfig(
    channels=16,
    n_layers=1,
    n_heads=2,
    diffusion_embedding_dim=16,
    column_embedding_dim=8,
    feature_embedding_dim=4,
    num_steps=8,
    epochs=2,
    batch_size=32,
    n_impute_samples=5,
    max_batch=64,
    device="cpu",
    progress=False,
)

SCHEMA = Schema(("a", "b", "c", "d"), categorical=("b", "d"))


def mixed_table(n: int = 80, p_missing: float = 0.3, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    full = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.choice(["x", "y", "z"], size=n).astype(object),
            "c": rng.gamma(2.0, 3.0, size=n),
            "d": rng.choice([1, 2, 5], size=n),
        }
    )
    return full.mask(rng.random(full.shape) < p_missing)


def test_bad_settings_fail_with_one_line_before_any_work():
    for change in ({"precision": "fp16"}, {"channels": 0}, {"channels": 15}, {"dropout": 1.0}):
        with pytest.raises(MissDiffError) as err:
            MissDiff(dataclasses.replace(TINY, **change))
        assert "\n" not in str(err.value) and next(iter(change)) in str(err.value)


def test_missdiff_fit_impute_sample_mixed_table():
    data = mixed_table()
    model = MissDiff(TINY).fit(data, SCHEMA, np.random.default_rng(0))
    assert len(model.history["train_loss"]) == TINY.epochs
    assert np.isfinite(model.history["train_loss"]).all()

    test = mixed_table(n=12, seed=1)
    test.index = np.arange(100, 112)  # a non-default index survives
    result = model.impute(test, np.random.default_rng(1), n_draws=4)
    observed = test.notna().to_numpy()
    assert result.completed.notna().all().all()
    assert list(result.completed.index) == list(test.index)
    assert len(result.draws) == 4
    # Observed entries bit for bit, in the aggregate and in every draw.
    for frame in [result.completed, *result.draws]:
        for j, col in enumerate(SCHEMA.columns):
            got = frame[col].to_numpy(dtype=object)[observed[:, j]]
            want = test[col].to_numpy(dtype=object)[observed[:, j]]
            assert all(g == w for g, w in zip(got, want, strict=True)), col
    assert set(result.completed["b"]) <= {"x", "y", "z"}
    assert set(result.completed["d"]) <= {1, 2, 5}

    synthetic = model.sample(10, np.random.default_rng(2))
    assert list(synthetic.columns) == list(SCHEMA.columns) and len(synthetic) == 10
    assert synthetic.notna().all().all()
    assert set(synthetic["b"]) <= {"x", "y", "z"} and set(synthetic["d"]) <= {1, 2, 5}
    assert synthetic["a"].between(data["a"].min(), data["a"].max()).all()


def test_same_seed_same_numbers():
    data = mixed_table(n=40)
    runs = []
    for _ in range(2):
        model = MissDiff(dataclasses.replace(TINY, dropout=0.1))
        model.fit(data, SCHEMA, np.random.default_rng(3))
        imputed = model.impute(data, np.random.default_rng(4)).completed
        runs.append(
            (model.history["train_loss"], imputed, model.sample(5, np.random.default_rng(5)))
        )
    assert runs[0][0] == runs[1][0]
    pd.testing.assert_frame_equal(runs[0][1], runs[1][1])
    pd.testing.assert_frame_equal(runs[0][2], runs[1][2])


def test_diff_delete_needs_a_complete_row():
    data = mixed_table(n=6, p_missing=0.0)
    for i in range(len(data)):  # one missing entry in every row
        data.iloc[i, i % 4] = np.nan
    with pytest.raises(NotApplicableError, match="no complete row left"):
        DiffDelete(TINY).fit(data, SCHEMA, np.random.default_rng(0))
    # With complete rows it trains on those only.
    model = DiffDelete(TINY)
    model.schema = SCHEMA
    table, masked = model.training_table(mixed_table())
    assert not masked and table.notna().all().all() and len(table) < 80


def test_diff_mean_fills_mean_and_mode():
    data = pd.DataFrame({"a": [1.0, np.nan, 3.0, np.nan], "b": ["u", "v", "v", np.nan]})
    model = DiffMean(TINY)
    model.schema = Schema(("a", "b"), ("b",))
    table, masked = model.training_table(data)
    assert not masked
    assert table["a"].tolist() == [1.0, 2.0, 3.0, 2.0]
    assert table["b"].tolist() == ["u", "v", "v", "v"]
    fitted = DiffMean(TINY).fit(data, model.schema, np.random.default_rng(0))
    assert fitted.impute(data, np.random.default_rng(1)).completed.notna().all().all()


def test_conditional_subclass_hooks():
    # What a conditional model (CSDI_T) overrides: network inputs, batch loss, sampler mode.
    class Conditional(DiffusionModel):
        name = "conditional_test"
        conditional = True

        def _build_network(self, width, generator, **extra):
            return super()._build_network(width, generator, in_channels=2, extra_side_channels=1)

        def batch_loss(self, net, schedule, x0, mask, t, eps, generator):
            c = mask.float()
            x_t = schedule.add_noise(x0, eps, t)
            eps_hat = net(x_t * (1 - c), t, cond=x0 * c, side=c.unsqueeze(-1))
            return masked_eps_loss(eps, eps_hat, mask)

    data = mixed_table(n=40)
    model = Conditional(TINY).fit(data, SCHEMA, np.random.default_rng(0))
    assert model.net.in_channels == 2
    assert model.impute(data, np.random.default_rng(1)).completed.notna().all().all()
    assert len(model.sample(4, np.random.default_rng(2))) == 4


def test_most_frequent_category():
    draws = [pd.Series(v, dtype=object) for v in (["a", "b"], ["b", "b"], ["b", "a"])]
    assert most_frequent(draws, ["a", "b"]).tolist() == ["b", "b"]
    ties = [pd.Series([2]), pd.Series([1])]
    assert most_frequent(ties, [1, 2]).tolist() == [1]  # a tie goes to the first category


def test_checkpoint_dir_resumes(tmp_path):
    data = mixed_table(n=40)
    cfg = dataclasses.replace(TINY, checkpoint_dir=str(tmp_path))
    first = MissDiff(cfg).fit(data, SCHEMA, np.random.default_rng(0))
    assert (tmp_path / "missdiff.pt").exists()
    # Same data, config and seed: the finished checkpoint is loaded, not retrained.
    second = MissDiff(cfg).fit(data, SCHEMA, np.random.default_rng(0))
    assert second.history == first.history
    for pa, pb in zip(first.net.parameters(), second.net.parameters(), strict=True):
        assert torch.equal(pa, pb)
    with pytest.raises(MissDiffError, match="another run"):
        MissDiff(cfg).fit(data, SCHEMA, np.random.default_rng(1))


def test_remark_3_1_missdiff_keeps_the_correlation_mean_filling_loses_it():
    """Remark 3.1 / Theorem 3.2 in miniature.

    A 2-D Gaussian with correlation 0.8, each entry missing independently with probability 0.5
    (MCAR). Mean-filling shrinks the correlation of the training table to about
    0.8 * (1 - 0.5) = 0.4, so Diff-mean learns (at best) that; MissDiff's masked loss targets
    the complete-data distribution.

    Tolerances from runs of exactly this configuration with data seeds 0, 1, 2: MissDiff's
    sample correlation 0.707, 0.709, 0.714 and its means within 0.15 of the truth; Diff-mean's
    correlation 0.418, 0.476, 0.399. Checked: MissDiff |corr - 0.8| < 0.15, MissDiff means within
    0.25 (a quarter of a standard deviation), Diff-mean's correlation at least 0.15 below
    MissDiff's. Not checked: the standard deviations, which this tiny budget (T = 10, 150 short
    epochs) shrinks for both models (about 0.65 for MissDiff). MissDiff itself stays below 0.8
    here: with complete data a similar budget reaches about 0.83, and longer training moves
    MissDiff towards it (T = 20, 50 % missing: 0.38 after 30 epochs, 0.56 after 100; with 20 %
    missing 0.79 after 100). The network sees missing entries as noised zeros without knowing
    they are missing, which is a plausible source of that shrinkage at small budgets.
    """
    rho, n = 0.8, 2000
    rng = np.random.default_rng(0)
    full = rng.multivariate_normal([1.0, -2.0], [[1.0, rho], [rho, 1.0]], size=n)
    data = pd.DataFrame(full, columns=["x", "y"]).mask(rng.random((n, 2)) < 0.5)
    schema = Schema(("x", "y"))
    cfg = DiffusionConfig(
        channels=32,
        n_layers=2,
        n_heads=2,
        diffusion_embedding_dim=32,
        column_embedding_dim=16,
        feature_embedding_dim=4,
        dropout=0.0,
        num_steps=10,
        epochs=150,
        batch_size=256,
        lr=5e-3,
        max_batch=4096,
        device="cpu",
        progress=False,
    )
    corr = {}
    for cls in (MissDiff, DiffMean):
        model = cls(cfg).fit(data, schema, np.random.default_rng(1))
        synthetic = model.sample(3000, np.random.default_rng(2))
        corr[cls.name] = synthetic.corr().iloc[0, 1]
        if cls is MissDiff:
            np.testing.assert_allclose(synthetic.mean().to_numpy(), [1.0, -2.0], atol=0.25)
    assert abs(corr["missdiff"] - rho) < 0.15, corr
    assert corr["diff_mean"] < corr["missdiff"] - 0.15, corr
