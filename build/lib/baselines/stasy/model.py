"""The STaSy baselines of the paper (section 4.2, Appendix C.4): STaSy trained on a completed
table. `StasyDelete` drops every row with a missing value, `StasyMean` fills column means / modes
(`missdiff.models.completion`, as Diff-delete / Diff-mean do); both then train the same model.

Data: continuous columns min-max scaled to [0, 1], categoricals one-hot 0/1 (STaSy sec. 4.1);
generation takes the argmax per categorical block (STaSy's softmax then argmax) and inverts the
scaling with clipping to the training range.
"""

from __future__ import annotations

import copy
import hashlib
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import torch
from torch import Tensor

from baselines.stasy.config import StasyConfig
from baselines.stasy.network import StasyScoreNet
from baselines.stasy.sde import VESDE
from baselines.stasy.solver import log_likelihood, probability_flow_sample
from baselines.stasy.train import Trainer
from missdiff.data.encoding import TabularEncoder
from missdiff.device import resolve_device
from missdiff.errors import MissDiffError
from missdiff.keys import KEY_LENGTH, digest, training_settings
from missdiff.models.base import TabularModel, torch_seed
from missdiff.models.completion import complete


class Stasy(TabularModel):
    """STaSy trained on a completed table (row deletion or mean/mode filling), then sampled.

    `fit` completes the data, encodes it, trains with self-paced learning, optionally fine-tunes
    on low-likelihood rows; `sample` solves the probability-flow ODE with the EMA network.
    """

    capabilities: ClassVar[frozenset[str]] = frozenset({"sample"})
    name: ClassVar[str] = "stasy"
    completion: ClassVar[str] = "mean"  # what StasyDelete / StasyMean train on

    def __init__(self, cfg: StasyConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or StasyConfig(name=self.name)
        self.cfg.check()
        self.sde = VESDE(self.cfg.sigma_min, self.cfg.sigma_max)
        self.encoder: TabularEncoder | None = None
        self.keep: np.ndarray | None = None
        self.net: StasyScoreNet | None = None
        self.ema_net: StasyScoreNet | None = None
        self.device = torch.device("cpu")

    # -- fitting -----------------------------------------------------------------------------
    def _fit(self, data: pd.DataFrame, rng: np.random.Generator) -> None:
        cfg = self.cfg
        completed = complete(data, self._fitted_schema(), self.completion, self.name)
        encoder = TabularEncoder(self._fitted_schema(), scaling="minmax", onehot="zero_one")
        encoder.fit(completed)
        x_full, _ = encoder.transform(completed)
        # After completion no entry is missing: the "missing" category dims are constant 0.
        keep = np.setdiff1d(np.arange(encoder.width), encoder.missing_category_index)
        self.encoder, self.keep = encoder, keep
        x_np = np.ascontiguousarray(x_full[:, keep])
        seeds = [torch_seed(rng) for _ in range(4)]  # init, batch order, noise, likelihood
        self.device = torch.device(resolve_device(cfg.device))
        gens = [torch.Generator().manual_seed(s) for s in seeds]
        net = StasyScoreNet(
            data_dim=x_np.shape[1],
            hidden_dims=list(cfg.hidden_dims),
            fourier_dim=cfg.fourier_dim,
            fourier_scale=cfg.fourier_scale,
            time_embed_dim=cfg.time_embed_dim,
        )
        self.net = net.init_parameters(gens[0]).to(self.device)
        self.ema_net = copy.deepcopy(self.net).requires_grad_(False)
        fingerprint = self._fingerprint(x_np, seeds)
        # One file per (data, seed, config): runs sharing a checkpoint_dir never collide.
        ckpt = (
            Path(cfg.checkpoint_dir) / f"{self.name}-{fingerprint}.pt"
            if cfg.checkpoint_dir
            else None
        )
        trainer = Trainer(
            cfg, self.net, self.ema_net, self.sde, torch.from_numpy(x_np).to(self.device),
            gens[1:], self.log_likelihood, ckpt, fingerprint, desc=self.name,
        )  # fmt: skip
        self.history = trainer.run()
        self.net.eval()
        self.ema_net.eval()

    def _fingerprint(self, x_np: np.ndarray, seeds: list[int]) -> str:
        """Digest of what determines the trained weights: a checkpoint resumes only on a match."""
        data = hashlib.sha256(np.ascontiguousarray(x_np).tobytes()).hexdigest()
        key = {
            "model": self.name,
            "completion": self.completion,
            "settings": training_settings(self.cfg),
            "seeds": seeds,
            # CPU and CUDA runs of one seed differ in their floating-point results.
            "device": self.device.type,
            "data": [list(x_np.shape), str(x_np.dtype), data],
        }
        return digest(key, KEY_LENGTH)

    # -- sampling ----------------------------------------------------------------------------
    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        if self.ema_net is None or self.encoder is None or self.keep is None:
            raise MissDiffError(f"model {self.name!r} must be fitted first")
        x = self.sample_encoded(n, torch.Generator().manual_seed(torch_seed(rng)))
        full = np.zeros((n, self.encoder.width), dtype=np.float64)
        full[:, self.keep] = x.cpu().double().numpy()
        # The encoder clips continuous values to the training range ([0, 1] here) and takes the
        # argmax over each block's real categories (== STaSy's softmax then argmax).
        return self.encoder.inverse_transform(full)

    def sample_encoded(self, n: int, generator: torch.Generator) -> Tensor:
        """n rows on the model's (encoded, missing-dims-dropped) scale, by the ODE sampler."""
        cfg, net = self.cfg, self.ema_net
        assert net is not None
        # Noise drawn on the CPU generator: the same rows whatever device runs the network.
        z = torch.randn((n, net.data_dim), generator=generator) * self.sde.sigma_max
        chunks = []
        for start in range(0, n, cfg.eval_batch_size):
            x_T = z[start : start + cfg.eval_batch_size].to(self.device)
            x0 = probability_flow_sample(
                net, self.sde, x_T, t_eps=cfg.t_eps, method=cfg.sampler,
                n_steps=cfg.n_sampling_steps, rtol=cfg.ode_rtol, atol=cfg.ode_atol,
            )  # fmt: skip
            chunks.append(x0.cpu())
        return torch.cat(chunks)

    def log_likelihood(self, x: Tensor, generator: torch.Generator) -> Tensor:
        """Per-row log-likelihood (encoded scale) under the EMA network, in chunks."""
        cfg, net = self.cfg, self.ema_net
        assert net is not None
        out = []
        for start in range(0, x.shape[0], cfg.eval_batch_size):
            chunk = x[start : start + cfg.eval_batch_size]
            logp = log_likelihood(
                net, self.sde, chunk, generator, n_probes=cfg.hutchinson_probes,
                t_eps=cfg.t_eps, method=cfg.sampler, n_steps=cfg.likelihood_steps,
                rtol=cfg.ode_rtol, atol=cfg.ode_atol,
            )  # fmt: skip
            out.append(logp.cpu())
        return torch.cat(out)


class StasyDelete(Stasy):
    """STaSy-delete: STaSy trained on the rows without any missing value (paper sec. 4.2)."""

    name: ClassVar[str] = "stasy_delete"
    completion: ClassVar[str] = "delete"


class StasyMean(Stasy):
    """STaSy-mean: STaSy trained on the table filled with column means / modes (paper sec. 4.2)."""

    name: ClassVar[str] = "stasy_mean"
    completion: ClassVar[str] = "mean"
