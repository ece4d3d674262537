"""Table 1's imputation baselines through hyperimpute 0.1.17: MICE, MissForest, GAIN; and
MissForest with fully grown trees (not the paper's; ForestDiffusion's benchmark runs it).

The paper ran these with hyperimpute; we wrap the same plugins behind `TabularModel` (MIWAE, which
also generates, is in `miwae.py`).

Fit and impute:
    hyperimpute's `ice` and `missforest` plugins can only fit_transform: their `fit` does nothing
    and `transform` refits the whole chained-equations loop on the rows it is given. So `Mice` and
    `MissForest` keep the training rows at `fit` and impute by running the loop on the training
    rows and the new rows together (transductive, as hyperimpute's own benchmarks do); the new rows'
    hidden entries are never seen. The `gain` plugin also refits inside `transform` (and ignores its
    constructor arguments), so `Gain` uses the plugin's `GainImputation` core, which has a real
    `fit` (training rows) and `transform` (new rows).
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from baselines.hyperimpute.codec import Codec
from baselines.hyperimpute.isolation import isolated, plugins
from baselines.isolation import plugin_seed
from missdiff.errors import ConfigError, MissDiffError
from missdiff.keys import inference_field, runtime_field
from missdiff.models.base import Imputation, TabularModel, check_sizes
from missdiff.models.draws import aggregate


# -- configs --------------------------------------------------------------------------------------
@dataclass
class MiceConfig:
    """hyperimpute `ice`: chained equations with linear / logistic regression ("MICE (linear)")."""

    name: str = "mice"
    # Rounds of the chained-equations loop (hyperimpute's default; it stops early on convergence).
    max_iter: int = 1000
    # Threads for torch, BLAS/OpenMP and joblib during the call (None: the process settings).
    # One is fastest for these many small models, above all on a busy machine.
    threads: int | None = runtime_field(1)

    def check(self) -> None:
        check_sizes(self, "max_iter")


@dataclass
class MissForestConfig:
    """hyperimpute `missforest`: chained equations with random forests.

    hyperimpute 0.1.17 does not pass `n_estimators` on: its forests are always 100 trees of depth
    at most 3 (scikit-learn via its `random_forest` prediction plugins), so no tree size is exposed.
    """

    name: str = "missforest"
    max_iter: int = 100
    threads: int | None = runtime_field(1)  # as in MiceConfig

    def check(self) -> None:
        check_sizes(self, "max_iter")


@dataclass
class MissForestFullConfig:
    """MissForest as Stekhoven & Buhlmann (2012) define it and ForestDiffusion's benchmark runs
    it: forests of fully grown trees, through hyperimpute's `sklearn_missforest` plugin
    (scikit-learn's IterativeImputer with a RandomForestRegressor per column).

    Not the paper's MissForest (`missforest`, depth <= 3). Rounds stop early at scikit-learn's
    tolerance; the peer's missingpy copy stops when the change between rounds first grows.
    """

    name: str = "missforest_full"
    n_estimators: int = 100
    max_depth: int | None = None  # None: grow each tree until its leaves are pure
    max_iter: int = 10
    threads: int | None = runtime_field(1)  # as in MiceConfig

    def check(self) -> None:
        check_sizes(self, "n_estimators", "max_iter")
        if self.max_depth is not None:
            check_sizes(self, "max_depth")


@dataclass
class GainConfig:
    """GAIN (Yoon et al. 2018) through hyperimpute's `GainImputation`, with its defaults.

    One "epoch" is one mini-batch step of the discriminator and of the generator. The loss weight
    alpha is fixed at 10 by hyperimpute; hidden width equals the number of columns, as in GAIN.
    """

    name: str = "gain"
    batch_size: int = 256
    n_epochs: int = 1000
    hint_rate: float = 0.9
    # Passes of the trained generator per `impute` (each with fresh input noise); the completed
    # table is their median / mode. 1 is the paper's GAIN; ForestDiffusion's benchmark draws its
    # imputations this way from one fit (model/gain.yaml takes the evaluator's count).
    n_impute_samples: int = inference_field(1)
    threads: int | None = runtime_field(1)  # as in MiceConfig

    def check(self) -> None:
        check_sizes(self, "batch_size", "n_epochs", "n_impute_samples")
        if not 0.0 <= self.hint_rate <= 1.0:
            raise ConfigError(f"model.hint_rate must be in [0, 1], got {self.hint_rate}")


# -- models ---------------------------------------------------------------------------------------
class HyperimputeModel(TabularModel):
    """Shared encode -> plugin -> decode path. Single imputation: `n_draws` is ignored (`Gain`
    answers it with passes of its generator).

    The constructor checks the config too (the registry already has), so a model built directly
    fails before any work.
    """

    capabilities: ClassVar[frozenset[str]] = frozenset({"impute"})

    def __init__(self, cfg: Any, scaling: str = "minmax") -> None:
        super().__init__()
        cfg.check()
        self.threads: int | None = cfg.threads
        self.scaling = scaling
        self._codec: Codec | None = None

    def _fit(self, data: pd.DataFrame, rng: np.random.Generator) -> None:
        self._codec = Codec(data, self._fitted_schema().categorical, self.scaling)
        self._fit_encoded(self._codec.encode(data), rng)

    def _impute(
        self, data: pd.DataFrame, rng: np.random.Generator, n_draws: int | None
    ) -> Imputation:
        if self._codec is None:
            raise MissDiffError(f"model {self.name!r} must be fitted first")
        encoded = self._codec.encode(data)
        # Nothing to fill: skip the plugin (the transductive ones would refit from scratch).
        filled = self._impute_encoded(encoded, rng) if np.isnan(encoded).any() else encoded
        return Imputation(self._codec.decode(filled, data.index))

    def _fit_encoded(self, x: np.ndarray, rng: np.random.Generator) -> None:
        raise NotImplementedError

    def _impute_encoded(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        raise NotImplementedError


class _Transductive(HyperimputeModel):
    """For plugins that can only fit_transform: impute training and new rows in one run."""

    def __init__(self, cfg: Any) -> None:
        super().__init__(cfg)
        self._train: np.ndarray | None = None

    def _make_plugin(self, seed: int) -> Any:
        raise NotImplementedError

    def _fit_encoded(self, x: np.ndarray, rng: np.random.Generator) -> None:
        plugins()  # fail at fit, not at impute, when hyperimpute is missing
        self._train = x

    def _impute_encoded(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        assert self._train is not None
        seed = plugin_seed(rng)
        stacked = pd.DataFrame(np.vstack([self._train, x]))
        with isolated(seed, self.threads):
            filled = self._make_plugin(seed).fit_transform(stacked)
        return np.asarray(filled, dtype=float)[len(self._train) :]


class Mice(_Transductive):
    """The paper's "MICE (linear)": hyperimpute's `ice` plugin.

    Transductive: `impute` runs the chained equations on the training rows plus the new rows. Like
    hyperimpute, a column is modelled by logistic regression when it has fewer than 5 distinct
    values (NaN counted) and by linear regression otherwise, whatever the schema says.
    """

    name: ClassVar[str] = "mice"

    def __init__(self, cfg: MiceConfig | None = None) -> None:
        self.cfg = cfg or MiceConfig()
        super().__init__(self.cfg)

    def _make_plugin(self, seed: int) -> Any:
        return plugins().ice(max_iter=self.cfg.max_iter, random_state=seed)


class MissForest(_Transductive):
    """hyperimpute's `missforest` plugin; transductive like `Mice`."""

    name: ClassVar[str] = "missforest"

    def __init__(self, cfg: MissForestConfig | None = None) -> None:
        self.cfg = cfg or MissForestConfig()
        super().__init__(self.cfg)

    def _make_plugin(self, seed: int) -> Any:
        return plugins().missforest(max_iter=self.cfg.max_iter, random_state=seed)


class MissForestFull(_Transductive):
    """hyperimpute's `sklearn_missforest` plugin with full-depth trees; transductive like `Mice`.

    Categorical columns are imputed as their codes by regression, then decoded to the nearest
    code (the plugin has no classifier); ForestDiffusion's benchmark hides numeric features only.
    """

    name: ClassVar[str] = "missforest_full"

    def __init__(self, cfg: MissForestFullConfig | None = None) -> None:
        self.cfg = cfg or MissForestFullConfig()
        super().__init__(self.cfg)

    def _make_plugin(self, seed: int) -> Any:
        cfg = self.cfg
        return plugins().sklearn_missforest(
            n_estimators=cfg.n_estimators,
            max_depth=cfg.max_depth,
            max_iter=cfg.max_iter,
            random_state=seed,
        )

    def _impute_encoded(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        from sklearn.exceptions import ConvergenceWarning

        # The round cap is the method's (10); scikit-learn warns whenever it is reached first.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            return super()._impute_encoded(x, rng)


class Gain(HyperimputeModel):
    """GAIN: generator and discriminator trained on the training rows, then applied to new rows."""

    name: ClassVar[str] = "gain"

    def __init__(self, cfg: GainConfig | None = None) -> None:
        self.cfg = cfg or GainConfig()
        super().__init__(self.cfg)
        self._model: Any = None

    def _fit_encoded(self, x: np.ndarray, rng: np.random.Generator) -> None:
        import torch

        model = plugins().gain(
            batch_size=self.cfg.batch_size,
            n_epochs=self.cfg.n_epochs,
            hint_rate=self.cfg.hint_rate,
        )
        with isolated(plugin_seed(rng), self.threads):
            model.fit(torch.from_numpy(x))
        self._model = model

    def _impute(
        self, data: pd.DataFrame, rng: np.random.Generator, n_draws: int | None
    ) -> Imputation:
        """One generator pass (the paper's GAIN), or `n_draws` / `n_impute_samples` passes of
        the one trained generator, whose only randomness is its noise input (as in
        ForestDiffusion's benchmark, which scores GAIN's imputations drawn this way)."""
        k = self.cfg.n_impute_samples if n_draws is None else n_draws
        if k == 1 and n_draws is None:
            return super()._impute(data, rng, None)
        assert self._codec is not None
        index = data.index
        data = data.reset_index(drop=True)
        one_pass = super()._impute
        draws = [one_pass(data, rng, None).completed for _ in range(k)]
        completed = aggregate(data, draws, self._fitted_schema(), self._codec.categories)
        return Imputation(completed.set_axis(index), [d.set_axis(index) for d in draws])

    def _impute_encoded(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        import torch

        # transform draws the generator's noise input from the global RNGs.
        with isolated(plugin_seed(rng), self.threads), torch.no_grad():
            filled = self._model.transform(torch.from_numpy(x))
        return filled.cpu().numpy().astype(float)
