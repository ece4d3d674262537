"""Table 1's imputation baselines through hyperimpute 0.1.17: MICE, MissForest, GAIN, MIWAE.

The paper ran these with hyperimpute; we wrap the same plugins behind `TabularModel`. MIWAE also
generates (Table 6 and Appendix C.5, "Discussion 3"): `Miwae.sample` draws from the prior through
the Student-t decoder (the paper's "MIWAE" column), and `MiwaeModified` generates, hides entries
at random and imputes them with the same model ("MIWAE (modified)", generate-then-impute).

Encoding (done here, because hyperimpute works on numeric frames):
    Every categorical column becomes integer codes 0..K-1 over its observed training categories
    (numeric order when the values are comparable, else by their text); a category never seen in
    training is treated as missing on input (the base class returns observed entries unchanged).
    Then every column, codes included, is scaled with statistics of the observed training values
    (min-max to [0, 1] by default) so the neural imputers see inputs of one size. Outputs are
    inverse-scaled; imputed codes are rounded, clipped to 0..K-1 and mapped back to the category
    values. Generated rows are also clipped to the observed training range of every column.

Fit and impute:
    hyperimpute's `ice` and `missforest` plugins can only fit_transform: their `fit` does nothing
    and `transform` refits the whole chained-equations loop on the rows it is given. So `Mice` and
    `MissForest` keep the training rows at `fit` and impute by running the loop on the training
    rows and the new rows together (transductive, as hyperimpute's own benchmarks do); the new rows'
    hidden entries are never seen. The `gain` plugin also refits inside `transform` (and ignores its
    constructor arguments), so `Gain` uses the plugin's `GainImputation` core, which has a real
    `fit` (training rows) and `transform` (new rows). `Miwae` uses the plugin's own `fit` and
    `transform`.

Global state:
    `import hyperimpute` sets OMP/OPENBLAS/MKL/VECLIB/NUMEXPR thread variables and silences optuna's
    logging, and its plugins seed and draw from numpy's, torch's and Python's global RNGs. The
    import is lazy and undoes its changes to `os.environ`, `warnings.filters` and the `optuna`
    logger. Every plugin call runs with the global RNGs saved, seeded from the model's
    `np.random.Generator`, and restored afterwards: the only way to make these plugins reproducible
    without leaking seeded global state into the rest of the process. (One side effect cannot be
    undone: hyperimpute's logger removes loguru's default handlers; missdiff does not use loguru.)
"""

from __future__ import annotations

import logging
import os
import random
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any, ClassVar

import numpy as np
import pandas as pd

from missdiff.errors import MissDiffError
from missdiff.models.base import Imputation, TabularModel

_SCALINGS = ("minmax", "standard")


# -- configs --------------------------------------------------------------------------------------
@dataclass
class MiceConfig:
    """hyperimpute `ice`: chained equations with linear / logistic regression ("MICE (linear)")."""

    name: str = "mice"
    # Rounds of the chained-equations loop (hyperimpute's default; it stops early on convergence).
    max_iter: int = 1000
    # Threads for torch, BLAS/OpenMP and joblib during the call (None: the process settings).
    # One is fastest for these many small models, above all on a busy machine.
    threads: int | None = 1


@dataclass
class MissForestConfig:
    """hyperimpute `missforest`: chained equations with random forests.

    hyperimpute 0.1.17 does not pass `n_estimators` on: its forests are always 100 trees of depth
    at most 3 (scikit-learn via its `random_forest` prediction plugins), so no tree size is exposed.
    """

    name: str = "missforest"
    max_iter: int = 100
    threads: int | None = 1  # as in MiceConfig


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
    threads: int | None = 1  # as in MiceConfig


