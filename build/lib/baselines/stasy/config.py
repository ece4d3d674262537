"""STaSy's settings: `StasyConfig`, defaults from the paper's STaSy setting (MissDiff App. C.4).

Fields are marked by what they can change (missdiff/keys.py): `runtime_field`s change nothing a
record or checkpoint holds; `inference_field`s change the samples but not the trained weights;
every other field is in the checkpoint fingerprint (`keys.training_settings`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from baselines.stasy.solver import SAMPLERS
from missdiff.device import check_device
from missdiff.errors import ConfigError
from missdiff.keys import inference_field, runtime_field


@dataclass
class StasyConfig:
    """Hyperparameters of the STaSy baseline; defaults are the paper's STaSy setting (App. C.4).

    Fields:
        name: registry name ("stasy_delete" | "stasy_mean").
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
            from it when the data, seeds, device type and training settings match.
    """

    name: str = "stasy_mean"
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
    # The fine-tuning likelihood uses the sampler, its tolerances and eval_batch_size (chunks of
    # the adaptive solver and of the probe draws), so those change the trained weights too;
    # only the sampling step count is inference-only.
    sampler: str = "heun"
    n_sampling_steps: int = inference_field(50)
    ode_rtol: float = 1e-5
    ode_atol: float = 1e-5
    eval_batch_size: int = 4096
    device: str = runtime_field("auto")
    progress: bool = runtime_field(False)
    checkpoint_dir: str | None = runtime_field(None)
    # A resumed run gives the uninterrupted run's result whatever the save interval.
    checkpoint_every: int = runtime_field(10)

    def check(self) -> None:
        """A one-line ConfigError naming the first field no run can use, and the fix."""
        if self.sampler not in SAMPLERS:
            raise ConfigError(f"model.sampler must be one of {SAMPLERS}, got {self.sampler!r}")
        check_device(self.device)
        if not 0 < self.sigma_min < self.sigma_max:
            raise ConfigError(
                "model.sigma_min and sigma_max must satisfy 0 < sigma_min < sigma_max, got "
                f"{self.sigma_min} and {self.sigma_max}"
            )
        if not 0.0 < self.t_eps < 1.0:
            raise ConfigError(f"model.t_eps must be in (0, 1), got {self.t_eps}")
        if not 0.0 <= self.alpha0 <= self.beta0 <= 1.0:
            raise ConfigError(
                "model.alpha0 and beta0 (self-paced thresholds) must satisfy "
                f"0 <= alpha0 <= beta0 <= 1, got {self.alpha0} and {self.beta0}"
            )
        if not 0.0 < self.finetune_quantile <= 1.0:
            raise ConfigError(
                f"model.finetune_quantile must be in (0, 1], got {self.finetune_quantile}"
            )
        at_least_one = ("batch_size", "n_sampling_steps", "likelihood_steps",
                        "hutchinson_probes", "eval_batch_size", "checkpoint_every", "fourier_dim",
                        "time_embed_dim")  # fmt: skip
        for key in at_least_one:
            if getattr(self, key) < 1:
                raise ConfigError(f"model.{key} must be at least 1, got {getattr(self, key)}")
        for key in ("epochs", "finetune_epochs", "warmup_steps"):
            if getattr(self, key) < 0:
                raise ConfigError(f"model.{key} must be 0 or more, got {getattr(self, key)}")
        if not self.hidden_dims or min(self.hidden_dims) < 1:
            raise ConfigError(
                f"model.hidden_dims needs at least one layer, each of width >= 1, "
                f"got {self.hidden_dims}"
            )
        if self.lr <= 0 or (self.finetune_lr is not None and self.finetune_lr <= 0):
            raise ConfigError(
                f"model.lr and finetune_lr must be positive, got {self.lr} and {self.finetune_lr}"
            )
        if not 0.0 <= self.ema <= 1.0:
            raise ConfigError(f"model.ema must be in [0, 1], got {self.ema}")
        if self.finetune_max_rows is not None and self.finetune_max_rows < 1:
            raise ConfigError(
                f"model.finetune_max_rows must be at least 1 or null (all rows), "
                f"got {self.finetune_max_rows}"
            )
