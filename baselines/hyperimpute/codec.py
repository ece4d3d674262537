"""Table <-> numeric array for hyperimpute, which works on numeric frames only.

Every categorical column becomes integer codes 0..K-1 over its observed training categories in
the project's one category order (`schema.category_order`: numeric order when the values compare,
which keeps codes meaningful for imputers that regress on them); a category never seen in
training is treated as missing on input (the model base class returns observed entries
unchanged). Then every column, codes included, is scaled with statistics of the observed training
values (min-max to [0, 1] by default) so the neural imputers see inputs of one size. Outputs are
inverse-scaled; codes are rounded, clipped to 0..K-1 and mapped back to the category values.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.preprocessing import OrdinalEncoder

from missdiff.data.schema import category_order
from missdiff.errors import ConfigError, MissDiffError

SCALINGS = ("minmax", "standard")


class Codec:
    """Categorical values <-> integer codes, and per-column scaling, fitted on training rows."""

    def __init__(self, data: pd.DataFrame, categorical: tuple[str, ...], scaling: str) -> None:
        if scaling not in SCALINGS:
            raise ConfigError(f"model.scaling must be one of {list(SCALINGS)}, got {scaling!r}")
        self.columns = list(data.columns)
        for col in self.columns:
            if data[col].notna().sum() == 0:
                raise MissDiffError(f"column {col!r} has no observed value in the training rows")
        self.categorical = [col for col in self.columns if col in categorical]
        self.is_code = np.array([col in categorical for col in self.columns], dtype=bool)
        categories = [category_order(data[col].dropna().unique()) for col in self.categorical]
        for col, cats in zip(self.categorical, categories, strict=True):
            if len({isinstance(value, str) for value in cats}) > 1:
                # scikit-learn's encoders refuse categories that do not sort (strings and numbers).
                raise MissDiffError(
                    f"categorical column {col!r} mixes strings and numbers; the hyperimpute "
                    "baselines need one type per column (cast it to str when loading)"
                )
        # Object input compares categories by Python equality and hash (1 == 1.0), whatever the
        # column's dtype in a given frame; unseen categories and missing entries become NaN.
        self.encoder = OrdinalEncoder(
            categories=categories,
            handle_unknown="use_encoded_value",
            unknown_value=np.nan,
            dtype=float,
        )
        if self.categorical:
            self.encoder.fit(data[self.categorical].to_numpy(dtype=object))
            self.n_categories = np.array([len(c) for c in self.encoder.categories_])
        raw = self._to_numeric(data)
        # Observed range per column (codes: 0..K-1); generated values are clipped to it.
        self.low = np.nanmin(raw, axis=0)
        self.high = np.nanmax(raw, axis=0)
        # Scaling by hand, not with MinMaxScaler / StandardScaler: MinMaxScaler computes
        # x * scale + min, which differs in the last bit from (x - min) / span and so from the
        # committed run records; StandardScaler sets the scale of a nearly constant column to 1.
        if scaling == "minmax":
            self.shift = np.nanmin(raw, axis=0)
            span = np.nanmax(raw, axis=0) - self.shift
        else:
            self.shift = np.nanmean(raw, axis=0)
            span = np.nanstd(raw, axis=0)
        # A constant column keeps scale 1 instead of dividing by zero.
        self.span = np.where(span > 0, span, 1.0)

    @property
    def categories(self) -> dict[str, list]:
        """Each categorical column's training categories, in code order."""
        if not self.categorical:
            return {}
        return {c: list(v) for c, v in zip(self.categorical, self.encoder.categories_, strict=True)}

    def _to_numeric(self, data: pd.DataFrame) -> np.ndarray:
        out = np.empty(data.shape, dtype=float)
        continuous = [col for col in self.columns if col not in self.categorical]
        out[:, ~self.is_code] = data[continuous].to_numpy(dtype=float, na_value=np.nan)
        if self.categorical:
            out[:, self.is_code] = self.encoder.transform(
                data[self.categorical].to_numpy(dtype=object)
            )
        return out

    def encode(self, data: pd.DataFrame) -> np.ndarray:
        return (self._to_numeric(data) - self.shift) / self.span

    def _clipped(self, raw: np.ndarray) -> np.ndarray:
        return np.clip(raw, self.low, self.high)

    def project(self, values: np.ndarray) -> np.ndarray:
        """Encoded values moved onto valid data: clipped to the training range, codes rounded."""
        raw = self._clipped(np.asarray(values, dtype=float) * self.span + self.shift)
        raw[:, self.is_code] = np.rint(raw[:, self.is_code])
        return (raw - self.shift) / self.span

    def decode(self, values: np.ndarray, index: pd.Index, clip: bool = False) -> pd.DataFrame:
        """Back to the table's columns; `clip` also clips continuous values to the training range.

        Imputations are not clipped (the base class keeps them as the plugins give them);
        generated rows are, since MIWAE's Student-t decoder has heavy tails.
        """
        raw = np.asarray(values, dtype=float) * self.span + self.shift
        if clip:
            raw = self._clipped(raw)
        labels = {}
        if self.categorical:
            codes = np.clip(np.rint(raw[:, self.is_code]), 0, self.n_categories - 1)
            decoded = self.encoder.inverse_transform(codes).T
            labels = dict(zip(self.categorical, decoded, strict=True))
        out: dict[str, pd.Series] = {}
        for j, col in enumerate(self.columns):
            if col in labels:
                # infer_objects gives back float/int columns for numeric categories.
                out[col] = pd.Series(labels[col], index=index).infer_objects()
            else:
                out[col] = pd.Series(raw[:, j], index=index)
        return pd.DataFrame(out, index=index)
