"""MissDiff on your own table: scikit-learn-style estimators over the project's models.

    from missdiff import MissDiff
    model = MissDiff(random_state=0).fit(df)      # df: a DataFrame, NaN where values are missing
    completed = model.transform(df)               # same index, columns and dtypes; observed kept
    draws = model.impute_draws(df, 5)             # five imputations (multiple imputation)
    synthetic = model.sample(1000)                # complete synthetic rows
    model.save("model.pt"); MissDiff.load("model.pt").transform(new_rows)

Column types are inferred (numbers continuous; strings, booleans and pandas categories
categorical); `categorical=[...]` names the categorical columns instead, and then every other
column must be numeric. `MissDiff` and `CSDIT` train the diffusion models of the paper
(missdiff/models/diffusion.py, baselines/csdi_t.py); `MeanModeImputer`, `MICEImputer`,
`MissForestImputer` and `GAINImputer` wrap the library imputers of the paper's Table 1 (impute
only; pickle them, `save` is for the diffusion models). Every estimator answers
get_params/set_params (so `sklearn.base.clone` works), draws its randomness only from
`random_state`, never mutates its input, and pickles.

The defaults of the diffusion estimators are this project's, not the paper's: the paper's
backbone learns a table's dependence between columns only after tens of thousands of steps on a
CPU, so the practitioner's default is the one that learns most per CPU-minute on the learning
curves (results/tables/convergence.md, README "Your own data").
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.base import BaseEstimator, TransformerMixin

from missdiff.data.schema import Schema, infer_schema
from missdiff.errors import MissDiffError
from missdiff.files import atomic_path

SAVE_FORMAT = "missdiff-estimator"
SAVE_VERSION = 1
# Independent random streams, as in a run (missdiff/pipeline.py): fit and inference.
_FIT, _INFERENCE = 3, 4


def _seed(random_state: Any) -> int:
    """An int seed from `random_state`: an int, a numpy Generator (drawn from), or None."""
    if random_state is None:
        return int(np.random.default_rng().integers(2**62))
    if isinstance(random_state, np.random.Generator):
        return int(random_state.integers(2**62))
    if isinstance(random_state, (int, np.integer)) and not isinstance(random_state, bool):
        if random_state < 0:
            raise MissDiffError(f"random_state must be a non-negative int, got {random_state}")
        return int(random_state)
    raise MissDiffError(
        f"random_state must be an int, a numpy Generator or None, got {random_state!r}"
    )


@contextlib.contextmanager
def _torch_threads(threads: int | None) -> Iterator[None]:
    """Set torch's thread count for the block only (a library must not change it for good)."""
    if threads is None:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def _as_input_dtypes(completed: pd.DataFrame, like: pd.DataFrame) -> pd.DataFrame:
    """`completed` in `like`'s dtypes where they can hold the values (integers are rounded)."""
    out = completed.copy()
    for col in like.columns:
        dtype = like[col].dtype
        if out[col].dtype == dtype:
            continue
        values = out[col]
        if pd.api.types.is_integer_dtype(dtype) and pd.api.types.is_float_dtype(values):
            values = values.round()
        with contextlib.suppress(TypeError, ValueError):
            out[col] = values.astype(dtype)
    return out


