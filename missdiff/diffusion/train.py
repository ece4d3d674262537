"""The training loop of Algorithm 1, with the optimiser and schedule of Appendix C.4.

Adam (lr 5e-4, weight decay 1e-6 as in the authors' code), MultiStepLR with gamma 0.1 at 25, 50,
75 and 90 % of the epochs, stepped once per epoch. Two options the paper does not have: a budget
in optimiser steps (the milestones then fall at those shares of the steps), and an exponential
moving average of the weights (torch's AveragedModel). Every random draw (row order, t, eps,
dropout masks) comes from one explicit torch.Generator, so a CPU run is reproducible for a given
seed and a resumed run continues exactly where the checkpoint left off.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from missdiff.diffusion.loss import masked_eps_loss
from missdiff.diffusion.network import EpsNetwork
from missdiff.diffusion.schedule import VPSchedule, randn_like
from missdiff.errors import MissDiffError
from missdiff.files import atomic_path

# loss_fn(net, schedule, x0, mask, t, eps, generator) -> scalar loss of one batch.
LossFn = Callable[[EpsNetwork, VPSchedule, Tensor, Tensor, Tensor, Tensor, torch.Generator], Tensor]

MILESTONE_FRACTIONS = (0.25, 0.5, 0.75, 0.9)
CHECKPOINT_VERSION = 1
# Seconds between checkpoints. Written after every epoch, a 9.7 MB checkpoint (MLP 256 x 4 with
# Adam and EMA state) took 22 ms: on a table of 125 complete rows (Diff-delete) 10,000 steps are
# 5,000 epochs, and the writes took 60 % of the training time.
CHECKPOINT_SECONDS = 60.0


def milestones(epochs: int) -> list[int]:
    """Epochs after which the learning rate is multiplied by 0.1 (C.4: 25/50/75/90 %)."""
    return sorted({max(1, int(f * epochs)) for f in MILESTONE_FRACTIONS})


def missdiff_loss(
    net: EpsNetwork,
    schedule: VPSchedule,
    x0: Tensor,
    mask: Tensor,
    t: Tensor,
    eps: Tensor,
    generator: torch.Generator,
) -> Tensor:
    """Algorithm 1, line 6: ||(eps - eps_theta(sqrt(abar_t) x0 + sqrt(1 - abar_t) eps, t)) * m||^2.

    The network sees the whole noised row, missing entries included (a missing continuous entry
    as 0 + noise, a missing categorical as its noised "na" category); only observed entries
    count in the loss. `generator` is unused here (a conditional model draws its split from it).
    """
    return masked_eps_loss(eps, net(schedule.add_noise(x0, eps, t), t), mask)


@dataclass
class TrainSettings:
    """The budget is `epochs`, or exactly `steps` optimiser steps when steps > 0 (the last epoch
    is then cut short); `ema_decay` > 0 keeps an exponential moving average of the weights and
    leaves it in the network at the end."""

    epochs: int
    batch_size: int = 64
    lr: float = 5e-4
    weight_decay: float = 1e-6
    progress: bool = True
    steps: int = 0
    ema_decay: float = 0.0

    def epochs_for(self, n: int) -> int:
        """Passes over n rows that the budget takes (the last one partial for a step budget)."""
        if self.steps <= 0:
            return self.epochs
        return math.ceil(self.steps / math.ceil(n / self.batch_size))


def ema_average(decay: float) -> Callable[[list[Tensor], list[Tensor], Tensor], None]:
    """`AveragedModel`'s update with the usual warm-up: the decay is min(decay, (1 + k) / (10 + k))
    after k updates, so that a short run is not averaged over its untrained start."""

    @torch.no_grad()
    def update(averaged: list[Tensor], current: list[Tensor], num_averaged: Tensor) -> None:
        k = float(num_averaged)
        weight = 1.0 - min(decay, (1.0 + k) / (10.0 + k))
        torch._foreach_lerp_(averaged, current, weight)

    return update


def ema_updater(ema: torch.optim.swa_utils.AveragedModel, net: nn.Module) -> Callable[[], None]:
    """`ema.update_parameters(net)` (without buffer averaging) over parameter lists gathered once.

    The library's own update walks both module trees and regroups their tensors on every call,
    which on one CPU thread costs several times the averaging itself (`python
    scripts/bench_ema.py`). The same `multi_avg_fn`, so the same weights bit for bit
    (tests/test_diffusion.py).
    """
    averaged = [p.detach() for p in ema.module.parameters()]
    current = [p.detach() for p in net.parameters()]
    averaged_buffers = [b.detach() for b in ema.module.buffers()]
    current_buffers = [b.detach() for b in net.buffers()]
    update = ema.multi_avg_fn
    if update is None:
        raise ValueError("ema_updater needs an AveragedModel built with multi_avg_fn")

    def step() -> None:
        if int(ema.n_averaged) == 0:
            for a, c in zip(averaged, current, strict=True):
                a.copy_(c)
        else:
            update(averaged, current, ema.n_averaged)
        for a, c in zip(averaged_buffers, current_buffers, strict=True):
            a.copy_(c)  # buffers are kept in sync, not averaged (AveragedModel's default)
        ema.n_averaged += 1

    return step


def _atomic_save(obj: dict, path: Path) -> None:
    with atomic_path(path) as tmp:
        torch.save(obj, tmp)


def train(
    net: EpsNetwork,
    schedule: VPSchedule,
    x0: Tensor,
    mask: Tensor,
    settings: TrainSettings,
    generator: torch.Generator,
    checkpoint_path: str | Path | None = None,
    on_epoch_end: Callable[[int, float], None] | None = None,
    fingerprint: str = "",
    loss_fn: LossFn = missdiff_loss,
    on_step: Callable[[int, nn.Module], None] | None = None,
    checkpoint_seconds: float = CHECKPOINT_SECONDS,
) -> list[float]:
    """Train `net` on encoded rows x0 (n, width) with observed mask (n, width); Algorithm 1.

    The network must already be on its device; `generator` may live on that device or the CPU.
    Returns the mean training loss of every epoch (those before a resume included).

    With `checkpoint_path`, the model, optimiser, LR scheduler, epoch, loss history and generator
    state are written there (atomically) after the first epoch, the last one, and any epoch that
    ends `checkpoint_seconds` or more after the previous write; a run that finds the file resumes
    from it, provided its `fingerprint` (the caller's digest of data, config and seed) matches.
    A resumed run repeats the epochs since the last write and ends exactly as an uninterrupted
    one. `on_epoch_end(epoch, mean_loss)` is called after each epoch (and its checkpoint, when one
    is written); `on_step(steps,
    weights)` after every optimiser step, with the network whose weights a model trained for
    that many steps would keep (the averaged one under EMA), e.g. to read a learning curve off
    one run (scripts/learning_curves.py). `loss_fn` computes
    a batch's loss from (net, schedule, x0, mask, t, eps, generator); MissDiff's by default, a
    conditional model (CSDI_T) passes its own.
    """
    if x0.shape != mask.shape or x0.dim() != 2:
        raise ValueError(f"x0 {tuple(x0.shape)} and mask {tuple(mask.shape)} must be (n, width)")
    if settings.epochs <= 0 or settings.batch_size <= 0:
        raise MissDiffError("epochs and batch_size must be positive")
    device = next(net.parameters()).device
    schedule = schedule.to(device)
    n = x0.shape[0]
    x0 = x0.float().to(device)
    mask = mask.bool().to(device)
    # x0 is taken as encoded: a missing continuous entry is 0 and a missing categorical is its
    # "na" category (Appendix C.4), both noised like any entry. Not zeroed here, which would
    # erase the "na" one-hot bit; NaN placeholders are refused instead.
    if not torch.isfinite(x0).all():
        raise MissDiffError("encoded training rows hold NaN or inf; encode missing entries first")

    optimizer = torch.optim.Adam(
        net.parameters(), lr=settings.lr, weight_decay=settings.weight_decay, fused=True
    )
    # Milestones at 25/50/75/90 % of the budget: in epochs (stepped per epoch, the paper's) or
    # in optimiser steps (stepped per step).
    by_step = settings.steps > 0
    budget = settings.steps if by_step else settings.epochs
    lr_schedule = torch.optim.lr_scheduler.MultiStepLR(
        optimizer, milestones=milestones(budget), gamma=0.1
    )
    ema = None
    if settings.ema_decay > 0:
        ema = torch.optim.swa_utils.AveragedModel(net, multi_avg_fn=ema_average(settings.ema_decay))
        ema_step = ema_updater(ema, net)
    n_epochs = settings.epochs_for(n)
    per_epoch = math.ceil(n / settings.batch_size)
    history: list[float] = []
    start_epoch = 0
    path = Path(checkpoint_path) if checkpoint_path is not None else None
    shape = {"n": n, "width": x0.shape[1], "epochs": settings.epochs}
    if by_step or ema is not None:
        shape.update(steps=settings.steps, ema_decay=settings.ema_decay)
    if path is not None and path.exists():
        state = torch.load(path, map_location=device, weights_only=True)
        expected = shape
        if (
            state.get("version") != CHECKPOINT_VERSION
            or state.get("shape") != expected
            or state.get("fingerprint") != fingerprint
        ):
            raise MissDiffError(
                f"checkpoint {path} was written by another run (other data, config or seed); "
                "delete it or point checkpoint_dir elsewhere"
            )
        net.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        lr_schedule.load_state_dict(state["scheduler"])
        generator.set_state(state["generator"].cpu())
        if ema is not None:
            ema.load_state_dict(state["ema"])
        start_epoch = int(state["epoch"])
        history = list(state["history"])
    done = start_epoch * per_epoch  # optimiser steps taken (every finished epoch was whole)

    net.dropout_generator = generator
    net.train()
    t_max = schedule.num_steps
    bar = tqdm(
        range(start_epoch, n_epochs),
        desc="train",
        disable=not settings.progress,
        initial=start_epoch,
        total=n_epochs,
    )
    saved_at = None  # monotonic time of this process's last checkpoint
    try:
        for epoch in bar:
            order = torch.randperm(n, generator=generator, device=generator.device).to(device)
            # Summed on the device: no host sync per batch on CUDA.
            total = torch.zeros((), device=device)
            batches = 0
            for start in range(0, n, settings.batch_size):
                if by_step and done >= settings.steps:
                    break
                idx = order[start : start + settings.batch_size]
                xb, mb = x0[idx], mask[idx]
                # Algorithm 1, line 4: t ~ Uniform{1..T}; line 5: eps ~ N(0, I).
                t = torch.randint(
                    1, t_max + 1, (len(idx),), generator=generator, device=generator.device
                ).to(device)
                eps = randn_like(xb, generator)
                loss = loss_fn(net, schedule, xb, mb, t, eps, generator)  # line 6
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                if ema is not None:
                    ema_step()
                total += loss.detach()
                batches += 1
                done += 1
                if by_step:
                    lr_schedule.step()
                if on_step is not None:
                    on_step(done, ema.module if ema is not None else net)
            if not by_step:
                lr_schedule.step()
            history.append(float(total) / batches)
            bar.set_postfix(loss=f"{history[-1]:.4f}")
            due = saved_at is None or time.monotonic() - saved_at >= checkpoint_seconds
            if path is not None and (due or epoch + 1 == n_epochs):
                _atomic_save(
                    {
                        "version": CHECKPOINT_VERSION,
                        "shape": shape,
                        "fingerprint": fingerprint,
                        "model": net.state_dict(),
                        "optimizer": optimizer.state_dict(),
                        "scheduler": lr_schedule.state_dict(),
                        "generator": generator.get_state(),
                        "epoch": epoch + 1,
                        "history": history,
                        **({"ema": ema.state_dict()} if ema is not None else {}),
                    },
                    path,
                )
                saved_at = time.monotonic()
            if on_epoch_end is not None:
                on_epoch_end(epoch, history[-1])
    finally:
        bar.close()
        net.dropout_generator = None
    if ema is not None:
        # Imputation and sampling use the averaged weights.
        net.load_state_dict(ema.module.state_dict())
    net.eval()
    return history
