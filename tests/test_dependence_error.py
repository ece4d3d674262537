"""The dependence score of the convergence curves separates rows that keep the columns'
dependence from rows that keep only each column's marginal."""

from __future__ import annotations

import numpy as np
import pandas as pd

from missdiff.data.bayesnet import simulate_bayesnet
from missdiff.evaluation.dependence import dependence_error, dependences


def shuffled_columns(df: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Every marginal kept exactly, every dependence broken."""
    return pd.DataFrame({c: rng.permutation(df[c].to_numpy()) for c in df.columns})


def test_marginals_only_scores_about_the_real_dependence_a_fresh_sample_about_zero() -> None:
    table = simulate_bayesnet(4000, np.random.default_rng(0))
    real, schema = table.data, table.schema
    fresh = simulate_bayesnet(4000, np.random.default_rng(1)).data
    rng = np.random.default_rng(2)
    assert dependence_error(real, real, schema) == 0.0
    same_law = dependence_error(real, fresh, schema)
    marginals = dependence_error(real, shuffled_columns(real, rng), schema)
    strength = float(dependences(real, schema).mean())
    assert same_law < 0.03
    assert marginals > 0.8 * strength > 5 * same_law
