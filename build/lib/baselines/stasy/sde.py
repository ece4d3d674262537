"""The variance-exploding SDE STaSy trains and samples with (Song et al. 2021, "Score-Based
Generative Modeling through SDEs"; STaSy sec. 2.2 uses the same VE SDE for tables).

sigma(t) = sigma_min (sigma_max / sigma_min)^t on t in [eps, 1]; STaSy's setting is sigma 0.01 ->
10 (StasyConfig.sigma_min / sigma_max).
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


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
        """sigma(t) per entry of t."""
        return self.sigma_min * torch.exp(t * self.log_ratio)

    def ode_drift(self, score: Tensor, sigma: Tensor) -> Tensor:
        """The probability-flow drift -sigma^2 log(r) * score, per row of `score`."""
        return -(sigma**2 * self.log_ratio)[:, None] * score

    def prior_logp(self, x: Tensor) -> Tensor:
        """log N(x; 0, sigma_max^2 I) per row (the VE prior at t = 1)."""
        d = x.shape[1]
        var = self.sigma_max**2
        return -0.5 * d * math.log(2 * math.pi * var) - (x**2).sum(1) / (2 * var)
