"""CSDI_T (Zheng & Charoenphakdee 2022): the conditional score model MissDiff is compared with.

The same backbone, schedule, training loop and batched samplers as MissDiff
(missdiff/diffusion/), with two differences that make it conditional:

- the network gets two input channels, the conditioning values `x0 * c` and the noised targets
  `x_t * (1 - c)`, and the conditioning mask `c` as an extra side channel;
- training is self-supervised (TabCSDI's "random" target strategy): per row, a uniformly drawn
  share of the observed columns becomes the targets, the rest the conditioning set, and the loss
  counts the targets only. Targets are drawn per original column, so a categorical column's
  one-hot block is hidden or shown as a whole.

Imputation conditions on every observed entry (`c` = the observed mask) and takes the median of
the draws, as TabCSDI did. Generation (Remark 4.1) has nothing to condition on: `c` = 0, a
situation the network never met in training — the train/generation mismatch the paper names.
"""

from __future__ import annotations

from typing import ClassVar

import torch
from torch import Tensor, nn

from missdiff.diffusion.loss import masked_eps_loss
from missdiff.diffusion.network import EpsNetwork
from missdiff.diffusion.schedule import VPSchedule
from missdiff.models.diffusion import DiffusionConfig, DiffusionModel


class CsdiT(DiffusionModel):
    """CSDI_T: conditional diffusion trained by hiding a random share of each row's entries."""

    name: ClassVar[str] = "csdi_t"
    conditional: ClassVar[bool] = True

    def __init__(self, cfg: DiffusionConfig):
        super().__init__(cfg)
        self._column_of: Tensor | None = None

    def _build_network(self, width: int, generator: torch.Generator, **_: int) -> nn.Module:
        net = super()._build_network(width, generator, in_channels=2, extra_side_channels=1)
        encoder = self.encoder
        assert encoder is not None
        # Encoded position -> original column, to draw targets per column.
        column_of = torch.empty(width, dtype=torch.long)
        for j, sl in enumerate(encoder.column_slices.values()):
            column_of[sl] = j
        self._column_of = column_of
        return net

    def batch_loss(
        self,
        net: EpsNetwork,
        schedule: VPSchedule,
        x0: Tensor,
        mask: Tensor,
        t: Tensor,
        eps: Tensor,
        generator: torch.Generator,
    ) -> Tensor:
        cond = self.conditioning_mask(mask, generator)
        target = mask & ~cond
        x_t = schedule.add_noise(x0, eps, t)
        c = cond.float()
        eps_hat = net(x_t * (1.0 - c), t, cond=x0 * c, side=c.unsqueeze(-1))
        return masked_eps_loss(eps, eps_hat, target)

    def conditioning_mask(self, mask: Tensor, generator: torch.Generator) -> Tensor:
        """Per row, keep a random share of the observed columns as conditions (the rest: targets).

        TabCSDI's "random" strategy: ratio ~ U(0, 1) per row, round(ratio * n_observed) observed
        columns become targets, chosen uniformly among the observed ones.
        """
        assert self._column_of is not None
        column_of = self._column_of.to(mask.device)
        n_cols = int(column_of.max()) + 1
        # A column is observed when its encoded positions are (a categorical block as a whole).
        col_obs = torch.zeros(mask.shape[0], n_cols, dtype=torch.bool, device=mask.device)
        col_obs.scatter_reduce_(1, column_of.expand_as(mask), mask, reduce="amax")
        rows = mask.shape[0]
        dev = generator.device
        scores = torch.rand(rows, n_cols, generator=generator, device=dev).to(mask.device)
        ratio = torch.rand(rows, 1, generator=generator, device=dev).to(mask.device)
        scores = torch.where(col_obs, scores, torch.full_like(scores, 2.0))  # never a target
        k = torch.round(col_obs.sum(1, keepdim=True) * ratio)
        rank = scores.argsort(dim=1).argsort(dim=1)
        target_col = (rank < k) & col_obs
        cond_col = col_obs & ~target_col
        return cond_col[:, column_of]
