"""STaSy's training (Kim, Lee & Park 2023, sec. 3.2-3.3): self-paced denoising score matching,
then fine-tuning on the rows of lowest log-likelihood, with checkpoints a killed run resumes from.

Adam with a linear learning-rate warm-up, gradient-norm clipping and an EMA of the weights (the
EMA network generates). Fine-tuning scores every training row (or `finetune_max_rows` of them)
by the probability-flow ODE and continues training, without self-paced weights, on the rows
below the `finetune_quantile` quantile. Row order, times and noise come from CPU generators, so
the draws are the same on any device and a resumed run continues exactly where it stopped.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import torch
from torch import Tensor

from baselines.stasy.config import StasyConfig
from baselines.stasy.loss import denoising_losses, spl_loss
from baselines.stasy.network import StasyScoreNet
from baselines.stasy.sde import VESDE
from missdiff.files import atomic_path

# likelihood(x, generator) -> per-row log-likelihood of x under the EMA network.
LikelihoodFn = Callable[[Tensor, torch.Generator], Tensor]


class Trainer:
    """Training (self-paced) then fine-tuning, with EMA, warm-up, clipping and checkpoints.

    `gens` are the CPU generators of (batch order, noise and times, likelihood probes);
    `checkpoint` is the file to save to and resume from (None: no checkpoints), and
    `fingerprint` the digest a checkpoint must carry to be resumed from.
    """

    def __init__(
        self,
        cfg: StasyConfig,
        net: StasyScoreNet,
        ema_net: StasyScoreNet,
        sde: VESDE,
        x: Tensor,
        gens: list[torch.Generator],
        likelihood: LikelihoodFn,
        checkpoint: Path | None = None,
        fingerprint: str = "",
        desc: str = "stasy",
    ) -> None:
        self.cfg, self.net, self.ema_net, self.sde, self.x = cfg, net, ema_net, sde, x
        self.gen_order, self.gen_noise, self.gen_like = gens
        self.likelihood, self.ckpt, self.fingerprint, self.desc = (
            likelihood, checkpoint, fingerprint, desc
        )  # fmt: skip
        self.optim = torch.optim.Adam(self.net.parameters(), lr=cfg.lr)
        self.step = 0  # optimiser steps so far (warm-up and EMA count them)
        self.phase, self.epoch = "train", 0  # epochs done within the phase
        self.finetune_rows: Tensor | None = None
        self.history: dict[str, list[float]] = {"loss": [], "finetune_loss": []}
        self.steps_per_epoch = math.ceil(x.shape[0] / cfg.batch_size)
        self.total_train_steps = max(cfg.epochs * self.steps_per_epoch, 1)

    # -- run ---------------------------------------------------------------------------------
    def run(self) -> dict[str, list[float]]:
        """Train, fine-tune, save the final state; returns the loss history (resumed included)."""
        cfg = self.cfg
        self._restore()
        bar = None
        if cfg.progress:
            from tqdm import tqdm

            bar = tqdm(total=cfg.epochs + cfg.finetune_epochs, desc=self.desc)
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
            losses = denoising_losses(self.net, self.sde, x0, t.to(x0.device), z.to(x0.device))
            if spl:
                progress = (self.step + 1) / self.total_train_steps
                loss = spl_loss(losses, progress, cfg.alpha0, cfg.beta0, cfg.spl_full_at)
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
        logp = self.likelihood(self.x[candidates.to(self.x.device)], self.gen_like)
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
        # Atomic: a crash never leaves a half-written checkpoint.
        with atomic_path(self.ckpt) as tmp:
            torch.save(self._state(), tmp)

    def _restore(self) -> None:
        if self.ckpt is None or not self.ckpt.exists():
            return
        state = torch.load(self.ckpt, map_location=self.x.device, weights_only=True)
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
