"""Explicit registries: config name -> (module, class, config dataclass). No discovery, no
decorators: listing the names imports nothing, and a model's module (torch, hyperimpute) is
imported only when a run asks for that model.

A module that fails to import fails loudly, naming the model: nothing here is optional, so a
broken model is a bug to see, not a name to skip.
"""

from __future__ import annotations

import dataclasses
import importlib
import importlib.util
from typing import Any, NamedTuple

from omegaconf import DictConfig, OmegaConf
from omegaconf.errors import OmegaConfBaseException

from missdiff.errors import ConfigError


class Entry(NamedTuple):
    module: str
    cls: str
    config: str
    requires: tuple[str, ...] = ()  # optional packages the model or evaluator imports when used


# How to install each optional package (pyproject.toml's extras); hyperimpute itself goes in
# with --no-deps, since its own requirements pull TensorFlow and Jupyter.
OPTIONAL = {
    "hyperimpute": "pip install 'missdiff[imputers]' && pip install --no-deps hyperimpute==0.1.17",
    "sdmetrics": "pip install 'missdiff[generation]'",
    "xgboost": "pip install 'missdiff[generation]'",
    "wandb": "pip install 'missdiff[wandb]'",
    "miceforest": "pip install 'missdiff[peers]'",
    "lightgbm": "pip install 'missdiff[peers]'",
    "ot": "pip install 'missdiff[peers]'",
    "ForestDiffusion": (
        "pip install 'missdiff[peers]' && pip install --no-deps ForestDiffusion==1.0.6"
    ),
}
_HYPERIMPUTE = ("hyperimpute",)
_FOREST = ("ForestDiffusion", "lightgbm")


MODELS: dict[str, Entry] = {
    "mean_mode": Entry("baselines.mean_mode", "MeanMode", "MeanModeConfig"),
    "missdiff": Entry("missdiff.models.diffusion", "MissDiff", "DiffusionConfig"),
    "diff_delete": Entry("missdiff.models.diffusion", "DiffDelete", "DiffusionConfig"),
    "diff_mean": Entry("missdiff.models.diffusion", "DiffMean", "DiffusionConfig"),
    "csdi_t": Entry("baselines.csdi_t", "CsdiT", "DiffusionConfig"),
    "mice": Entry("baselines.hyperimpute", "Mice", "MiceConfig", _HYPERIMPUTE),
    "missforest": Entry("baselines.hyperimpute", "MissForest", "MissForestConfig", _HYPERIMPUTE),
    "missforest_full": Entry(
        "baselines.hyperimpute", "MissForestFull", "MissForestFullConfig", _HYPERIMPUTE
    ),
    "gain": Entry("baselines.hyperimpute", "Gain", "GainConfig", _HYPERIMPUTE),
    "miwae": Entry("baselines.hyperimpute", "Miwae", "MiwaeConfig", _HYPERIMPUTE),
    "miwae_modified": Entry(
        "baselines.hyperimpute", "MiwaeModified", "MiwaeModifiedConfig", _HYPERIMPUTE
    ),
    "forest_diffusion": Entry(
        "baselines.forest_diffusion", "ForestDiffusion", "ForestDiffusionConfig", _FOREST
    ),
    "forest_flow": Entry(
        "baselines.forest_diffusion", "ForestFlow", "ForestDiffusionConfig", _FOREST
    ),
    "miceforest": Entry("baselines.miceforest", "MiceForest", "MiceForestConfig", ("miceforest",)),
    "stasy_delete": Entry("baselines.stasy", "StasyDelete", "StasyConfig"),
    "stasy_mean": Entry("baselines.stasy", "StasyMean", "StasyConfig"),
}

EVALUATORS: dict[str, Entry] = {
    "rmse": Entry("missdiff.evaluation.rmse", "RmseEvaluator", "RmseConfig"),
    "fidelity": Entry(
        "missdiff.evaluation.fidelity", "FidelityEvaluator", "FidelityConfig", ("sdmetrics",)
    ),
    "utility": Entry(
        "missdiff.evaluation.utility", "UtilityEvaluator", "UtilityConfig", ("xgboost",)
    ),
    "forest_imputation": Entry(
        "missdiff.evaluation.forest", "ForestImputationEvaluator", "ForestImputationConfig", ("ot",)
    ),
    "generation": Entry(
        "missdiff.evaluation.generation",
        "GenerationEvaluator",
        "GenerationConfig",
        ("sdmetrics", "xgboost"),
    ),
}

REGISTRIES = {"model": MODELS, "evaluator": EVALUATORS}


class RegistryError(ImportError):
    """A registered model or evaluator whose module or class cannot be loaded: a bug."""


class MissingPackageError(ConfigError):
    """An optional package a model or evaluator needs is not installed; says how to add it."""


def require(package: str, who: str) -> None:
    """Raise MissingPackageError unless `package` can be imported."""
    if importlib.util.find_spec(package) is None:
        how = OPTIONAL.get(package, f"pip install {package}")
        raise MissingPackageError(f"{who} needs {package}, which is not installed: {how}")


def _entry(kind: str, name: Any) -> Entry:
    registry = REGISTRIES[kind]
    if name not in registry:
        raise ConfigError(f"unknown {kind} {name!r}; choose one of {', '.join(sorted(registry))}")
    return registry[name]


def load(kind: str, name: str) -> tuple[type, type]:
    """(class, config dataclass) of a registered model or evaluator."""
    entry = _entry(kind, name)
    for package in entry.requires:
        require(package, f"{kind}={name}")
    try:
        module = importlib.import_module(entry.module)
        return getattr(module, entry.cls), getattr(module, entry.config)
    except (ImportError, AttributeError) as err:
        if isinstance(err, ImportError) and err.name in OPTIONAL:
            require(err.name, f"{kind}={name}")
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
