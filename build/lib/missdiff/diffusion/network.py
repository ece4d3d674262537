"""The noise-prediction network eps_theta(x_t, t): a CSDI_T-style backbone (TabCSDI, Zheng &
Charoenphakdee 2022), which the paper follows (Appendix C.4).

A row of the encoded table is a sequence of L tokens, one per encoded column; each residual block
attends across the columns. Layout is channels-last, (B, L, C), throughout, so the 1x1
convolutions of the reference are `nn.Linear` on the last axis and the attention needs no
permute copies. The side information does not depend on the row, so its projection is computed
once per call for the L columns rather than for every row of the batch.

Architecture (as in TabCSDI; our own code):
- input projection: in_channels -> C, ReLU (in_channels = 1 unconditional; CSDI_T passes 2);
- diffusion-step embedding: sinusoidal(128) -> Linear+SiLU -> Linear+SiLU; each block adds a
  Linear projection of it to every token;
- side information per column: a sinusoidal code of the column index (`column_embedding_dim`)
  concatenated with a learned per-column embedding (`feature_embedding_dim`; TabCSDI's grid has
  a single "feature", so its learned vector is shared by all columns: ours is per column), plus
  optional per-row side channels (`extra_side_channels`, e.g. CSDI_T's conditioning mask);
- `n_layers` residual blocks: transformer encoder layer across columns (d_model = C, `n_heads`,
  feed-forward 64, GELU) -> Linear C->2C plus Linear of the side info -> sigmoid(gate) *
  tanh(filter) -> Linear C->2C split into residual and skip; output (x + residual) / sqrt(2);
- skips summed / sqrt(n_layers) -> Linear C->C -> ReLU -> zero-initialised Linear C->1.

Every output column sees every input column through the attention (tests/test_dependence.py),
but this backbone learns the dependence between columns slowly: on the Bayesian network of
Figure 1 it has the marginals after ~2,000 steps and a good part of the dependence only after
~20,000, where a plain MLP on the whole row gets there in ~2,000 (results/NOTES.md,
"Dependence between columns"). Budgets far below the paper's 250 epochs learn marginals only.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


def sinusoidal_embedding(positions: Tensor, dim: int, max_period: float = 10_000.0) -> Tensor:
    """(N,) positions -> (N, dim) [sin(p w_i), cos(p w_i)], w_i = max_period^(-2i/dim)."""
    if dim % 2:
        raise ValueError(f"sinusoidal embedding dimension must be even, got {dim}")
    half = dim // 2
    freqs = torch.exp(-math.log(max_period) * torch.arange(half, dtype=torch.float64) * 2 / dim)
    angles = positions.double()[:, None] * freqs[None, :]
    return torch.cat([angles.sin(), angles.cos()], dim=1).float()


def tagged_linear(n_in: int, n_out: int, init: str = "default", bias: bool = True) -> nn.Linear:
    """nn.Linear tagged with how `EpsNetwork.reset_parameters` initialises it.

    "default": PyTorch's (uniform +-1/sqrt(fan_in) for weight and bias); "kaiming": Kaiming-
    normal weight (TabCSDI's 1x1 convolutions); "xavier": Xavier-uniform weight and zero bias
    (nn.MultiheadAttention's in-projection); "zero": all zeros.
    """
    layer = nn.Linear(n_in, n_out, bias=bias)
    layer.init_kind = init  # type: ignore[assignment]
    return layer


@torch.no_grad()
def init_parameters(net: nn.Module, generator: torch.Generator | None = None) -> None:
    """(Re)initialise every parameter of `net` from `generator` (a CPU generator; None: global RNG).

    Same distributions as the PyTorch modules' own initialisation (or as `tagged_linear`'s tag
    says), drawn from an explicit generator so that initial weights depend only on the seed.
    """
    for module in net.modules():
        if isinstance(module, nn.Linear):
            kind = getattr(module, "init_kind", "default")
            fan_in = module.in_features
            w, b = module.weight, module.bias
            bound = 1.0 / math.sqrt(fan_in)
            if kind == "zero":
                w.zero_()
            elif kind == "kaiming":
                w.normal_(0.0, math.sqrt(2.0 / fan_in), generator=generator)
            elif kind == "xavier":
                a = math.sqrt(6.0 / (fan_in + module.out_features))
                w.uniform_(-a, a, generator=generator)
            else:
                w.uniform_(-bound, bound, generator=generator)
            if b is not None:
                if kind in ("zero", "xavier", "zero_bias"):
                    b.zero_()
                else:
                    b.uniform_(-bound, bound, generator=generator)
        elif isinstance(module, nn.LayerNorm):
            module.weight.fill_(1.0)
            module.bias.zero_()
        elif isinstance(module, nn.Embedding):
            module.weight.normal_(0.0, 1.0, generator=generator)


class StepEmbedding(nn.Module):
    """t -> sinusoidal code (table for t = 0..T) -> Linear+SiLU -> Linear+SiLU."""

    def __init__(self, num_steps: int, dim: int = 128):
        super().__init__()
        # Frequencies 10^(4 i / (half - 1)) over the integer step, as in DiffWave/CSDI.
        half = dim // 2
        freqs = 10.0 ** (torch.arange(half, dtype=torch.float64) * 4.0 / max(half - 1, 1))
        angles = torch.arange(num_steps + 1, dtype=torch.float64)[:, None] * freqs[None, :]
        table = torch.cat([angles.sin(), angles.cos()], dim=1).float()
        self.register_buffer("table", table, persistent=False)
        self.proj1 = tagged_linear(dim, dim)
        self.proj2 = tagged_linear(dim, dim)

    def forward(self, t: Tensor) -> Tensor:
        h = F.silu(self.proj1(self.table[t]))
        return F.silu(self.proj2(h))


def seeded_dropout(
    x: Tensor, p: float, training: bool, generator: torch.Generator | None
) -> Tensor:
    """Inverted dropout whose mask comes from `generator` (F.dropout would use global state).

    Masks are cut from 64-bit random words, four 16-bit lanes per word, which is about three
    times cheaper on CPU than one float draw per element (dropout was a third of a training
    step at 128 channels). The drop probability is p rounded to a multiple of 2^-16.
    """
    if not training or p == 0.0:
        return x
    if generator is None:
        return F.dropout(x, p, True)
    n = x.numel()
    words = torch.empty((n + 3) // 4, dtype=torch.int64, device=generator.device)
    words.random_(-(2**63), None, generator=generator)  # all 64 bits uniform
    dropped = round(p * 65536)
    keep = words.view(torch.int16)[:n].view(x.shape) >= dropped - 32768
    keep = keep.to(device=x.device, dtype=x.dtype)
    return x * keep * (65536.0 / (65536 - dropped))


class ColumnTransformerLayer(nn.Module):
    """Post-norm transformer encoder layer across the columns of a row.

    The same computation as `nn.TransformerEncoderLayer(d_model=C, nhead, dim_feedforward,
    dropout, activation="gelu", batch_first=True)` (TabCSDI's layer; dropout on the attention
    weights, after attention, inside and after the feed-forward), written out so that
    (a) q, k, v are views of one projection fed to fused scaled-dot-product attention without
    copies, which is faster on CPU than nn.MultiheadAttention, and (b) dropout masks come from an
    explicit generator (`EpsNetwork.dropout_generator`), keeping training reproducible without
    global seeding.
    """

    def __init__(self, channels: int, n_heads: int, ff_dim: int, dropout: float):
        super().__init__()
        self.n_heads = n_heads
        self.p = dropout
        self.qkv = tagged_linear(channels, 3 * channels, "xavier")
        # nn.MultiheadAttention zeroes its output-projection bias.
        self.attn_out = tagged_linear(channels, channels, "zero_bias")
        self.norm1 = nn.LayerNorm(channels)
        self.ff1 = tagged_linear(channels, ff_dim)
        self.ff2 = tagged_linear(ff_dim, channels)
        self.norm2 = nn.LayerNorm(channels)
        self.generator: torch.Generator | None = None

    def forward(self, x: Tensor) -> Tensor:
        b, length, c = x.shape
        # (B, L, 3, H, d) -> three (B, H, L, d) strided views; no copy.
        q, k, v = (
            self.qkv(x).view(b, length, 3, self.n_heads, c // self.n_heads).permute(2, 0, 3, 1, 4)
        )
        drop = self.training and self.p > 0.0
        if drop:
            # Fused attention cannot take our generator for its dropout: spell it out.
            scores = torch.matmul(q, k.transpose(-2, -1)) * (1.0 / math.sqrt(c // self.n_heads))
            weights = seeded_dropout(scores.softmax(dim=-1), self.p, True, self.generator)
            a = torch.matmul(weights, v)
        else:
            a = F.scaled_dot_product_attention(q, k, v)
        a = a.transpose(1, 2).reshape(b, length, c)
        x = self.norm1(x + seeded_dropout(self.attn_out(a), self.p, drop, self.generator))
        h = seeded_dropout(F.gelu(self.ff1(x)), self.p, drop, self.generator)
        return self.norm2(x + seeded_dropout(self.ff2(h), self.p, drop, self.generator))


class ResidualBlock(nn.Module):
    def __init__(
        self,
        channels: int,
        step_dim: int,
        side_dim: int,
        extra_side_channels: int,
        n_heads: int,
        ff_dim: int,
        dropout: float,
    ):
        super().__init__()
        self.step_proj = tagged_linear(step_dim, channels)
        self.transformer = ColumnTransformerLayer(channels, n_heads, ff_dim, dropout)
        self.mid_proj = tagged_linear(channels, 2 * channels, "kaiming")
        # Side info = [static per-column part | per-row extra channels]; a 1x1 conv of the
        # concatenation equals the sum of two Linear maps, and the static part is projected once
        # per call (L rows) instead of once per batch row.
        self.side_proj = tagged_linear(side_dim, 2 * channels, "kaiming")
        self.extra_proj = (
            tagged_linear(extra_side_channels, 2 * channels, "kaiming", bias=False)
            if extra_side_channels
            else None
        )
        self.out_proj = tagged_linear(channels, 2 * channels, "kaiming")

    def forward(
        self, x: Tensor, step: Tensor, static_side: Tensor, extra_side: Tensor | None
    ) -> tuple[Tensor, Tensor]:
        # x (B, L, C); step (B, E); static_side (L, S); extra_side (B, L, S') or None.
        y = x + self.step_proj(step).unsqueeze(1)
        y = self.transformer(y)
        y = self.mid_proj(y) + self.side_proj(static_side)
        if self.extra_proj is not None:
            if extra_side is None:
                raise ValueError("this network needs `side` (extra side channels)")
            y = y + self.extra_proj(extra_side)
        gate, filt = y.chunk(2, dim=-1)
        y = self.out_proj(torch.sigmoid(gate) * torch.tanh(filt))
        residual, skip = y.chunk(2, dim=-1)
        return (x + residual) * (1.0 / math.sqrt(2.0)), skip


class EpsNetwork(nn.Module):
    """eps_theta: `forward(x_t (B, L), t (B,), cond=None, side=None) -> eps_hat (B, L)`.

    `cond` (B, L) or (B, L, in_channels - 1) are extra input channels placed before x_t (CSDI_T's
    conditional observations); `side` (B, L, extra_side_channels) are per-row side channels
    (CSDI_T's conditioning mask). Both are None for MissDiff's unconditional network.
    """

    def __init__(
        self,
        n_columns: int,
        num_steps: int,
        channels: int = 64,
        n_layers: int = 4,
        n_heads: int = 4,
        diffusion_embedding_dim: int = 128,
        column_embedding_dim: int = 128,
        feature_embedding_dim: int = 8,
        in_channels: int = 1,
        extra_side_channels: int = 0,
        ff_dim: int = 64,
        dropout: float = 0.1,
        generator: torch.Generator | None = None,
    ):
        super().__init__()
        if channels % n_heads:
            raise ValueError(f"channels ({channels}) must be divisible by n_heads ({n_heads})")
        self.n_columns = n_columns
        self.in_channels = in_channels
        self.n_layers = n_layers
        self.input_proj = tagged_linear(in_channels, channels, "kaiming")
        self.step_embedding = StepEmbedding(num_steps, diffusion_embedding_dim)
        column_code = sinusoidal_embedding(torch.arange(n_columns), column_embedding_dim)
        self.register_buffer("column_code", column_code, persistent=False)
        # TabCSDI's learned "feature" embedding; here one vector per encoded column.
        self.feature_embedding = nn.Embedding(n_columns, feature_embedding_dim)
        side_dim = column_embedding_dim + feature_embedding_dim
        self.blocks = nn.ModuleList(
            ResidualBlock(
                channels,
                diffusion_embedding_dim,
                side_dim,
                extra_side_channels,
                n_heads,
                ff_dim,
                dropout,
            )
            for _ in range(n_layers)
        )
        self.skip_proj = tagged_linear(channels, channels, "kaiming")
        # Zero-initialised output: the untrained network predicts eps_hat = 0.
        self.output = tagged_linear(channels, 1, "zero")
        self.reset_parameters(generator)

    def reset_parameters(self, generator: torch.Generator | None = None) -> None:
        init_parameters(self, generator)

    @property
    def dropout_generator(self) -> torch.Generator | None:
        """The generator every dropout mask is drawn from (None: PyTorch's global one)."""
        return self.blocks[0].transformer.generator if self.n_layers else None

    @dropout_generator.setter
    def dropout_generator(self, generator: torch.Generator | None) -> None:
        for block in self.blocks:
            block.transformer.generator = generator

    def forward(
        self, x_t: Tensor, t: Tensor, cond: Tensor | None = None, side: Tensor | None = None
    ) -> Tensor:
        if x_t.dim() != 2 or x_t.shape[1] != self.n_columns:
            raise ValueError(f"x_t must be (batch, {self.n_columns}), got {tuple(x_t.shape)}")
        h = x_t.unsqueeze(-1)
        if cond is not None:
            h = torch.cat([cond.unsqueeze(-1) if cond.dim() == 2 else cond, h], dim=-1)
        if h.shape[-1] != self.in_channels:
            raise ValueError(
                f"network expects {self.in_channels} input channels, got {h.shape[-1]}"
            )
        h = F.relu(self.input_proj(h))
        step = self.step_embedding(t)
        static_side = torch.cat([self.column_code, self.feature_embedding.weight], dim=1)
        skips: Tensor | None = None
        for block in self.blocks:
            h, skip = block(h, step, static_side, side)
            skips = skip if skips is None else skips + skip
        assert skips is not None
        h = F.relu(self.skip_proj(skips * (1.0 / math.sqrt(self.n_layers))))
        return self.output(h).squeeze(-1)