@dataclass
class MiwaeConfig:
    """MIWAE (Mattei & Frellsen 2019) through hyperimpute's `miwae` plugin.

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
    threads: int | None = 1  # as in MiceConfig


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


# -- hyperimpute, imported lazily -----------------------------------------------------------------
_modules: SimpleNamespace | None = None


def _hyperimpute() -> SimpleNamespace:
    """The plugin classes, imported on first use with the import's global side effects undone."""
    global _modules
    if _modules is not None:
        return _modules
    env = dict(os.environ)
    optuna_logger = logging.getLogger("optuna")
    optuna_state = (optuna_logger.level, list(optuna_logger.handlers), optuna_logger.propagate)
    try:
        with warnings.catch_warnings():
            # pydantic's validate_arguments and similar: nothing a user of ours can act on.
            warnings.simplefilter("ignore", DeprecationWarning)
            from hyperimpute.plugins.imputers.plugin_gain import GainImputation
            from hyperimpute.plugins.imputers.plugin_ice import plugin as ice
            from hyperimpute.plugins.imputers.plugin_missforest import plugin as missforest
            from hyperimpute.plugins.imputers.plugin_miwae import plugin as miwae
    except ImportError as err:
        raise MissDiffError(
            f"the hyperimpute baselines need hyperimpute 0.1.17 ({err}); "
            "install it with `pip install --no-deps hyperimpute==0.1.17` and the `imputers` extra"
        ) from err
    finally:
        _restore_environ(env)
        optuna_logger.setLevel(optuna_state[0])
        optuna_logger.handlers[:] = optuna_state[1]
        optuna_logger.propagate = optuna_state[2]
    _modules = SimpleNamespace(ice=ice, missforest=missforest, gain=GainImputation, miwae=miwae)
    return _modules


def _restore_environ(saved: dict[str, str]) -> None:
    for key in set(os.environ) - set(saved):
        del os.environ[key]
    for key, value in saved.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def _plugin_seed(rng: np.random.Generator) -> int:
    # np.random.seed and scikit-learn need a seed below 2**32.
    return int(rng.integers(0, 2**31 - 1))


@contextmanager
def _isolated(seed: int | None, threads: int | None) -> Iterator[None]:
    """Run a plugin with the global RNGs seeded from `seed`, then put everything back.

    hyperimpute seeds and draws from numpy's, torch's and Python's global RNGs; saving, seeding
    and restoring them makes a run reproducible from our generator and invisible to the caller.
    The environment is restored too: torch's first optimizer sets TORCHINDUCTOR_CACHE_DIR.
    `threads` (None: leave as is) caps torch, BLAS/OpenMP and joblib for the call. `seed=None`
    leaves the global RNGs unseeded (for calls that draw nothing from them, still restored).
    """
    import torch

    env = dict(os.environ)
    # The legacy global RNG is exactly what hyperimpute draws from, hence NPY002 below.
    np_state = np.random.get_state()  # noqa: NPY002
    py_state = random.getstate()
    torch_threads = torch.get_num_threads()
    with ExitStack() as stack:
        stack.enter_context(torch.random.fork_rng())
        stack.enter_context(warnings.catch_warnings())
        stack.enter_context(_pandas_chained_assignment())
        if threads is not None:
            stack.enter_context(_thread_limits(threads))
        # hyperimpute's numpy/torch interplay and old APIs warn about deprecations on every call.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        if seed is not None:
            np.random.seed(seed)  # noqa: NPY002
            random.seed(seed)
            torch.manual_seed(seed)
        try:
            yield
        finally:
            np.random.set_state(np_state)  # noqa: NPY002
            random.setstate(py_state)
            torch.set_num_threads(torch_threads)
            _restore_environ(env)


@contextmanager
def _thread_limits(threads: int) -> Iterator[None]:
    """Cap thread pools: hyperimpute fits many tiny models, which extra threads only slow down.

    Measured on 2 busy cores: a small LogisticRegression fit 6x slower with 2 BLAS threads, a
    GAIN step 20x slower with 2 torch threads; and hyperimpute's LogisticRegression(n_jobs=-1)
    starts joblib worker processes unless joblib is told to run sequentially.
    """
    import joblib
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    backend = "sequential" if threads == 1 else "threading"
    with threadpool_limits(limits=threads), joblib.parallel_config(backend=backend, n_jobs=threads):
        yield


@contextmanager
def _pandas_chained_assignment() -> Iterator[None]:
    """hyperimpute's chained equations write with `X[col][rows] = ...`: needs copy-on-write off.

    Under copy-on-write that write is silently lost and the imputer returns its mean start values.
    """
    if int(pd.__version__.split(".")[0]) >= 3:
        raise MissDiffError("hyperimpute 0.1.17's imputers need pandas < 3 (copy-on-write)")
    with pd.option_context("mode.copy_on_write", False):
        yield


