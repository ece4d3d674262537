"""MissDiff's training objective: denoising score matching restricted to observed entries."""

from __future__ import annotations

import torch
from torch import Tensor


def masked_eps_loss(eps: Tensor, eps_hat: Tensor, mask: Tensor) -> Tensor:
    """sum(((eps - eps_hat) * m)^2) / max(sum(m), 1): Eq. 4 in its epsilon form.

    This is what makes MissDiff MissDiff (Algorithm 1, line 6): the squared error between the
    true and predicted noise counts only where the entry was observed (m = 1), so missing
    entries contribute neither to the loss nor to its gradient, and the learned score is the
    complete-data score (Theorem 3.2). The normalisation by the number of observed entries
    (not by the batch size) follows the authors' code.

    Missing entries still enter the network: a missing continuous value is 0 in x0 and a
    missing categorical is its encoder's "missing" category, and both are then noised like any
    other entry (Appendix C.4), so the input has a fixed width. The encoder masks the WHOLE
    one-hot block of a missing categorical (real categories and the "missing" slot), so no
    one-hot bit of a missing value is ever a target.

    eps, eps_hat: (B, L) noise and its prediction; mask: (B, L) bool or 0/1, True = observed.
    With an all-ones mask this is the ordinary DDPM loss (mean squared error).
    """
    if eps.shape != eps_hat.shape or eps.shape != mask.shape:
        raise ValueError(
            f"shapes differ: eps {tuple(eps.shape)}, eps_hat {tuple(eps_hat.shape)}, "
            f"mask {tuple(mask.shape)}"
        )
    # In float32 even when the network ran under bf16 autocast.
    m = mask.to(torch.float32)
    residual = (eps.float() - eps_hat.float()) * m
    return residual.pow(2).sum() / torch.clamp(m.sum(), min=1.0)