class TableEstimator(BaseEstimator, TransformerMixin):
    """The shared face of every public estimator: fit / transform / impute_draws / sample."""

    model_name: ClassVar[str] = ""

    # -- the model each estimator builds -------------------------------------------------------
    def _config(self) -> Any:
        raise NotImplementedError

    def _build(self) -> Any:
        from missdiff.registry import load

        cls, _ = load("model", self.model_name)
        return cls(self._config())

    # -- the scikit-learn face -----------------------------------------------------------------
    def fit(self, X: pd.DataFrame, y: Any = None) -> TableEstimator:
        """Fit on an incomplete table (NaN = missing); `y` is ignored."""
        schema = infer_schema(X, getattr(self, "categorical", None))
        self.seed_ = _seed(self.random_state)
        self.schema_ = schema
        self.columns_ = list(X.columns)
        self.dtypes_ = {c: str(X[c].dtype) for c in X.columns}
        model = self._build()
        with _torch_threads(getattr(self, "threads", None)):
            model.fit(X.copy(), schema, np.random.default_rng([self.seed_, _FIT]))
        self.model_ = model
        self.n_features_in_ = len(schema.columns)
        return self

    def transform(self, X: pd.DataFrame) -> pd.DataFrame:
        """X with every missing entry filled; index, columns and dtypes kept, and every observed
        entry returned exactly as given. The same random_state gives the same output."""
        data = self._checked(X)
        with _torch_threads(getattr(self, "threads", None)):
            result = self.model_.impute(data, self._inference_rng())
        return _as_input_dtypes(result.completed[list(X.columns)], X)

    def impute_draws(self, X: pd.DataFrame, n_draws: int) -> list[pd.DataFrame]:
        """`n_draws` completed copies of X, one per draw of the model's posterior (multiple
        imputation). A model with a single imputation (Mean/Mode, MICE, MissForest) refuses; GAIN's
        draws are passes of its one generator with fresh input noise, and barely differ."""
        if not isinstance(n_draws, (int, np.integer)) or n_draws < 1:
            raise MissDiffError(f"n_draws must be a positive integer, got {n_draws!r}")
        data = self._checked(X)
        with _torch_threads(getattr(self, "threads", None)):
            result = self.model_.impute(data, self._inference_rng(), n_draws=int(n_draws))
        if result.draws is None:
            raise MissDiffError(f"{type(self).__name__} gives one imputation; use transform")
        observed = data.notna()
        order = list(X.columns)
        return [_as_input_dtypes(d.where(~observed, data)[order], X) for d in result.draws]

    def sample(self, n: int) -> pd.DataFrame:
        """`n` complete synthetic rows with the fitted table's columns and dtypes."""
        self._check_fitted()
        if not isinstance(n, (int, np.integer)) or n < 1:
            raise MissDiffError(f"the number of rows must be a positive integer, got {n!r}")
        with _torch_threads(getattr(self, "threads", None)):
            rows = self.model_.sample(int(n), self._inference_rng())
        like = pd.DataFrame({c: pd.Series(dtype=d) for c, d in self.dtypes_.items()})
        return _as_input_dtypes(rows[self.columns_], like)

    # -- helpers ---------------------------------------------------------------------------------
    def _check_fitted(self) -> None:
        if not hasattr(self, "model_"):
            raise MissDiffError(f"{type(self).__name__} is not fitted; call fit(table) first")

    def _inference_rng(self) -> np.random.Generator:
        return np.random.default_rng([self.seed_, _INFERENCE])

    def _checked(self, X: pd.DataFrame) -> pd.DataFrame:
        """X's columns in the fitted order, after the checks a fitted model needs."""
        self._check_fitted()
        if not isinstance(X, pd.DataFrame):
            raise MissDiffError(f"expected a pandas DataFrame, got {type(X).__name__}")
        missing = [c for c in self.columns_ if c not in X.columns]
        extra = [c for c in X.columns if c not in self.columns_]
        if missing or extra:
            raise MissDiffError(
                f"the table's columns differ from the fitted ones: missing {missing}, extra "
                f"{extra}; pass the columns the model was fitted on"
            )
        if len(X) == 0:
            raise MissDiffError("the table has no rows")
        data = X[self.columns_].copy()
        for col in self.schema_.continuous:
            values = pd.to_numeric(data[col], errors="coerce")
            bad = data[col][values.isna() & data[col].notna()]
            if len(bad):
                raise MissDiffError(f"column {col!r} is numeric but holds {str(bad.iloc[0])!r}")
            if np.isinf(values.to_numpy(dtype=float)).any():
                raise MissDiffError(f"column {col!r} holds inf; replace it by NaN or a value")
        encoder = getattr(self.model_, "encoder", None)
        for col in self.schema_.categorical if encoder is not None else ():
            seen = pd.Index(encoder.categories[col], dtype=object)
            values = data[col].dropna().to_numpy(dtype=object)
            unseen = sorted({str(v) for v in values[seen.get_indexer(values) < 0]})
            if unseen:
                raise MissDiffError(
                    f"column {col!r} has categories not seen in fit: {unseen[:5]}; refit on a "
                    "table that has them, or set them to NaN"
                )
        return data

    # -- saving ----------------------------------------------------------------------------------
    def save(self, path: str | Path) -> Path:
        """Write the fitted model (weights, encoder, settings) to `path`, atomically."""
        raise MissDiffError(
            f"{type(self).__name__} cannot be saved in the safe format; pickle it instead"
        )


