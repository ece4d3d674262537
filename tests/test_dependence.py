"""Do our diffusion models learn the dependence BETWEEN columns, not only each column's marginal?

Session 4 found that at the `quick` budget (30 epochs, about 1,900 optimiser steps) our
MissDiff reproduced every marginal of the Bayesian network and almost none of its dependence.
These tests split the question as it was settled in session 5 (results/NOTES.md, "Dependence
between columns"):

- the backbone lets every output column see every input column (a defect that cut that path
  would pass every marginal test);
- the rest of the pipeline (encoding, masked loss, training loop, sampler, decoding) carries the
  dependence when the noise network learns it quickly: with the MLP denoiser option
  (`model.denoiser=mlp`) in place of the backbone, 30 epochs on an incomplete table reproduce
  P(D3 | D2);
- the paper's backbone itself learns it, but slowly: about 19,000 steps (300 epochs of 4,000
  rows), ten times `quick`'s budget (slow-marked, about 10 minutes).
"""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch
from omegaconf import OmegaConf

from missdiff.data.bayesnet import simulate_bayesnet
from missdiff.data.schema import Schema
from missdiff.diffusion.network import EpsNetwork
from missdiff.models.diffusion import DiffusionConfig, MissDiff
from tests.conftest import REPO, compose

pytestmark = pytest.mark.usefixtures("one_thread")


def _bayesnet(n_train: int = 4000) -> tuple[pd.DataFrame, Schema]:
    table = simulate_bayesnet(5000, np.random.default_rng(0))
    return table.data.iloc[:n_train].reset_index(drop=True), table.schema


def _p_d3_given_d2(df: pd.DataFrame) -> np.ndarray:
    """P(D3 = 1 | D2 = 0, 1, 2); the network's truth is 0.2 / 0.4 / 0.8 (Appendix C.2)."""
    d2, d3 = df["D2"].astype(int), df["D3"].astype(int)
    return np.array([(d3[d2 == k] == 1).mean() for k in (0, 1, 2)])


def _p_d2_is_2_given_d1(df: pd.DataFrame) -> np.ndarray:
    """P(D2 = 2 | D1 = 0, 1); about 0.9 and 0.48 in the simulated rows."""
    d1, d2 = df["D1"].astype(int), df["D2"].astype(int)
    return np.array([(d2[d1 == k] == 2).mean() for k in (0, 1)])


@pytest.mark.parametrize("in_channels", [1, 2])
def test_every_output_column_sees_every_input_column(in_channels):
    """d eps_hat_j / d x_t,i is non-zero for every pair i != j (attention across columns)."""
    width = 9
    gen = torch.Generator().manual_seed(0)
    net = EpsNetwork(width, num_steps=100, channels=32, in_channels=in_channels, generator=gen)
    with torch.no_grad():  # the zero-initialised output layer would make every gradient zero
        net.output.weight.normal_(0.0, 1.0, generator=gen)
    net.eval()
    x = torch.randn(1, width, generator=gen)
    cond = torch.randn(1, width, generator=gen) if in_channels == 2 else None
    t = torch.tensor([30])
    jac = torch.autograd.functional.jacobian(lambda v: net(v, t, cond)[0], x)[:, 0, :]
    off_diagonal = jac[~torch.eye(width, dtype=torch.bool)].abs()
    assert off_diagonal.min() > 1e-6, jac


def _check_dependence(
    model: MissDiff, train: pd.DataFrame, full: pd.DataFrame, schema: Schema, share: float
) -> None:
    """Fit on `train`, sample 4,000 rows, print both conditionals real beside ours (`pytest -s`
    shows them) and check that each gap is at least `share` of the real one."""
    model.fit(train, schema, np.random.default_rng(1))
    synthetic = model.sample(4000, np.random.default_rng(2))
    real_d3, ours_d3 = _p_d3_given_d2(full), _p_d3_given_d2(synthetic)
    real_d2, ours_d2 = _p_d2_is_2_given_d1(full), _p_d2_is_2_given_d1(synthetic)
    print(f"P(D3=1 | D2=0/1/2) real {real_d3.round(2)} ours {ours_d3.round(2)}")
    print(f"P(D2=2 | D1=0/1) real {real_d2.round(2)} ours {ours_d2.round(2)}")
    assert ours_d3[2] - ours_d3[0] > share * (real_d3[2] - real_d3[0]), (real_d3, ours_d3)
    assert ours_d2[0] - ours_d2[1] > share * (real_d2[0] - real_d2[1]), (real_d2, ours_d2)


