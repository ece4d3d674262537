"""Utility of synthetic rows: train on synthetic, test on real (Section 4.2; Tables 2-4, 10-17).

The paper follows the pipeline of Kim et al. (2023, STaSy), Table 26: each downstream model
(Decision Tree, AdaBoost, Logistic/Linear Regression, MLP, Random Forest, XGBoost) is

1. fitted on the SYNTHETIC rows, once per point of its hyperparameter grid;
2. scored on the REAL TRAINING rows, which choose the hyperparameters ("validate the model on
   original training data");
3. reported on the REAL TEST rows.

Metrics (Appendix C.6.2), for model `m`:
- classification: `m/accuracy`; `m/f1` = binary F1 (sklearn `f1_score(average="binary")`, the
  positive class being the last class in sorted order, e.g. Adult's ">50K") for a binary target,
  macro F1 otherwise; `m/weighted_f1` = sum_i w_i s_i with s_i the one-vs-rest F1 of class i and
  w_i = (1 - p_i) / (K - 1); `m/auroc` = `roc_auc_score` on the positive-class probability
  (binary) or the one-vs-rest macro average (multi-class);
- regression: `m/rmse` and `m/r2`.
Top level: the primary model's metrics without prefix (`accuracy`, `f1`, `weighted_f1`, `auroc`;
or `rmse`, `r2`) — `accuracy` (higher is better) or `rmse` (lower is better) is the primary metric,
the paper's Tables 2-4 — and their mean over the models as `mean/<metric>` (what STaSy's own code
reports). Table 2 is not a mean over the six models (for STaSy-mean, column missing, the mean
74.47 % would need XGBoost at 139 % given Tables 13-17), so the primary model defaults to XGBoost,
the one model Tables 13-17 do not list.

Pre-processing (Kim et al.'s feature maker): categorical features one-hot encoded (fitted on the
categories of the real training and synthetic rows; unseen test categories give all-zero blocks);
a continuous feature becomes log(max(x, 0.01)) when its real-training min >= 0 and max >= 1e3,
else (x - min) / (max - min) * 5 with the real-training min and max; the target is label-encoded
(classes as canonical strings, see `fidelity.as_category_strings`, in numeric order when they
are numbers, else in string order: `sorted_classes`).

Choices where the paper is silent (each documented where it is made):
- Real rows with a NaN anywhere (a dataset's own missing entries, e.g. Adult's "?") are dropped
  before utility is scored; synthetic rows with a NaN, or with a target class the real data lacks,
  are dropped too. The counts are recorded (`n_train_used`, `n_test_used`, `n_synthetic_used`).
- p_i of the weighted F1 ("the proportion of i-th class's cardinality in the whole dataset") is
  taken over the real training and test rows used. (STaSy's code takes it from the scored rows.)
- Hyperparameters are chosen separately for each metric by default (`select="per_metric"`): the
  reported accuracy is that of the grid point with the best real-training accuracy, the reported
  AUROC that of the point with the best real-training AUROC, and so on, as STaSy's code does.
  `select="primary"` picks one point per model by accuracy (or RMSE) and reports all its metrics.
- A classifier whose synthetic target holds a single class predicts that class with probability
  1, so its AUROC is 0.5 (STaSy's code does the same). Classes missing from the synthetic target
  get probability 0.
- Regression: the target is used on its own scale (STaSy's code log-transforms its regression
  targets; the paper does not say). "logistic" stands for Linear Regression, whose
  metrics are prefixed `linear/`; it has no hyperparameters.
- Every model gets its own random_state from the evaluation stream; all points of its grid share it.
- Choosing on real training rows with their true labels favours, among models fitted to useless
  synthetic data, those that agree with the real labels by chance: the floor of this protocol is a
  little above chance, more so for the large paper grids.
- `grid="small"` keeps one or two points per model (smoke and quick profiles); `tune=False` fits
  each model once with its library defaults.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

import numpy as np
import pandas as pd
from sklearn.ensemble import (
    AdaBoostClassifier,
    AdaBoostRegressor,
    RandomForestClassifier,
    RandomForestRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.metrics import accuracy_score, f1_score, r2_score, roc_auc_score
from sklearn.metrics import root_mean_squared_error as rmse_score
from sklearn.model_selection import ParameterGrid
from sklearn.neural_network import MLPClassifier, MLPRegressor
from sklearn.preprocessing import OneHotEncoder
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from threadpoolctl import threadpool_limits

from missdiff.data.schema import Schema
from missdiff.errors import ConfigError, MissDiffError
from missdiff.evaluation.base import EvalInputs
from missdiff.evaluation.fidelity import as_category_strings

MODELS = ("decision_tree", "adaboost", "logistic", "mlp", "random_forest", "xgboost")
GRIDS = ("paper", "small")
SELECTIONS = ("per_metric", "primary")
CLASSIFICATION_METRICS = ("accuracy", "f1", "weighted_f1", "auroc")
REGRESSION_METRICS = ("rmse", "r2")
_LOWER_IS_BETTER = frozenset({"rmse"})

# Kim et al. (2023) Table 26 / STaSy's evaluation code; regressors reuse the classifier grids.
PAPER_GRIDS: dict[str, dict[str, list[Any]]] = {
    "decision_tree": {  # 48 points
        "max_depth": [4, 8, 16, 32],
        "min_samples_split": [2, 4, 8],
        "min_samples_leaf": [1, 2, 4, 8],
    },
    "adaboost": {"n_estimators": [10, 50, 100, 200]},  # 4
    "logistic": {  # 36 (classification only: Linear Regression has no grid)
        "max_iter": [10, 50, 100, 200],
        "C": [0.01, 0.1, 1.0],
        "tol": [1e-1, 1e-2, 1e-4],
    },
    "mlp": {  # 12
        "hidden_layer_sizes": [(100,), (200,), (100, 100)],
        "max_iter": [50, 100],
        "alpha": [1e-4, 1e-3],
    },
    "random_forest": {  # 36
        "max_depth": [8, 16, None],
        "min_samples_split": [2, 4, 8],
        "min_samples_leaf": [1, 2, 4, 8],
    },
    "xgboost": {  # 36
        "n_estimators": [10, 50, 100],
        "min_child_weight": [1, 10],
        "max_depth": [5, 10, 20],
        "gamma": [0.0, 1.0],
    },
}

# One or two points of each paper grid: for the smoke and quick profiles and the tests.
SMALL_GRIDS: dict[str, dict[str, list[Any]]] = {
    "decision_tree": {"max_depth": [8, 16], "min_samples_split": [2], "min_samples_leaf": [4]},
    "adaboost": {"n_estimators": [50]},
    "logistic": {"max_iter": [100], "C": [1.0], "tol": [1e-4]},
    "mlp": {"hidden_layer_sizes": [(100,)], "max_iter": [50], "alpha": [1e-4]},
    "random_forest": {"max_depth": [16], "min_samples_split": [2], "min_samples_leaf": [1]},
    "xgboost": {
        "n_estimators": [50, 100],
        "min_child_weight": [1],
        "max_depth": [5],
        "gamma": [0.0],
    },
}


@dataclass
class UtilityConfig:
    name: str = "utility"
    models: list[str] = field(default_factory=lambda: list(MODELS))
    primary_model: str = "xgboost"
    tune: bool = True  # False: library defaults, one fit per model, no selection
    grid: str = "paper"  # paper | small
    select: str = "per_metric"  # per_metric (STaSy's code) | primary
    n_jobs: int = 1  # threads for Random Forest, XGBoost and BLAS (MLP, logistic)

    def check(self) -> None:
        check_utility_settings(self)


# -- metrics ------------------------------------------------------------------------------------
def weighted_f1(y_true: np.ndarray, y_pred: np.ndarray, proportions: np.ndarray) -> float:
    """Weighted F1 of the paper's Appendix C.6.2: sum_i (1 - p_i) / (K - 1) * F1_i.

    Args:
        y_true, y_pred: class codes 0..K-1.
        proportions: p_i, the share of class i in the whole real data (length K, sums to 1).
    The weights sum to 1; a rare class weighs more. F1_i is the one-vs-rest F1 of class i
    (0 when class i is neither present nor predicted).
    """
    p = np.asarray(proportions, dtype=float)
    k = len(p)
    if k < 2:
        raise MissDiffError("weighted F1 needs at least two classes")
    per_class = f1_score(y_true, y_pred, labels=np.arange(k), average=None, zero_division=0.0)
    return float(np.sum((1.0 - p) / (k - 1) * per_class))


def auroc(y_true: np.ndarray, proba: np.ndarray) -> float:
    """AUROC from class probabilities (n, K): binary -> `roc_auc_score` on class 1's probability;
    multi-class -> one-vs-rest macro average over the classes present in `y_true` (equal to
    `roc_auc_score(multi_class="ovr")` when all K classes are present). NaN if undefined."""
    k = proba.shape[1]
    if k == 2:
        if len(np.unique(y_true)) < 2:
            return float("nan")
        return float(roc_auc_score(y_true, proba[:, 1]))
    scores = []
    for c in range(k):
        positive = y_true == c
        if positive.any() and not positive.all():
            scores.append(roc_auc_score(positive, proba[:, c]))
    return float(np.mean(scores)) if scores else float("nan")


def classification_metrics(
    y_true: np.ndarray, proba: np.ndarray, proportions: np.ndarray
) -> dict[str, float]:
    """accuracy, f1 (binary or macro), weighted_f1 and auroc of predicted probabilities."""
    pred = np.argmax(proba, axis=1)
    k = proba.shape[1]
    if k == 2:
        f1 = f1_score(y_true, pred, average="binary", pos_label=1, zero_division=0.0)
    else:
        f1 = f1_score(y_true, pred, average="macro", zero_division=0.0)
    return {
        "accuracy": float(accuracy_score(y_true, pred)),
        "f1": float(f1),
        "weighted_f1": weighted_f1(y_true, pred, proportions),
        "auroc": auroc(y_true, proba),
    }


def regression_metrics(y_true: np.ndarray, pred: np.ndarray) -> dict[str, float]:
    return {"rmse": float(rmse_score(y_true, pred)), "r2": float(r2_score(y_true, pred))}


# -- pre-processing -----------------------------------------------------------------------------
class FeatureMaker:
    """Kim et al.'s feature pre-processing, fitted on the real training and synthetic rows.

    Continuous: log(max(x, 0.01)) if the real-training min >= 0 and max >= 1e3, else
    (x - min) / (max - min) * 5. Categorical: one-hot, unknown categories -> all zeros.
    """

    def __init__(self, schema: Schema) -> None:
        self.features = [c for c in schema.columns if c != schema.target]
        self.categorical = [c for c in self.features if schema.is_categorical(c)]
        self.continuous = [c for c in self.features if not schema.is_categorical(c)]
        self.log: dict[str, bool] = {}
        self.lo: dict[str, float] = {}
        self.span: dict[str, float] = {}
        self.onehot: OneHotEncoder | None = None

    def fit(self, real_train: pd.DataFrame, synthetic: pd.DataFrame) -> FeatureMaker:
        for col in self.continuous:
            lo, hi = float(real_train[col].min()), float(real_train[col].max())
            self.log[col] = lo >= 0 and hi >= 1e3
            self.lo[col] = lo
            self.span[col] = hi - lo if hi > lo else 1.0  # a constant column maps to 0
        if self.categorical:
            both = pd.concat([real_train[self.categorical], synthetic[self.categorical]])
            self.onehot = OneHotEncoder(handle_unknown="ignore", sparse_output=False)
            self.onehot.fit(both.to_numpy())
        return self

    def transform(self, data: pd.DataFrame) -> np.ndarray:
        blocks = []
        for col in self.continuous:
            x = data[col].to_numpy(dtype=float)
            if self.log[col]:
                blocks.append(np.log(np.maximum(x, 1e-2)))
            else:
                blocks.append((x - self.lo[col]) / self.span[col] * 5.0)
        out = [np.column_stack(blocks)] if blocks else []
        if self.onehot is not None:
            out.append(self.onehot.transform(data[self.categorical].to_numpy()))
        return np.hstack(out).astype(float)


def sorted_classes(labels: set[str]) -> list[str]:
    """Class labels (canonical strings) in numeric order when all are numbers ("2" < "10"),
    else in string order. The last one is the positive class of a binary target."""
    try:
        return sorted(labels, key=float)
    except ValueError:
        return sorted(labels)


def _categorical_as_strings(data: pd.DataFrame, schema: Schema) -> pd.DataFrame:
    missing = [c for c in schema.columns if c not in data.columns]
    if missing:
        raise MissDiffError(f"utility: table lacks columns {missing}")
    out = data.loc[:, list(schema.columns)].copy()
    for col in schema.categorical:
        out[col] = as_category_strings(out[col])
    for col in schema.continuous:
        out[col] = pd.to_numeric(out[col], errors="raise").astype(float)
    return out.reset_index(drop=True)


# -- models -------------------------------------------------------------------------------------
def _xgb_classifier(**kw: Any) -> Any:
    from xgboost import XGBClassifier  # optional backend, imported when asked for

    return XGBClassifier(**kw)


def _xgb_regressor(**kw: Any) -> Any:
    from xgboost import XGBRegressor

    return XGBRegressor(**kw)


# name -> (classifier factory, regressor factory); each takes (params, seed, n_jobs).
Factory = Callable[[dict[str, Any], int, int], Any]
_FACTORIES: dict[str, tuple[Factory, Factory]] = {
    "decision_tree": (
        lambda p, s, j: DecisionTreeClassifier(random_state=s, **p),
        lambda p, s, j: DecisionTreeRegressor(random_state=s, **p),
    ),
    "adaboost": (
        lambda p, s, j: AdaBoostClassifier(random_state=s, **p),
        lambda p, s, j: AdaBoostRegressor(random_state=s, **p),
    ),
    "logistic": (
        lambda p, s, j: LogisticRegression(solver="lbfgs", random_state=s, **p),
        lambda p, s, j: LinearRegression(**p),
    ),
    "mlp": (
        lambda p, s, j: MLPClassifier(random_state=s, **p),
        lambda p, s, j: MLPRegressor(random_state=s, **p),
    ),
    "random_forest": (
        lambda p, s, j: RandomForestClassifier(random_state=s, n_jobs=j, **p),
        lambda p, s, j: RandomForestRegressor(random_state=s, n_jobs=j, **p),
    ),
    "xgboost": (
        lambda p, s, j: _xgb_classifier(random_state=s, n_jobs=j, **p),
        lambda p, s, j: _xgb_regressor(random_state=s, n_jobs=j, **p),
    ),
}


def model_grid(name: str, task: str, grid: str, tune: bool) -> list[dict[str, Any]]:
    """The hyperparameter points tried for model `name` (a single {} = library defaults)."""
    if not tune or (task == "regression" and name == "logistic"):
        return [{}]
    table = PAPER_GRIDS if grid == "paper" else SMALL_GRIDS
    return list(ParameterGrid(table[name]))


def metric_prefix(name: str, task: str) -> str:
    """`logistic` is Linear Regression on a regression task and is reported as `linear/`."""
    return "linear" if task == "regression" and name == "logistic" else name


def _fit_predict(
    estimator: Any, x_fit: np.ndarray, y_fit: np.ndarray, x_eval: Sequence[np.ndarray], k: int
) -> list[np.ndarray]:
    """Fit on synthetic rows; class probabilities (n, k) per evaluation set, classes as 0..k-1.

    The model sees its classes re-coded 0..m-1 (XGBoost needs contiguous labels); their
    probabilities go back to their real columns, absent classes get 0. One class only: that
    class with probability 1 (nothing can be fitted).
    """
    present = np.unique(y_fit)
    if len(present) == 1:
        out = []
        for x in x_eval:
            proba = np.zeros((len(x), k))
            proba[:, present[0]] = 1.0
            out.append(proba)
        return out
    estimator.fit(x_fit, np.searchsorted(present, y_fit))
    out = []
    for x in x_eval:
        proba = np.zeros((len(x), k))
        proba[:, present] = estimator.predict_proba(x)
        out.append(proba)
    return out


@dataclass
class Problem:
    """Encoded features and targets of the synthetic (fit), real train (validate) and real test
    (report) rows. Classification targets are codes 0..K-1 with `proportions` = p_i."""

    task: str
    x_syn: np.ndarray
    y_syn: np.ndarray
    x_train: np.ndarray
    y_train: np.ndarray
    x_test: np.ndarray
    y_test: np.ndarray
    proportions: np.ndarray | None = None
    counts: dict[str, float] = field(default_factory=dict)

    @property
    def metric_names(self) -> tuple[str, ...]:
        return CLASSIFICATION_METRICS if self.task == "classification" else REGRESSION_METRICS

    def fit_and_score(self, estimator: Any, validate: bool) -> list[dict[str, float]]:
        """Fit on the synthetic rows; metrics on [real train,] real test."""
        sets = [(self.x_train, self.y_train)] if validate else []
        sets.append((self.x_test, self.y_test))
        with warnings.catch_warnings():
            # The paper's grids include max_iter=10 or 50: non-convergence is expected there.
            warnings.simplefilter("ignore", ConvergenceWarning)
            if self.proportions is not None:
                k = len(self.proportions)
                probas = _fit_predict(estimator, self.x_syn, self.y_syn, [x for x, _ in sets], k)
                return [
                    classification_metrics(y, p, self.proportions)
                    for (_, y), p in zip(sets, probas, strict=True)
                ]
            estimator.fit(self.x_syn, self.y_syn)
            return [regression_metrics(y, estimator.predict(x)) for x, y in sets]


def prepare_problem(inputs: EvalInputs) -> Problem:
    """Complete rows only, Kim et al.'s features, label-encoded classes (module docstring)."""
    schema = inputs.schema
    if schema.target is None or schema.task is None:
        raise MissDiffError("utility needs a dataset with a prediction target")
    if inputs.synthetic is None:
        raise ValueError("utility needs the synthetic rows (inputs.synthetic)")
    # A dataset's own missing entries: utility is scored on complete rows only.
    train = _categorical_as_strings(inputs.train_true, schema).dropna().reset_index(drop=True)
    test = _categorical_as_strings(inputs.test_true, schema).dropna().reset_index(drop=True)
    syn = _categorical_as_strings(inputs.synthetic, schema).dropna().reset_index(drop=True)
    target = schema.target
    proportions = None
    counts: dict[str, float] = {}
    if schema.task == "classification":
        classes = sorted_classes(set(train[target]) | set(test[target]))
        if len(classes) < 2:
            raise MissDiffError("utility: the real data has fewer than two classes")
        syn = syn[syn[target].isin(classes)].reset_index(drop=True)
        codes = {c: i for i, c in enumerate(classes)}
        y_train, y_test, y_syn = (
            d[target].map(codes).to_numpy(dtype=int) for d in (train, test, syn)
        )
        # p_i over the whole real data used: training and test rows together.
        counts_per_class = np.bincount(np.concatenate([y_train, y_test]), minlength=len(classes))
        proportions = counts_per_class / counts_per_class.sum()
        counts["n_synthetic_classes"] = float(len(np.unique(y_syn)))
    else:
        y_train, y_test, y_syn = (d[target].to_numpy(dtype=float) for d in (train, test, syn))
    for name, rows in (("train", train), ("test", test), ("synthetic", syn)):
        if len(rows) == 0:
            raise MissDiffError(f"utility: no complete {name} rows left to use")
    counts.update(
        n_train_used=float(len(train)),
        n_test_used=float(len(test)),
        n_synthetic_used=float(len(syn)),
    )
    features = FeatureMaker(schema).fit(train, syn)
    return Problem(
        task=schema.task,
        x_syn=features.transform(syn),
        y_syn=y_syn,
        x_train=features.transform(train),
        y_train=y_train,
        x_test=features.transform(test),
        y_test=y_test,
        proportions=proportions,
        counts=counts,
    )