class _DiffusionEstimator(TableEstimator):
    """MissDiff and CSDI_T: the diffusion models, with save/load."""

    def __init__(
        self,
        *,
        categorical: Sequence[str] | None = None,
        denoiser: str = "mlp",
        train_steps: int = 10_000,
        epochs: int = 250,
        batch_size: int = 64,
        lr: float = 5e-4,
        ema_decay: float = 0.999,
        mlp_width: int = 256,
        mlp_depth: int = 4,
        channels: int = 64,
        n_layers: int = 4,
        n_heads: int = 4,
        num_steps: int = 100,
        dropout: float = 0.0,
        n_impute_samples: int = 10,
        random_state: int | np.random.Generator | None = None,
        device: str = "auto",
        threads: int | None = None,
        progress: bool | None = None,
    ) -> None:
        self.categorical = categorical
        self.denoiser = denoiser
        self.train_steps = train_steps
        self.epochs = epochs
        self.batch_size = batch_size
        self.lr = lr
        self.ema_decay = ema_decay
        self.mlp_width = mlp_width
        self.mlp_depth = mlp_depth
        self.channels = channels
        self.n_layers = n_layers
        self.n_heads = n_heads
        self.num_steps = num_steps
        self.dropout = dropout
        self.n_impute_samples = n_impute_samples
        self.random_state = random_state
        self.device = device
        self.threads = threads
        self.progress = progress

    def _config(self) -> Any:
        from missdiff.models.diffusion import DiffusionConfig

        progress = sys.stderr.isatty() if self.progress is None else bool(self.progress)
        cfg = DiffusionConfig(
            name=self.model_name, denoiser=self.denoiser, train_steps=self.train_steps,
            epochs=self.epochs, batch_size=self.batch_size, lr=self.lr,
            ema_decay=self.ema_decay, mlp_width=self.mlp_width, mlp_depth=self.mlp_depth,
            channels=self.channels, n_layers=self.n_layers, n_heads=self.n_heads,
            num_steps=self.num_steps, dropout=self.dropout,
            n_impute_samples=self.n_impute_samples, device=self.device, progress=progress,
        )  # fmt: skip
        cfg.check()
        return cfg

    def save(self, path: str | Path) -> Path:
        import torch

        self._check_fitted()
        params = {k: (list(v) if isinstance(v, tuple) else v)
                  for k, v in self.get_params().items() if k != "random_state"}  # fmt: skip
        bundle = {
            "format": SAVE_FORMAT,
            "version": SAVE_VERSION,
            "estimator": type(self).__name__,
            "params": params,
            "seed": self.seed_,
            "columns": list(self.columns_),
            "dtypes": dict(self.dtypes_),
            "categorical": list(self.schema_.categorical),
            "model": self.model_.state(),
        }
        path = Path(path)
        if not path.parent.is_dir():
            raise MissDiffError(f"cannot save to {path}: folder {path.parent} does not exist")
        with atomic_path(path) as tmp:
            torch.save(bundle, tmp)
        return path

    @classmethod
    def load(cls, path: str | Path) -> _DiffusionEstimator:
        """A fitted estimator from `save`'s file (read with weights_only: no code is loaded)."""
        import torch

        path = Path(path)
        if not path.is_file():
            raise MissDiffError(f"no saved model at {path}")
        try:
            bundle = torch.load(path, map_location="cpu", weights_only=True)
        except Exception as err:  # any file that is not a torch archive ends up here
            reason = str(err).splitlines()[0] if str(err) else type(err).__name__
            raise MissDiffError(f"{path} is not a saved missdiff model ({reason})") from None
        if not isinstance(bundle, dict) or bundle.get("format") != SAVE_FORMAT:
            raise MissDiffError(f"{path} is not a saved missdiff model")
        if bundle.get("version") != SAVE_VERSION:
            raise MissDiffError(f"{path} has format version {bundle.get('version')}; this "
                                f"missdiff reads version {SAVE_VERSION}")  # fmt: skip
        owner = ESTIMATORS.get(bundle["estimator"])
        if owner is None or not issubclass(owner, cls):
            raise MissDiffError(f"{path} holds a {bundle['estimator']}, not a {cls.__name__}")
        est = owner(**bundle["params"])
        est.seed_ = int(bundle["seed"])
        est.random_state = est.seed_
        est.columns_ = list(bundle["columns"])
        est.dtypes_ = dict(bundle["dtypes"])
        est.schema_ = Schema(tuple(est.columns_), tuple(bundle["categorical"]))
        est.n_features_in_ = len(est.columns_)
        est.model_ = est._build().load_state(bundle["model"], est.schema_)
        return est


