"""Which device a run uses: the one place that turns `device=auto|cpu|cuda` into a device name."""

from __future__ import annotations

from missdiff.errors import ConfigError

DEVICES = ("auto", "cpu", "cuda")


def check_device(requested: str) -> None:
    """Raise a one-line ConfigError for anything but auto, cpu or cuda."""
    if requested not in DEVICES:
        raise ConfigError(f"device must be one of {', '.join(DEVICES)}, got {requested!r}")


def resolve_device(requested: str) -> str:
    """'auto' -> 'cuda' when a GPU is visible, else 'cpu'; 'cuda' without a GPU is an error."""
    check_device(requested)
    if requested == "cpu":
        return "cpu"
    try:
        import torch  # only a run that can use a GPU pays for the import here
    except ImportError:
        cuda = False
    else:
        cuda = torch.cuda.is_available()
    if requested == "cuda" and not cuda:
        raise ConfigError(
            "device=cuda was asked for but no CUDA device is visible; use device=auto"
        )
    return "cuda" if cuda else "cpu"


def numeric_kernels() -> list[str]:
    """The CPU kernels this process's numeric libraries picked, e.g. ['openblas SkylakeX',
    'torch AVX2']. OpenBLAS (numpy's and scipy's) picks one per CPU generation when it loads,
    and two kernels round sums differently: a record computed with another kernel is not
    reproduced bit for bit (1,000 MICE rounds on Breast moved an RMSE by 5.6e-6 of itself
    between the Haswell and SkylakeX kernels, results/NOTES.md session 22)."""
    names: set[str] = set()
    # torch first: a build that loads a BLAS of its own must be seen on the first call too.
    try:
        import torch
    except ImportError:
        pass
    else:
        names.add(f"torch {torch.backends.cpu.get_cpu_capability()}")
    try:
        import scipy.linalg  # noqa: F401  (loads scipy's BLAS, so threadpoolctl sees it)
        from threadpoolctl import threadpool_info
    except ImportError:
        pass
    else:
        for lib in threadpool_info():
            if lib.get("user_api") == "blas":
                names.add(f"{lib.get('internal_api')} {lib.get('architecture')}")
    return sorted(names)


def describe_host(device: str) -> dict[str, object]:
    """The machine a run was measured on: CPU model, logical cores, the numeric kernels its
    libraries picked (`numeric_kernels`) and, on CUDA, the GPU. Two records of one job on two
    machines differ in time, and in the last digits of their metrics when the kernels differ;
    the sessions that run them land on machines of one kind but not one CPU generation."""
    import os
    import platform

    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            cpu = next(
                (line.split(":", 1)[1].strip() for line in f if line.startswith("model name")),
                cpu,
            )
    except OSError:
        pass
    host: dict[str, object] = {"cpu": cpu, "cores": os.cpu_count(), "kernels": numeric_kernels()}
    if device == "cuda":
        import torch

        host["gpu"] = torch.cuda.get_device_name()
    return host
