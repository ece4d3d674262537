"""STaSy baseline (Kim, Lee & Park, "STaSy: Score-based Tabular data Synthesis", ICLR 2023).

The paper compares MissDiff with STaSy trained on completed data (section 4.2, Appendix C.4):
`stasy_delete` drops every row with a missing value, `stasy_mean` fills with column means / modes
(our `MeanMode`); both then train the same STaSy model. Our own code, written from the STaSy
paper's description and the notes in shared/notes/reference-implementations.md.

Components (STaSy section numbers refer to Kim et al. 2023):
- Data: continuous columns min-max scaled to [0, 1], categoricals one-hot 0/1 (STaSy sec. 4.1);
  generation takes the argmax per categorical block (STaSy's softmax then argmax) and inverts the
  scaling with clipping to the training range.
- SDE: variance exploding (Song et al. 2021), sigma(t) = sigma_min (sigma_max/sigma_min)^t on
  t in [eps, 1], sigma 0.01 -> 10; continuous-time denoising score matching with the standard VE
  weighting lambda(t) = sigma(t)^2, so a row's loss is ||sigma s_theta(x_t, t) + z||^2.
- Score network: time embedding = Gaussian Fourier features of log sigma -> Linear, ELU, Linear;
  a stack of ConcatSquash layers (FFJORD's `Linear(h) * sigmoid(W_g e) + W_b e`, e the time
  embedding), each fed the concatenation of the input and all previous layer outputs, ELU; a
  ConcatSquash output layer to the data width whose output is divided by sigma (the network
  predicts -z; NCSN++'s `scale_by_sigma`).
- Training (STaSy sec. 3.2): self-paced learning. Per-row losses l_i of a mini-batch get weights
  v_i = 1 if l_i <= Q(alpha), 0 if l_i >= Q(beta), (Q(beta) - l_i) / (Q(beta) - Q(alpha)) in
  between, Q the batch quantile; alpha, beta start at alpha0 = 0.3, beta0 = 0.95 and grow
  linearly with training progress to 1 (`spl_thresholds`), so the last steps use every row.
  Adam, linear lr warm-up, gradient-norm clipping, EMA of the weights (used for generation).
- Fine-tuning (STaSy sec. 3.3): the log-likelihood of every training row by the probability-flow
  ODE with Hutchinson's trace estimator (Rademacher probes); training then continues, without
  self-paced weights, on the rows whose log-likelihood is below the `finetune_quantile` quantile.
- Sampling: the probability-flow ODE from sigma_max to sigma_min. STaSy used scipy's adaptive
  RK45 (rtol = atol = 1e-5); we default to a fixed-step Heun solver (`sampler="heun"`) for a
  fixed, predictable cost, and offer `sampler="rk45"` for STaSy's adaptive solver.
"""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import ClassVar

import numpy as np
import pandas as pd
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from baselines.mean_mode import MeanMode
from missdiff.data.encoding import TabularEncoder
from missdiff.errors import MissDiffError, NotApplicableError
from missdiff.models.base import TabularModel, torch_seed

COMPLETIONS = ("delete", "mean")
SAMPLERS = ("euler", "heun", "rk45")
DEVICES = ("auto", "cpu", "cuda")

# Config fields that never change a result (also excluded from the checkpoint fingerprint).
_NON_RESULT_FIELDS = ("name", "device", "progress", "checkpoint_dir", "checkpoint_every")


