"""Every public data file the loaders read: where it lives, where it comes from, its checksum.

The sha256 and size of each entry are those of the copies in the shared dataset folder
(see SOURCES.md there), whose layout `<data_dir>/<folder>/<filename>` is also the cache layout.
`upstream_checked` is False where those bytes could not be compared with the file the URL serves
today, so a download may fail its checksum; the verified copy stays the reference.
"""

from __future__ import annotations

from dataclasses import dataclass

from missdiff.errors import MissDiffError

_UCI = "https://archive.ics.uci.edu/ml/machine-learning-databases"
_TABCSDI = (
    "https://raw.githubusercontent.com/pfnet-research/TabCSDI/"
    "309d3c3c9f7a2b55e5d9a9054494cc7d1b2e86d9"
)


@dataclass(frozen=True)
class SourceFile:
    """One file: its place under a data directory, its public URL and its expected bytes.

    `url` is None for files that need no download (scikit-learn ships them).
    """

    folder: str
    filename: str
    url: str | None
    sha256: str
    size: int
    upstream_checked: bool = True

    @property
    def key(self) -> str:
        return f"{self.folder}/{self.filename}"


SOURCES: dict[str, SourceFile] = {
    s.key: s
    for s in (
        # md5 of these two equals the UCI originals' md5 (SOURCES.md).
        SourceFile(
            "adult",
            "adult.data",
            f"{_UCI}/adult/adult.data",
            "5b00264637dbfec36bdeaab5676b0b309ff9eb788d63554ca0a249491c86603d",
            3_974_305,
        ),
        SourceFile(
            "adult",
            "adult.test",
            f"{_UCI}/adult/adult.test",
            "a2a9044bc167a35b2361efbabec64e89d69ce82d9790d2980119aac5fd7e9c05",
            2_003_153,
        ),
        # TabCSDI's first 20,000 rows of adult.data (with its one typo), at a pinned commit.
        SourceFile(
            "census_tabcsdi",
            "adult_trim.data",
            f"{_TABCSDI}/data_census_onehot/adult_trim.data",
            "e74ecc2cf8644fff443c613b635765e1035af4255bb0da6bea6d740b04f75c7d",
            2_340_814,
        ),
        SourceFile(
            "breast_original",
            "breast-cancer-wisconsin.data",
            f"{_UCI}/breast-cancer-wisconsin/breast-cancer-wisconsin.data",
            "402c585309c399237740f635ef9919dc512cca12cbeb20de5e563a4593f22b64",
            19_889,
        ),
        # The verified copy is TabCSDI's renamed wdbc.data; UCI's bytes under the name wdbc.data
        # were not compared directly, so the checksum is that of the verified copy.
        SourceFile(
            "breast_diagnostic",
            "breast-cancer-wisconsin-diagnostic.data",
            f"{_UCI}/breast-cancer-wisconsin/wdbc.data",
            "d606af411f3e5be8a317a5a8b652b425aaf0ff38ca683d5327ffff94c3695f4a",
            124_103,
            upstream_checked=False,
        ),
        SourceFile(
            "wine_quality",
            "winequality-red.csv",
            f"{_UCI}/wine-quality/winequality-red.csv",
            "4a402cf041b025d4566d954c3b9ba8635a3a8a01e039005d97d6a710278cf05e",
            84_199,
        ),
        SourceFile(
            "wine_quality",
            "winequality-white.csv",
            f"{_UCI}/wine-quality/winequality-white.csv",
            "76c3f809815c17c07212622f776311faeb31e87610d52c26d87d6e361b169836",
            264_426,
        ),
        # A GitHub copy; another copy differs in 10 metadata bytes with identical cells, so the
        # UCI file's exact bytes are not known.
        SourceFile(
            "concrete",
            "Concrete_Data.xls",
            f"{_UCI}/concrete/compressive/Concrete_Data.xls",
            "710076c66b9ca3f8050e7942f3dcbdbe04013534daeb0077ffd3079a52d8e0c4",
            124_928,
            upstream_checked=False,
        ),
        # The verified copy had a corrupted duplicate first line removed; no pristine UCI copy was
        # available to compare, so this is the checksum of the cleaned file.
        SourceFile(
            "libras",
            "movement_libras.data",
            f"{_UCI}/libras/movement_libras.data",
            "97ebdaa6a9b28ab4a2cdd84b14f19a95a7456a46137c362b65a0669eca3c3c4d",
            256_653,
            upstream_checked=False,
        ),
        # Diabetes is loaded from scikit-learn's package data (load_diabetes); these entries only
        # record the copies kept in the shared folder (scikit-learn 1.9.1 wheel).
        SourceFile(
            "diabetes_sklearn",
            "diabetes_data_raw.csv.gz",
            None,
            "7fc0ded571454b1982210d3bb43f0aca44eae01a0b8654a3b24022bdb6b38009",
            7_073,
        ),
        SourceFile(
            "diabetes_sklearn",
            "diabetes_target.csv.gz",
            None,
            "8e53f65eb811df43c206f3534bb3af0e5fed213bc37ed6ba36310157d6023803",
            1_050,
        ),
    )
}


def source(key: str) -> SourceFile:
    """The registered file `<folder>/<filename>`."""
    try:
        return SOURCES[key]
    except KeyError:
        raise MissDiffError(
            f"no registered data file {key!r}; known files: {', '.join(sorted(SOURCES))}"
        ) from None
