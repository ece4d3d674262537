"""Pre- and post-processing between a mixed-type table and the array a diffusion model sees.

The paper (section 4.2 and Appendix C.4) scales continuous columns, one-hot encodes categorical
columns, replaces a missing continuous entry by 0 and gives each categorical column "a new category
to represent na". `TabularEncoder` does exactly that and keeps an observed-entry mask at the
encoded width, so the masked loss of MissDiff can ignore every encoded position of a missing entry.

Layout of an encoded row: the original columns in `schema.columns` order; a continuous column
takes one position, a categorical column with k observed categories takes k + 1 positions (its
categories in sorted order, then the "missing" category).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
import pandas as pd

from missdiff.data.schema import Schema, category_order
from missdiff.errors import MissDiffError

Scaling = Literal["minmax", "tabcsdi"]
OneHot = Literal["zero_one", "plus_minus_one"]

_SCALINGS = ("minmax", "tabcsdi")
_ONEHOTS = ("zero_one", "plus_minus_one")


@dataclass(eq=False)
class TabularEncoder:
    """Encodes a table with missing values into a float array plus an observed mask, and back.

    Args:
        schema: which columns exist (in order) and which are categorical.
        scaling: "minmax" maps each continuous column to [0, 1] by (x - min) / (max - min), as the
            paper states; "tabcsdi" uses TabCSDI's (x - min + 1) / (max - min + 1), which is what
            reproduces the paper's Table 1 (see shared/notes/reference-implementations.md).
        onehot: "zero_one" encodes categories as 0/1; "plus_minus_one" as -1/+1 like the authors'
            code (category_encoders' one-hot with values {-1, +1}).

    Fitted attributes (set by `fit`; statistics use observed values only):
        minimum, maximum: per continuous column, the observed min and max of the fit data.
        categories: per categorical column, the sorted observed category values.
        dtypes: per categorical column, its dtype in the fit data (restored by inverse_transform).
    """

    schema: Schema
    scaling: Scaling = "minmax"
    onehot: OneHot = "zero_one"

    minimum: dict[str, float] = field(default_factory=dict, init=False, repr=False)
    maximum: dict[str, float] = field(default_factory=dict, init=False, repr=False)
    categories: dict[str, list[Any]] = field(default_factory=dict, init=False, repr=False)
    dtypes: dict[str, Any] = field(default_factory=dict, init=False, repr=False)
    _offset: dict[str, float] = field(default_factory=dict, init=False, repr=False)
    _scale: dict[str, float] = field(default_factory=dict, init=False, repr=False)
    _index: dict[str, pd.Index] = field(default_factory=dict, init=False, repr=False)
    _fitted: bool = field(default=False, init=False, repr=False)

    def __post_init__(self) -> None:
        if self.scaling not in _SCALINGS:
            raise MissDiffError(f"scaling must be one of {_SCALINGS}, got {self.scaling!r}")
        if self.onehot not in _ONEHOTS:
            raise MissDiffError(f"onehot must be one of {_ONEHOTS}, got {self.onehot!r}")

    # ------------------------------------------------------------------ fitting

    def fit(self, data: pd.DataFrame) -> TabularEncoder:
        """Learn scaling statistics and category lists from the observed entries of `data`."""
        data = self._select(data)
        empty = [c for c in self.schema.columns if data[c].notna().sum() == 0]
        if empty:
            raise MissDiffError(
                f"columns {empty} have no observed value; drop them or fit on more rows"
            )
        minimum, maximum, offset, scale = {}, {}, {}, {}
        categories, dtypes, index = {}, {}, {}
        for col in self.schema.columns:
            if self.schema.is_categorical(col):
                observed = pd.unique(data[col].dropna().to_numpy(dtype=object))
                cats = category_order(observed)
                categories[col] = cats
                dtypes[col] = data[col].dtype
                # Object index: Python equality/hash, so 1, 1.0 and np.int64(1) all match.
                index[col] = pd.Index(cats, dtype=object)
            else:
                values = self._numeric(data[col], col)
                lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
                minimum[col], maximum[col] = lo, hi
                if self.scaling == "minmax":
                    # A constant column maps to 0; dividing by 1 instead of 0 keeps it finite.
                    offset[col], scale[col] = lo, (hi - lo) if hi > lo else 1.0
                else:
                    offset[col], scale[col] = lo - 1.0, hi - lo + 1.0
        self.minimum, self.maximum, self._offset, self._scale = minimum, maximum, offset, scale
        self.categories, self.dtypes, self._index = categories, dtypes, index
        self._fitted = True
        return self

    # ------------------------------------------------------------------ saving

    def state(self) -> dict[str, Any]:
        """What a fitted encoder holds, as plain Python values (torch.load(weights_only=True)
        reads them back; missdiff.estimator saves a model with it)."""
        self._check_fitted()
        return {
            "columns": list(self.schema.columns),
            "categorical": list(self.schema.categorical),
            "scaling": self.scaling,
            "onehot": self.onehot,
            "minimum": dict(self.minimum),
            "maximum": dict(self.maximum),
            "offset": dict(self._offset),
            "scale": dict(self._scale),
            "categories": {c: list(v) for c, v in self.categories.items()},
            "dtypes": {c: str(d) for c, d in self.dtypes.items()},
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], schema: Schema) -> TabularEncoder:
        """The fitted encoder `state()` described, for `schema` (which must match it)."""
        if (
            list(schema.columns) != state["columns"]
            or list(schema.categorical) != state["categorical"]
        ):
            raise MissDiffError("saved encoder does not match the schema it is loaded with")
        enc = cls(schema, scaling=state["scaling"], onehot=state["onehot"])
        enc.minimum, enc.maximum = dict(state["minimum"]), dict(state["maximum"])
        enc._offset, enc._scale = dict(state["offset"]), dict(state["scale"])
        enc.categories = {c: list(v) for c, v in state["categories"].items()}
        enc.dtypes = {c: pd.api.types.pandas_dtype(d) for c, d in state["dtypes"].items()}
        enc._index = {c: pd.Index(v, dtype=object) for c, v in enc.categories.items()}
        enc._fitted = True
        return enc

    # ------------------------------------------------------------------ layout

    @property
    def widths(self) -> list[int]:
        """Encoded width of each original column, in schema order."""
        self._check_fitted()
        return [
            len(self.categories[c]) + 1 if self.schema.is_categorical(c) else 1
            for c in self.schema.columns
        ]

    @property
    def width(self) -> int:
        """Number of encoded positions per row."""
        return int(sum(self.widths))

    @property
    def column_slices(self) -> dict[str, slice]:
        """Encoded positions of each column (a categorical's block includes its "missing" dim)."""
        ends = np.cumsum(self.widths)
        starts = ends - np.asarray(self.widths)
        return {
            c: slice(int(s), int(e))
            for c, s, e in zip(self.schema.columns, starts, ends, strict=True)
        }

    @property
    def categorical_blocks(self) -> list[slice]:
        """For each categorical column (schema order), the positions of its REAL categories only."""
        slices = self.column_slices
        return [
            slice(slices[c].start, slices[c].stop - 1)
            for c in self.schema.columns
            if self.schema.is_categorical(c)
        ]

    @property
    def missing_category_index(self) -> np.ndarray:
        """Encoded position of the "missing" category of each categorical column (schema order)."""
        slices = self.column_slices
        return np.array(
            [slices[c].stop - 1 for c in self.schema.columns if self.schema.is_categorical(c)],
            dtype=np.int64,
        )

    @property
    def continuous_index(self) -> np.ndarray:
        """Encoded positions of the continuous columns, in `schema.continuous` order."""
        slices = self.column_slices
        return np.array([slices[c].start for c in self.schema.continuous], dtype=np.int64)

    # ------------------------------------------------------------------ encoding

    def transform(
        self, data: pd.DataFrame, unknown: str = "error"
    ) -> tuple[np.ndarray, np.ndarray]:
        """Encode `data`: returns (float32 array (n, width), bool observed mask (n, width)).

        `unknown`: what a category not seen in `fit` does: "error", or "missing" (the entry is
        encoded as missing, so a model imputing new rows conditions on everything else).

        Missing continuous entries become 0; a missing categorical entry becomes its "missing"
        category. The mask is False at every position of a missing entry (the whole block of a
        categorical). Values outside the fitted range are not clipped, so test rows keep their
        true distance on the encoder's scale.
        """
        self._check_fitted()
        data = self._select(data)
        n = len(data)
        off, on = (-1.0, 1.0) if self.onehot == "plus_minus_one" else (0.0, 1.0)
        out = np.zeros((n, self.width), dtype=np.float64)
        observed = data.notna().to_numpy()
        for j, (col, sl) in enumerate(self.column_slices.items()):
            present = observed[:, j]
            if self.schema.is_categorical(col):
                codes = np.full(n, sl.stop - sl.start - 1, dtype=np.int64)  # "missing" category
                values = data[col].to_numpy(dtype=object)[present]
                found = self._index[col].get_indexer(values)
                if (found < 0).any() and unknown == "missing":
                    observed[np.flatnonzero(present)[found < 0], j] = False
                    present, found = observed[:, j], found[found >= 0]
                elif (found < 0).any():
                    unseen = sorted({str(v) for v in values[found < 0]})[:5]
                    raise MissDiffError(
                        f"column {col!r} has categories not seen in fit: {unseen}; "
                        "fit the encoder on data containing them"
                    )
                codes[present] = found
                block = np.full((n, sl.stop - sl.start), off)
                block[np.arange(n), codes] = on
                out[:, sl] = block
            else:
                values = self._numeric(data[col], col)
                scaled = (values - self._offset[col]) / self._scale[col]
                out[:, sl.start] = np.where(present, scaled, 0.0)
        return out.astype(np.float32), self.expand_mask(observed)

    def expand_mask(self, observed: np.ndarray) -> np.ndarray:
        """Turn an (n, d) column-level observed mask into the (n, width) encoded-width mask."""
        observed = np.asarray(observed, dtype=bool)
        d = len(self.schema.columns)
        if observed.ndim != 2 or observed.shape[1] != d:
            raise ValueError(f"mask must have shape (n, {d}), got {observed.shape}")
        return np.repeat(observed, self.widths, axis=1)

    def normalise(self, data: pd.DataFrame) -> np.ndarray:
        """The continuous columns (schema.continuous order) on the encoder's scale, NaN kept.

        Shape (n, n_continuous), float64. The RMSE evaluator scores imputations on this scale.
        """
        self._check_fitted()
        data = self._select(data)
        cols = self.schema.continuous
        out = np.empty((len(data), len(cols)), dtype=np.float64)
        for k, col in enumerate(cols):
            out[:, k] = (self._numeric(data[col], col) - self._offset[col]) / self._scale[col]
        return out

    # ------------------------------------------------------------------ decoding

    def inverse_transform(self, x: np.ndarray) -> pd.DataFrame:
        """Decode an (n, width) array into a DataFrame with the schema's columns.

        Continuous: inverse scaling (in float64), clipped to the observed [min, max] of the fit
        data. Categorical: argmax over the real categories (the "missing" dim is ignored, so
        decoded rows are complete), mapped to the original values with the fit data's dtype.
        """
        self._check_fitted()
        x = np.asarray(x, dtype=np.float64)
        if x.ndim != 2 or x.shape[1] != self.width:
            raise MissDiffError(f"expected an array of shape (n, {self.width}), got {x.shape}")
        if not np.isfinite(x).all():
            raise MissDiffError("array to decode contains NaN or inf; the model likely diverged")
        columns: dict[str, pd.Series] = {}
        for col, sl in self.column_slices.items():
            if self.schema.is_categorical(col):
                codes = np.argmax(x[:, sl.start : sl.stop - 1], axis=1)
                values = np.empty(len(self.categories[col]), dtype=object)
                values[:] = self.categories[col]  # element-wise, so tuples etc. stay scalars
                columns[col] = pd.Series(values[codes], dtype=object).astype(self.dtypes[col])
            else:
                raw = x[:, sl.start] * self._scale[col] + self._offset[col]
                columns[col] = pd.Series(np.clip(raw, self.minimum[col], self.maximum[col]))
        return pd.DataFrame(columns, columns=list(self.schema.columns))

    # ------------------------------------------------------------------ helpers

    def _check_fitted(self) -> None:
        if not self._fitted:
            raise MissDiffError("the encoder is not fitted; call fit(training_data) first")

    def _select(self, data: pd.DataFrame) -> pd.DataFrame:
        """The schema's columns of `data`, in schema order (extra columns are ignored)."""
        absent = [c for c in self.schema.columns if c not in data.columns]
        if absent:
            raise MissDiffError(f"data lacks the schema columns {absent}")
        return data.loc[:, list(self.schema.columns)]

    @staticmethod
    def _numeric(column: pd.Series, name: str) -> np.ndarray:
        """A continuous column as float64 with NaN for missing; rejects text and infinities."""
        try:
            values = pd.to_numeric(column, errors="raise").to_numpy(
                dtype=np.float64, na_value=np.nan
            )
        except (TypeError, ValueError) as err:
            raise MissDiffError(f"continuous column {name!r} holds non-numeric values") from err
        if np.isinf(values).any():
            raise MissDiffError(f"continuous column {name!r} holds infinite values")
        return values
