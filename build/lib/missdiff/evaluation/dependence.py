"""How strongly the columns of a table depend on each other, pair by pair, and how far another
table (imputed or synthetic rows) is from that.

A pair's dependence: |Pearson r| for two continuous columns, Cramer's V for two categorical ones
(scipy's `association`), the correlation ratio eta for a categorical and a continuous one; all
in [0, 1]. `dependence_error` is the mean absolute difference over all pairs between the real
table and another one: 0 when every pair keeps its strength, about the mean real dependence for
rows that keep only the marginals (what an under-trained diffusion model gives; results/NOTES.md).
SDMetrics' score is dominated by the marginals and can hide that, which is why the convergence
curves track this number too.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy.stats.contingency import association

from missdiff.data.schema import Schema


def cramers_v(a: pd.Series, b: pd.Series) -> float:
    table = pd.crosstab(a, b).to_numpy()
    return float(association(table, method="cramer")) if min(table.shape) > 1 else 0.0


def eta(cat: pd.Series, x: pd.Series) -> float:
    x = x.astype(float)
    means = x.groupby(cat.to_numpy()).transform("mean")
    total = ((x - x.mean()) ** 2).sum()
    return float(np.sqrt(((means - x.mean()) ** 2).sum() / total)) if total > 0 else 0.0


def pair_dependence(df: pd.DataFrame, a: str, b: str, categorical: set[str]) -> float:
    """The dependence of columns a and b of `df` (rows where both are present)."""
    both = df[[a, b]].dropna()
    if len(both) < 3:
        return float("nan")
    if a in categorical and b in categorical:
        return cramers_v(both[a].astype(str), both[b].astype(str))
    if a in categorical or b in categorical:
        cat, num = (a, b) if a in categorical else (b, a)
        return eta(both[cat].astype(str), both[num])
    x, y = both[a].astype(float).to_numpy(), both[b].astype(float).to_numpy()
    if x.std() == 0 or y.std() == 0:
        return 0.0
    return abs(float(np.corrcoef(x, y)[0, 1]))


def dependences(df: pd.DataFrame, schema: Schema) -> pd.Series:
    """Every pair's dependence, indexed by (column a, column b)."""
    categorical = set(schema.categorical)
    pairs = list(itertools.combinations(schema.columns, 2))
    values = [pair_dependence(df, a, b, categorical) for a, b in pairs]
    return pd.Series(values, index=pd.MultiIndex.from_tuples(pairs), dtype=float)


def dependence_error(real: pd.DataFrame, other: pd.DataFrame, schema: Schema) -> float:
    """Mean |dependence(real) - dependence(other)| over the column pairs both can score."""
    if len(schema.columns) < 2:
        return float("nan")
    gap = (dependences(real, schema) - dependences(other, schema)).abs()
    return float(gap.mean()) if gap.notna().any() else float("nan")