@dataclass
class StasyConfig:
    """Hyperparameters of the STaSy baseline; defaults are the paper's STaSy setting (App. C.4).

    Fields:
        name: registry name ("stasy_delete" | "stasy_mean").
        completion: "delete" | "mean"; None = the variant's own (StasyDelete / StasyMean).
        hidden_dims: ConcatSquash layer widths (six layers, STaSy's size for small tables).
        fourier_dim, fourier_scale: Gaussian Fourier features of log sigma (2 * fourier_dim
            numbers; frequencies ~ N(0, fourier_scale^2), fixed).
        time_embed_dim: width of the time embedding each ConcatSquash layer is gated by.
        sigma_min, sigma_max, t_eps: VE SDE; training times t ~ U(t_eps, 1).
        lr, batch_size, epochs, warmup_steps, grad_clip, ema: optimisation (Adam). The paper ran
            1000 epochs for Tables 2/7 and 250 for Tables 18/19.
        spl, alpha0, beta0, spl_full_at: self-paced learning; alpha and beta reach 1 at training
            progress `spl_full_at` (fraction of all training steps).
        finetune_epochs (0 disables), finetune_lr (None = lr), finetune_quantile: rows with
            log-likelihood below this quantile are fine-tuned on; finetune_max_rows: score at most
            this many (randomly chosen) training rows (None = all; the likelihood is the costly
            part on a CPU).
        likelihood_steps, hutchinson_probes: fixed-step solver steps and Rademacher probes per
            row for the log-likelihood (the solver is `sampler`'s).
        sampler, n_sampling_steps, ode_rtol, ode_atol: probability-flow ODE solver ("euler" |
            "heun" fixed-step with n_sampling_steps steps, uniform in t = geometric in sigma;
            "rk45" adaptive with the tolerances).
        eval_batch_size: rows per chunk when sampling / scoring likelihoods.
        device: "auto" (CUDA when available) | "cpu" | "cuda".
        progress: tqdm bar over epochs.
        checkpoint_dir, checkpoint_every: save training state every that many epochs and resume
            from it when the data, seed and result-relevant config match.
    """

    name: str = "stasy_mean"
    completion: str | None = None
    hidden_dims: list[int] = field(default_factory=lambda: [256, 512, 1024, 1024, 512, 256])
    fourier_dim: int = 64
    fourier_scale: float = 16.0
    time_embed_dim: int = 256
    sigma_min: float = 0.01
    sigma_max: float = 10.0
    t_eps: float = 1e-5
    lr: float = 2e-3
    batch_size: int = 64
    epochs: int = 1000
    warmup_steps: int = 5000
    grad_clip: float = 1.0
    ema: float = 0.9999
    spl: bool = True
    alpha0: float = 0.3
    beta0: float = 0.95
    spl_full_at: float = 1.0
    finetune_epochs: int = 50
    finetune_lr: float | None = None
    finetune_quantile: float = 0.5
    finetune_max_rows: int | None = None
    likelihood_steps: int = 25
    hutchinson_probes: int = 1
    sampler: str = "heun"
    n_sampling_steps: int = 50
    ode_rtol: float = 1e-5
    ode_atol: float = 1e-5
    eval_batch_size: int = 4096
    device: str = "auto"
    progress: bool = False
    checkpoint_dir: str | None = None
    checkpoint_every: int = 10

    def validate(self) -> None:
        """Raise MissDiffError naming the first invalid field."""
        if self.completion is not None and self.completion not in COMPLETIONS:
            raise MissDiffError(f"completion must be one of {COMPLETIONS}, got {self.completion!r}")
        if self.sampler not in SAMPLERS:
            raise MissDiffError(f"sampler must be one of {SAMPLERS}, got {self.sampler!r}")
        if self.device not in DEVICES:
            raise MissDiffError(f"device must be one of {DEVICES}, got {self.device!r}")
        if not 0 < self.sigma_min < self.sigma_max:
            raise MissDiffError("need 0 < sigma_min < sigma_max")
        if not 0.0 <= self.alpha0 <= self.beta0 <= 1.0:
            raise MissDiffError("self-paced thresholds need 0 <= alpha0 <= beta0 <= 1")
        if not 0.0 < self.finetune_quantile <= 1.0:
            raise MissDiffError("finetune_quantile must be in (0, 1]")
        positive = ("batch_size", "n_sampling_steps", "likelihood_steps", "hutchinson_probes")
        for name in (*positive, "eval_batch_size", "checkpoint_every"):
            if getattr(self, name) < 1:
                raise MissDiffError(f"{name} must be at least 1")
        if self.epochs < 0 or self.finetune_epochs < 0:
            raise MissDiffError("epochs and finetune_epochs must be non-negative")
        if not self.hidden_dims:
            raise MissDiffError("hidden_dims needs at least one layer")


# --------------------------------------------------------------------------------- the SDE


