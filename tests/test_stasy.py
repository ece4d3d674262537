"""STaSy baseline: self-paced schedule, ConcatSquash network, ODE sampler and likelihood, config,
models, checkpoints."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch
from omegaconf import OmegaConf

from baselines.stasy import StasyConfig, StasyDelete, StasyMean
from baselines.stasy.loss import spl_thresholds, spl_weights
from baselines.stasy.network import ConcatSquashLinear, StasyScoreNet
from baselines.stasy.sde import VESDE
from baselines.stasy.solver import (
    hutchinson_divergence,
    log_likelihood,
    probability_flow_sample,
    rademacher,
)
from baselines.stasy.train import Trainer
from missdiff.data.schema import Schema
from missdiff.errors import ConfigError, NotApplicableError
from missdiff.keys import training_settings

SCHEMA = Schema(columns=("age", "city", "income"), categorical=("city",))


pytestmark = pytest.mark.usefixtures("one_thread")


def tiny_cfg(**overrides: object) -> StasyConfig:
    """A network and schedule small enough for a CPU test (seconds, not hours).

    fourier_scale 1 (default 16): smoother in log sigma, so a few hundred steps learn something.
    """
    base: dict[str, object] = dict(
        hidden_dims=[32, 32],
        fourier_dim=8,
        fourier_scale=1.0,
        time_embed_dim=16,
        epochs=3,
        warmup_steps=5,
        finetune_epochs=1,
        likelihood_steps=4,
        n_sampling_steps=8,
        device="cpu",
    )
    base.update(overrides)
    return StasyConfig(**base)  # type: ignore[arg-type]


def mixed_frame(n: int = 240, seed: int = 0, missing: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    df = pd.DataFrame(
        {
            "age": rng.normal(40.0, 10.0, n),
            "city": rng.choice(["lima", "oslo", "paris"], n),
            "income": rng.lognormal(8.0, 0.5, n),
        }
    )
    return df.mask(rng.random(df.shape) < missing) if missing else df


# ------------------------------------------------------------------------ self-paced learning


def test_spl_thresholds_grow_linearly_to_one() -> None:
    assert spl_thresholds(0.0) == pytest.approx((0.3, 0.95))
    assert spl_thresholds(0.5) == pytest.approx((0.65, 0.975))
    assert spl_thresholds(0.25) == pytest.approx((0.475, 0.9625))
    assert spl_thresholds(1.0) == pytest.approx((1.0, 1.0))
    assert spl_thresholds(1.7) == pytest.approx((1.0, 1.0))  # stays at 1
    # Reaching 1 halfway through training when asked to.
    assert spl_thresholds(0.25, full_at=0.5) == pytest.approx((0.65, 0.975))
    assert spl_thresholds(0.6, full_at=0.5) == pytest.approx((1.0, 1.0))


def test_spl_weights_follow_the_quantile_ramp() -> None:
    losses = torch.arange(1.0, 102.0)  # 1..101: quantile q -> 1 + 100 q
    v = spl_weights(losses, 0.3, 0.8)  # Q(alpha) = 31, Q(beta) = 81
    assert ((v >= 0) & (v <= 1)).all()
    assert (v[losses <= 31] == 1).all() and (v[losses >= 81] == 0).all()
    assert float(v[losses == 56]) == pytest.approx(0.5)  # halfway along the ramp
    assert (v[1:] <= v[:-1]).all()  # harder rows never weigh more
    # Shuffled input: weights follow their own losses.
    perm = torch.randperm(101, generator=torch.Generator().manual_seed(0))
    assert torch.equal(spl_weights(losses[perm], 0.3, 0.8), v[perm])


def test_spl_weights_are_all_ones_at_the_end_of_training() -> None:
    losses = torch.rand(64, generator=torch.Generator().manual_seed(1)) * 50
    alpha, beta = spl_thresholds(1.0)
    assert torch.equal(spl_weights(losses, alpha, beta), torch.ones(64))
    # Early in training only part of the batch counts.
    alpha, beta = spl_thresholds(0.0)
    v = spl_weights(losses, alpha, beta)
    assert 0.3 * 64 <= float(v.sum()) < 64 and int((v == 0).sum()) >= 1


# ----------------------------------------------------------------------------------- network


def test_concat_squash_shapes_and_time_gating() -> None:
    layer = ConcatSquashLinear(5, 7, 3)
    layer.to_empty(device="cpu")
    with torch.no_grad():
        for p in layer.parameters():
            p.normal_(generator=torch.Generator().manual_seed(0))
    x, ctx = torch.randn(4, 5), torch.randn(4, 3)
    assert layer(x, ctx).shape == (4, 7)
    with torch.no_grad():
        layer.gate.weight.zero_()
        layer.gate.bias.fill_(-50.0)  # gate closed: only the time shift W_b e is left
        torch.testing.assert_close(layer(x, ctx), layer.shift(ctx))
        layer.gate.bias.zero_()  # sigmoid(0) = 1/2
        torch.testing.assert_close(layer(x, ctx), 0.5 * layer.layer(x) + layer.shift(ctx))


def test_score_net_dense_inputs_and_deterministic_init() -> None:
    state = torch.get_rng_state()
    nets = [
        StasyScoreNet(6, [8, 16, 4], fourier_dim=4, time_embed_dim=10).init_parameters(
            torch.Generator().manual_seed(3)
        )
        for _ in range(2)
    ]
    assert torch.equal(torch.get_rng_state(), state)  # the global generator is never used
    net = nets[0]
    # Layer k sees the input and every earlier output.
    assert [m.layer.in_features for m in net.layers] == [6, 14, 30]
    assert net.out.layer.in_features == 34 and net.out.layer.out_features == 6
    x, sigma = torch.randn(5, 6), torch.full((5,), 0.3)
    out = net(x, sigma)
    assert out.shape == (5, 6) and torch.isfinite(out).all()
    torch.testing.assert_close(out, nets[1](x, sigma))
    # The output is divided by sigma (the network predicts -z).
    assert not torch.allclose(net(x, torch.full((5,), 2.0)), out)


# ------------------------------------------------------------------ ODE sampler and likelihood


def gaussian_score(s0: float):
    """Exact score of N(0, s0^2 I) perturbed by the VE kernel: -x / (s0^2 + sigma^2)."""
    return lambda x, sigma: -x / (s0**2 + sigma[:, None] ** 2)


@pytest.mark.parametrize("method", ["heun", "rk45"])
def test_probability_flow_sampler_recovers_a_gaussian(method: str) -> None:
    sde, s0 = VESDE(0.01, 10.0), 0.5
    gen = torch.Generator().manual_seed(0)
    x_T = torch.randn(3000, 2, generator=gen) * math.sqrt(sde.sigma_max**2 + s0**2)
    x0 = probability_flow_sample(gaussian_score(s0), sde, x_T, method=method, n_steps=50)
    assert x0.std(0).sub(s0).abs().max() < 0.03
    assert x0.mean(0).abs().max() < 0.05


def test_ode_log_likelihood_matches_the_closed_form() -> None:
    sde, s0 = VESDE(0.01, 10.0), 0.5
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(6, 3, generator=gen) * s0
    exact = -0.5 * (x**2).sum(1) / s0**2 - 1.5 * math.log(2 * math.pi * s0**2)
    logp = log_likelihood(gaussian_score(s0), sde, x, gen, n_steps=50)
    assert (logp - exact).abs().max() < 0.1


def test_hutchinson_trace_is_unbiased_and_more_probes_reduce_variance() -> None:
    net = StasyScoreNet(2, [16, 16], fourier_dim=4, time_embed_dim=8)
    net.init_parameters(torch.Generator().manual_seed(0))
    x = torch.randn(3, 2, generator=torch.Generator().manual_seed(1))
    sigma = torch.full((3,), 0.5)

    def row_trace(row: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
        jac = torch.autograd.functional.jacobian(lambda r: net(r[None], s[None])[0], row)
        return torch.trace(jac)

    exact = torch.stack([row_trace(r, s) for r, s in zip(x, sigma, strict=True)])

    def estimate(n_probes: int, seed: int) -> torch.Tensor:
        xr = x.clone().requires_grad_(True)
        probes = rademacher((n_probes, 3, 2), torch.Generator().manual_seed(seed))
        return hutchinson_divergence(net(xr, sigma), xr, probes)

    torch.testing.assert_close(estimate(4000, 0), exact, rtol=0.05, atol=0.05)
    one = torch.stack([estimate(1, s) for s in range(40)]).var(0)
    many = torch.stack([estimate(16, s) for s in range(40)]).var(0)
    assert (many < one).all()
    # The model's likelihood on a tiny (untrained) network is finite per row.
    logp = log_likelihood(net, VESDE(0.01, 10.0), x, torch.Generator().manual_seed(2), n_steps=5)
    assert logp.shape == (3,) and torch.isfinite(logp).all()


# ------------------------------------------------------------------------------------ models


def test_registry_config_and_variants() -> None:
    from missdiff.registry import load

    assert load("model", "stasy_delete") == (StasyDelete, StasyConfig)
    assert load("model", "stasy_mean") == (StasyMean, StasyConfig)
    cfg = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(StasyConfig), {"epochs": 7}))
    assert isinstance(cfg, StasyConfig) and cfg.epochs == 7 and len(cfg.hidden_dims) == 6
    assert StasyDelete().capabilities == frozenset({"sample"})
    assert StasyMean().completion == "mean" and StasyDelete().completion == "delete"
    with pytest.raises(ConfigError, match="sampler"):
        StasyMean(StasyConfig(sampler="dopri"))


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("sampler", "dopri"),
        ("device", "tpu"),
        ("sigma_min", 20.0),
        ("t_eps", 0.0),
        ("alpha0", 0.99),
        ("finetune_quantile", 0.0),
        ("batch_size", 0),
        ("eval_batch_size", 0),
        ("checkpoint_every", 0),
        ("epochs", -1),
        ("finetune_epochs", -1),
        ("hidden_dims", []),
        ("lr", 0.0),
        ("ema", 1.5),
        ("finetune_max_rows", 0),
    ],
)
def test_check_names_the_bad_field_in_one_line(field: str, value: object) -> None:
    cfg = StasyConfig(**{field: value})  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=field) as err:
        cfg.check()
    assert "\n" not in str(err.value)
    StasyConfig().check()  # the defaults are valid


def test_only_training_fields_are_in_the_fingerprint_settings() -> None:
    settings = training_settings(StasyConfig())
    for runtime in ("device", "progress", "checkpoint_dir", "checkpoint_every"):
        assert runtime not in settings
    assert "n_sampling_steps" not in settings  # sampling only: the weights do not depend on it
    # The fine-tuning likelihood runs the sampler's solver in eval_batch_size chunks.
    for trained in ("sampler", "ode_rtol", "ode_atol", "eval_batch_size", "lr", "hidden_dims"):
        assert trained in settings


def test_stasy_delete_is_not_applicable_without_complete_rows() -> None:
    df = mixed_frame(20)
    df.loc[::2, "age"] = np.nan
    df.loc[1::2, "city"] = np.nan
    with pytest.raises(NotApplicableError):
        StasyDelete(tiny_cfg()).fit(df, SCHEMA, np.random.default_rng(0))


def test_stasy_mean_fits_incomplete_data_and_samples_valid_rows() -> None:
    df = mixed_frame(240, missing=0.3)
    model = StasyMean(tiny_cfg()).fit(df, SCHEMA, np.random.default_rng(0))
    assert len(model.history["loss"]) == 3 and len(model.history["finetune_loss"]) == 1
    # Fine-tuning runs on the rows below the median log-likelihood: half of them.
    assert model.history["finetune_rows"] == [120.0]
    assert math.isfinite(model.history["finetune_logp_mean"][0])
    out = model.sample(75, np.random.default_rng(1))
    assert list(out.columns) == list(SCHEMA.columns) and len(out) == 75
    assert not out.isna().to_numpy().any()
    assert set(out["city"]) <= {"lima", "oslo", "paris"}
    for col in ("age", "income"):
        assert out[col].between(df[col].min(), df[col].max()).all()
    # The "missing" category dims are dropped from the model's width.
    assert model.ema_net is not None and model.ema_net.data_dim == 2 + 3


def test_stasy_delete_trains_on_the_complete_rows() -> None:
    df = mixed_frame(200, missing=0.1)
    model = StasyDelete(tiny_cfg(finetune_epochs=0)).fit(df, SCHEMA, np.random.default_rng(0))
    assert model.history["finetune_loss"] == []
    assert len(model.sample(10, np.random.default_rng(1))) == 10


def test_same_seed_same_samples() -> None:
    df = mixed_frame(150, missing=0.2)

    def run(fit_seed: int, sample_seed: int) -> pd.DataFrame:
        model = StasyMean(tiny_cfg()).fit(df, SCHEMA, np.random.default_rng(fit_seed))
        return model.sample(40, np.random.default_rng(sample_seed))

    first = run(0, 1)
    pd.testing.assert_frame_equal(first, run(0, 1))
    assert not first.equals(run(0, 2))
    assert not first.equals(run(5, 1))


def test_training_moves_samples_toward_the_data_mean() -> None:
    """A weak but real check: a short fit on a skewed 2-D Gaussian pulls the sample mean in."""
    rng = np.random.default_rng(0)
    schema = Schema(columns=("u", "v"))
    # Skewed Beta columns: on the min-max scale the data mean sits near (0.3, 0.7).
    df = pd.DataFrame({"u": rng.beta(2.0, 5.0, 640), "v": rng.beta(5.0, 2.0, 640)})

    def sample_mean(epochs: int) -> tuple[np.ndarray, np.ndarray]:
        cfg = tiny_cfg(hidden_dims=[64, 64], epochs=epochs, finetune_epochs=0, warmup_steps=20)
        cfg.n_sampling_steps = 10
        model = StasyMean(cfg).fit(df, schema, np.random.default_rng(0))
        assert model.encoder is not None
        data = model.encoder.transform(df)[0].mean(0)
        x = model.sample_encoded(1000, torch.Generator().manual_seed(1)).numpy()
        assert epochs == 0 or (x.std(0) < 1.0).all()  # no longer the sigma_max = 10 prior
        return x.mean(0), data

    untrained, data = sample_mean(0)
    trained, _ = sample_mean(30)  # 30 epochs x 10 batches = 300 steps
    assert np.abs(trained - data).max() < 0.5 * np.abs(untrained - data).max()
    assert np.abs(trained - data).max() < 0.1


def count_epochs(monkeypatch) -> dict[str, int]:  # type: ignore[no-untyped-def]
    """Count Trainer epochs from now on (a resumed run skips the epochs its checkpoint holds)."""
    original, calls = Trainer._epoch, {"n": 0}

    def counted(self, rows, spl):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        return original(self, rows, spl)

    monkeypatch.setattr(Trainer, "_epoch", counted)
    return calls


def test_checkpoint_resume_gives_the_uninterrupted_result(tmp_path, monkeypatch) -> None:
    df = mixed_frame(120, missing=0.2)
    cfg = tiny_cfg(epochs=4, finetune_epochs=2, checkpoint_dir=str(tmp_path), checkpoint_every=1)
    reference = StasyMean(tiny_cfg(epochs=4, finetune_epochs=2)).fit(
        df, SCHEMA, np.random.default_rng(0)
    )
    expected = reference.sample(30, np.random.default_rng(1))

    original = Trainer._epoch
    calls = {"n": 0}

    def crashing_epoch(self, rows, spl):  # type: ignore[no-untyped-def]
        calls["n"] += 1
        if calls["n"] == 5:  # the first fine-tuning epoch
            raise KeyboardInterrupt
        return original(self, rows, spl)

    monkeypatch.setattr(Trainer, "_epoch", crashing_epoch)
    with pytest.raises(KeyboardInterrupt):
        StasyMean(cfg).fit(df, SCHEMA, np.random.default_rng(0))
    monkeypatch.setattr(Trainer, "_epoch", original)
    epochs = count_epochs(monkeypatch)
    resumed = StasyMean(cfg).fit(df, SCHEMA, np.random.default_rng(0))
    assert epochs["n"] == 2  # only the fine-tuning epochs were left to run
    pd.testing.assert_frame_equal(resumed.sample(30, np.random.default_rng(1)), expected)
    assert resumed.history == reference.history


def test_checkpoints_are_shared_across_runtime_fields_only(tmp_path, monkeypatch) -> None:
    df = mixed_frame(60, missing=0.2)

    def fit(**overrides: object) -> StasyMean:
        cfg = tiny_cfg(epochs=1, finetune_epochs=0, checkpoint_dir=str(tmp_path), **overrides)
        return StasyMean(cfg).fit(df, SCHEMA, np.random.default_rng(0))

    first = fit()
    assert len(list(tmp_path.glob("stasy_mean-*.pt"))) == 1
    epochs = count_epochs(monkeypatch)
    # Runtime and inference-only fields: the same checkpoint, resumed as finished.
    again = fit(checkpoint_every=3, progress=False, n_sampling_steps=3)
    assert epochs["n"] == 0 and len(list(tmp_path.glob("stasy_mean-*.pt"))) == 1
    assert again.history == first.history
    assert again.ema_net is not None and first.ema_net is not None
    for a, b in zip(again.ema_net.parameters(), first.ema_net.parameters(), strict=True):
        assert torch.equal(a, b)
    # A training field: another run, trained afresh into another file.
    fit(lr=1e-3)
    assert epochs["n"] == 1 and len(list(tmp_path.glob("stasy_mean-*.pt"))) == 2
    assert sorted(p.suffix for p in tmp_path.iterdir()) == [".pt", ".pt"]  # no temporary left
