"""The simulated Bayesian network of the paper's Appendix C.2 (Figure 2).

    C1 ~ N(25, 2)                       C2 | C1 ~ N(0.1 * C1 + 50, 5)
    D1 ~ Bernoulli(0.3)                 D2 | C1, C2, D1 ~ Ca(table below)
    D3 | D2 ~ Bernoulli(0.2 / 0.4 / 0.8 for D2 = 0 / 1 / 2)

N(mean, s) is read with s the standard deviation: the data the authors released were drawn with
std 2 and 5. The table is used for fidelity only (Figure 1), so it has no prediction target.

Two conventions for Bernoulli(p) (`dataset.variant`): `text` (the default) reads it as the paper
writes it, P(1) = p, so P(D1 = 1) = 0.3 and P(D3 = 1 | D2) = 0.2 / 0.4 / 0.8; `released` follows
the data the authors released, drawn with P(0) = p: P(D1 = 1) = 0.7 and P(D3 = 1 | D2) = 0.8 /
0.6 / 0.2 (0.82 / 0.57 / 0.21 measured in their file). C1, C2 and D2's table are the same in both.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from missdiff.data.schema import Schema, Table
from missdiff.errors import MissDiffError

COLUMNS = ("C1", "C2", "D1", "D2", "D3")
CATEGORICAL = ("D1", "D2", "D3")

C1_MEAN, C1_STD = 25.0, 2.0
C2_SLOPE, C2_INTERCEPT, C2_STD = 0.1, 50.0, 5.0
P_D1 = 0.3
# P(D2 = 0, 1, 2) given D1 = 1, indexed by [C1 > 26, C2 > 55].
P_D2_GIVEN_D1 = np.array(
    [
        [[0.1, 0.2, 0.7], [0.7, 0.1, 0.2]],  # C1 <= 26: C2 <= 55, C2 > 55
        [[0.2, 0.3, 0.5], [0.3, 0.6, 0.1]],  # C1 > 26:  C2 <= 55, C2 > 55
    ]
)
P_D2_D1_ZERO = np.array([0.05, 0.05, 0.9])
P_D3_GIVEN_D2 = np.array([0.2, 0.4, 0.8])

SCHEMA = Schema(COLUMNS, CATEGORICAL, target=None, task=None)


CONVENTIONS = ("text", "released")


def simulate_bayesnet(n_rows: int, rng: np.random.Generator, convention: str = "text") -> Table:
    """Draw `n_rows` complete rows; D1, D2, D3 hold integer categories."""
    if n_rows < 1:
        raise MissDiffError(f"bayesnet needs dataset.n_rows >= 1, got {n_rows}")
    if convention not in CONVENTIONS:
        raise MissDiffError(f"bayesnet convention must be one of {CONVENTIONS}, got {convention!r}")
    # P(1) = p as written, or P(0) = p as in the released data: the same draws, 1 - p.
    p_d1, p_d3 = (P_D1, P_D3_GIVEN_D2) if convention == "text" else (1 - P_D1, 1 - P_D3_GIVEN_D2)
    c1 = rng.normal(C1_MEAN, C1_STD, n_rows)
    c2 = rng.normal(C2_SLOPE * c1 + C2_INTERCEPT, C2_STD)
    d1 = (rng.random(n_rows) < p_d1).astype(np.int64)

    probs = P_D2_GIVEN_D1[(c1 > 26).astype(int), (c2 > 55).astype(int)]
    probs[d1 == 0] = P_D2_D1_ZERO
    # Inverse-CDF draw of one category per row: count the cumulative thresholds below u.
    cumulative = np.cumsum(probs, axis=1)[:, :2]
    d2 = (rng.random(n_rows)[:, None] >= cumulative).sum(axis=1).astype(np.int64)

    d3 = (rng.random(n_rows) < p_d3[d2]).astype(np.int64)

    data = pd.DataFrame({"C1": c1, "C2": c2, "D1": d1, "D2": d2, "D3": d3})
    return Table("bayesnet", data, SCHEMA)
