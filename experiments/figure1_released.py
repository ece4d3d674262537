"""Figure 1 on the Bayesian network as the authors released it (not a separate figure of the
paper): the same sweeps, models, ratios and seeds as experiments/figure1.py, on
`dataset=bayesnet dataset.variant=released`.

The paper's text (Appendix C.2) draws D1 and D3 as Bernoulli(p) with P(1) = p; the authors'
released simulated data has P(0) = p (there P(D1 = 1) = 0.70 and P(D3 = 1 | D2 = 0, 1, 2) =
0.82 / 0.57 / 0.21; the text's convention gives 0.30 and 0.2 / 0.4 / 0.8). Which convention the
paper's Figure 1 used is not said; this table checks whether its two claims depend on it.

Sweeps (both tag `experiment: figure1_released`): missdiff/configs/experiment/
figure1_released_row.yaml and figure1_released_colind.yaml.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from experiments.figure1 import SPEC as TEXT_SPEC
from experiments.figure1 import figure1_notes, plot_figure1
from missdiff.records import Record

SWEEPS = ("figure1_released_row", "figure1_released_colind")

SPEC = replace(
    TEXT_SPEC,
    title="Figure 1 on the released Bayesian network: fidelity (SDMetrics score, %) vs missing"
    " ratio",
    notes=figure1_notes(
        "the authors' released convention (P(0) = p; figure1.md has the text's P(1) = p)",
        "figure1_released",
    ),
    claims=tuple(c for c in TEXT_SPEC.claims if not c.about_peers),  # ForestFlow: text's only
)


def plot_figure1_released(records: list[Record]) -> Any:
    return plot_figure1(records, SPEC)


FIGURES = {"figure1_released": plot_figure1_released}
