"""One module per paper result: what fills each cell, and the paper's published values.

`missdiff-report` looks up `experiments.<experiment name>` for a `SPEC` (a `TableSpec`); an
experiment without a module gets the generic layout (rows: dataset x missingness; columns: model;
cell: the evaluator's primary metric).
"""
