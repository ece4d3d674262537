"""Reverse-process samplers: unconditional generation (Algorithm 3) and imputation (Algorithm 2).

Both run the network in eval mode under `torch.inference_mode`, keep the chain state in float32
(an optional bf16 autocast covers only the network call), and draw all noise from one explicit
`torch.Generator`. For a given generator, batch size and device the output is reproducible; the
numbers depend on how rows are chunked because the noise stream is consumed chunk by chunk.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from missdiff.diffusion.schedule import VPSchedule, randn_like

PRECISIONS = ("fp32", "bf16")


def _device_of(net: nn.Module) -> torch.device:
    return next(net.parameters()).device


def _autocast(device: torch.device, precision: str) -> contextlib.AbstractContextManager:
    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {PRECISIONS}, got {precision!r}")
    if precision == "fp32":
        return contextlib.nullcontext()
    return torch.autocast(device_type=device.type, dtype=torch.bfloat16)


@contextlib.contextmanager
def _eval_mode(net: nn.Module) -> Iterator[None]:
    was_training = net.training
    net.eval()
    try:
        with torch.inference_mode():
            yield
    finally:
        net.train(was_training)


def _maybe_compile(net: nn.Module, compile: bool) -> nn.Module:
    # torch.compile (inductor) fuses the element-wise work around the matmuls: about 20 % per
    # network call on CPU, for a one-off compilation of tens of seconds per batch shape; worth
    # it for long imputations only, hence opt-in.
    return torch.compile(net) if compile else net


def _predict(
    net: nn.Module,
    x: Tensor,
    t: int,
    device: torch.device,
    precision: str,
    cond_values: Tensor | None = None,
    cond_mask: Tensor | None = None,
) -> Tensor:
    """eps_hat for a batch at step t.

    Unconditional (MissDiff): net(x_t, t). Conditional (CSDI_T): the noised targets x_t * (1 - c)
    as the main channel, the conditioning values x0 * c as the extra input channel and the mask
    c as a side channel, as in TabCSDI.
    """
    steps = torch.full((x.shape[0],), t, dtype=torch.long, device=device)
    with _autocast(device, precision):
        if cond_mask is None:
            eps_hat = net(x, steps)
        else:
            eps_hat = net(x * (1.0 - cond_mask), steps, cond=cond_values, side=cond_mask[..., None])
    return eps_hat.float()


def generate(
    net: nn.Module,
    schedule: VPSchedule,
    n: int,
    width: int,
    generator: torch.Generator,
    batch_size: int = 128,
    precision: str = "fp32",
    progress: bool = False,
    compile: bool = False,
    conditional: bool = False,
) -> Tensor:
    """Draw `n` encoded rows by ancestral sampling (Algorithm 3). Returns (n, width) on CPU.

    `conditional`: the network is CSDI_T's; it is given an empty conditioning set (c = 0).
    """
    if n <= 0:
        raise ValueError(f"n must be positive, got {n}")
    device = _device_of(net)
    schedule = schedule.to(device)
    out = torch.empty(n, width)
    starts = range(0, n, batch_size)
    model = _maybe_compile(net, compile)
    with _eval_mode(net):
        for start in tqdm(starts, desc="generate", disable=not progress, leave=False):
            rows = min(batch_size, n - start)
            x = randn_like(torch.empty(rows, width, device=device), generator)  # line 1
            empty = torch.zeros_like(x) if conditional else None
            for t in range(schedule.num_steps, 0, -1):  # lines 2-3, 6
                eps_hat = _predict(model, x, t, device, precision, empty, empty)
                x = schedule.step(eps_hat, t, x, generator)  # lines 4-5
            out[start : start + rows] = x.cpu()
    return out


def impute(
    net: nn.Module,
    schedule: VPSchedule,
    x_obs: Tensor,
    mask: Tensor,
    n_samples: int,
    generator: torch.Generator,
    max_batch: int = 128,
    precision: str = "fp32",
    progress: bool = False,
    compile: bool = False,
    conditional: bool = False,
) -> Tensor:
    """Fill the unobserved entries of `x_obs` `n_samples` times (Algorithm 2).

    x_obs: (n, width) encoded rows (values at unobserved positions are ignored); mask: (n, width)
    bool, True = observed. Returns (n_samples, n, width) on CPU; in every draw the observed
    entries equal x_obs bit for bit (line 9 at t = 1 copies x0 itself).

    All draws of all rows run in one batched pass: the (row, draw) pairs are stacked on the batch
    dimension and cut into chunks of at most `max_batch` pairs per network call, so one reverse
    chain of T steps serves a whole chunk (TabCSDI ran its draws one after another).

    `conditional`: the network is CSDI_T's; it is conditioned on the observed entries (c = mask)
    at every step instead of seeing their forward-noised copies (lines 5-6 and 9 are skipped),
    and the observed entries are copied into the result at the end.
    """
    if x_obs.shape != mask.shape or x_obs.dim() != 2:
        raise ValueError(f"x_obs {tuple(x_obs.shape)} and mask {tuple(mask.shape)} must be (n, w)")
    if n_samples <= 0 or max_batch <= 0:
        raise ValueError("n_samples and max_batch must be positive")
    device = _device_of(net)
    schedule = schedule.to(device)
    n, width = x_obs.shape
    x_obs = x_obs.float()
    mask = mask.bool()
    # Observed values only: what the network sees elsewhere must not depend on them.
    x_obs = torch.where(mask, x_obs, torch.zeros_like(x_obs))
    out = torch.empty(n * n_samples, width)
    total = n * n_samples
    starts = range(0, total, max_batch)
    model = _maybe_compile(net, compile)
    with _eval_mode(net):
        for start in tqdm(starts, desc="impute", disable=not progress, leave=False):
            stop = min(start + max_batch, total)
            # Pair k = row * n_samples + draw; a chunk is a run of consecutive pairs.
            rows = torch.arange(start, stop) // n_samples
            x0 = x_obs[rows].to(device)
            m = mask[rows].to(device)
            x = randn_like(x0, generator)  # line 1: x_T ~ N(0, I), as printed
            if conditional:
                c = m.float()
                cond_values = x0 * c
                for t in range(schedule.num_steps, 0, -1):
                    eps_hat = _predict(model, x, t, device, precision, cond_values, c)
                    x = schedule.step(eps_hat, t, x, generator)
                x = torch.where(m, x0, x)
            else:
                for t in range(schedule.num_steps, 0, -1):  # lines 3-4, 10
                    # Lines 5-6: forward-noised observed values at level t-1, with the square
                    # root of (1 - abar_{t-1}) (the forward kernel; the paper's line 6 omits
                    # it); at t = 1 this is x0 exactly.
                    x_obs_prev = schedule.noise_observed(x0, t - 1, generator)
                    eps_hat = _predict(model, x, t, device, precision)
                    x = schedule.step(eps_hat, t, x, generator)  # lines 7-8
                    x = torch.where(m, x_obs_prev, x)  # line 9
            out[start:stop] = x.cpu()
    return out.view(n, n_samples, width).transpose(0, 1).contiguous()
