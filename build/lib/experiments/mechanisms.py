"""Not a paper table: Mean/Mode imputation RMSE under every missingness mechanism.

It exercises the whole spine (config -> data -> mechanism -> model -> evaluator -> record -> table)
on three small datasets. Sweep: missdiff/configs/experiment/mechanisms.yaml.
"""

from missdiff.report.spec import TableSpec

SPEC = TableSpec(
    title="Mean/Mode imputation under each missingness mechanism (ratio 0.2)",
    notes=(
        "RMSE on the hidden test entries of the continuous columns, TabCSDI's shifted min-max scale"
        " (x - min + 1) / (max - min + 1), mean over columns. Categorical columns (bayesnet's"
        " D1-D3, breast's class) are scored by their error rate, in the records' `error_rate`."
    ),
)
