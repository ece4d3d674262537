"""The discrete variance-preserving (VP) noise schedule of MissDiff (Appendix C.4).

Steps are numbered t = 1..T as in the paper's algorithm boxes. Every per-step tensor below has
length T + 1 and is indexed by t directly; index 0 stands for clean data (beta_0 = 0,
alpha_bar_0 = 1), so `alpha_bars[t - 1]` is valid for t = 1.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def quadratic_betas(num_steps: int, beta_start: float = 1e-4, beta_end: float = 0.5) -> Tensor:
    """beta_t = ((T-t)/(T-1) sqrt(beta_1) + (t-1)/(T-1) sqrt(beta_T))^2 for t = 1..T (C.4).

    Returns a float64 tensor of length T (entry t-1 is beta_t); the same schedule as CSDI/TabCSDI's
    "quad" schedule, linspace(sqrt(beta_1), sqrt(beta_T), T)^2.
    """
    if num_steps < 2:
        raise ValueError(f"num_steps must be at least 2, got {num_steps}")
    if not 0.0 < beta_start < beta_end < 1.0:
        raise ValueError(f"need 0 < beta_start < beta_end < 1, got {beta_start}, {beta_end}")
    t = torch.arange(1, num_steps + 1, dtype=torch.float64)
    w = (t - 1) / (num_steps - 1)
    return ((1 - w) * math.sqrt(beta_start) + w * math.sqrt(beta_end)) ** 2


def randn_like(x: Tensor, generator: torch.Generator | None) -> Tensor:
    """Standard normal noise shaped like `x`, drawn from `generator` on the generator's device.

    Drawing on the generator's own device keeps a run's numbers the same whatever device the
    network runs on (a CPU generator feeding a CUDA model is fine).
    """
    device = generator.device if generator is not None else x.device
    noise = torch.randn(x.shape, generator=generator, device=device, dtype=torch.float32)
    return noise.to(device=x.device, dtype=x.dtype)


class VPSchedule:
    """betas, alphas = 1 - betas, alpha_bars = cumulative products; indexed by t = 0..T."""

    def __init__(self, num_steps: int = 100, beta_start: float = 1e-4, beta_end: float = 0.5):
        self.num_steps = num_steps
        self.beta_start = beta_start
        self.beta_end = beta_end
        betas = torch.cat(
            [torch.zeros(1, dtype=torch.float64), quadratic_betas(num_steps, beta_start, beta_end)]
        )
        alphas = 1.0 - betas
        alpha_bars = torch.cumprod(alphas, dim=0)
        # DDPM posterior variance of q(x_{t-1} | x_t, x_0); 0 at t = 1 where no noise is added.
        abar_prev = torch.cat([torch.ones(1, dtype=torch.float64), alpha_bars[:-1]])
        sigma2 = torch.zeros_like(betas)
        sigma2[1:] = (1.0 - abar_prev[1:]) / (1.0 - alpha_bars[1:]) * betas[1:]
        # Computed in float64, kept in float32 (the network's precision).
        self.betas = betas.float()
        self.alphas = alphas.float()
        self.alpha_bars = alpha_bars.float()
        self.sigmas = sigma2.sqrt().float()
        self._device = torch.device("cpu")

    def to(self, device: torch.device | str) -> VPSchedule:
        """Move the tables to `device` (in place) and return self."""
        device = torch.device(device)
        for name in ("betas", "alphas", "alpha_bars", "sigmas"):
            setattr(self, name, getattr(self, name).to(device))
        self._device = device
        return self

    @property
    def device(self) -> torch.device:
        return self._device

    # -- forward process --------------------------------------------------------------------
    def add_noise(self, x0: Tensor, eps: Tensor, t: Tensor) -> Tensor:
        """x_t = sqrt(abar_t) x0 + sqrt(1 - abar_t) eps (Algorithm 1, line 6, network input).

        `t` holds one step in 1..T per row (shape (B,)); x0 and eps are (B, ...).
        """
        abar = self.alpha_bars[t].to(x0.dtype).view(-1, *([1] * (x0.dim() - 1)))
        return abar.sqrt() * x0 + (1.0 - abar).sqrt() * eps

    def noise_observed(self, x0: Tensor, t_prev: int, generator: torch.Generator | None) -> Tensor:
        """Forward-noised observed values at level t-1 (Algorithm 2, lines 5-6).

        x^obs_{t-1} = sqrt(abar_{t-1}) x0 + sqrt(1 - abar_{t-1}) eps. The paper's line 6 prints
        (1 - abar_{t-1}) without the square root; the forward kernel q(x_{t-1} | x_0) has standard
        deviation sqrt(1 - abar_{t-1}), which is what the network was trained on, so we use it.
        At t_prev = 0 (the last step, t = 1) this returns x0 exactly (line 5: eps = 0).
        """
        if t_prev == 0:
            return x0
        abar = float(self.alpha_bars[t_prev])
        return math.sqrt(abar) * x0 + math.sqrt(1.0 - abar) * randn_like(x0, generator)

    # -- reverse process --------------------------------------------------------------------
    def step(
        self, eps_hat: Tensor, t: int, x_t: Tensor, generator: torch.Generator | None
    ) -> Tensor:
        """One ancestral step x_t -> x_{t-1} (Algorithm 3, line 5; Algorithm 2, line 8).

        x_{t-1} = (x_t - beta_t / sqrt(1 - abar_t) eps_hat) / sqrt(alpha_t) + sigma_t z,
        z ~ N(0, I) for t > 1 and z = 0 at t = 1 (Algorithm 3, line 4).

        The paper leaves sigma_t open. We use the DDPM posterior standard deviation
        sigma_t = sqrt((1 - abar_{t-1}) / (1 - abar_t) * beta_t) ("beta tilde" of Ho et al. 2020),
        as CSDI and TabCSDI (whose sampler the authors' code reuses) do: it is the exact variance
        of q(x_{t-1} | x_t, x_0), so a perfect noise predictor makes each step match the forward
        process; the other classical choice, sigma_t^2 = beta_t, over-disperses the final steps.
        """
        if not 1 <= t <= self.num_steps:
            raise ValueError(f"step t must be in 1..{self.num_steps}, got {t}")
        beta = float(self.betas[t])
        alpha = float(self.alphas[t])
        abar = float(self.alpha_bars[t])
        mean = (x_t - (beta / math.sqrt(1.0 - abar)) * eps_hat) / math.sqrt(alpha)
        if t == 1:
            return mean
        return mean + float(self.sigmas[t]) * randn_like(x_t, generator)
