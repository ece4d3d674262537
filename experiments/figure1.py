"""Figure 1: fidelity (SDMetrics score) on the simulated Bayesian network against the missing
ratio, for MissDiff, Diff-delete and Diff-mean, under row, column and independent missing
(Section 4.3.1, Appendix C.2 and C.5). The paper gives the figure only, no numbers: the table
figure1.md lists ours, with no paper column.

Sweeps (both tag their runs `experiment: figure1`): a Hydra sweep is one grid, and the paper's
ratios differ by mechanism, so there are two files:
- missdiff/configs/experiment/figure1_row.yaml: row missing at 0.2, 0.4, 0.6, 0.8 (with 5 columns,
  row missing hides floor(5 * ratio) entries per row: 0.1 would hide none, 0.9 four of five; the
  paper uses these four ratios);
- missdiff/configs/experiment/figure1_colind.yaml: column and independent missing at 0.1, 0.2, ...,
  0.9. 3 seeds each ("3 repetitions"), `evaluator=generation` (fidelity only: the network has no
  target).

Choices where the paper is silent: the simulated table has `profile.bayesnet_rows` rows (10,000
at the paper profile), 80 % of them train the generator and fidelity compares the synthetic rows
with those training rows before masking; the shaded band is mean +- one sample standard deviation
over the seeds. Diff-delete is not applicable where no row is complete (every row under row
missing; column missing at high ratios): it has no point there, as in the paper.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from experiments._generation import beats_forestflow
from missdiff.claims import Claim, beats, widens
from missdiff.records import Record
from missdiff.report.aggregate import by_profile, collect
from missdiff.report.spec import (
    MECHANISM_NAMES,
    QUICK_DIFFUSION_NOTE,
    TableSpec,
    mechanism_label,
    paper_model_label,
    ratio_label,
)

SWEEPS = ("figure1_row", "figure1_colind", "figure1_forestflow")
# ForestFlow (not in the paper; missdiff/configs/experiment/figure1_forestflow.yaml) is an extra
# line; the claims compare the paper's three models only.
MODELS = ("MissDiff", "Diff-delete", "Diff-mean", "ForestFlow")
PANELS = (
    ("(a) Row missing", MECHANISM_NAMES["mcar_row"]),
    ("(b) Column missing", MECHANISM_NAMES["mcar_column"]),
    ("(c) Independent missing", MECHANISM_NAMES["mcar_independent"]),
)
COLORS = {
    "MissDiff": "tab:red",
    "Diff-delete": "tab:blue",
    "Diff-mean": "tab:green",
    "ForestFlow": "tab:purple",
}

FORESTFLOW_NOTE = (
    " ForestFlow (not in the paper: ForestDiffusion's flow-matching generator, trained on the"
    " incomplete rows) runs on every panel at the row panel's ratios only (0.2, 0.4, 0.6, 0.8)."
)
FORESTFLOW_RATIOS = ("0.2", "0.4", "0.6", "0.8")  # figure1_forestflow.yaml's ratios


def figure1_notes(convention: str, figure: str, extra: str = "") -> str:
    """The notes of Figure 1's table on one convention of the Bernoulli draws."""
    return (
        "Simulated Bayesian network of Appendix C.2 (C1, C2 continuous; D1-D3 categorical),"
        " `profile.bayesnet_rows` rows, 80/20 split; SDMetrics Quality Report of the synthetic rows"
        f" against the training rows before masking. Bernoulli draws: {convention}. The paper"
        " reports Figure 1 as a plot only: no paper values. The plot:"
        f" results/figures/{figure}.png." + extra + QUICK_DIFFUSION_NOTE
    )


SPEC = TableSpec(
    title="Figure 1: fidelity (SDMetrics score, %) on the Bayesian network vs missing ratio",
    rows=(("mechanism", mechanism_label), ("ratio", ratio_label)),
    column=("model", paper_model_label),
    metric="fidelity",
    scale=100.0,
    digits=2,
    column_order=MODELS,
    row_order=tuple(name for _, name in PANELS),
    higher_is_better=True,
    notes=figure1_notes(
        "the paper's text's (P(1) = p; figure1_released.md has the authors' released one)",
        "figure1",
        FORESTFLOW_NOTE,
    ),
    claims=(
        Claim(
            "MissDiff achieves consistently better results against the vanilla diffusion model"
            " deleting the incomplete row or using the mean value for imputation on various"
            " missing ratios.",
            "Section 4.3.1",
            beats("MissDiff", ["Diff-delete", "Diff-mean"], need="all"),
            reading="a higher score than Diff-mean and (where it applies) Diff-delete at every"
            " mechanism and ratio",
        ),
        Claim(
            "The advantage of MissDiff becomes more obvious for large missing ratios.",
            "Section 4.3.1",
            widens("MissDiff", "Diff-mean", trend_axis=1),
            reading="MissDiff minus Diff-mean rises with the ratio (Spearman rank correlation > 0)"
            " under each mechanism; Diff-delete, which has no point at high ratios, is left out",
        ),
        beats_forestflow(lambda key: key[1] in FORESTFLOW_RATIOS),
    ),
)


def plot_figure1(records: list[Record], spec: TableSpec = SPEC) -> Any:
    """Three panels (row, column, independent missing): mean fidelity (%) vs ratio per model,
    the area between mean - std and mean + std shaded, as in the paper's Figure 1.

    Each profile is its own line (a `paper` slice is never spliced into a `quick` curve); with
    more than one profile, the higher ones are dashed and the legend names the profile."""
    from matplotlib.figure import Figure  # no pyplot: no GUI backend, no global state

    profiles = by_profile(records)
    fig = Figure(figsize=(13.5, 3.8), layout="constrained")
    axes = fig.subplots(1, len(PANELS), sharey=True)
    order: dict[str, tuple[int, int]] = {}  # legend label -> (paper's model order, profile rank)
    for rank, (profile, recs) in enumerate(profiles.items()):
        cells = collect(recs, spec)
        for ax, (_, mechanism) in zip(axes, PANELS, strict=True):
            for model in MODELS:
                points = []
                for (mech, ratio, col), cell in cells.items():
                    if mech == mechanism and col == model and cell.values:
                        values = np.asarray(cell.values)
                        std = values.std(ddof=1) if len(values) > 1 else 0.0
                        points.append((float(ratio), values.mean(), std))
                if not points:
                    continue  # e.g. Diff-delete under row missing: not applicable
                x, mean, std = (np.array(v) for v in zip(*sorted(points), strict=True))
                color = COLORS.get(model)
                label = model if len(profiles) == 1 else f"{model} ({profile})"
                style = {"linestyle": "--", "marker": "D", "markersize": 5} if rank else {}
                kwargs = {"marker": "o", "markersize": 3, **style}
                ax.plot(x, mean, color=color, label=label, **kwargs)
                ax.fill_between(x, mean - std, mean + std, color=color, alpha=0.2, linewidth=0)
                order[label] = (MODELS.index(model), rank)
    for ax, (title, _) in zip(axes, PANELS, strict=True):
        ax.set_title(title)
        ax.set_xlabel("missing ratio")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("SDMetrics score (%)")
    legend = {}  # one entry per line label present in any panel
    for ax in axes:
        for handle, label in zip(*ax.get_legend_handles_labels(), strict=True):
            legend.setdefault(label, handle)
    labels = sorted(order, key=order.__getitem__)
    if labels:
        fig.legend([legend[lb] for lb in labels], labels, loc="outside right center")
    return fig


FIGURES = {"figure1": plot_figure1}