# -- encoding -------------------------------------------------------------------------------------
class _Codec:
    """Categorical values <-> integer codes, and per-column scaling, fitted on training rows."""

    def __init__(self, data: pd.DataFrame, categorical: tuple[str, ...], scaling: str) -> None:
        if scaling not in _SCALINGS:
            raise MissDiffError(f"scaling must be one of {list(_SCALINGS)}, got {scaling!r}")
        self.columns = list(data.columns)
        self.categories: dict[str, list[Any]] = {}
        self.codes: dict[str, dict[Any, int]] = {}
        for col in self.columns:
            if data[col].notna().sum() == 0:
                raise MissDiffError(f"column {col!r} has no observed value in the training rows")
            if col in categorical:
                cats = _sorted_categories(data[col].dropna().unique())
                self.categories[col] = cats
                self.codes[col] = {value: code for code, value in enumerate(cats)}
        raw = self._to_numeric(data)
        # Observed range per column (codes: 0..K-1); generated values are clipped to it.
        self.low = np.nanmin(raw, axis=0)
        self.high = np.nanmax(raw, axis=0)
        if scaling == "minmax":
            self.shift = np.nanmin(raw, axis=0)
            span = np.nanmax(raw, axis=0) - self.shift
        else:
            self.shift = np.nanmean(raw, axis=0)
            span = np.nanstd(raw, axis=0)
        # A constant column keeps scale 1 instead of dividing by zero.
        self.span = np.where(span > 0, span, 1.0)

    def _to_numeric(self, data: pd.DataFrame) -> np.ndarray:
        out = np.empty(data.shape, dtype=float)
        for j, col in enumerate(self.columns):
            if col in self.codes:
                # Unseen categories map to NaN: the model treats them as missing.
                out[:, j] = data[col].map(self.codes[col]).to_numpy(dtype=float, na_value=np.nan)
            else:
                out[:, j] = data[col].to_numpy(dtype=float, na_value=np.nan)
        return out

    def encode(self, data: pd.DataFrame) -> np.ndarray:
        return (self._to_numeric(data) - self.shift) / self.span

    def _clipped(self, raw: np.ndarray) -> np.ndarray:
        return np.clip(raw, self.low, self.high)

    def project(self, values: np.ndarray) -> np.ndarray:
        """Encoded values moved onto valid data: clipped to the training range, codes rounded."""
        raw = self._clipped(np.asarray(values, dtype=float) * self.span + self.shift)
        is_code = np.array([col in self.categories for col in self.columns])
        raw[:, is_code] = np.rint(raw[:, is_code])
        return (raw - self.shift) / self.span

    def decode(self, values: np.ndarray, index: pd.Index, clip: bool = False) -> pd.DataFrame:
        """Back to the table's columns; `clip` also clips continuous values to the training range.

        Imputations are not clipped (the base class keeps them as the plugins give them);
        generated rows are, since the Student-t decoder has heavy tails.
        """
        raw = np.asarray(values, dtype=float) * self.span + self.shift
        if clip:
            raw = self._clipped(raw)
        out: dict[str, Any] = {}
        for j, col in enumerate(self.columns):
            if col in self.categories:
                cats = self.categories[col]
                codes = np.clip(np.rint(raw[:, j]), 0, len(cats) - 1).astype(int)
                # infer_objects gives back float/int columns for numeric categories.
                out[col] = pd.Series(np.asarray(cats, dtype=object)[codes], index=index)
                out[col] = out[col].infer_objects()
            else:
                out[col] = pd.Series(raw[:, j], index=index)
        return pd.DataFrame(out, index=index)


def _sorted_categories(values: np.ndarray) -> list[Any]:
    # Numeric order keeps ordinal codes meaningful for imputers that regress on them.
    try:
        return sorted(values.tolist())
    except TypeError:
        return sorted(values.tolist(), key=str)


# -- models ---------------------------------------------------------------------------------------
class _HyperimputeModel(TabularModel):
    """Shared encode -> plugin -> decode path. Single imputation: `n_draws` is ignored."""

    capabilities: ClassVar[frozenset[str]] = frozenset({"impute"})

    def __init__(self, threads: int | None, scaling: str = "minmax") -> None:
        super().__init__()
        self.threads = threads
        self.scaling = scaling
        self._codec: _Codec | None = None

    def _fit(self, data: pd.DataFrame, rng: np.random.Generator) -> None:
        self._codec = _Codec(data, self._fitted_schema().categorical, self.scaling)
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


