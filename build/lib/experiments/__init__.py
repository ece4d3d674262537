"""One module per paper result: what fills each cell, and the paper's published values.

`missdiff-report` looks up `experiments.<experiment name>` for a `SPEC` (one `TableSpec`) or
`SPECS` (several tables from the same records), and optionally `FIGURES`, `REQUIRES` and `SWEEPS`
(see missdiff/report/discover.py); an experiment without a module gets the generic layout (rows:
dataset x missingness; columns: model; cell: the evaluator's primary metric). Modules whose name
starts with `_` are shared helpers, not experiments.
"""
