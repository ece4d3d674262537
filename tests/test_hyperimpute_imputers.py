"""The hyperimpute baselines (MICE, MissForest, GAIN, MIWAE) behind the TabularModel contract."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from dataclasses import asdict

import numpy as np
import pandas as pd
import pytest

pytest.importorskip("hyperimpute")

from baselines.hyperimpute import (
    Gain,
    GainConfig,
    Mice,
    MiceConfig,
    MissForest,
    MissForestConfig,
    MissForestFull,
    MissForestFullConfig,
    Miwae,
    MiwaeConfig,
    MiwaeModified,
    MiwaeModifiedConfig,
)
from missdiff.data.schema import Schema
from missdiff.errors import ConfigError, MissDiffError

MODELS = {
    "mice": (Mice, MiceConfig),
    "missforest": (MissForest, MissForestConfig),
    "missforest_full": (MissForestFull, MissForestFullConfig),
    "gain": (Gain, GainConfig),
    "miwae": (Miwae, MiwaeConfig),
    "miwae_modified": (MiwaeModified, MiwaeModifiedConfig),
}

# Small sizes: the contract, not the quality, is under test here.
TINY = {
    "mice": MiceConfig(max_iter=5),
    "missforest": MissForestConfig(max_iter=1),
    "missforest_full": MissForestFullConfig(n_estimators=10, max_iter=2),
    "gain": GainConfig(batch_size=32, n_epochs=50),
    "miwae": MiwaeConfig(n_epochs=4, batch_size=32, n_hidden=16, latent_size=2, K=5),
    "miwae_modified": MiwaeModifiedConfig(
        n_epochs=4, batch_size=32, n_hidden=16, latent_size=2, K=5
    ),
}


def _mixed_table(n: int = 120, seed: int = 0) -> tuple[pd.DataFrame, Schema]:
    """Three correlated continuous columns, a string categorical and an integer categorical."""
    rng = np.random.default_rng(seed)
    z = rng.normal(size=n)
    data = pd.DataFrame(
        {
            "x0": z * 3.0 + 10.0,
            "x1": z + 0.3 * rng.normal(size=n),
            "grade": np.array(["lo", "mid", "hi"])[np.digitize(z, [-0.5, 0.5])],
            "x2": rng.normal(size=n) * 100.0,
            "level": rng.integers(1, 4, size=n),
        }
    )
    mask = rng.random(data.shape) < 0.2
    return data.mask(mask), Schema(tuple(data.columns), ("grade", "level"))


def _fit_impute(name: str, seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame, Schema]:
    data, schema = _mixed_table()
    train, new = data.iloc[:90], data.iloc[90:]
    model_cls, _ = MODELS[name]
    model = model_cls(TINY[name]).fit(train, schema, np.random.default_rng(seed))
    completed = model.impute(new, np.random.default_rng(seed + 1)).completed
    return new, completed, schema


@pytest.mark.parametrize("name", sorted(MODELS))
def test_contract_and_reproducibility(name: str) -> None:
    import random

    import torch

    np_state = np.random.get_state()[1].copy()  # noqa: NPY002 (the global RNG is under test)
    py_state = random.getstate()
    torch_state = torch.get_rng_state()

    new, completed, schema = _fit_impute(name)

    assert list(completed.columns) == list(schema.columns)
    assert completed.index.equals(new.index)
    assert not completed.isna().to_numpy().any()
    observed = new.notna()
    for col in schema.columns:
        assert (completed[col][observed[col]] == new[col][observed[col]]).all(), col
    assert set(completed["grade"]) <= {"lo", "mid", "hi"}
    assert set(completed["level"]) <= {1.0, 2.0, 3.0}
    assert new.isna().to_numpy().any()  # the test would be empty otherwise

    # Same seeds, same output; and the global RNGs are left as they were.
    _, again, _ = _fit_impute(name)
    pd.testing.assert_frame_equal(completed, again)
    assert (np.random.get_state()[1] == np_state).all()  # noqa: NPY002
    assert random.getstate() == py_state
    assert torch.equal(torch.get_rng_state(), torch_state)


def test_mice_beats_mean_imputation_on_correlated_gaussian() -> None:
    rng = np.random.default_rng(3)
    d, rho = 4, 0.9
    cov = np.full((d, d), rho) + (1 - rho) * np.eye(d)
    full = pd.DataFrame(rng.multivariate_normal(np.zeros(d), cov, size=300))
    full.columns = [f"x{j}" for j in range(d)]
    hidden = rng.random(full.shape) < 0.2
    data = full.mask(hidden)
    schema = Schema(tuple(full.columns))
    train, new = data.iloc[:240], data.iloc[240:]
    hidden_new = hidden[240:]

    model = Mice(MiceConfig(max_iter=10)).fit(train, schema, np.random.default_rng(0))
    completed = model.impute(new, np.random.default_rng(1)).completed
    mean_filled = new.fillna(train.mean())  # mean imputation from the training rows

    truth = full.iloc[240:].to_numpy()[hidden_new]
    rmse_mice = np.sqrt(np.mean((completed.to_numpy()[hidden_new] - truth) ** 2))
    rmse_mean = np.sqrt(np.mean((mean_filled.to_numpy()[hidden_new] - truth) ** 2))
    # With rho = 0.9 the conditional mean removes most of the variance (about 0.35 vs 1.0).
    assert rmse_mice < 0.7 * rmse_mean


def test_full_trees_follow_a_wiggly_relation_that_depth_three_trees_cannot() -> None:
    # y = sin(6 pi x) + noise (std 0.1): three periods need far more than a depth-3 tree's 8
    # leaves. This is why the paper's (hyperimpute's) MissForest trails the peer's on
    # ForestDiffusion's benchmark, and why MissForestFull exists.
    rng = np.random.default_rng(0)
    x = rng.random(400)
    full = pd.DataFrame({"x": x, "y": np.sin(6 * np.pi * x) + 0.1 * rng.normal(size=400)})
    hidden = np.zeros(full.shape, dtype=bool)
    hidden[:, 1] = rng.random(400) < 0.3
    data, schema = full.mask(hidden), Schema(("x", "y"))
    truth = full.to_numpy()[300:][hidden[300:]]

    def rmse(model: MissForest | MissForestFull) -> float:
        model.fit(data.iloc[:300], schema, np.random.default_rng(0))
        completed = model.impute(data.iloc[300:], np.random.default_rng(1)).completed
        return float(np.sqrt(np.mean((completed.to_numpy()[hidden[300:]] - truth) ** 2)))

    full_trees = rmse(MissForestFull(MissForestFullConfig(n_estimators=20, max_iter=3)))
    depth_three = rmse(MissForest(MissForestConfig(max_iter=10)))
    assert full_trees < 0.2  # near the noise floor (0.1); the mean alone gives about 0.76
    assert depth_three > 2 * full_trees


def test_unseen_category_is_treated_as_missing() -> None:
    data, schema = _mixed_table()
    train, new = data.iloc[:90], data.iloc[90:].copy()
    new.iloc[0, new.columns.get_loc("grade")] = "unheard-of"
    model = Mice(TINY["mice"]).fit(train, schema, np.random.default_rng(0))
    completed = model.impute(new, np.random.default_rng(1)).completed
    assert completed["grade"].iloc[0] == "unheard-of"  # observed entries come back as given
    assert not completed.isna().to_numpy().any()


def test_registry_configs_are_structured_config_friendly() -> None:
    from omegaconf import OmegaConf

    for name, (model_cls, config_cls) in MODELS.items():
        cfg = OmegaConf.structured(config_cls)
        assert cfg.name == name == model_cls.name
        assert "impute" in model_cls.capabilities
        for value in asdict(config_cls()).values():
            assert value is None or isinstance(value, (int, float, str, bool, list))
    assert MiwaeConfig().n_hidden == 128 and MiwaeConfig().latent_size == 10


def test_project_registry_builds_these_models() -> None:
    from omegaconf import OmegaConf

    from missdiff.registry import build_model

    for name, (model_cls, config_cls) in MODELS.items():
        model = build_model(OmegaConf.create({"name": name, "threads": None}))
        assert type(model) is model_cls
        assert isinstance(model.cfg, config_cls) and model.cfg.threads is None


def test_no_environment_or_warnings_leak_in_a_fresh_process() -> None:
    # A fresh interpreter: in this one hyperimpute may already be imported by the tests above.
    script = textwrap.dedent(
        """
        import logging, os, sys, warnings
        import numpy as np
        # scipy adds warnings filters of its own when first imported (through scikit-learn, which
        # the codec uses): its normal import, not a side effect of hyperimpute's.
        import sklearn.preprocessing
        env, filters = dict(os.environ), list(warnings.filters)
        optuna_level = logging.getLogger("optuna").level
        from baselines.hyperimpute import Gain, GainConfig, Mice, MiceConfig
        from missdiff.data.schema import Schema
        assert "hyperimpute" not in sys.modules, "hyperimpute imported at module import"
        rng = np.random.default_rng(0)
        import pandas as pd
        x = rng.normal(size=(60, 3))
        data = pd.DataFrame(x, columns=["a", "b", "c"]).mask(rng.random((60, 3)) < 0.2)
        schema = Schema(("a", "b", "c"))
        for model in (Mice(MiceConfig(max_iter=1)), Gain(GainConfig(n_epochs=5))):
            model.fit(data.iloc[:40], schema, rng).impute(data.iloc[40:], rng)
        assert "hyperimpute" in sys.modules
        changed = {k for k in set(env) | set(os.environ) if env.get(k) != os.environ.get(k)}
        assert not changed, f"environment changed: {sorted(changed)}"
        assert list(warnings.filters) == filters, "warnings filters changed"
        assert logging.getLogger("optuna").level == optuna_level, "optuna logging changed"
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stderr[-3000:]


