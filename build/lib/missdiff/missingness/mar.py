"""MAR and NMAR masks through a logistic model (paper Appendix C.2, after Muzellec et al. 2020).

Paper, Appendix C.2:
- MAR: "a fixed subset of variables that cannot have missing values is first sampled. Then, the
  remaining variables will have missing values according to a logistic model with random weights,
  which takes the non-missing variables as inputs. The outcome of this logistic model is
  re-scaled to attain a given missing ratio alpha."
- NMAR: "the same pipeline as MAR with the inputs of the logistic model are masked by the MCAR
  mechanism" (Muzellec et al. 2020, their logistic MNAR with the inputs excluded then masked).

Our design (own code, following the design of Muzellec et al.'s MAR_mask / MNAR_mask_logistic):
1. Inputs: max(1, int(input_fraction * d)) columns drawn uniformly among the columns that are
   natively fully observed (the logistic model needs their values in every row). If fewer such
   columns exist than wanted, all of them are used; if none exists, it is an error.
2. Inputs are standardised (categorical columns through their category codes); each non-input
   column j gets logits z_j = x_in @ w_j with w_j ~ N(0, I), rescaled to unit standard deviation.
3. A per-column intercept b_j is found by bisection so that mean_i sigmoid(z_ij + b_j) equals the
   target rate; entry (i, j) is hidden when a uniform draw falls below sigmoid(z_ij + b_j).

The missing ratio is the overall share of the table's entries the mechanism hides:
- mar: inputs are never hidden, so each of the d - d_in other columns is hidden at rate
  ratio * d / (d - d_in) (an error if that exceeds 0.99). hyperimpute's `simulate_nan` instead
  hides every non-input column at rate p, so its overall rate is diluted to p * (d - d_in) / d.
- nmar: non-input columns are hidden at rate `ratio` through the logistic model and the inputs
  by independent Bernoulli(ratio) draws (MCAR), so the overall rate is `ratio` too. A non-input
  column's mask then depends on input values that are themselves missing: not missing at random.

As for the MCAR masks (see mcar.py), the hidden mask is drawn over all entries of the non-input
columns, natively missing ones included; the input columns have no native NaN by construction.
Unlike hyperimpute's `simulate_nan`, randomness comes only from the generator passed in, and the
input columns can be recovered with `mar_input_columns`.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.special import expit

from missdiff.config import MissingnessConfig
from missdiff.data.schema import Table
from missdiff.errors import ConfigError, MissDiffError
from missdiff.missingness.mcar import check_ratio

_MAX_COLUMN_RATE = 0.99
_BISECTION_STEPS = 60  # bracket width shrinks 2^-60: far below any rate tolerance


def _draw_input_indices(
    table: Table, input_fraction: float, rng: np.random.Generator
) -> np.ndarray:
    """Sorted indices of the logistic model's input columns. Always the generator's first draw."""
    input_fraction = float(input_fraction)
    if not 0.0 < input_fraction < 1.0:
        raise ConfigError(f"missingness.input_fraction must be in (0, 1), got {input_fraction}")
    d = len(table.schema.columns)
    if d < 2:
        raise ConfigError(f"{table.name}: mar/nmar need at least 2 columns, the table has {d}")
    wanted = max(1, int(input_fraction * d))
    candidates = np.flatnonzero(table.observed.all(axis=0))
    if candidates.size == 0:
        raise ConfigError(
            f"{table.name}: mar/nmar need a natively fully observed column as logistic input and "
            "every column has NaNs; use an MCAR mechanism or drop incomplete rows first"
        )
    chosen = rng.choice(candidates, size=min(wanted, candidates.size), replace=False)
    return np.sort(chosen)


def mar_input_columns(
    cfg: MissingnessConfig, table: Table, rng: np.random.Generator
) -> tuple[str, ...]:
    """Columns that `apply_missingness(cfg, table, rng)` uses as logistic inputs (mar and nmar).

    The input columns are the generator's first draw, so pass a generator in the same state as
    the one given to `apply_missingness` (same seed, or a `copy.deepcopy` of it). Under `mar`
    these columns stay fully observed; under `nmar` they are masked MCAR.
    """
    idx = _draw_input_indices(table, cfg.input_fraction, rng)
    return tuple(table.schema.columns[j] for j in idx)


def standardised_values(table: Table, columns: np.ndarray) -> np.ndarray:
    """(n, k) float array of the given columns: categorical ones as category codes; z-scored."""
    parts = []
    for j in columns:
        name = table.schema.columns[j]
        series = table.data[name]
        if table.schema.is_categorical(name):
            values = pd.Categorical(series).codes.astype(float)
        else:
            values = series.to_numpy(dtype=float)
        sd = values.std()
        # A constant column carries no information: it contributes zeros, not a division by 0.
        parts.append((values - values.mean()) / sd if sd > 0 else np.zeros_like(values))
    return np.column_stack(parts)


def _unit_logits(x_in: np.ndarray, n_out: int, rng: np.random.Generator) -> np.ndarray:
    """Random-weight linear logits, one column per masked column, each with unit std."""
    weights = rng.standard_normal((x_in.shape[1], n_out))
    z = x_in @ weights
    sd = z.std(axis=0)
    return z / np.where(sd > 0, sd, 1.0)


def fit_intercepts(logits: np.ndarray, rate: float) -> np.ndarray:
    """Per-column b with mean_i sigmoid(logits[i, j] + b[j]) = rate, by bisection.

    The mean is increasing in b, so bisection converges; |logits| is bounded by sqrt(n) after
    unit-variance scaling, and the bracket is widened accordingly.
    """
    span = float(np.abs(logits).max(initial=0.0)) + 50.0
    lo = np.full(logits.shape[1], -span)
    hi = np.full(logits.shape[1], span)
    for _ in range(_BISECTION_STEPS):
        mid = 0.5 * (lo + hi)
        too_high = expit(logits + mid).mean(axis=0) > rate
        hi = np.where(too_high, mid, hi)
        lo = np.where(too_high, lo, mid)
    return 0.5 * (lo + hi)


def _logistic_mask(
    table: Table,
    ratio: float,
    input_fraction: float,
    rng: np.random.Generator,
    *,
    mask_inputs: bool,
) -> tuple[np.ndarray, np.ndarray]:
    ratio = check_ratio(ratio)
    inputs = _draw_input_indices(table, input_fraction, rng)
    n, d = len(table), len(table.schema.columns)
    others = np.setdiff1d(np.arange(d), inputs)
    if mask_inputs:
        rate = ratio
    else:
        rate = ratio * d / others.size
        if rate > _MAX_COLUMN_RATE:
            raise MissDiffError(
                f"mar with ratio {ratio} and {inputs.size} always-observed input column(s) of {d} "
                f"must hide {rate:.3f} of each other column (> {_MAX_COLUMN_RATE}); lower "
                "missingness.ratio or missingness.input_fraction"
            )
    logits = _unit_logits(standardised_values(table, inputs), others.size, rng)
    prob = expit(logits + fit_intercepts(logits, rate))
    hidden = np.zeros((n, d), dtype=bool)
    hidden[:, others] = rng.random((n, others.size)) < prob
    if mask_inputs:
        hidden[:, inputs] = rng.random((n, inputs.size)) < ratio
    return hidden, inputs


def mar_mask(
    table: Table, ratio: float, input_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """MAR hidden mask and the indices of the input columns (never hidden)."""
    return _logistic_mask(table, ratio, input_fraction, rng, mask_inputs=False)


def nmar_mask(
    table: Table, ratio: float, input_fraction: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """NMAR hidden mask and the indices of the logistic inputs (themselves masked MCAR)."""
    return _logistic_mask(table, ratio, input_fraction, rng, mask_inputs=True)


def mar(table: Table, cfg: MissingnessConfig, rng: np.random.Generator) -> np.ndarray:
    """Hidden mask of the paper's MAR mechanism (see the module docstring)."""
    return mar_mask(table, cfg.ratio, cfg.input_fraction, rng)[0]


def nmar(table: Table, cfg: MissingnessConfig, rng: np.random.Generator) -> np.ndarray:
    """Hidden mask of the paper's NMAR mechanism (see the module docstring)."""
    return nmar_mask(table, cfg.ratio, cfg.input_fraction, rng)[0]
