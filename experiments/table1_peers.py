"""Table 1 beside newer peers (not in the paper): ForestDiffusion (Jolicoeur-Martineau et al.
2024) and miceforest on Table 1's protocol, next to the paper's seven methods (whose values stay
beside ours), and MissForest with full-depth trees, to show what the paper's depth-3 MissForest
row leaves out. The sweep is missdiff/configs/experiment/table1_peers.yaml; the protocol, scale and
notes are Table 1's (experiments/table1.py).

Its claims are ours, not the paper's: where MissDiff stands against each newer peer, on the same
masks and folds (seeds compared paired, as for the paper's claims).
"""

from __future__ import annotations

from dataclasses import replace

from experiments.table1 import HEADLINE, METHODS
from missdiff.claims import against_peer
from missdiff.report.spec import MODEL_NAMES, TableSpec, model_label

PEERS = {name: MODEL_NAMES[name] for name in ("forest_diffusion", "miceforest")}
# Not a newer peer (no claim of its own): the paper's MissForest method, with its trees grown.
ROWS = {**METHODS, "missforest_full": MODEL_NAMES["missforest_full"], **PEERS}


def method_row(config: dict) -> str:
    return ROWS.get(model_label(config), model_label(config))


_TABLE: TableSpec = replace(
    HEADLINE,
    title="Table 1 beside newer peers: imputation RMSE (lower is better), 20 % MCAR",
    rows=(("method", method_row),),
    row_order=tuple(ROWS.values()),
    notes=(
        "Not a table of the paper: ForestDiffusion (vp process, REPAINT imputation; its library's"
        " defaults at `paper`: 50 noise levels, 100 noisy copies per row, 100 trees of depth 7)"
        " and miceforest (chained equations with LightGBM, 5 rounds) on Table 1's protocol and"
        " scale, beside the paper's seven methods (the paper's values in brackets where it has"
        " them). Both peers impute the test rows with models fitted on the training rows only."
        " MissForest (full trees) is the paper's MissForest method with fully grown trees"
        " (hyperimpute's `sklearn_missforest`: 100 trees, at most 10 rounds; transductive, like"
        " the paper's depth-3 one): not a newer peer, it shows what Table 1's MissForest row"
        " leaves out. miceforest's Census cell fails in the library: its default mean matching"
        " takes log-odds of predicted category probabilities, infinite for categories seen a"
        " handful of times (native-country); the fix it names (`model.mean_match_strategy=fast`,"
        " a random draw) changes the peer's settings and is not run here, so the claims list"
        " that cell as not checkable."
    ),
    claims=tuple(
        against_peer(
            f"MissDiff imputes better than {label}.",
            label,
            f"a lower RMSE than {label} on every dataset",
            axis=0,
        )
        for label in PEERS.values()
    ),
)

SPECS = {"table1_peers": _TABLE}