def test_the_mlp_denoiser_carries_dependence_at_the_quick_budget():
    """`model.denoiser=mlp` (TabDDPM-style residual MLP, its default 512 x 4) with everything
    else MissDiff's: encoder, masked loss, training loop, sampler, decoding.

    20 % of the entries missing independently (MCAR), 30 epochs of 4,000 rows (1,890 steps) as
    at the old `quick`. Measured with these seeds (`pytest -s -k mlp_denoiser_carries`):
    P(D3=1 | D2=0/1/2) real 0.17 / 0.43 / 0.81, ours 0.37 / 0.48 / 0.76; P(D2=2 | D1=0/1) real
    0.90 / 0.48, ours 0.78 / 0.47: 0.61 and 0.74 of the real gaps. The paper's backbone after 30
    epochs shows none (results/NOTES.md). Checked: both gaps at least 0.3 of the real ones (a
    marginals-only model gives about 0).
    """
    full, schema = _bayesnet()
    data = full.mask(np.random.default_rng(5).random(full.shape) < 0.2)
    cfg = DiffusionConfig(epochs=30, dropout=0.0, denoiser="mlp", device="cpu", progress=False)
    _check_dependence(MissDiff(cfg), data, full, schema, share=0.3)


@pytest.mark.slow
def test_backbone_learns_dependence_with_ten_times_quick_budget():
    """The paper's backbone at `quick`'s width (channels 32), 300 epochs of 4,000 complete rows.

    Measured (session 5, this configuration, `pytest -s -m slow -k ten_times`): P(D3=1 |
    D2=0/1/2) 0.38 / 0.43 / 0.78 (real 0.17 / 0.43 / 0.81); P(D2=2 | D1=0/1) 0.87 / 0.62 (real
    0.90 / 0.48). At 30 and 100 epochs the same backbone shows none and a trace of it
    (results/NOTES.md, scripts/dependence_check.py). Checked: both gaps at least a quarter of
    the real ones (half of what was measured), so a regression back to marginals-only fails.
    """
    full, schema = _bayesnet()
    cfg = DiffusionConfig(channels=32, epochs=300, device="cpu", progress=False)
    _check_dependence(MissDiff(cfg), full, full, schema, share=0.25)


def _script(args: list[str], cwd) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, str(REPO / "scripts" / "dependence_check.py"), *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        timeout=300,
    )


def test_dependence_check_retrains_a_record_with_overrides(tmp_path):
    """The diagnostic of results/NOTES.md runs on a record's config, takes --set overrides,
    prints real beside synthetic, and writes nothing; a bad key is a one-line error."""
    overrides = ["dataset=bayesnet", "model=missdiff", "missingness=mcar_column", "threads=1"]
    cfg = compose([*overrides, "profile=smoke", f"records_dir={tmp_path / 'runs'}"])
    record = tmp_path / "record"
    record.mkdir()
    (record / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    args = [str(record), "--rows", "60", "--set", "model.epochs=2", "--pair", "D2", "D3"]
    out = _script(args, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "model.epochs=2" in out.stdout and "2 epochs" in out.stdout
    assert "share of each D3 within D2" in out.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == ["record"]

    bad = _script([str(record), "--set", "model.epochz=2"], tmp_path)
    assert bad.returncode != 0
    assert bad.stderr.strip().count("\n") == 0 and "model.epochz=2" in bad.stderr