def test_miwae_standard_scaling() -> None:
    data, schema = _mixed_table()
    cfg = MiwaeConfig(**{**asdict(TINY["miwae"]), "scaling": "standard"})
    model = Miwae(cfg).fit(data.iloc[:90], schema, np.random.default_rng(0))
    assert not model.impute(data.iloc[90:], np.random.default_rng(1)).completed.isna().any().any()


@pytest.mark.parametrize(
    ("config", "field"),
    [
        (MiwaeConfig(scaling="robust"), "scaling"),
        (MiwaeConfig(K=0), "K"),
        (MiwaeModifiedConfig(hide_ratio=1.5), "hide_ratio"),
        (GainConfig(hint_rate=-0.1), "hint_rate"),
        (GainConfig(batch_size=0), "batch_size"),
        (MiceConfig(max_iter=0), "max_iter"),
        (MissForestConfig(threads=0), "threads"),
    ],
)
def test_config_check_names_the_field(config: object, field: str) -> None:
    with pytest.raises(ConfigError, match=f"model.{field} "):
        config.check()  # type: ignore[attr-defined]
    # A model built directly checks its config too, before any work.
    model_cls = MODELS[config.name][0]  # type: ignore[attr-defined]
    with pytest.raises(ConfigError, match=field):
        model_cls(config)


def test_default_configs_pass_check_and_threads_is_a_runtime_field() -> None:
    from dataclasses import fields

    from missdiff.keys import CHANGES, NOTHING

    for _, config_cls in MODELS.values():
        config_cls().check()
        runtime = {f.name for f in fields(config_cls) if f.metadata.get(CHANGES) == NOTHING}
        assert runtime == {"threads"}, config_cls


def test_mixed_type_categories_are_refused_with_a_clear_error() -> None:
    data = pd.DataFrame({"x": [0.5, 1.0, np.nan, 2.0], "m": ["a", 1, "b", np.nan]})
    with pytest.raises(MissDiffError, match="'m' mixes strings and numbers"):
        Mice(TINY["mice"]).fit(data, Schema(("x", "m"), ("m",)), np.random.default_rng(0))
