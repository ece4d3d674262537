"""MIWAE (Mattei & Frellsen 2019) through hyperimpute 0.1.17, as imputer and as generator.

Table 1 uses it to impute (the plugin's own `fit` and `transform`). Table 6 and Appendix C.5
("Discussion 3") use it to generate: `Miwae.sample` draws from the prior through the Student-t
decoder (the paper's "MIWAE" column), and `MiwaeModified` generates, hides entries at random and
imputes them with the same model ("MIWAE (modified)", generate-then-impute). Generated rows are
clipped to the observed training range of every column.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from baselines.hyperimpute.codec import SCALINGS, Codec
from baselines.hyperimpute.imputers import HyperimputeModel
from baselines.hyperimpute.isolation import isolated, plugins
from baselines.isolation import plugin_seed
from missdiff.errors import ConfigError, MissDiffError
from missdiff.keys import runtime_field
from missdiff.models.base import check_sizes


@dataclass
class MiwaeConfig:
    """MIWAE through hyperimpute's `miwae` plugin.

    Sized like the reference UCI experiments (128 hidden units, latent 10, K=20, batch 64; Adam
    1e-3 is fixed by the plugin), not like the plugin's defaults (n_hidden=1, latent 1, batch 256).
    The plugin trains `n_epochs - 1` epochs and imputes with L=10 importance samples (fixed).
    """

    name: str = "miwae"
    n_epochs: int = 500
    batch_size: int = 64
    latent_size: int = 10
    n_hidden: int = 128
    K: int = 20
    # "minmax" as hyperimpute's benchmarks feed it; "standard" is the reference demo's z-scores.
    scaling: str = "minmax"
    # Threads for torch, BLAS/OpenMP and joblib during the call (None: the process settings).
    threads: int | None = runtime_field(1)

    def check(self) -> None:
        check_sizes(self, "n_epochs", "batch_size", "latent_size", "n_hidden", "K")
        if self.scaling not in SCALINGS:
            raise ConfigError(
                f"model.scaling must be one of {list(SCALINGS)}, got {self.scaling!r}"
            )


@dataclass
class MiwaeModifiedConfig(MiwaeConfig):
    """The paper's "MIWAE (modified)" (Table 6): generate, hide entries at random, impute them.

    `hide_ratio` is the probability with which each generated entry is hidden and re-imputed
    (at least one entry of every row is kept). The paper does not state it. 0.5 by default: the
    point of the modification is to replace the poor Student-t draws by the model's importance-
    sampled imputations, so a sizeable share is re-imputed, while every row keeps about half of
    its entries to condition on (with more hidden, the imputations shrink towards the mean row).
    """

    name: str = "miwae_modified"
    hide_ratio: float = 0.5

    def check(self) -> None:
        super().check()
        if not 0.0 <= self.hide_ratio <= 1.0:
            raise ConfigError(f"model.hide_ratio must be in [0, 1], got {self.hide_ratio}")


class Miwae(HyperimputeModel):
    """MIWAE: trained on the training rows; imputes new rows by importance-weighted means (L=10).

    Also generates (the paper's plain "MIWAE" generation in Table 6): z ~ N(0, I), the decoder's
    Student-t per entry, one draw each, decoded and clipped to the training range. The decoder is
    only reachable as an attribute of the fitted plugin, so sampling depends on hyperimpute
    0.1.17's internals (`_decoder_params`).
    """

    name: ClassVar[str] = "miwae"
    capabilities: ClassVar[frozenset[str]] = frozenset({"impute", "sample"})

    def __init__(self, cfg: MiwaeConfig | None = None) -> None:
        self.cfg = cfg or MiwaeConfig()
        super().__init__(self.cfg, self.cfg.scaling)
        self._plugin: Any = None

    def _fit_encoded(self, x: np.ndarray, rng: np.random.Generator) -> None:
        cfg = self.cfg
        seed = plugin_seed(rng)
        with isolated(seed, self.threads):
            plugin = plugins().miwae(
                n_epochs=cfg.n_epochs,
                batch_size=cfg.batch_size,
                latent_size=cfg.latent_size,
                n_hidden=cfg.n_hidden,
                K=cfg.K,
                random_state=seed,
            )
            plugin.fit(pd.DataFrame(x))
        self._plugin = plugin

    def _impute_encoded(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        import torch

        with isolated(plugin_seed(rng), self.threads), torch.no_grad():
            filled = self._plugin.transform(pd.DataFrame(x))
        return np.asarray(filled, dtype=float)

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        codec = self._fitted_codec()
        return codec.decode(self._generate_encoded(n, rng), pd.RangeIndex(n), clip=True)

    def _fitted_codec(self) -> Codec:
        if self._codec is None or self._plugin is None:
            raise MissDiffError(f"model {self.name!r} must be fitted first")
        return self._codec

    def _generate_encoded(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n rows in the encoded (scaled) space, drawn from p(z) p(x | z).

        All draws come from `rng` with numpy (torch's distributions only draw from torch's
        global RNG); the decoder's forward pass draws nothing.
        """
        import torch

        z = rng.standard_normal((n, self.cfg.latent_size))
        # seed=None: only the thread cap and the restoring of global state are wanted here.
        with isolated(None, self.threads), torch.no_grad():
            loc, scale, df = _decoder_params(self._plugin, torch.from_numpy(z).float())
        return loc + scale * rng.standard_t(df)


def _decoder_params(plugin: Any, z: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Student-t location, scale and degrees of freedom of p(x | z), as float64 arrays (n, p).

    Mirrors hyperimpute 0.1.17's `MIWAEPlugin._miwae_loss`: the decoder (stored by a global
    rename as `latent_sizeecoder`) outputs 3p values: location, softplus + 0.001 scale,
    softplus + 3 degrees of freedom. Another hyperimpute version may need a change here.
    """
    import torch

    decoder = getattr(plugin, "latent_sizeecoder", None)
    if decoder is None:
        raise MissDiffError(
            "MIWAE sampling reads the decoder of hyperimpute 0.1.17's miwae plugin "
            "(`latent_sizeecoder`), which this hyperimpute version does not have"
        )
    out = decoder(z.to(next(decoder.parameters()).device))
    p = out.shape[1] // 3
    softplus = torch.nn.functional.softplus
    loc = out[:, :p]
    scale = softplus(out[:, p : 2 * p]) + 0.001
    df = softplus(out[:, 2 * p :]) + 3

    def as_array(t: Any) -> np.ndarray:
        return t.double().cpu().numpy()

    return as_array(loc), as_array(scale), as_array(df)


class MiwaeModified(Miwae):
    """The paper's "MIWAE (modified)": generate-then-impute with one fitted MIWAE.

    `sample`: rows drawn as by `Miwae.sample` and moved onto valid data (training range, rounded
    codes); each entry is hidden with probability `hide_ratio`, keeping at least one per row;
    the hidden entries are imputed by the model's importance sampling (the plugin's transform,
    as `impute` does), and the result is decoded and clipped. `impute` is Miwae's.
    """

    name: ClassVar[str] = "miwae_modified"

    def __init__(self, cfg: MiwaeModifiedConfig | None = None) -> None:
        super().__init__(cfg or MiwaeModifiedConfig())
        self.cfg: MiwaeModifiedConfig

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        codec = self._fitted_codec()
        x = codec.project(self._generate_encoded(n, rng))
        hidden = hide_at_random(x.shape, self.cfg.hide_ratio, rng)
        if hidden.any():
            x[hidden] = np.nan
            x = self._impute_encoded(x, rng)
        return codec.decode(x, pd.RangeIndex(n), clip=True)


def hide_at_random(shape: tuple[int, int], ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Bernoulli(ratio) mask per entry; a row hidden entirely gets one random entry back.

    MIWAE's imputation conditions on the observed entries: a row with none would be imputed
    from the encoder's output for an all-zero input, the same for every such row.
    """
    hidden = rng.random(shape) < ratio
    full = np.flatnonzero(hidden.all(axis=1))
    hidden[full, rng.integers(0, shape[1], size=len(full))] = False
    return hidden
