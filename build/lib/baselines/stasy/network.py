"""STaSy's score network s_theta(x, sigma) (Kim, Lee & Park 2023): a dense stack of FFJORD
ConcatSquash layers (Grathwohl et al. 2019) conditioned on time.

- time embedding: Gaussian Fourier features of log sigma -> Linear, ELU, Linear;
- each ConcatSquash layer (`Linear(h) * sigmoid(W_g e) + W_b e`, e the time embedding) sees the
  concatenation of the input and all previous layer outputs, then ELU;
- a ConcatSquash output layer to the data width, divided by sigma (the network predicts -z;
  NCSN++'s `scale_by_sigma`).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ConcatSquashLinear(nn.Module):
    """FFJORD's ConcatSquash layer: `Linear(x) * sigmoid(W_g e) + W_b e` for a context e.

    STaSy conditions every layer on the time embedding e this way: a gate per output unit and a
    time-dependent shift (the shift has no bias of its own; `Linear(x)` has one).
    """

    def __init__(self, dim_in: int, dim_out: int, dim_ctx: int, device: str | None = None):
        super().__init__()
        self.layer = nn.Linear(dim_in, dim_out, device=device)
        self.gate = nn.Linear(dim_ctx, dim_out, device=device)
        self.shift = nn.Linear(dim_ctx, dim_out, bias=False, device=device)

    def forward(self, x: Tensor, ctx: Tensor) -> Tensor:
        return self.layer(x) * torch.sigmoid(self.gate(ctx)) + self.shift(ctx)


class StasyScoreNet(nn.Module):
    """s_theta(x, sigma): STaSy's ConcatSquash MLP with dense (concatenated) inputs.

    Layer k sees [x, h_1, ..., h_{k-1}] and outputs h_k = ELU(ConcatSquash_k(., e(sigma))); the
    output ConcatSquash layer maps [x, h_1, ..., h_K] to the data width and is divided by sigma.
    Built on the meta device; `init_parameters` fills it from a torch.Generator, so building a
    network never touches torch's global random state.
    """

    def __init__(
        self,
        data_dim: int,
        hidden_dims: list[int],
        fourier_dim: int = 64,
        fourier_scale: float = 16.0,
        time_embed_dim: int = 256,
    ) -> None:
        super().__init__()
        self.data_dim, self.fourier_scale = data_dim, float(fourier_scale)
        meta = "meta"
        self.register_buffer("freqs", torch.empty(fourier_dim, device=meta))
        self.embed1 = nn.Linear(2 * fourier_dim, time_embed_dim, device=meta)
        self.embed2 = nn.Linear(time_embed_dim, time_embed_dim, device=meta)
        layers, width = [], data_dim
        for h in hidden_dims:
            layers.append(ConcatSquashLinear(width, h, time_embed_dim, device=meta))
            width += h
        self.layers = nn.ModuleList(layers)
        self.out = ConcatSquashLinear(width, data_dim, time_embed_dim, device=meta)

    def init_parameters(self, generator: torch.Generator) -> StasyScoreNet:
        """PyTorch's default Linear init, U(+-1/sqrt(fan_in)), drawn from `generator` (on CPU)."""
        self.to_empty(device="cpu")
        with torch.no_grad():
            torch.nn.init.normal_(self.freqs, 0.0, self.fourier_scale, generator=generator)
            for module in self.modules():
                if isinstance(module, nn.Linear):
                    bound = 1.0 / math.sqrt(module.in_features)
                    torch.nn.init.uniform_(module.weight, -bound, bound, generator=generator)
                    if module.bias is not None:
                        torch.nn.init.uniform_(module.bias, -bound, bound, generator=generator)
        return self

    def time_embedding(self, sigma: Tensor) -> Tensor:
        # Gaussian Fourier features of log sigma (NCSN++ for VE SDEs conditions on log sigma).
        angles = 2 * math.pi * torch.log(sigma)[:, None] * self.freqs[None, :]
        e = torch.cat([torch.sin(angles), torch.cos(angles)], dim=1)
        return self.embed2(F.elu(self.embed1(e)))

    def forward(self, x: Tensor, sigma: Tensor) -> Tensor:
        ctx = self.time_embedding(sigma)
        h = x
        for layer in self.layers:
            h = torch.cat([h, F.elu(layer(h, ctx))], dim=1)
        return self.out(h, ctx) / sigma[:, None]
