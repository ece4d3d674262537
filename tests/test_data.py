"""Dataset loaders (shapes, schemas, native missingness as in SOURCES.md), the Bayesian-network
simulator of Appendix C.2 (its distributions, checked statistically), and the errors users see."""

from __future__ import annotations

import functools
import os
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from missdiff.config import DatasetConfig
from missdiff.data.bayesnet import simulate_bayesnet
from missdiff.data.datasets import DATASETS, as_continuous, load_dataset
from missdiff.data.schema import Table
from missdiff.data.sources import SOURCES
from missdiff.errors import MissDiffError


@pytest.fixture(scope="module")
def data_dir() -> Path:
    """Verified copies: env MISSDIFF_DATA_DIR, else ../shared/datasets beside the repo."""
    env = os.environ.get("MISSDIFF_DATA_DIR")
    path = Path(env) if env else Path(__file__).resolve().parents[2] / "shared" / "datasets"
    if not (path / "adult" / "adult.data").is_file():
        pytest.skip(f"no dataset copies at {path}; set MISSDIFF_DATA_DIR")
    return path


@functools.cache
def _shared(data_dir: Path, name: str, variant: str) -> Table:
    """Each shared-copy table is read once per session; tests only read it."""
    return _load(data_dir, name, variant)


def _load(data_dir: Path | None, name: str, variant: str = "default", **kw: object) -> Table:
    cfg = DatasetConfig(name=name, variant=variant, **kw)
    return load_dataset(cfg, data_dir, np.random.default_rng(0))


# name, variant, shape, target, task, number of categorical columns, NaN count per column
EXPECTED = [
    (
        "census",
        "adult",
        (48842, 15),
        "income",
        "classification",
        9,
        {"workclass": 1836 + 963, "occupation": 1843 + 966, "native-country": 583 + 274},
    ),
    (
        "census",
        "tabcsdi",
        (20000, 15),
        "income",
        "classification",
        9,
        {"workclass": 1115, "occupation": 1118, "native-country": 360},
    ),
    ("breast", "original", (699, 10), "class", "classification", 1, {"bare_nuclei": 16}),
    ("breast", "diagnostic", (569, 31), "diagnosis", "classification", 1, {}),
    ("wine", "red", (1599, 12), "quality", "regression", 0, {}),
    ("wine", "white", (4898, 12), "quality", "regression", 0, {}),
    ("concrete", "default", (1030, 9), "strength", "regression", 0, {}),
    ("libras", "default", (360, 91), "class", "classification", 1, {}),
    ("diabetes", "raw", (442, 11), "progression", "regression", 0, {}),
    ("diabetes", "scaled", (442, 11), "progression", "regression", 0, {}),
    ("iris", "default", (150, 5), "species", "classification", 1, {}),
]


@pytest.mark.parametrize(
    ("name", "variant", "shape", "target", "task", "n_cat", "nans"),
    EXPECTED,
    ids=[f"{e[0]}-{e[1]}" for e in EXPECTED],
)
def test_dataset_loads_with_schema_and_native_missingness(
    data_dir, name, variant, shape, target, task, n_cat, nans
):
    table = _shared(data_dir, name, variant)
    assert table.data.shape == shape
    assert table.schema.target == target and table.schema.task == task
    assert table.schema.columns[-1] == target
    assert len(table.schema.categorical) == n_cat
    counts = table.data.isna().sum()
    assert counts[counts > 0].to_dict() == nans
    for col in table.schema.continuous:
        assert table.data[col].dtype == float


def test_default_variants_are_explicit(data_dir):
    assert {n: s.default_variant for n, s in DATASETS.items()} == {
        "bayesnet": "text",
        "census": "adult",
        "breast": "original",
        "wine": "red",
        "concrete": "default",
        "libras": "default",
        "diabetes": "raw",
        "iris": "default",
        "csv": "default",
        "mimic4ed": "default",
    }
    assert _load(data_dir, "wine").name == "wine-red"