class VESDE:
    """Variance-exploding SDE: dx = g(t) dw, sigma(t) = sigma_min (sigma_max / sigma_min)^t.

    Perturbation kernel x_t = x_0 + sigma(t) z; g(t)^2 = d sigma^2 / dt = 2 sigma^2 log(r),
    r = sigma_max / sigma_min. The probability-flow ODE (Song et al. 2021) is
    dx/dt = -g^2 / 2 * score = -sigma^2 log(r) * score.
    """

    def __init__(self, sigma_min: float, sigma_max: float) -> None:
        self.sigma_min, self.sigma_max = float(sigma_min), float(sigma_max)
        self.log_ratio = math.log(sigma_max / sigma_min)

    def sigma(self, t: Tensor) -> Tensor:
        return self.sigma_min * torch.exp(t * self.log_ratio)

    def ode_drift(self, score: Tensor, sigma: Tensor) -> Tensor:
        return -(sigma**2 * self.log_ratio)[:, None] * score

    def prior_logp(self, x: Tensor) -> Tensor:
        """log N(x; 0, sigma_max^2 I) per row (the VE prior at t = 1)."""
        d = x.shape[1]
        var = self.sigma_max**2
        return -0.5 * d * math.log(2 * math.pi * var) - (x**2).sum(1) / (2 * var)


# --------------------------------------------------------------------------------- network


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


# ------------------------------------------------------------------------- self-paced learning


def spl_thresholds(
    progress: float, alpha0: float = 0.3, beta0: float = 0.95, full_at: float = 1.0
) -> tuple[float, float]:
    """Quantile levels (alpha, beta) of STaSy's self-paced learning at a training progress.

    progress in [0, 1] is the fraction of training steps done. Both levels grow linearly from
    (alpha0, beta0) at progress 0 to (1, 1) at progress `full_at` and stay there:
    alpha = alpha0 + (1 - alpha0) * min(progress / full_at, 1), likewise beta.
    """
    p = 1.0 if full_at <= 0 else min(max(progress / full_at, 0.0), 1.0)
    return alpha0 + (1.0 - alpha0) * p, beta0 + (1.0 - beta0) * p


def spl_weights(losses: Tensor, alpha: float, beta: float) -> Tensor:
    """Self-paced weights v_i in [0, 1] of per-row losses (STaSy eq. for v_i).

    v_i = 1 if l_i <= Q(alpha); 0 if l_i >= Q(beta); (Q(beta) - l_i) / (Q(beta) - Q(alpha)) in
    between, Q the quantile over the given losses (a mini-batch). Easy rows (small loss) are
    trained on first; alpha = beta = 1 gives every row weight 1.
    """
    loss = losses.detach().float()
    levels = torch.tensor([alpha, beta], dtype=loss.dtype, device=loss.device)
    q_alpha, q_beta = torch.quantile(loss, levels)
    span = (q_beta - q_alpha).clamp_min(torch.finfo(loss.dtype).tiny)
    ramp = ((q_beta - loss) / span).clamp(0.0, 1.0)
    return torch.where(loss <= q_alpha, torch.ones_like(loss), ramp)


# ----------------------------------------------------------------------------- ODE machinery

ODEFunc = Callable[[Tensor, float], Tensor]


def ode_solve(
    func: ODEFunc,
    y0: Tensor,
    t0: float,
    t1: float,
    method: str = "heun",
    n_steps: int = 50,
    rtol: float = 1e-5,
    atol: float = 1e-5,
) -> Tensor:
    """Integrate dy/dt = func(y, t) from t0 to t1; y is (n, k).

    "euler" / "heun" (explicit trapezoid, 2 evaluations a step): n_steps uniform steps in t.
    "rk45": scipy's adaptive Dormand-Prince on the flattened state in float64, as STaSy did.
    """
    if method == "rk45":
        from scipy.integrate import solve_ivp

        shape, device = y0.shape, y0.device

        def fun(t: float, y: np.ndarray) -> np.ndarray:
            state = torch.from_numpy(y.reshape(shape)).to(device=device, dtype=torch.float32)
            return func(state, float(t)).double().cpu().numpy().ravel()

        y_init = y0.double().cpu().numpy().ravel()
        sol = solve_ivp(fun, (t0, t1), y_init, method="RK45", rtol=rtol, atol=atol)
        if not sol.success:
            raise MissDiffError(f"the RK45 ODE solver failed: {sol.message}")
        return torch.from_numpy(sol.y[:, -1].reshape(shape)).to(device=device, dtype=y0.dtype)
    if method not in ("euler", "heun"):
        raise MissDiffError(f"unknown ODE solver {method!r}; choose one of {SAMPLERS}")
    ts = np.linspace(t0, t1, n_steps + 1)
    y = y0
    for t_a, t_b in itertools.pairwise(ts):
        h = float(t_b - t_a)
        d_a = func(y, float(t_a))
        y_euler = y + h * d_a
        y = y_euler if method == "euler" else y + 0.5 * h * (d_a + func(y_euler, float(t_b)))
    return y


