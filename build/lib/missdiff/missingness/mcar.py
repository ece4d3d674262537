"""MCAR masks of the paper's Appendix C.2 ("Choice of Masks under Different Missing Mechanisms").

Every function here returns a HIDDEN mask: an (n, d) boolean array, True where the mechanism
removes the entry. `missdiff.missingness.apply_missingness` combines it with the table's native
mask (observed = native observed AND NOT hidden).

Native missingness and the MCAR masks. The paper defines the three MCAR mechanisms on a complete
table: the mask is drawn independently of the data. We keep that definition literally when the
table already has native NaNs: positions are drawn among ALL entries of a row (or column), and a
drawn entry that is natively missing simply stays missing. Why:
- the mechanism's mask stays independent of both the data and the native mask, which is what
  MCAR and Remark C.1 (its bound on every column keeping an observed entry) assume;
- drawing only among a row's observed entries would make the number hidden depend on how many
  are natively missing, and would empty a row with fewer than floor(d*ratio) observed entries.
The cost: on a natively incomplete table the share of entries lost to the mechanism among the
natively observed ones is `ratio` only in expectation (exact on a complete table). The
column-balanced protocol that draws among observed entries is `tabcsdi`
(missdiff/missingness/tabcsdi.py).
"""

from __future__ import annotations

import math

import numpy as np

from missdiff.config import MissingnessConfig
from missdiff.data.schema import Table
from missdiff.errors import ConfigError, MissDiffError

# Guard against float products such as 0.29 * 100 = 28.999999999999996 flooring one short.
_FLOOR_EPS = 1e-9


def check_ratio(ratio: float) -> float:
    """The missing ratio alpha of Appendix C.2, which must lie in (0, 1)."""
    ratio = float(ratio)
    if not 0.0 < ratio < 1.0:
        raise ConfigError(f"missingness.ratio must be in (0, 1), got {ratio}")
    return ratio


def _floor(x: float) -> int:
    return math.floor(x + _FLOOR_EPS)


def _first_k_along(keys: np.ndarray, k: np.ndarray | int, axis: int) -> np.ndarray:
    """True at the k smallest keys along `axis` (a uniform k-subset when keys are iid uniform)."""
    ranks = np.argsort(np.argsort(keys, axis=axis), axis=axis)
    return ranks < k


def row_mask(n: int, d: int, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """ "Row Missing": every row loses exactly floor(d * ratio) entries at uniform positions."""
    ratio = check_ratio(ratio)
    k = _floor(d * ratio)
    if k == 0:
        raise MissDiffError(
            f"mcar_row hides floor(d*ratio) = floor({d}*{ratio}) = 0 entries per row; "
            f"use missingness.ratio >= {1 / d:.4g}"
        )
    return _first_k_along(rng.random((n, d)), k, axis=1)


def column_mask(n: int, d: int, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """ "Column Missing": every column loses exactly floor(n * ratio) entries at uniform rows."""
    ratio = check_ratio(ratio)
    k = _floor(n * ratio)
    if k == 0:
        raise MissDiffError(
            f"mcar_column hides floor(n*ratio) = floor({n}*{ratio}) = 0 entries per column; "
            f"use missingness.ratio >= {1 / n:.4g}"
        )
    return _first_k_along(rng.random((n, d)), k, axis=0)


def independent_mask(n: int, d: int, ratio: float, rng: np.random.Generator) -> np.ndarray:
    """ "Independent Missing": each entry is hidden by its own Bernoulli(ratio) draw."""
    ratio = check_ratio(ratio)
    return rng.random((n, d)) < ratio


def mcar_row(table: Table, cfg: MissingnessConfig, rng: np.random.Generator) -> np.ndarray:
    """Hidden mask of `row_mask` for `table` (see the module docstring on native NaNs)."""
    return row_mask(len(table), len(table.schema.columns), cfg.ratio, rng)


def mcar_column(table: Table, cfg: MissingnessConfig, rng: np.random.Generator) -> np.ndarray:
    """Hidden mask of `column_mask` for `table` (see the module docstring on native NaNs)."""
    return column_mask(len(table), len(table.schema.columns), cfg.ratio, rng)


def mcar_independent(table: Table, cfg: MissingnessConfig, rng: np.random.Generator) -> np.ndarray:
    """Hidden mask of `independent_mask` for `table`."""
    return independent_mask(len(table), len(table.schema.columns), cfg.ratio, rng)