def test_census_adult_split_labels_and_spaces(data_dir):
    table = _shared(data_dir, "census", "adult")
    values, counts = np.unique(table.split, return_counts=True)
    assert dict(zip(values, counts, strict=True)) == {"train": 32561, "test": 16281}
    train = table.data[table.split == "train"]
    assert train["income"].value_counts().to_dict() == {"<=50K": 24720, ">50K": 7841}
    assert set(table.data["income"]) == {"<=50K", ">50K"}  # test labels lost their period
    for col in table.schema.categorical:
        for value in table.data[col].dropna().unique():
            assert value == value.strip() and value != "?", (col, value)


def test_census_tabcsdi_keeps_the_typo_row(data_dir):
    table = _shared(data_dir, "census", "tabcsdi")
    assert table.split is None
    assert table.data.loc[19286, "marital-status"] == "Never-mwarried"
    assert table.data["marital-status"].nunique() == 8


def test_breast_and_libras_classes(data_dir):
    original = _shared(data_dir, "breast", "original")
    assert original.data["class"].value_counts().to_dict() == {2: 458, 4: 241}
    diagnostic = _shared(data_dir, "breast", "diagnostic")
    assert diagnostic.data["diagnosis"].value_counts().to_dict() == {"B": 357, "M": 212}
    from sklearn.datasets import load_breast_cancer

    features = diagnostic.data.drop(columns="diagnosis").to_numpy()
    np.testing.assert_allclose(features, load_breast_cancer().data)
    libras = _shared(data_dir, "libras", "default")
    assert (libras.data["class"].value_counts() == 24).all() and libras.data[
        "class"
    ].nunique() == 15


def test_all_continuous_codes_categories_and_keeps_nan(data_dir):
    table = as_continuous(_shared(data_dir, "census", "adult"))
    assert table.schema.categorical == () and table.schema.task == "regression"
    assert all(table.data[c].dtype == float for c in table.schema.columns)
    assert table.data["workclass"].isna().sum() == 2799
    assert set(table.data["income"].unique()) == {0.0, 1.0}  # sorted: "<=50K" < ">50K"
    breast = _load(data_dir, "breast", "original", all_continuous=True)
    assert set(breast.data["class"].unique()) == {2.0, 4.0}  # numeric categories keep values
    assert table.split is not None


def test_env_data_dir_is_used(data_dir, monkeypatch):
    monkeypatch.setenv("MISSDIFF_DATA_DIR", str(data_dir))
    assert len(_load(None, "breast", "original")) == 699


# -- errors -------------------------------------------------------------------------------------
def _one_line(exc: pytest.ExceptionInfo) -> str:
    message = str(exc.value)
    assert "\n" not in message
    return message


def test_unknown_names_list_valid_ones(data_dir):
    with pytest.raises(MissDiffError) as exc:
        _load(data_dir, "adult")
    assert "census" in _one_line(exc) and "bayesnet" in str(exc.value)
    with pytest.raises(MissDiffError) as exc:
        _load(data_dir, "wine", "rose")
    assert "red" in _one_line(exc) and "white" in str(exc.value)
    with pytest.raises(MissDiffError, match="apply to user tables"):
        _load(data_dir, "wine", categorical=["alcohol"])
    # A public dataset's columns can be selected; the target stays the target if kept.
    kept = _load(data_dir, "wine", columns=["quality", "alcohol"])
    assert kept.schema.columns == ("alcohol", "quality") and kept.schema.target == "quality"
    assert _load(data_dir, "wine", columns=["alcohol"]).schema.target is None
    with pytest.raises(MissDiffError, match="target"):
        _load(data_dir, "wine", target="alcohol")
    assert len(_load(data_dir, "wine", target="quality")) == 1599