ScoreFunc = Callable[[Tensor, Tensor], Tensor]


def probability_flow_sample(
    score_fn: ScoreFunc,
    sde: VESDE,
    x_T: Tensor,
    t_eps: float = 1e-5,
    method: str = "heun",
    n_steps: int = 50,
    rtol: float = 1e-5,
    atol: float = 1e-5,
) -> Tensor:
    """Solve the probability-flow ODE from t = 1 (x_T ~ N(0, sigma_max^2 I)) down to t_eps."""

    def drift(x: Tensor, t: float) -> Tensor:
        sigma = sde.sigma(torch.full((x.shape[0],), t, device=x.device, dtype=x.dtype))
        with torch.no_grad():
            return sde.ode_drift(score_fn(x, sigma), sigma)

    return ode_solve(drift, x_T, 1.0, t_eps, method, n_steps, rtol, atol)


def hutchinson_divergence(f: Tensor, x: Tensor, probes: Tensor) -> Tensor:
    """Per-row estimate of div_x f = tr(df/dx): mean over probes eps of eps^T (df/dx) eps.

    f must be computed from x with autograd on; probes is (k, n, d) with Rademacher entries
    (Hutchinson 1989; unbiased, and exact for a diagonal Jacobian).
    """
    if probes.shape[0] == 1:
        (vjp,) = torch.autograd.grad(f, x, probes[0])
        return (vjp * probes[0]).sum(1)
    # All probes in one vectorised backward pass (vmap over the grad outputs).
    (vjps,) = torch.autograd.grad(f, x, probes, is_grads_batched=True)
    return (vjps * probes).sum(2).mean(0)


def rademacher(shape: tuple[int, ...], generator: torch.Generator) -> Tensor:
    """+-1 entries with probability 1/2 each, drawn on the generator's device (float32)."""
    bits = torch.randint(0, 2, shape, generator=generator, device=generator.device)
    return bits.float() * 2.0 - 1.0


def log_likelihood(
    score_fn: ScoreFunc,
    sde: VESDE,
    x0: Tensor,
    generator: torch.Generator,
    n_probes: int = 1,
    t_eps: float = 1e-5,
    method: str = "heun",
    n_steps: int = 25,
    rtol: float = 1e-5,
    atol: float = 1e-5,
) -> Tensor:
    """Per-row log p_0(x0) under the model, by the probability-flow ODE (STaSy sec. 3.3).

    log p_0(x_0) = log p_T(x_T) + int_0^T div f(x_t, t) dt, integrated from t_eps to 1 on the
    state (x, accumulated divergence); div f by Hutchinson's estimator with `n_probes`
    Rademacher probes per row, fixed along the trajectory. In nats, on the encoded scale.
    """
    n, d = x0.shape
    probes = rademacher((n_probes, n, d), generator).to(x0.device)

    def rhs(state: Tensor, t: float) -> Tensor:
        x = state[:, :d].detach()
        sigma = sde.sigma(torch.full((n,), t, device=x.device, dtype=x.dtype))
        with torch.enable_grad():
            x.requires_grad_(True)
            f = sde.ode_drift(score_fn(x, sigma), sigma)
            div = hutchinson_divergence(f, x, probes)
        return torch.cat([f.detach(), div.detach()[:, None]], dim=1)

    state0 = torch.cat([x0, torch.zeros(n, 1, device=x0.device, dtype=x0.dtype)], dim=1)
    state1 = ode_solve(rhs, state0, t_eps, 1.0, method, n_steps, rtol, atol)
    return sde.prior_logp(state1[:, :d]) + state1[:, d]


# --------------------------------------------------------------------------------- the model


