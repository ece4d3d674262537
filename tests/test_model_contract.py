"""One contract, every registered model: fit on an incomplete mixed table, then impute / sample."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import torch

from missdiff.data.schema import Schema, apply_mask
from missdiff.registry import MODELS, build_model
from tests.conftest import compose

# Tiny sizes so that every model runs in seconds; the protocol is untouched.
TINY = {
    "missdiff": ["model.channels=8", "model.n_heads=2", "model.num_steps=10"],
    "diff_delete": ["model.channels=8", "model.n_heads=2", "model.num_steps=10"],
    "diff_mean": ["model.channels=8", "model.n_heads=2", "model.num_steps=10"],
    "csdi_t": ["model.channels=8", "model.n_heads=2", "model.num_steps=10"],
    "stasy_delete": ["model.hidden_dims=[16,16]", "model.n_sampling_steps=5"],
    "stasy_mean": ["model.hidden_dims=[16,16]", "model.n_sampling_steps=5"],
    "miwae": ["model.n_hidden=8", "model.latent_size=2", "model.K=3"],
    "miwae_modified": ["model.n_hidden=8", "model.latent_size=2", "model.K=3"],
    "forest_diffusion": ["model.max_depth=2", "model.repaint_r=2", "model.n_impute_samples=2"],
    "forest_flow": ["model.max_depth=2"],
    "missforest_full": ["model.max_iter=2"],  # smoke already gives it 10 trees
}


def table(rng: np.random.Generator, n: int = 160) -> tuple[pd.DataFrame, Schema]:
    x = rng.normal(size=n)
    data = pd.DataFrame(
        {
            "a": x,
            "b": 2 * x + rng.normal(scale=0.3, size=n),
            "c": np.where(x > 0, "hi", "lo").astype(object),
            "d": rng.integers(0, 3, size=n),
        }
    )
    return data, Schema(("a", "b", "c", "d"), categorical=("c", "d"))


pytestmark = pytest.mark.usefixtures("one_thread")


@pytest.mark.parametrize("name", sorted(MODELS))
def test_model_contract(name: str) -> None:
    rng = np.random.default_rng(0)
    data, schema = table(rng)
    observed = rng.random(data.shape) > 0.2
    observed[:20] = True  # some complete rows, so the deletion variants apply
    train = apply_mask(data.iloc[:120].reset_index(drop=True), observed[:120])
    test = apply_mask(data.iloc[120:].reset_index(drop=True), observed[120:])
    cfg = compose([f"model={name}", "profile=smoke", *TINY.get(name, [])])
    model = build_model(cfg.model)
    model.fit(train, schema, np.random.default_rng(1))
    assert model.capabilities, f"{name} declares no capability"

    if "impute" in model.capabilities:
        out = model.impute(test, np.random.default_rng(2)).completed
        assert list(out.columns) == list(schema.columns) and len(out) == len(test)
        assert not out.isna().to_numpy().any()
        seen = test.notna().to_numpy()
        assert (out.to_numpy()[seen] == test.to_numpy()[seen]).all()
        assert set(out["c"]) <= {"hi", "lo"} and set(out["d"]) <= {0, 1, 2}

    if "sample" in model.capabilities:
        synth = model.sample(25, np.random.default_rng(3))
        assert list(synth.columns) == list(schema.columns) and len(synth) == 25
        assert not synth.isna().to_numpy().any()
        assert set(synth["c"]) <= {"hi", "lo"} and set(synth["d"]) <= {0, 1, 2}
        assert synth["a"].between(train["a"].min(), train["a"].max()).all()
        again = model.sample(25, np.random.default_rng(3))
        pd.testing.assert_frame_equal(synth, again)


def test_csdi_t_conditions_on_a_random_share_of_whole_observed_columns() -> None:
    from baselines.csdi_t import CsdiT
    from missdiff.models.diffusion import DiffusionConfig

    rng = np.random.default_rng(0)
    data, schema = table(rng, 200)
    data = apply_mask(data, rng.random(data.shape) > 0.3)
    model = CsdiT(DiffusionConfig(name="csdi_t", channels=8, n_heads=2, epochs=1, num_steps=5))
    model.fit(data, schema, rng)
    _, mask = model.encoder.transform(data)
    mask = torch.from_numpy(mask)
    cond = model.conditioning_mask(mask, torch.Generator().manual_seed(0))
    assert not (cond & ~mask).any()  # conditions only on observed entries
    for sl in model.encoder.column_slices.values():  # a block is kept or hidden as a whole
        block = cond[:, sl]
        assert (block.all(1) | ~block.any(1)).all()
    share = cond.sum() / mask.sum()
    assert 0.3 < float(share) < 0.7  # ratio ~ U(0, 1): about half the observed entries