class _Transductive(_HyperimputeModel):
    """For plugins that can only fit_transform: impute training and new rows in one run."""

    def __init__(self, threads: int | None) -> None:
        super().__init__(threads)
        self._train: np.ndarray | None = None

    def _make_plugin(self, seed: int) -> Any:
        raise NotImplementedError

    def _fit_encoded(self, x: np.ndarray, rng: np.random.Generator) -> None:
        _hyperimpute()  # fail at fit, not at impute, when hyperimpute is missing
        self._train = x

    def _impute_encoded(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        assert self._train is not None
        seed = _plugin_seed(rng)
        stacked = pd.DataFrame(np.vstack([self._train, x]))
        with _isolated(seed, self.threads):
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
        super().__init__(self.cfg.threads)

    def _make_plugin(self, seed: int) -> Any:
        return _hyperimpute().ice(max_iter=self.cfg.max_iter, random_state=seed)


class MissForest(_Transductive):
    """hyperimpute's `missforest` plugin; transductive like `Mice`."""

    name: ClassVar[str] = "missforest"

    def __init__(self, cfg: MissForestConfig | None = None) -> None:
        self.cfg = cfg or MissForestConfig()
        super().__init__(self.cfg.threads)

    def _make_plugin(self, seed: int) -> Any:
        return _hyperimpute().missforest(max_iter=self.cfg.max_iter, random_state=seed)


class Gain(_HyperimputeModel):
    """GAIN: generator and discriminator trained on the training rows, then applied to new rows."""

    name: ClassVar[str] = "gain"

    def __init__(self, cfg: GainConfig | None = None) -> None:
        self.cfg = cfg or GainConfig()
        super().__init__(self.cfg.threads)
        self._model: Any = None

    def _fit_encoded(self, x: np.ndarray, rng: np.random.Generator) -> None:
        import torch

        model = _hyperimpute().gain(
            batch_size=self.cfg.batch_size,
            n_epochs=self.cfg.n_epochs,
            hint_rate=self.cfg.hint_rate,
        )
        with _isolated(_plugin_seed(rng), self.threads):
            model.fit(torch.from_numpy(x))
        self._model = model

    def _impute_encoded(self, x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        import torch

        # transform draws the generator's noise input from the global RNGs.
        with _isolated(_plugin_seed(rng), self.threads), torch.no_grad():
            filled = self._model.transform(torch.from_numpy(x))
        return filled.cpu().numpy().astype(float)


class Miwae(_HyperimputeModel):
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
        super().__init__(self.cfg.threads, self.cfg.scaling)
        self._plugin: Any = None

    def _fit_encoded(self, x: np.ndarray, rng: np.random.Generator) -> None:
        cfg = self.cfg
        seed = _plugin_seed(rng)
        with _isolated(seed, self.threads):
            plugin = _hyperimpute().miwae(
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

        with _isolated(_plugin_seed(rng), self.threads), torch.no_grad():
            filled = self._plugin.transform(pd.DataFrame(x))
        return np.asarray(filled, dtype=float)

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        codec = self._fitted_codec()
        return codec.decode(self._generate_encoded(n, rng), pd.RangeIndex(n), clip=True)

    def _fitted_codec(self) -> _Codec:
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
        with _isolated(None, self.threads), torch.no_grad():
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
        cfg = cfg or MiwaeModifiedConfig()
        if not 0.0 <= cfg.hide_ratio <= 1.0:
            raise MissDiffError(f"hide_ratio must be in [0, 1], got {cfg.hide_ratio}")
        super().__init__(cfg)
        self.cfg: MiwaeModifiedConfig = cfg

    def _sample(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        codec = self._fitted_codec()
        x = codec.project(self._generate_encoded(n, rng))
        hidden = _hide_at_random(x.shape, self.cfg.hide_ratio, rng)
        if hidden.any():
            x[hidden] = np.nan
            x = self._impute_encoded(x, rng)
        return codec.decode(x, pd.RangeIndex(n), clip=True)


def _hide_at_random(shape: tuple[int, int], ratio: float, rng: np.random.Generator) -> np.ndarray:
    """Bernoulli(ratio) mask per entry; a row hidden entirely gets one random entry back.

    MIWAE's imputation conditions on the observed entries: a row with none would be imputed
    from the encoder's output for an all-zero input, the same for every such row.
    """
    hidden = rng.random(shape) < ratio
    full = np.flatnonzero(hidden.all(axis=1))
    hidden[full, rng.integers(0, shape[1], size=len(full))] = False
    return hidden


IMPUTERS: dict[str, tuple[type[TabularModel], type]] = {
    "mice": (Mice, MiceConfig),
    "missforest": (MissForest, MissForestConfig),
    "gain": (Gain, GainConfig),
    "miwae": (Miwae, MiwaeConfig),
    "miwae_modified": (MiwaeModified, MiwaeModifiedConfig),
}
