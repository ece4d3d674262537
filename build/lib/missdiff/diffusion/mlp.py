"""An MLP denoiser eps_theta(x_t, t) on the whole encoded row, in the style of TabDDPM (Kotelnikov
et al. 2023): an option beside the paper's attention backbone (missdiff/diffusion/network.py).

The paper's backbone (TabCSDI's) attends across columns and learns their dependence slowly: on
the Bayesian network and on Concrete it needs tens of thousands of steps before it leaves the
marginals, while an MLP that sees the whole row at once gets there an order of magnitude sooner
per CPU-minute (results/NOTES.md, "Convergence"). Same interface as `EpsNetwork`, so the loss,
the samplers and CSDI_T's conditioning work unchanged:

- input: the row's channels side by side, [cond (CSDI_T's conditioning values), x_t, side
  (CSDI_T's conditioning mask)], flattened to (B, L * channels) -> Linear to `width`;
- diffusion step: the backbone's StepEmbedding (sinusoidal -> Linear+SiLU -> Linear+SiLU),
  projected to `width` and added (TabDDPM adds its time embedding the same way);
- `depth` pre-norm residual blocks: h + Linear(Dropout(SiLU(Linear(LayerNorm(h)))));
- output: LayerNorm -> SiLU -> zero-initialised Linear to L (the untrained net predicts 0).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from missdiff.diffusion.network import (
    StepEmbedding,
    init_parameters,
    seeded_dropout,
    tagged_linear,
)


class ResidualMLPBlock(nn.Module):
    def __init__(self, width: int, dropout: float):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1 = tagged_linear(width, width)
        self.fc2 = tagged_linear(width, width)
        self.p = dropout
        self.generator: torch.Generator | None = None

    def forward(self, h: Tensor) -> Tensor:
        y = F.silu(self.fc1(self.norm(h)))
        y = seeded_dropout(y, self.p, self.training, self.generator)
        return h + self.fc2(y)


class MLPDenoiser(nn.Module):
    """eps_theta: `forward(x_t (B, L), t (B,), cond=None, side=None) -> eps_hat (B, L)`."""

    def __init__(
        self,
        n_columns: int,
        num_steps: int,
        width: int = 512,
        depth: int = 4,
        step_dim: int = 128,
        in_channels: int = 1,
        extra_side_channels: int = 0,
        dropout: float = 0.0,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        self.n_columns = n_columns
        self.in_channels = in_channels
        self.extra_side_channels = extra_side_channels
        self.input_proj = tagged_linear(n_columns * (in_channels + extra_side_channels), width)
        self.step_embedding = StepEmbedding(num_steps, step_dim)
        self.step_proj = tagged_linear(step_dim, width)
        self.blocks = nn.ModuleList(ResidualMLPBlock(width, dropout) for _ in range(depth))
        self.out_norm = nn.LayerNorm(width)
        self.output = tagged_linear(width, n_columns, "zero")
        init_parameters(self, generator)

    @property
    def dropout_generator(self) -> torch.Generator | None:
        return self.blocks[0].generator if len(self.blocks) else None

    @dropout_generator.setter
    def dropout_generator(self, generator: torch.Generator | None) -> None:
        for block in self.blocks:
            block.generator = generator

    def forward(
        self, x_t: Tensor, t: Tensor, cond: Tensor | None = None, side: Tensor | None = None
    ) -> Tensor:
        if x_t.dim() != 2 or x_t.shape[1] != self.n_columns:
            raise ValueError(f"x_t must be (batch, {self.n_columns}), got {tuple(x_t.shape)}")
        parts = [] if cond is None else [cond.reshape(len(x_t), -1)]
        parts.append(x_t)
        if side is not None:
            parts.append(side.reshape(len(x_t), -1))
        h = torch.cat(parts, dim=1)
        expected = self.n_columns * (self.in_channels + self.extra_side_channels)
        if h.shape[1] != expected:
            raise ValueError(f"network expects {expected} inputs per row, got {h.shape[1]}")
        h = self.input_proj(h) + self.step_proj(self.step_embedding(t))
        for block in self.blocks:
            h = block(h)
        return self.output(F.silu(self.out_norm(h)))