def _copy_entry(data_dir: Path, dest: Path, key: str) -> Path:
    entry = SOURCES[key]
    target = dest / entry.folder / entry.filename
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(data_dir / entry.folder / entry.filename, target)
    target.chmod(0o644)
    return target


def test_missing_file_names_the_path(data_dir, tmp_path):
    _copy_entry(data_dir, tmp_path, "adult/adult.data")  # adult.test left out
    with pytest.raises(MissDiffError) as exc:
        _load(tmp_path, "census", "adult")
    message = _one_line(exc)
    assert str(tmp_path / "adult" / "adult.test") in message and "data_dir" in message


def test_corrupt_file_is_refused(data_dir, tmp_path):
    path = _copy_entry(data_dir, tmp_path, "breast_original/breast-cancer-wisconsin.data")
    assert len(_load(tmp_path, "breast", "original")) == 699
    raw = bytearray(path.read_bytes())
    raw[10] ^= 1
    path.write_bytes(bytes(raw))
    with pytest.raises(MissDiffError) as exc:
        _load(tmp_path, "breast", "original")
    assert "corrupt" in _one_line(exc) and str(path) in str(exc.value)


# -- mimic4ed -----------------------------------------------------------------------------------
def test_mimic4ed_absent_says_what_to_supply(tmp_path, monkeypatch):
    monkeypatch.delenv("MISSDIFF_DATA_DIR", raising=False)
    with pytest.raises(MissDiffError) as exc:
        _load(None, "mimic4ed")
    assert "nliulab/mimic4ed-benchmark" in _one_line(exc)
    with pytest.raises(MissDiffError) as exc:
        _load(tmp_path, "mimic4ed")
    message = _one_line(exc)
    assert str(tmp_path / "mimic4ed" / "train.csv") in message and "test.csv" in message
    assert "nliulab/mimic4ed-benchmark" in message


def test_mimic4ed_reads_user_files(tmp_path):
    folder = tmp_path / "mimic4ed"
    folder.mkdir()
    rng = np.random.default_rng(1)
    for part, n in (("train", 40), ("test", 10)):
        pd.DataFrame(
            {
                "age": rng.integers(18, 90, n),
                "gender": rng.choice(["F", "M"], n),
                "triage_heartrate": np.where(rng.random(n) < 0.2, np.nan, rng.normal(80, 10, n)),
                "ed_los_hours": rng.exponential(5, n),
                "note": ["x"] * n,
            }
        ).to_csv(folder / f"{part}.csv", index=False)
    cols = ["age", "gender", "triage_heartrate", "ed_los_hours"]
    table = _load(tmp_path, "mimic4ed", columns=cols, categorical=["gender"], target="ed_los_hours")
    assert table.data.shape == (50, 4) and table.schema.task == "regression"
    assert (table.split == "train").sum() == 40 and (table.split == "test").sum() == 10
    assert table.data["triage_heartrate"].isna().any()
    with pytest.raises(MissDiffError, match=r"'note' is numeric .* holds 'x'"):
        _load(tmp_path, "mimic4ed", categorical=["gender"])
    with pytest.raises(MissDiffError, match="lacks"):
        _load(tmp_path, "mimic4ed", columns=["age", "spo2"])


# -- Bayesian network (Appendix C.2) ------------------------------------------------------------
N_SIM = 20_000


@pytest.fixture(scope="module")
def sim() -> pd.DataFrame:
    return simulate_bayesnet(N_SIM, np.random.default_rng(123)).data


def _close(p_hat: float, p: float, n: int) -> bool:
    """Within 5 binomial standard errors: fails by chance with probability below 1e-6."""
    return abs(p_hat - p) <= 5 * np.sqrt(p * (1 - p) / n)


