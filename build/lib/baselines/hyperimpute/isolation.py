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
import random
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from types import SimpleNamespace

import numpy as np
import pandas as pd

from missdiff.errors import MissDiffError

_modules: SimpleNamespace | None = None


def plugins() -> SimpleNamespace:
    """The plugin classes (`ice`, `missforest`, `gain`, `miwae`), imported on first use with the
    import's global side effects undone."""
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
    except ImportError as err:
        raise MissDiffError(
            f"the hyperimpute baselines need hyperimpute 0.1.17 ({err}); "
            "install it with `pip install --no-deps hyperimpute==0.1.17` and the `imputers` extra"
        ) from err
    finally:
        _restore_environ(env)
        optuna_logger.setLevel(optuna_state[0])
        optuna_logger.handlers[:] = optuna_state[1]
        optuna_logger.propagate = optuna_state[2]
    _modules = SimpleNamespace(ice=ice, missforest=missforest, gain=GainImputation, miwae=miwae)
    return _modules


def _restore_environ(saved: dict[str, str]) -> None:
    for key in set(os.environ) - set(saved):
        del os.environ[key]
    for key, value in saved.items():
        if os.environ.get(key) != value:
            os.environ[key] = value


def plugin_seed(rng: np.random.Generator) -> int:
    """A seed for a plugin call, drawn from the model's generator."""
    # np.random.seed and scikit-learn need a seed below 2**32.
    return int(rng.integers(0, 2**31 - 1))


@contextmanager
def isolated(seed: int | None, threads: int | None) -> Iterator[None]:
    """Run a plugin with the global RNGs seeded from `seed`, then put everything back.

    hyperimpute seeds and draws from numpy's, torch's and Python's global RNGs; saving, seeding
    and restoring them makes a run reproducible from our generator and invisible to the caller.
    The environment is restored too: torch's first optimizer sets TORCHINDUCTOR_CACHE_DIR.
    `threads` (None: leave as is) caps torch, BLAS/OpenMP and joblib for the call. `seed=None`
    leaves the global RNGs unseeded (for calls that draw nothing from them, still restored).
    """
    import torch

    env = dict(os.environ)
    # The legacy global RNG is exactly what hyperimpute draws from, hence NPY002 below.
    np_state = np.random.get_state()  # noqa: NPY002
    py_state = random.getstate()
    torch_threads = torch.get_num_threads()
    with ExitStack() as stack:
        stack.enter_context(torch.random.fork_rng())
        stack.enter_context(warnings.catch_warnings())
        stack.enter_context(_pandas_chained_assignment())
        if threads is not None:
            stack.enter_context(_thread_limits(threads))
        # hyperimpute's numpy/torch interplay and old APIs warn about deprecations on every call.
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.simplefilter("ignore", FutureWarning)
        if seed is not None:
            np.random.seed(seed)  # noqa: NPY002
            random.seed(seed)
            torch.manual_seed(seed)
        try:
            yield
        finally:
            np.random.set_state(np_state)  # noqa: NPY002
            random.setstate(py_state)
            torch.set_num_threads(torch_threads)
            _restore_environ(env)


@contextmanager
def _thread_limits(threads: int) -> Iterator[None]:
    """Cap thread pools: hyperimpute fits many tiny models, which extra threads only slow down.

    Measured on 2 busy cores: a small LogisticRegression fit 6x slower with 2 BLAS threads, a
    GAIN step 20x slower with 2 torch threads; and hyperimpute's LogisticRegression(n_jobs=-1)
    starts joblib worker processes unless joblib is told to run sequentially.
    """
    import joblib
    import torch
    from threadpoolctl import threadpool_limits

    torch.set_num_threads(threads)
    backend = "sequential" if threads == 1 else "threading"
    with threadpool_limits(limits=threads), joblib.parallel_config(backend=backend, n_jobs=threads):
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
