"""Explicit registries: config name -> (module, class, config dataclass). No discovery, no
decorators: listing the names imports nothing, and a model's module (torch, hyperimpute) is
imported only when a run asks for that model.

A module that fails to import fails loudly, naming the model: nothing here is optional, so a
broken model is a bug to see, not a name to skip.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Any, NamedTuple

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from missdiff.errors import ConfigError


class Entry(NamedTuple):
    module: str
    cls: str
    config: str


MODELS: dict[str, Entry] = {
    "mean_mode": Entry("baselines.mean_mode", "MeanMode", "MeanModeConfig"),
    "missdiff": Entry("missdiff.models.diffusion", "MissDiff", "DiffusionConfig"),
    "diff_delete": Entry("missdiff.models.diffusion", "DiffDelete", "DiffusionConfig"),
    "diff_mean": Entry("missdiff.models.diffusion", "DiffMean", "DiffusionConfig"),
    "csdi_t": Entry("baselines.csdi_t", "CsdiT", "DiffusionConfig"),
    "mice": Entry("baselines.hyperimpute", "Mice", "MiceConfig"),
    "missforest": Entry("baselines.hyperimpute", "MissForest", "MissForestConfig"),
    "gain": Entry("baselines.hyperimpute", "Gain", "GainConfig"),
    "miwae": Entry("baselines.hyperimpute", "Miwae", "MiwaeConfig"),
    "miwae_modified": Entry("baselines.hyperimpute", "MiwaeModified", "MiwaeModifiedConfig"),
    "stasy_delete": Entry("baselines.stasy", "StasyDelete", "StasyConfig"),
    "stasy_mean": Entry("baselines.stasy", "StasyMean", "StasyConfig"),
}

EVALUATORS: dict[str, Entry] = {
    "rmse": Entry("missdiff.evaluation.rmse", "RmseEvaluator", "RmseConfig"),
    "fidelity": Entry("missdiff.evaluation.fidelity", "FidelityEvaluator", "FidelityConfig"),
    "utility": Entry("missdiff.evaluation.utility", "UtilityEvaluator", "UtilityConfig"),
    "generation": Entry(
        "missdiff.evaluation.generation", "GenerationEvaluator", "GenerationConfig"
    ),
}

REGISTRIES = {"model": MODELS, "evaluator": EVALUATORS}


class RegistryError(ImportError):
    """A registered model or evaluator whose module or class cannot be loaded: a bug."""


def _entry(kind: str, name: Any) -> Entry:
    registry = REGISTRIES[kind]
    if name not in registry:
        raise ConfigError(f"unknown {kind} {name!r}; choose one of {', '.join(sorted(registry))}")
    return registry[name]


def load(kind: str, name: str) -> tuple[type, type]:
    """(class, config dataclass) of a registered model or evaluator."""
    entry = _entry(kind, name)
    try:
        module = importlib.import_module(entry.module)
        return getattr(module, entry.cls), getattr(module, entry.config)
    except (ImportError, AttributeError) as err:
        raise RegistryError(
            f"{kind} {name!r} cannot be loaded from {entry.module}.{entry.cls}: "
            f"{type(err).__name__}: {err}"
        ) from err


def config_schema(kind: str, name: str) -> type:
    """The config dataclass of a registered model or evaluator."""
    return load(kind, name)[1]


def make_config(kind: str, cfg: DictConfig | dict[str, Any]) -> Any:
    """The typed config of a model or evaluator section: unknown keys and wrong types fail here,
    then the dataclass's own `check()` (if it has one) checks values. Errors are one line."""
    if isinstance(cfg, DictConfig):
        # Resolve while still attached to the run config (profile interpolations).
        cfg = OmegaConf.to_container(cfg, resolve=True)  # type: ignore[assignment]
    assert isinstance(cfg, dict)
    name = cfg.get("name")
    _, schema = load(kind, name)
    unknown = sorted(set(cfg) - {f.name for f in dataclasses.fields(schema)})
    if unknown:
        raise ConfigError(f"{kind}={name} has no field(s) {unknown}; check the spelling")
    try:
        params = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(schema), cfg))
    except OmegaConfBaseException as err:
        message = str(err).splitlines()[0]
        key = getattr(err, "full_key", "") or ""
        raise ConfigError(f"{kind}.{key}: {message}" if key else f"{kind}: {message}") from None
    if hasattr(params, "check"):
        params.check()
    return params


def build(kind: str, cfg: DictConfig | dict[str, Any]) -> Any:
    """An instance of the registered class, from its config section."""
    params = make_config(kind, cfg)
    cls, _ = load(kind, params.name)
    return cls(params)


def build_model(cfg: DictConfig | dict[str, Any]) -> Any:
    return build("model", cfg)


def build_evaluator(cfg: DictConfig | dict[str, Any]) -> Any:
    return build("evaluator", cfg)
