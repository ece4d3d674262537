"""MissDiff: diffusion models trained directly on tabular data with missing values.

Reproduction framework for Ouyang et al., "MissDiff: Training Diffusion Models on Tabular Data
with Missing Values". See ARCHITECTURE.md for how the packages fit together.

For your own table: `from missdiff import MissDiff` (missdiff/estimator.py). The estimators are
loaded on first use, so `import missdiff` stays light (the runner's start-up imports no model).
"""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = [
    "CSDIT",
    "GAINImputer",
    "MICEImputer",
    "MeanModeImputer",
    "MissDiff",
    "MissForestImputer",
]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from missdiff import estimator

        return getattr(estimator, name)
    raise AttributeError(f"module 'missdiff' has no attribute {name!r}")
