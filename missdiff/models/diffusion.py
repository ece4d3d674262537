"""Diffusion models on tables with missing values: MissDiff and the impute-then-generate variants.

- `MissDiff` trains on the incomplete table with the masked loss (Algorithm 1 / Eq. 4).
- `DiffDelete` ("Diff-delete") drops every incomplete row, then trains on complete rows.
- `DiffMean` ("Diff-mean") fills mean (continuous) / mode (categorical), then trains with every
  entry counted as observed: the biased pipeline of Remark 3.1.

All three share the network, schedule, training loop and samplers: imputation is Algorithm 2 and
generation Algorithm 3, whatever the training data was.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import torch

from missdiff.data.encoding import TabularEncoder
from missdiff.data.schema import Schema
from missdiff.device import resolve_device
from missdiff.diffusion import sampler
from missdiff.diffusion.mlp import MLPDenoiser
from missdiff.diffusion.network import EpsNetwork
from missdiff.diffusion.schedule import VPSchedule
from missdiff.diffusion.train import TrainSettings, missdiff_loss, train
from missdiff.errors import ConfigError, MissDiffError
from missdiff.keys import digest, inference_field, runtime_field, training_settings
from missdiff.models.base import Imputation, TabularModel, torch_seed
from missdiff.models.completion import complete
from missdiff.models.draws import aggregate

DENOISERS = ("backbone", "mlp")


@dataclass
class DiffusionConfig:
    """Settings of the diffusion models (OmegaConf structured config).

    Defaults are the paper's (Appendix C.4) where it gives them and the authors' TabCSDI-based
    code otherwise; the authors' code used channels 128 where the paper says 64.
    """

    name: str = "missdiff"
    # Network (TabCSDI backbone).
    channels: int = 64
    n_layers: int = 4
    n_heads: int = 4
    diffusion_embedding_dim: int = 128
    column_embedding_dim: int = 128
    feature_embedding_dim: int = 8
    ff_dim: int = 64
    # TabCSDI's transformer layers use PyTorch's default dropout 0.1; the paper is silent.
    dropout: float = 0.1
    # Schedule (C.4): quadratic beta from beta_start to beta_end over num_steps.
    num_steps: int = 100
    beta_start: float = 1e-4
    beta_end: float = 0.5
    # Denoiser: "backbone" (the paper's, above) or "mlp" (missdiff/diffusion/mlp.py, TabDDPM-style
    # residual MLP on the whole row, `mlp_width` x `mlp_depth`; not in the paper).
    denoiser: str = "backbone"
    mlp_width: int = 512
    mlp_depth: int = 4
    # Optimisation (C.4 and the authors' config). The budget is `epochs` passes over the rows,
    # or, when `train_steps` > 0, exactly that many optimiser steps (epochs ignored): a budget
    # that means the same on 300 and 30,000 rows. The learning rate drops x0.1 at 25/50/75/90 %
    # of the budget either way.
    epochs: int = 250
    train_steps: int = 0
    batch_size: int = 64
    lr: float = 5e-4
    weight_decay: float = 1e-6
    # Exponential moving average of the weights (0: none, the paper's setting); imputation and
    # sampling then use the averaged weights, as STaSy and most diffusion codebases do.
    ema_decay: float = 0.0
    # Inference: draws per row for imputation (paper: 100); rows x draws per network call
    # (0 = auto: on CPU 128 for the backbone, whose small chunks stay in cache and run fastest
    # per row, 4096 for the MLP; 8192 on CUDA).
    n_impute_samples: int = inference_field(100)
    max_batch: int = inference_field(0)
    precision: str = inference_field("fp32")  # fp32 | bf16 (autocast of the network at inference)
    compile: bool = inference_field(False)  # torch.compile the network for inference
    # Encoding: "minmax" as the paper says, "tabcsdi" as its Table 1 numbers need.
    scaling: str = "minmax"
    onehot: str = "zero_one"  # zero_one | plus_minus_one (the authors' code)
    device: str = runtime_field("auto")  # auto | cpu | cuda
    checkpoint_dir: str | None = runtime_field(None)  # one folder per run; resumed from
    progress: bool = runtime_field(True)

    def check(self) -> None:
        """One-line ConfigErrors for values no run can use."""
        if self.precision not in sampler.PRECISIONS:
            raise ConfigError(
                f"model.precision must be one of {sampler.PRECISIONS}, got {self.precision!r}"
            )
        positive = ("channels", "n_layers", "n_heads", "diffusion_embedding_dim",
                    "column_embedding_dim", "feature_embedding_dim", "ff_dim", "num_steps",
                    "epochs", "batch_size", "n_impute_samples", "mlp_width",
                    "mlp_depth")  # fmt: skip
        for key in positive:
            if getattr(self, key) <= 0:
                raise ConfigError(f"model.{key} must be positive, got {getattr(self, key)}")
        if self.channels % self.n_heads:
            raise ConfigError(
                f"model.channels ({self.channels}) must be a multiple of model.n_heads "
                f"({self.n_heads})"
            )
        if self.denoiser not in DENOISERS:
            raise ConfigError(f"model.denoiser must be one of {DENOISERS}, got {self.denoiser!r}")
        if self.train_steps < 0:
            raise ConfigError(f"model.train_steps must be 0 (use epochs) or more, got "
                              f"{self.train_steps}")  # fmt: skip
        if not 0.0 <= self.ema_decay < 1.0:
            raise ConfigError(f"model.ema_decay must be in [0, 1), got {self.ema_decay}")
        if self.max_batch < 0:
            raise ConfigError(f"model.max_batch must be positive or 0 (auto), got {self.max_batch}")
        if not 0.0 <= self.dropout < 1.0:
            raise ConfigError(f"model.dropout must be in [0, 1), got {self.dropout}")
        if self.lr <= 0:
            raise ConfigError(f"model.lr must be positive, got {self.lr}")
        if not 0.0 < self.beta_start < self.beta_end < 1.0:
            raise ConfigError(
                "model.beta_start and beta_end must satisfy 0 < beta_start < beta_end < 1, got "
                f"{self.beta_start} and {self.beta_end}"
            )


class DiffusionModel(TabularModel):
    """A diffusion model on the encoded table. `completion` says what happens to missing entries
    before training: none (MissDiff: masked out of the loss), delete or mean (the variants)."""

    capabilities: ClassVar[frozenset[str]] = frozenset({"impute", "sample"})
    name: ClassVar[str] = "diffusion"
    # True for a conditional network (CSDI_T): the samplers then pass the conditioning inputs.
    conditional: ClassVar[bool] = False
    completion: ClassVar[str] = "none"

    def __init__(self, cfg: DiffusionConfig):
        super().__init__()
        cfg.check()
        self.cfg = cfg
        self.encoder: TabularEncoder | None = None
        self.net: EpsNetwork | None = None
        self.schedule = VPSchedule(cfg.num_steps, cfg.beta_start, cfg.beta_end)
        self.device = torch.device("cpu")
        # Called after every optimiser step with (steps, network); see train.train.
        self.on_step: Callable[[int, torch.nn.Module], None] | None = None

    # -- training -----------------------------------------------------------------------------
    def training_table(self, data: pd.DataFrame) -> tuple[pd.DataFrame, bool]:
        """The table the network is trained on, and whether its NaNs are masked out of the loss."""
        if self.completion == "none":
            return data, True
        return complete(data, self._fitted_schema(), self.completion, self.name), False

    def _fit(self, data: pd.DataFrame, rng: np.random.Generator) -> None:
        cfg = self.cfg
        schema = self._fitted_schema()
        self.device = torch.device(resolve_device(cfg.device))
        # The encoder learns its scaling and categories from every observed value (the variants
        # included), so test rows never hold a category it has not seen.
        encoder = TabularEncoder(schema, scaling=cfg.scaling, onehot=cfg.onehot)  # type: ignore[arg-type]
        self.encoder = encoder.fit(data)
        table, masked = self.training_table(data)
        x0, mask = self.encoder.transform(table)
        if not masked:
            mask = np.ones_like(mask)
        init_seed, train_seed = torch_seed(rng), torch_seed(rng)
        self.net = self._build_network(self.encoder.width, torch.Generator().manual_seed(init_seed))
        self.net.to(self.device)
        generator = torch.Generator(device=self.device).manual_seed(train_seed)
        checkpoint = None
        if cfg.checkpoint_dir is not None:
            checkpoint = Path(cfg.checkpoint_dir) / f"{self.name}.pt"
        settings = TrainSettings(
            cfg.epochs, cfg.batch_size, cfg.lr, cfg.weight_decay, cfg.progress,
            steps=cfg.train_steps, ema_decay=cfg.ema_decay,
        )  # fmt: skip
        losses = train(
            self.net,
            self.schedule,
            torch.from_numpy(x0),
            torch.from_numpy(mask),
            settings,
            generator,
            checkpoint_path=checkpoint,
            fingerprint=self._fingerprint(x0, mask, init_seed, train_seed),
            loss_fn=self.batch_loss,
            on_step=self.on_step,
        )
        self.history = {"train_loss": losses}

    def batch_loss(
        self,
        net: EpsNetwork,
        schedule: VPSchedule,
        x0: torch.Tensor,
        mask: torch.Tensor,
        t: torch.Tensor,
        eps: torch.Tensor,
        generator: torch.Generator,
    ) -> torch.Tensor:
        """One batch's training loss: Algorithm 1's masked loss (a subclass may redefine it)."""
        return missdiff_loss(net, schedule, x0, mask, t, eps, generator)

    def _build_network(
        self, width: int, generator: torch.Generator, in_channels: int = 1,
        extra_side_channels: int = 0,
    ) -> EpsNetwork | MLPDenoiser:  # fmt: skip
        """The denoiser the config names; CSDI_T asks for its extra input and side channels."""
        cfg = self.cfg
        if cfg.denoiser == "mlp":
            return MLPDenoiser(
                n_columns=width,
                num_steps=cfg.num_steps,
                width=cfg.mlp_width,
                depth=cfg.mlp_depth,
                step_dim=cfg.diffusion_embedding_dim,
                in_channels=in_channels,
                extra_side_channels=extra_side_channels,
                dropout=cfg.dropout,
                generator=generator,
            )
        return EpsNetwork(
            n_columns=width,
            num_steps=cfg.num_steps,
            channels=cfg.channels,
            n_layers=cfg.n_layers,
            n_heads=cfg.n_heads,
            diffusion_embedding_dim=cfg.diffusion_embedding_dim,
            column_embedding_dim=cfg.column_embedding_dim,
            feature_embedding_dim=cfg.feature_embedding_dim,
            in_channels=in_channels,
            extra_side_channels=extra_side_channels,
            ff_dim=cfg.ff_dim,
            dropout=cfg.dropout,
            generator=generator,
        )

    def _fingerprint(self, x0: np.ndarray, mask: np.ndarray, *seeds: int) -> str:
        """Digest of what determines the trained weights: a checkpoint resumes only on a match."""
        h = hashlib.sha256()
        # The device type too: CPU and CUDA generators have different random streams and states.
        key = [self.name, training_settings(self.cfg), list(seeds), self.device.type]
        h.update(digest(key).encode())
        h.update(np.ascontiguousarray(x0).tobytes())
        h.update(np.packbits(mask).tobytes())
        return h.hexdigest()

    # -- saving -------------------------------------------------------------------------------
    def state(self) -> dict:
        """The fitted model as tensors and plain values (torch.save; weights_only loading)."""
        encoder, net = self._trained()
        return {"encoder": encoder.state(), "net": net.state_dict()}

    def load_state(self, state: dict, schema: Schema) -> DiffusionModel:
        """Restore what `state()` saved: the model imputes and samples without its training data."""
        self.schema = schema
        self.device = torch.device(resolve_device(self.cfg.device))
        self.encoder = TabularEncoder.from_state(state["encoder"], schema)
        self.net = self._build_network(self.encoder.width, torch.Generator().manual_seed(0))
        self.net.load_state_dict(state["net"])
        self.net.to(self.device).eval()
        return self

    # -- inference ----------------------------------------------------------------------------
    @property
    def max_batch(self) -> int:
        """(row, draw) pairs per network call at inference."""
        if self.cfg.max_batch > 0:
            return self.cfg.max_batch
        if self.device.type == "cuda":
            return 8192
        # The backbone's attention is fastest in small cache-resident chunks on a CPU; the MLP's
        # matrix products on whole rows run best in large ones.
        return 4096 if self.cfg.denoiser == "mlp" else 128

    def _trained(self) -> tuple[TabularEncoder, EpsNetwork]:
        if self.encoder is None or self.net is None:
            raise MissDiffError(f"model {self.name!r} must be fitted first")
        return self.encoder, self.net

    def _impute(
        self, data: pd.DataFrame, rng: np.random.Generator, n_draws: int | None
    ) -> Imputation:
        encoder, net = self._trained()
        schema = self._fitted_schema()
        n_draws = self.cfg.n_impute_samples if n_draws is None else n_draws
        if n_draws <= 0:
            raise MissDiffError(f"number of imputation draws must be positive, got {n_draws}")
        index = data.index
        data = data.reset_index(drop=True)
        x_obs, mask = encoder.transform(data, unknown="missing")
        generator = torch.Generator(device=self.device).manual_seed(torch_seed(rng))
        draws = sampler.impute(
            net,
            self.schedule,
            torch.from_numpy(x_obs),
            torch.from_numpy(mask),
            n_draws,
            generator,
            max_batch=self.max_batch,
            precision=self.cfg.precision,
            progress=self.cfg.progress,
            compile=self.cfg.compile,
            conditional=self.conditional,
        ).numpy()
        observed = data.notna().to_numpy()
        decoded = [encoder.inverse_transform(d).where(~observed, data) for d in draws]
        completed = aggregate(data, decoded, schema, encoder.categories)
        completed.index = index
        for df in decoded:
            df.index = index
        return Imputation(completed, decoded)

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        encoder, net = self._trained()
        generator = torch.Generator(device=self.device).manual_seed(torch_seed(rng))
        x = sampler.generate(
            net,
            self.schedule,
            n,
            encoder.width,
            generator,
            batch_size=self.max_batch,
            precision=self.cfg.precision,
            progress=self.cfg.progress,
            compile=self.cfg.compile,
            conditional=self.conditional,
        )
        return encoder.inverse_transform(x.numpy())


class MissDiff(DiffusionModel):
    """MissDiff: trained on the incomplete table with the masked loss (Algorithm 1)."""

    name: ClassVar[str] = "missdiff"
    completion: ClassVar[str] = "none"


class DiffDelete(DiffusionModel):
    """Diff-delete: incomplete rows are deleted, then a diffusion model is trained."""

    name: ClassVar[str] = "diff_delete"
    completion: ClassVar[str] = "delete"


class DiffMean(DiffusionModel):
    """Diff-mean: mean/mode imputation, then a diffusion model trained on the filled table."""

    name: ClassVar[str] = "diff_mean"
    completion: ClassVar[str] = "mean"