# -- evaluator ----------------------------------------------------------------------------------
def check_utility_settings(cfg: Any) -> None:
    """The utility settings a UtilityConfig or a GenerationConfig carries, checked in one place."""
    unknown = [m for m in cfg.models if m not in MODELS]
    if unknown or not cfg.models:
        raise ConfigError(f"evaluator.models must be a non-empty subset of {list(MODELS)}")
    if len(set(cfg.models)) != len(cfg.models):
        raise ConfigError("evaluator.models lists a model twice")
    if cfg.primary_model not in cfg.models:
        raise ConfigError(f"evaluator.primary_model {cfg.primary_model!r} is not in models")
    if cfg.grid not in GRIDS:
        raise ConfigError(f"evaluator.grid must be one of {GRIDS}, got {cfg.grid!r}")
    if cfg.select not in SELECTIONS:
        raise ConfigError(f"evaluator.select must be one of {SELECTIONS}, got {cfg.select!r}")
    if cfg.n_jobs < 1:
        raise ConfigError(f"evaluator.n_jobs must be 1 or more, got {cfg.n_jobs}")


class UtilityEvaluator:
    """Train-on-synthetic, validate-on-real-train, test-on-real-test (Kim et al. 2023).

    `primary_metric` and `higher_is_better` depend on the task, which the evaluator learns from
    `inputs.schema` in `evaluate` (or from `task=` at construction): read them after `evaluate`.
    Before that they describe a classification task.
    """

    needs: ClassVar[str] = "sample"

    def __init__(self, cfg: UtilityConfig | None = None, task: str | None = None) -> None:
        self.cfg = cfg or UtilityConfig()
        self.task = task
        # After evaluate: per model and metric, the chosen hyperparameters (for the run's info).
        self.selected: dict[str, dict[str, dict[str, Any]]] = {}
        self.cfg.check()
        if task not in (None, "classification", "regression"):
            raise MissDiffError(f"task must be classification or regression, got {task!r}")

    @property
    def primary_metric(self) -> str:
        return "rmse" if self.task == "regression" else "accuracy"

    @property
    def higher_is_better(self) -> bool:
        return self.task != "regression"

    def evaluate(self, inputs: EvalInputs, rng: np.random.Generator) -> dict[str, float]:
        """Scores of every configured model on the real test rows; see the module docstring."""
        problem = prepare_problem(inputs)
        self.task = problem.task
        # One seed per model in the fixed MODELS order: a model's seed does not depend on which
        # other models are configured.
        draws = rng.integers(0, 2**31 - 1, size=len(MODELS)).tolist()
        seeds = dict(zip(MODELS, draws, strict=True))
        metrics = dict(problem.counts)
        metric_names = problem.metric_names
        per_model: dict[str, dict[str, float]] = {}
        self.selected = {}
        for name in self.cfg.models:
            points = model_grid(name, self.task, self.cfg.grid, self.cfg.tune)
            # With a single point there is nothing to choose: skip scoring on real train.
            validate = len(points) > 1
            val_scores, test_scores = [], []
            for params in points:
                factory = _FACTORIES[name][0 if self.task == "classification" else 1]
                estimator = factory(dict(params), seeds[name], self.cfg.n_jobs)
                # BLAS threads capped at n_jobs: OpenBLAS spinning on a busy 2-core machine made
                # one MLP fit 10x slower than single-threaded.
                with threadpool_limits(limits=self.cfg.n_jobs, user_api="blas"):
                    scored = problem.fit_and_score(estimator, validate)
                if validate:
                    val_scores.append(scored[0])
                test_scores.append(scored[-1])
            chosen = self._choose(val_scores, metric_names) if validate else {}
            prefix = metric_prefix(name, self.task)
            per_model[prefix] = {}
            self.selected[prefix] = {}
            for metric in metric_names:
                i = chosen.get(metric, 0)
                per_model[prefix][metric] = test_scores[i][metric]
                self.selected[prefix][metric] = dict(points[i])
                metrics[f"{prefix}/{metric}"] = test_scores[i][metric]

        primary = metric_prefix(self.cfg.primary_model, self.task)
        for metric in metric_names:
            metrics[metric] = per_model[primary][metric]
            metrics[f"mean/{metric}"] = float(np.mean([s[metric] for s in per_model.values()]))
        return metrics

    def _choose(
        self, val_scores: list[dict[str, float]], metric_names: Sequence[str]
    ) -> dict[str, int]:
        """Index of the grid point chosen for each reported metric (first best on ties)."""

        def best(metric: str) -> int:
            values = np.array([s[metric] for s in val_scores], dtype=float)
            if np.all(np.isnan(values)):
                return 0
            return int(np.nanargmin(values) if metric in _LOWER_IS_BETTER else np.nanargmax(values))

        if self.cfg.select == "primary":
            i = best(self.primary_metric)
            return dict.fromkeys(metric_names, i)
        return {metric: best(metric) for metric in metric_names}