def resolve_device(name: str) -> torch.device:
    """Device: "auto" -> CUDA when available, else CPU; "cuda" without a GPU is a MissDiffError."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if name == "cuda" and not torch.cuda.is_available():
        raise MissDiffError("device=cuda was asked for but no CUDA device is available")
    return torch.device(name)


class Stasy(TabularModel):
    """STaSy trained on a completed table (row deletion or mean/mode filling), then sampled.

    `fit` completes the data, encodes it, trains with self-paced learning, optionally fine-tunes
    on low-likelihood rows; `sample` solves the probability-flow ODE with the EMA network.
    """

    capabilities: ClassVar[frozenset[str]] = frozenset({"sample"})
    name: ClassVar[str] = "stasy"
    completion_kind: ClassVar[str | None] = None

    def __init__(self, cfg: StasyConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or StasyConfig(name=self.name)
        self.cfg.validate()
        kind = self.completion_kind
        if kind is not None and self.cfg.completion not in (None, kind):
            raise MissDiffError(
                f"{self.name} completes by {kind!r}; drop completion={self.cfg.completion!r}"
            )
        self.completion = kind or self.cfg.completion
        if self.completion is None:
            raise MissDiffError("set completion to 'delete' or 'mean' (or use stasy_delete/mean)")
        self.sde = VESDE(self.cfg.sigma_min, self.cfg.sigma_max)
        self.encoder: TabularEncoder | None = None
        self.keep: np.ndarray | None = None
        self.net: StasyScoreNet | None = None
        self.ema_net: StasyScoreNet | None = None
        self.device = torch.device("cpu")

    # -- completion ----------------------------------------------------------------------------
    def complete(self, data: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
        """The table STaSy is trained on: complete rows only, or mean/mode filled."""
        schema = self._fitted_schema()
        if self.completion == "delete":
            kept = data.dropna().reset_index(drop=True)
            if len(kept) == 0:
                raise NotApplicableError(
                    f"{self.name}: no complete row is left after deleting rows with missing values"
                )
            return kept
        imputer = MeanMode().fit(data, schema, rng)
        return imputer.impute(data, rng).completed

    # -- fitting -----------------------------------------------------------------------------
    def _fit(self, data: pd.DataFrame, rng: np.random.Generator) -> None:
        cfg = self.cfg
        completed = self.complete(data, rng)
        encoder = TabularEncoder(self._fitted_schema(), scaling="minmax", onehot="zero_one")
        encoder.fit(completed)
        x_full, _ = encoder.transform(completed)
        # After completion no entry is missing: the "missing" category dims are constant 0.
        keep = np.setdiff1d(np.arange(encoder.width), encoder.missing_category_index)
        self.encoder, self.keep = encoder, keep
        x_np = np.ascontiguousarray(x_full[:, keep])
        seeds = [torch_seed(rng) for _ in range(4)]  # init, batch order, noise, likelihood
        self.device = resolve_device(cfg.device)
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
        trainer = _Trainer(self, torch.from_numpy(x_np).to(self.device), gens[1:], seeds, x_np)
        self.history = trainer.run()
        self.net.eval()
        self.ema_net.eval()

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
    completion_kind: ClassVar[str | None] = "delete"


class StasyMean(Stasy):
    """STaSy-mean: STaSy trained on the table filled with column means / modes (paper sec. 4.2)."""

    name: ClassVar[str] = "stasy_mean"
    completion_kind: ClassVar[str | None] = "mean"


MODELS: dict[str, type[Stasy]] = {"stasy_delete": StasyDelete, "stasy_mean": StasyMean}


# --------------------------------------------------------------------------------- training


def denoising_losses(net: nn.Module, sde: VESDE, x0: Tensor, t: Tensor, z: Tensor) -> Tensor:
    """Per-row VE denoising score matching loss with weight sigma^2: ||sigma s(x_t) + z||^2."""
    sigma = sde.sigma(t)
    score = net(x0 + sigma[:, None] * z, sigma)
    return ((sigma[:, None] * score + z) ** 2).sum(1)


class _Trainer:
    """Training (self-paced) then fine-tuning, with EMA, warm-up, clipping and checkpoints."""

    def __init__(
        self,
        model: Stasy,
        x: Tensor,
        gens: list[torch.Generator],
        seeds: list[int],
        x_np: np.ndarray,
    ) -> None:
        assert model.net is not None and model.ema_net is not None
        self.model, self.cfg, self.x = model, model.cfg, x
        self.net, self.ema_net = model.net, model.ema_net
        self.gen_order, self.gen_noise, self.gen_like = gens
        self.optim = torch.optim.Adam(self.net.parameters(), lr=self.cfg.lr)
        self.step = 0  # optimiser steps so far (warm-up and EMA count them)
        self.phase, self.epoch = "train", 0  # epochs done within the phase
        self.finetune_rows: Tensor | None = None
        self.history: dict[str, list[float]] = {"loss": [], "finetune_loss": []}
        self.steps_per_epoch = math.ceil(x.shape[0] / self.cfg.batch_size)
        self.total_train_steps = max(self.cfg.epochs * self.steps_per_epoch, 1)
        self.fingerprint = self._fingerprint(seeds, x_np)
        # One file per (data, seed, config): runs sharing a checkpoint_dir never collide.
        self.ckpt = (
            Path(self.cfg.checkpoint_dir) / f"{model.name}-{self.fingerprint}.pt"
            if self.cfg.checkpoint_dir
            else None
        )

    def _fingerprint(self, seeds: list[int], x_np: np.ndarray) -> str:
        relevant = {k: v for k, v in asdict(self.cfg).items() if k not in _NON_RESULT_FIELDS}
        blob = json.dumps({"cfg": relevant, "seeds": seeds, "kind": self.model.completion})
        digest = hashlib.sha256(blob.encode())
        digest.update(np.ascontiguousarray(x_np).tobytes())
        return digest.hexdigest()[:16]

    # -- run ---------------------------------------------------------------------------------
    def run(self) -> dict[str, list[float]]:
        cfg = self.cfg
        self._restore()
        bar = None
        if cfg.progress:
            from tqdm import tqdm

            bar = tqdm(total=cfg.epochs + cfg.finetune_epochs, desc=self.model.name)
            bar.update(self.epoch + (cfg.epochs if self.phase == "finetune" else 0))
        while self.phase == "train" and self.epoch < cfg.epochs:
            self.history["loss"].append(self._epoch(None, spl=cfg.spl))
            self._after_epoch(bar, self.history["loss"][-1])
        if cfg.finetune_epochs > 0:
            if self.phase == "train":
                self.phase, self.epoch = "finetune", 0
                self.finetune_rows = self._select_low_likelihood()
                # Fine-tuning continues at the full (post-warm-up) rate unless told otherwise.
                for group in self.optim.param_groups:
                    group["lr"] = cfg.lr if cfg.finetune_lr is None else cfg.finetune_lr
                self._save()
            while self.epoch < cfg.finetune_epochs:
                self.history["finetune_loss"].append(self._epoch(self.finetune_rows, spl=False))
                self._after_epoch(bar, self.history["finetune_loss"][-1])
        if bar is not None:
            bar.close()
        self.phase = "done"
        self._save()
        return self.history

    def _after_epoch(self, bar: object, loss: float) -> None:
        self.epoch += 1
        if bar is not None:
            bar.update(1)  # type: ignore[attr-defined]
            bar.set_postfix(phase=self.phase, loss=f"{loss:.3f}")  # type: ignore[attr-defined]
        if self.epoch % self.cfg.checkpoint_every == 0:
            self._save()

    def _epoch(self, rows: Tensor | None, spl: bool) -> float:
        """One pass over `rows` (None = all training rows) in shuffled mini-batches."""
        cfg = self.cfg
        n = self.x.shape[0] if rows is None else rows.shape[0]
        order = torch.randperm(n, generator=self.gen_order)
        if rows is not None:
            order = rows[order]
        self.net.train()
        total, count = torch.zeros((), device=self.x.device), 0
        for start in range(0, n, cfg.batch_size):
            idx = order[start : start + cfg.batch_size].to(self.x.device)
            x0 = self.x[idx]
            b = x0.shape[0]
            # Noise and times from the CPU generator: identical draws on any device.
            t = torch.rand(b, generator=self.gen_noise) * (1.0 - cfg.t_eps) + cfg.t_eps
            z = torch.randn(x0.shape, generator=self.gen_noise)
            losses = denoising_losses(
                self.net, self.model.sde, x0, t.to(x0.device), z.to(x0.device)
            )
            if spl:
                progress = (self.step + 1) / self.total_train_steps
                alpha, beta = spl_thresholds(progress, cfg.alpha0, cfg.beta0, cfg.spl_full_at)
                v = spl_weights(losses, alpha, beta)
                # Normalised by the weight sum, so the loss scale does not shrink as rows drop.
                loss = (v * losses).sum() / v.sum()
            else:
                loss = losses.mean()
            self._optimise(loss)
            total += losses.detach().sum()  # a tensor: no device sync per step
            count += b
        return float(total) / max(count, 1)

    def _optimise(self, loss: Tensor) -> None:
        cfg = self.cfg
        if self.phase == "train" and cfg.warmup_steps > 0:
            # Linear warm-up of the learning rate over the first warmup_steps steps.
            scale = min(1.0, (self.step + 1) / cfg.warmup_steps)
            for group in self.optim.param_groups:
                group["lr"] = cfg.lr * scale
        self.optim.zero_grad(set_to_none=True)
        loss.backward()
        if cfg.grad_clip > 0:
            torch.nn.utils.clip_grad_norm_(self.net.parameters(), cfg.grad_clip)
        self.optim.step()
        self.step += 1
        # EMA with the usual num-updates warm-up, so short runs are not stuck at the init.
        decay = min(cfg.ema, (1 + self.step) / (10 + self.step))
        with torch.no_grad():
            for e, p in zip(self.ema_net.parameters(), self.net.parameters(), strict=True):
                e.lerp_(p, 1.0 - decay)

    def _select_low_likelihood(self) -> Tensor:
        """Training rows whose log-likelihood is below the `finetune_quantile` quantile."""
        cfg = self.cfg
        n = self.x.shape[0]
        candidates = torch.arange(n)
        if cfg.finetune_max_rows is not None and cfg.finetune_max_rows < n:
            perm = torch.randperm(n, generator=self.gen_like)
            candidates = perm[: cfg.finetune_max_rows].sort().values
        self.ema_net.eval()
        logp = self.model.log_likelihood(self.x[candidates.to(self.x.device)], self.gen_like)
        self.history["finetune_logp_mean"] = [float(logp.mean())]
        threshold = torch.quantile(logp.double(), cfg.finetune_quantile)
        chosen = candidates[logp.double() <= threshold]
        chosen = chosen if len(chosen) else candidates
        self.history["finetune_rows"] = [float(len(chosen))]
        return chosen

    # -- checkpoints -------------------------------------------------------------------------
    def _state(self) -> dict[str, object]:
        return {
            "fingerprint": self.fingerprint,
            "phase": self.phase,
            "epoch": self.epoch,
            "step": self.step,
            "net": self.net.state_dict(),
            "ema_net": self.ema_net.state_dict(),
            "optim": self.optim.state_dict(),
            "gens": [g.get_state() for g in (self.gen_order, self.gen_noise, self.gen_like)],
            "finetune_rows": self.finetune_rows,
            "history": self.history,
        }

    def _save(self) -> None:
        if self.ckpt is None:
            return
        self.ckpt.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.ckpt.with_suffix(".tmp")
        torch.save(self._state(), tmp)
        os.replace(tmp, self.ckpt)  # atomic: a crash never leaves a half-written checkpoint

    def _restore(self) -> None:
        if self.ckpt is None or not self.ckpt.exists():
            return
        state = torch.load(self.ckpt, map_location=self.x.device, weights_only=False)
        if state.get("fingerprint") != self.fingerprint:
            return  # another run's checkpoint: start afresh (it is overwritten at the next save)
        self.net.load_state_dict(state["net"])
        self.ema_net.load_state_dict(state["ema_net"])
        self.optim.load_state_dict(state["optim"])
        for gen, gen_state in zip(
            (self.gen_order, self.gen_noise, self.gen_like), state["gens"], strict=True
        ):
            gen.set_state(gen_state.cpu())
        self.step, self.epoch, self.phase = state["step"], state["epoch"], state["phase"]
        rows = state["finetune_rows"]
        self.finetune_rows = None if rows is None else rows.cpu()
        self.history = state["history"]
        if self.phase == "done":
            self.phase, self.epoch = "finetune", self.cfg.finetune_epochs
            if self.cfg.finetune_epochs == 0:
                self.phase, self.epoch = "train", self.cfg.epochs
