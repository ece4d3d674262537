"""STaSy's training objective: VE denoising score matching per row, weighted by self-paced
learning (Kim, Lee & Park 2023, sec. 3.2).

A row's loss is the continuous-time denoising score matching loss with the standard VE weighting
lambda(t) = sigma(t)^2 (Song et al. 2021), ||sigma s_theta(x_t, t) + z||^2. Self-paced learning
trains on easy rows (small loss) first: a mini-batch's rows get weights v_i in [0, 1] from the
batch quantiles Q(alpha), Q(beta), and alpha, beta grow to 1 so the last steps use every row.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from baselines.stasy.sde import VESDE


def denoising_losses(net: nn.Module, sde: VESDE, x0: Tensor, t: Tensor, z: Tensor) -> Tensor:
    """Per-row VE denoising score matching loss with weight sigma^2: ||sigma s(x_t) + z||^2."""
    sigma = sde.sigma(t)
    score = net(x0 + sigma[:, None] * z, sigma)
    return ((sigma[:, None] * score + z) ** 2).sum(1)


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


def spl_loss(
    losses: Tensor, progress: float, alpha0: float, beta0: float, full_at: float
) -> Tensor:
    """The self-paced batch loss at a training progress: sum(v_i l_i) / sum(v_i).

    Normalised by the weight sum, so the loss scale does not shrink as rows drop out.
    """
    alpha, beta = spl_thresholds(progress, alpha0, beta0, full_at)
    v = spl_weights(losses, alpha, beta)
    return (v * losses).sum() / v.sum()