class MissDiff(_DiffusionEstimator):
    """MissDiff (Ouyang et al.): one diffusion model trained on the incomplete table with the
    masked denoising loss; imputes (Algorithm 2) and samples complete rows (Algorithm 3)."""

    model_name = "missdiff"


class CSDIT(_DiffusionEstimator):
    """CSDI_T (Zheng & Charoenphakdee 2022): the conditional diffusion imputer the paper compares
    with; trained by hiding a random share of each row's observed entries."""

    model_name = "csdi_t"


class _LibraryImputer(TableEstimator):
    """An imputer of the paper's Table 1 (impute only). `options` sets fields of its model's
    config (e.g. `MissForestImputer(options={"max_iter": 10})`; see baselines/)."""

    def __init__(
        self,
        *,
        categorical: Sequence[str] | None = None,
        options: dict[str, Any] | None = None,
        random_state: int | np.random.Generator | None = None,
    ) -> None:
        self.categorical = categorical
        self.options = options
        self.random_state = random_state

    def _config(self) -> Any:
        from missdiff.registry import make_config

        return make_config("model", {**(self.options or {}), "name": self.model_name})

    def sample(self, n: int) -> pd.DataFrame:
        raise MissDiffError(f"{type(self).__name__} imputes only; use MissDiff to sample rows")


class MeanModeImputer(_LibraryImputer):
    """Column means and most frequent categories of the fitted table."""

    model_name = "mean_mode"


class MICEImputer(_LibraryImputer):
    """Chained equations with linear/logistic models (hyperimpute's `ice`; the paper's MICE)."""

    model_name = "mice"


class MissForestImputer(_LibraryImputer):
    """MissForest (hyperimpute's `missforest`)."""

    model_name = "missforest"


class GAINImputer(_LibraryImputer):
    """GAIN (hyperimpute's `gain`)."""

    model_name = "gain"


def load(path: str | Path) -> _DiffusionEstimator:
    """The fitted MissDiff or CSDIT estimator saved at `path`."""
    return _DiffusionEstimator.load(path)


ESTIMATORS: dict[str, type[TableEstimator]] = {
    cls.__name__: cls
    for cls in (MissDiff, CSDIT, MeanModeImputer, MICEImputer, MissForestImputer, GAINImputer)
}