def test_bayesnet_schema_and_seed():
    a = simulate_bayesnet(500, np.random.default_rng(7))
    b = simulate_bayesnet(500, np.random.default_rng(7))
    c = simulate_bayesnet(500, np.random.default_rng(8))
    pd.testing.assert_frame_equal(a.data, b.data)
    assert not a.data.equals(c.data)
    assert a.schema.columns == ("C1", "C2", "D1", "D2", "D3")
    assert a.schema.categorical == ("D1", "D2", "D3") and a.schema.target is None
    assert a.data.notna().all().all()
    table = _load(None, "bayesnet", n_rows=300)
    assert len(table) == 300


def test_bayesnet_continuous_columns(sim):
    # C1 ~ N(25, sd 2); C2 | C1 ~ N(0.1 C1 + 50, sd 5): marginally mean 52.5, sd sqrt(25.04).
    assert abs(sim["C1"].mean() - 25) < 5 * 2 / np.sqrt(N_SIM)
    assert abs(sim["C1"].std() - 2) < 0.05
    assert abs(sim["C2"].mean() - 52.5) < 5 * 5 / np.sqrt(N_SIM)
    assert abs(sim["C2"].std() - np.sqrt(25.04)) < 0.12
    residual = sim["C2"] - (0.1 * sim["C1"] + 50)
    assert abs(residual.std() - 5) < 0.12
    slope = np.polyfit(sim["C1"], sim["C2"], 1)[0]
    assert abs(slope - 0.1) < 0.1  # slope SE is 5 / (2 sqrt(n)) ~ 0.018


def test_bayesnet_categorical_columns(sim):
    assert set(sim["D1"]) == {0, 1} and set(sim["D2"]) == {0, 1, 2} and set(sim["D3"]) == {0, 1}
    assert _close(sim["D1"].mean(), 0.3, N_SIM)
    # D2 | C1, C2, D1 per the table of Appendix C.2.
    d1 = sim["D1"] == 1
    hi1, hi2 = sim["C1"] > 26, sim["C2"] > 55
    cells = {
        "D1=0": (~d1, (0.05, 0.05, 0.9)),
        "hi hi": (d1 & hi1 & hi2, (0.3, 0.6, 0.1)),
        "hi lo": (d1 & hi1 & ~hi2, (0.2, 0.3, 0.5)),
        "lo hi": (d1 & ~hi1 & hi2, (0.7, 0.1, 0.2)),
        "lo lo": (d1 & ~hi1 & ~hi2, (0.1, 0.2, 0.7)),
    }
    for label, (rows, probs) in cells.items():
        d2 = sim.loc[rows, "D2"]
        for k, p in enumerate(probs):
            assert _close((d2 == k).mean(), p, len(d2)), (label, k)
    # D3 | D2 ~ Bernoulli(0.2 / 0.4 / 0.8).
    for k, p in enumerate((0.2, 0.4, 0.8)):
        d3 = sim.loc[sim["D2"] == k, "D3"]
        assert _close(d3.mean(), p, len(d3)), k


def test_bayesnet_released_convention_flips_both_bernoullis_only():
    """`variant=released`: P(0) = p, as in the authors' released file (P(D1 = 1) = 0.70 there,
    P(D3 = 1 | D2) = 0.82 / 0.57 / 0.21); C1, C2 and D2's table as in the text."""
    rel = _load(None, "bayesnet", variant="released", n_rows=N_SIM).data
    assert _close(rel["D1"].mean(), 0.7, N_SIM)
    for k, p in enumerate((0.8, 0.6, 0.2)):
        d3 = rel.loc[rel["D2"] == k, "D3"]
        assert _close(d3.mean(), p, len(d3)), k
    d1 = rel["D1"] == 1
    d2 = rel.loc[~d1, "D2"]
    assert _close((d2 == 2).mean(), 0.9, len(d2))  # D2 | D1 = 0 unchanged
    assert abs(rel["C1"].mean() - 25) < 5 * 2 / np.sqrt(N_SIM)


def test_bayesnet_rejects_empty():
    with pytest.raises(MissDiffError, match="n_rows"):
        simulate_bayesnet(0, np.random.default_rng(0))
