"""Explicit registries: config name -> class and schema. No discovery by globbing.

Entries are import paths so that `missdiff` itself imports no model code (and nothing heavy) until a
run asks for a model; hyperimpute in particular must only be imported inside its wrappers.
"""

from __future__ import annotations

import importlib
from typing import Any

from hydra.core.config_store import ConfigStore
from omegaconf import DictConfig, OmegaConf

from missdiff.errors import MissDiffError

# name -> (module, class, config dataclass)
MODELS: dict[str, tuple[str, str, str]] = {
    "mean_mode": ("baselines.mean_mode", "MeanMode", "MeanModeConfig"),
    "missdiff": ("missdiff.models.diffusion", "MissDiff", "DiffusionConfig"),
    "diff_delete": ("missdiff.models.diffusion", "DiffDelete", "DiffusionConfig"),
    "diff_mean": ("missdiff.models.diffusion", "DiffMean", "DiffusionConfig"),
    "csdi_t": ("baselines.csdi_t", "CsdiT", "DiffusionConfig"),
    "mice": ("baselines.hyperimpute_imputers", "Mice", "MiceConfig"),
    "missforest": ("baselines.hyperimpute_imputers", "MissForest", "MissForestConfig"),
    "gain": ("baselines.hyperimpute_imputers", "Gain", "GainConfig"),
    "miwae": ("baselines.hyperimpute_imputers", "Miwae", "MiwaeConfig"),
    "miwae_modified": ("baselines.hyperimpute_imputers", "MiwaeModified", "MiwaeModifiedConfig"),
    "stasy_delete": ("baselines.stasy", "StasyDelete", "StasyConfig"),
    "stasy_mean": ("baselines.stasy", "StasyMean", "StasyConfig"),
}

# name -> (module, class, config dataclass)
EVALUATORS: dict[str, tuple[str, str, str]] = {
    "rmse": ("missdiff.evaluation.rmse", "RmseEvaluator", "RmseConfig"),
    "fidelity": ("missdiff.evaluation.fidelity", "FidelityEvaluator", "FidelityConfig"),
    "utility": ("missdiff.evaluation.utility", "UtilityEvaluator", "UtilityConfig"),
    "generation": ("missdiff.evaluation.generation", "GenerationEvaluator", "GenerationConfig"),
}


def _load(entry: tuple[str, str, str]) -> tuple[type, type]:
    module = importlib.import_module(entry[0])
    return getattr(module, entry[1]), getattr(module, entry[2])


def _available(registry: dict[str, tuple[str, str, str]]) -> dict[str, tuple[type, type]]:
    """Entries whose module can be imported (an optional backend may be absent)."""
    out = {}
    for name, entry in registry.items():
        try:
            out[name] = _load(entry)
        except (ImportError, AttributeError):
            continue
    return out


def register_model_schemas(cs: ConfigStore) -> None:
    """Register each model's and evaluator's dataclass as `<group>/schema_<name>`."""
    for group, registry in (("model", MODELS), ("evaluator", EVALUATORS)):
        for name, (_, schema) in _available(registry).items():
            cs.store(group=group, name=f"schema_{name}", node=schema)


def _build(kind: str, registry: dict[str, tuple[str, str, str]], cfg: DictConfig | Any) -> Any:
    if isinstance(cfg, DictConfig):
        # Resolve while still attached to the run config (profile interpolations).
        cfg = OmegaConf.to_container(cfg, resolve=True)
    name = cfg["name"]
    if name not in registry:
        raise MissDiffError(f"unknown {kind} {name!r}; choose one of {sorted(registry)}")
    cls, schema = _load(registry[name])
    params = OmegaConf.to_object(OmegaConf.merge(OmegaConf.structured(schema), cfg))
    return cls(params)


def build_model(cfg: DictConfig) -> Any:
    return _build("model", MODELS, cfg)


def build_evaluator(cfg: DictConfig) -> Any:
    return _build("evaluator", EVALUATORS, cfg)
