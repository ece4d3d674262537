"""Run a library that draws from numpy's, torch's and Python's global RNGs (hyperimpute,
ForestDiffusion) reproducibly from our own generator, without leaking seeded global state into
the rest of the process: save, seed, run, restore. Threads are capped for the call."""

from __future__ import annotations

import os
import random
import warnings
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import numpy as np


def restore_environ(saved: dict[str, str]) -> None:
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
def global_state(seed: int | None, threads: int | None) -> Iterator[None]:
    """Run a library call with the global RNGs seeded from `seed`, then put everything back.

    hyperimpute and ForestDiffusion seed and draw from numpy's, torch's and Python's global
    RNGs; saving, seeding and restoring them makes a run reproducible from our generator and
    invisible to the caller.
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
            restore_environ(env)


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
