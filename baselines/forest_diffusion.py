"""ForestDiffusion / ForestFlow (Jolicoeur-Martineau et al., AISTATS 2024) through its library,
`ForestDiffusion` 1.0.6: gradient-boosted trees (XGBoost) as the denoiser, one model per noise
level and column, trained on incomplete rows (XGBoost handles NaN natively). A peer newer than
the paper's; we wrap it and write none of its algorithm.

- `forest_diffusion`: its variance-preserving diffusion ("vp"), the one of its two processes that
  imputes (with its REPAINT option) and also generates;
- `forest_flow`: its flow-matching process ("flow"), which its authors recommend for generation;
  generates only.

Encoding is ours, so that new rows are encoded exactly like the training rows: the project's
TabularEncoder (continuous columns min-max scaled, categoricals one-hot), every unobserved
position set to NaN, without the encoder's "missing" slot; the library then scales to [-1, 1]
itself. Its own dummy coding is not used: it would code a missing category as the first one and
could never impute it, and it would code new rows with a different set of columns. Decoding takes
the argmax over each categorical block (TabularEncoder.inverse_transform).

The library seeds and draws from numpy's global RNG: every call runs inside
`baselines.isolation.global_state`, seeded from the model's generator and restored afterwards.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from baselines.forest_checkpoint import checkpoint_folder, restored_seconds, resumable
from baselines.isolation import global_state, plugin_seed
from missdiff.data.encoding import TabularEncoder
from missdiff.errors import ConfigError, MissDiffError
from missdiff.keys import inference_field, runtime_field
from missdiff.models.base import Imputation, TabularModel, check_sizes
from missdiff.models.draws import aggregate


@dataclass
class ForestDiffusionConfig:
    """The library's settings (its defaults, except `n_jobs`, which is our thread cap: that many
    worker processes of one XGBoost thread each)."""

    name: str = "forest_diffusion"
    n_t: int = 50  # noise levels
    duplicate_k: int = 100  # noisy copies of each training row
    n_estimators: int = 100  # XGBoost trees per model
    max_depth: int = 7
    eta: float = 0.3
    repaint: bool = True  # imputation: REPAINT resampling (its r = 5, j = 0.1)
    repaint_r: int = 5
    repaint_j: float = 0.1
    n_impute_samples: int = inference_field(5)  # draws; the completed table is their median/mode
    threads: int | None = runtime_field(1)
    # One folder per run (the runner's): finished fits are kept there, and a killed run resumes.
    checkpoint_dir: str | None = runtime_field(None)

    def check(self) -> None:
        check_sizes(
            self, "n_t", "duplicate_k", "n_estimators", "max_depth", "repaint_r", "n_impute_samples"
        )
        if not 0.0 < self.eta <= 1.0:
            raise ConfigError(f"model.eta must be in (0, 1], got {self.eta}")
        if not 0.0 <= self.repaint_j <= 1.0:
            raise ConfigError(f"model.repaint_j must be in [0, 1], got {self.repaint_j}")


def _library() -> Any:
    try:
        from ForestDiffusion import ForestDiffusionModel
    except ImportError as err:
        raise MissDiffError(
            f"model forest_diffusion needs the ForestDiffusion package ({err}); install it with "
            "`pip install --no-deps ForestDiffusion==1.0.6` and the `peers` extra"
        ) from err
    return ForestDiffusionModel


@contextmanager
def _worker_processes() -> Iterator[None]:
    """The library's fits in separate processes, never threads: each fit reseeds numpy's global
    RNG and draws its noise from it, so two fits in threads of one process interleave their draws
    and a run stops being reproducible. Each fit is one XGBoost thread (`nthread=1` in `_fit`), so
    `threads` workers use `threads` cores."""
    import joblib

    with joblib.parallel_config(backend="loky"):
        yield


class ForestDiffusion(TabularModel):
    """ForestDiffusion's "vp" process: imputes (Algorithm of its paper, REPAINT) and generates."""

    capabilities: ClassVar[frozenset[str]] = frozenset({"impute", "sample"})
    name: ClassVar[str] = "forest_diffusion"
    process: ClassVar[str] = "vp"

    def __init__(self, cfg: ForestDiffusionConfig | None = None) -> None:
        super().__init__()
        self.cfg = cfg or ForestDiffusionConfig(name=self.name)
        self.cfg.check()
        self._encoder: TabularEncoder | None = None
        self._model: Any = None
        self._keep: np.ndarray | None = None  # encoded positions given to the library

    # -- encoding ----------------------------------------------------------------------------
    def _encode(self, data: pd.DataFrame) -> np.ndarray:
        assert self._encoder is not None and self._keep is not None
        x, observed = self._encoder.transform(data, unknown="missing")
        x = x.astype(np.float64)
        x[~observed] = np.nan
        return x[:, self._keep]

    def _decode(self, x: np.ndarray, index: pd.Index) -> pd.DataFrame:
        assert self._encoder is not None and self._keep is not None
        full = np.zeros((len(x), self._encoder.width))
        full[:, self._keep] = x
        out = self._encoder.inverse_transform(full)
        out.index = index
        return out

    # -- the interface -------------------------------------------------------------------------
    def _fit(self, data: pd.DataFrame, rng: np.random.Generator) -> None:
        library = _library()
        schema = self._fitted_schema()
        self._encoder = TabularEncoder(schema).fit(data)
        self._keep = np.setdiff1d(
            np.arange(self._encoder.width), self._encoder.missing_category_index
        )
        x = self._encode(data)
        # A row with every entry missing carries nothing to learn from (the library drops such
        # rows itself; row-wise missingness makes many of them).
        x = x[~np.isnan(x).all(axis=1)]
        if len(x) == 0:
            raise MissDiffError("forest_diffusion has no training row with an observed entry")
        cfg = self.cfg
        seed = plugin_seed(rng)
        settings = dict(
            n_t=cfg.n_t, duplicate_K=cfg.duplicate_k, diffusion_type=self.process,
            n_estimators=cfg.n_estimators, max_depth=cfg.max_depth, eta=cfg.eta, seed=seed,
        )  # fmt: skip
        folder = None
        if cfg.checkpoint_dir is not None:
            folder = checkpoint_folder(cfg.checkpoint_dir, x, settings)
            library = resumable(library, folder)
        with global_state(seed, cfg.threads), _worker_processes():
            self._model = library(x, **settings, n_jobs=cfg.threads or -1, nthread=1)
        if folder is not None:
            self.restored_seconds = restored_seconds(folder, library)

    def _impute(
        self, data: pd.DataFrame, rng: np.random.Generator, n_draws: int | None
    ) -> Imputation:
        n_draws = self.cfg.n_impute_samples if n_draws is None else n_draws
        index = data.index
        data = data.reset_index(drop=True)
        x = self._encode(data)
        if not np.isnan(x).any():
            return Imputation(data.set_axis(index), [data.set_axis(index)] * n_draws)
        # The library imputes in its own [-1, 1] scale; new rows are scaled by its fitted scaler.
        scaled = self._model.scaler.transform(x)
        with global_state(plugin_seed(rng), self.cfg.threads):
            out = self._model.impute(
                k=n_draws, X=scaled, repaint=self.cfg.repaint, r=self.cfg.repaint_r,
                j=self.cfg.repaint_j,
            )  # fmt: skip
        out = np.asarray(out, dtype=np.float64).reshape(n_draws, *x.shape)
        observed = data.notna()
        draws = [self._decode(d, data.index).where(~observed, data) for d in out]
        assert self._encoder is not None
        completed = aggregate(data, draws, self._fitted_schema(), self._encoder.categories)
        completed.index = index
        for d in draws:
            d.index = index
        return Imputation(completed, draws)

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        with global_state(plugin_seed(rng), self.cfg.threads):
            rows = self._model.generate(batch_size=n)
        return self._decode(np.asarray(rows, dtype=np.float64), pd.RangeIndex(n))


class ForestFlow(ForestDiffusion):
    """ForestFlow: the library's flow-matching process; generation only."""

    capabilities: ClassVar[frozenset[str]] = frozenset({"sample"})
    name: ClassVar[str] = "forest_flow"
    process: ClassVar[str] = "flow"
