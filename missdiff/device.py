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


def describe_host(device: str) -> dict[str, object]:
    """The machine a run's wall times were measured on: CPU model, logical cores and, on CUDA,
    the GPU. Two records of one job on two machines differ in time, not in metrics, and the
    sessions that run them land on machines of one kind but not one speed."""
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
    host: dict[str, object] = {"cpu": cpu, "cores": os.cpu_count()}
    if device == "cuda":
        import torch

        host["gpu"] = torch.cuda.get_device_name()
    return host
