"""The one place that imports hyperimpute 0.1.17 and contains its global side effects.

`import hyperimpute` sets OMP/OPENBLAS/MKL/VECLIB/NUMEXPR thread variables and silences optuna's
logging, and its plugins seed and draw from numpy's, torch's and Python's global RNGs. The
import is lazy (`plugins()`) and undoes its changes to `os.environ`, `warnings.filters` and the
`optuna` logger. Every plugin call runs inside `isolated`: the global RNGs saved, seeded from the
model's `np.random.Generator` and restored afterwards, the only way to make these plugins
reproducible without leaking seeded global state into the rest of the process. (One side effect
cannot be undone: hyperimpute's logger removes loguru's default handlers; missdiff does not use
loguru.)
"""

from __future__ import annotations

import logging
import os
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from types import SimpleNamespace

import pandas as pd

from baselines.isolation import global_state, restore_environ
from missdiff.errors import MissDiffError

_modules: SimpleNamespace | None = None


def plugins() -> SimpleNamespace:
    """The plugin classes (`ice`, `missforest`, `sklearn_missforest`, `gain`, `miwae`), imported
    on first use with the import's global side effects undone."""
    global _modules
    if _modules is not None:
        return _modules
    env = dict(os.environ)
    optuna_logger = logging.getLogger("optuna")
    optuna_state = (optuna_logger.level, list(optuna_logger.handlers), optuna_logger.propagate)
    try:
        with warnings.catch_warnings():
            # pydantic's validate_arguments and similar: nothing a user of ours can act on.
            warnings.simplefilter("ignore", DeprecationWarning)
            from hyperimpute.plugins.imputers.plugin_gain import GainImputation
            from hyperimpute.plugins.imputers.plugin_ice import plugin as ice
            from hyperimpute.plugins.imputers.plugin_missforest import plugin as missforest
            from hyperimpute.plugins.imputers.plugin_miwae import plugin as miwae
            from hyperimpute.plugins.imputers.plugin_sklearn_missforest import (
                plugin as sklearn_missforest,
            )
    except ImportError as err:
        raise MissDiffError(
            f"the hyperimpute baselines need hyperimpute 0.1.17 ({err}); "
            "install it with `pip install --no-deps hyperimpute==0.1.17` and the `imputers` extra"
        ) from err
    finally:
        restore_environ(env)
        optuna_logger.setLevel(optuna_state[0])
        optuna_logger.handlers[:] = optuna_state[1]
        optuna_logger.propagate = optuna_state[2]
    _modules = SimpleNamespace(
        ice=ice,
        missforest=missforest,
        sklearn_missforest=sklearn_missforest,
        gain=GainImputation,
        miwae=miwae,
    )
    return _modules


@contextmanager
def isolated(seed: int | None, threads: int | None) -> Iterator[None]:
    """A hyperimpute plugin call: the global RNGs seeded from `seed` and restored, threads capped
    (baselines/isolation.py), and pandas' copy-on-write off, which its chained equations need."""
    with global_state(seed, threads), _pandas_chained_assignment():
        yield


@contextmanager
def _pandas_chained_assignment() -> Iterator[None]:
    """hyperimpute's chained equations write with `X[col][rows] = ...`: needs copy-on-write off.

    Under copy-on-write that write is silently lost and the imputer returns its mean start values.
    """
    if int(pd.__version__.split(".")[0]) >= 3:
        raise MissDiffError("hyperimpute 0.1.17's imputers need pandas < 3 (copy-on-write)")
    with pd.option_context("mode.copy_on_write", False):
        yield
