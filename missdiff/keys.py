"""What identifies a run and a trained model: the one place for record keys and fingerprints.

A config dataclass marks each field by what it can change:
- a plain field changes the result and the trained model (the default);
- `inference_field`: the metrics, not the trained weights (imputation draws, inference chunking);
- `runtime_field`: nothing a record or a checkpoint holds (device, progress bars, folders).
A ProfileConfig field that the runner reads itself (row caps, rows to generate) is a
`run_field`; every other profile value reaches a run through an interpolation into the model's,
evaluator's or dataset's own fields and is keyed there.

The record key of a run (`result_key`) is a digest of its seed, its dataset, mechanism, model and
evaluator sections and its profile's name and run fields, each section without the fields equal
to their schema default and without runtime fields. So adding a field with a default changes no
existing key, and a size that only one model reads changes only that model's keys. The price:
changing a schema default changes what an existing key means; `records.finished` catches that
(StaleRecordError) when a finished record is met, and `scripts/rekey_records.py` re-keys the
records.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
from typing import Any

CHANGES = "changes"  # dataclass field metadata key
NOTHING, INFERENCE, RUN = "nothing", "inference", "run"
KEY_LENGTH = 16


def runtime_field(default: Any = None) -> Any:
    """A config field that changes no result (device, progress, checkpoint folder)."""
    return dataclasses.field(default=default, metadata={CHANGES: NOTHING})


def inference_field(default: Any = None) -> Any:
    """A config field that changes the metrics but not the trained model."""
    return dataclasses.field(default=default, metadata={CHANGES: INFERENCE})


def run_field(default: Any = None) -> Any:
    """A profile field the runner reads itself, so it is part of every run's key."""
    return dataclasses.field(default=default, metadata={CHANGES: RUN})


def _marked(schema: type, *kinds: str) -> set[str]:
    return {f.name for f in dataclasses.fields(schema) if f.metadata.get(CHANGES) in kinds}


def digest(obj: Any, length: int | None = None) -> str:
    """sha256 of the canonical JSON of `obj` (sorted keys), in hex, cut to `length`."""
    blob = json.dumps(obj, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(blob.encode()).hexdigest()[:length]


def training_settings(cfg: Any) -> dict[str, Any]:
    """A config dataclass's fields that determine the trained weights (checkpoint fingerprints)."""
    skip = _marked(type(cfg), NOTHING, INFERENCE)
    return {k: v for k, v in dataclasses.asdict(cfg).items() if k not in skip}


def _default(f: dataclasses.Field) -> Any:
    if f.default is not dataclasses.MISSING:
        return f.default
    if f.default_factory is not dataclasses.MISSING:
        return f.default_factory()
    return dataclasses.MISSING


def _equal(a: Any, b: Any) -> bool:
    # JSON round trip: tuples and lists, ints and equal floats compare as a record reads them.
    return json.loads(json.dumps(a, default=str)) == json.loads(json.dumps(b, default=str))


def section_identity(section: dict[str, Any], schema: type) -> dict[str, Any]:
    """A config section without its runtime fields and without fields at their default
    (`name` is always kept: it says which schema the rest is read against)."""
    fields = {f.name: f for f in dataclasses.fields(schema)}
    runtime = _marked(schema, NOTHING)
    out = {}
    for key, value in section.items():
        f = fields.get(key)
        # A field the schema no longer has (an old record's) changes nothing any more.
        if key in runtime or f is None:
            continue
        if key != "name" and _equal(value, _default(f)):
            continue
        out[key] = value
    return out


def _schemas(config: dict[str, Any]) -> dict[str, type]:
    from missdiff.config import DatasetConfig, MissingnessConfig
    from missdiff.registry import config_schema

    return {
        "dataset": DatasetConfig,
        "missingness": MissingnessConfig,
        "model": config_schema("model", config["model"]["name"]),
        "evaluator": config_schema("evaluator", config["evaluator"]["name"]),
    }


def result_identity(config: dict[str, Any]) -> dict[str, Any]:
    """The part of a resolved run config that can change its metrics (see the module doc)."""
    from missdiff.config import ProfileConfig

    ident: dict[str, Any] = {"seed": config["seed"]}
    for section, schema in _schemas(config).items():
        ident[section] = section_identity(config[section], schema)
    profile = config["profile"]
    ident["profile"] = section_identity(
        {k: v for k, v in profile.items() if k == "name" or k in _marked(ProfileConfig, RUN)},
        ProfileConfig,
    )
    if config.get("data_identity"):
        # User-supplied files: two tables under one dataset name must not share records.
        ident["data"] = config["data_identity"]
    return ident


def result_key(config: dict[str, Any]) -> str:
    """16 hex digits naming a run's record: `digest` of `result_identity`."""
    return digest(result_identity(config), KEY_LENGTH)


def result_differences(stored: dict[str, Any], current: dict[str, Any]) -> list[str]:
    """Result-relevant fields where a finished record's config and a new run's config differ
    (a field the record lacks reads as its default). Under one key these are only ever non-empty
    after a schema default changed."""
    diffs = []
    for section, schema in _schemas(current).items():
        fields = {f.name: f for f in dataclasses.fields(schema)}
        runtime = _marked(schema, NOTHING)
        old, new = stored.get(section, {}), current[section]
        for key, value in new.items():
            if key in runtime:
                continue
            before = old.get(key, _default(fields[key]) if key in fields else None)
            if not _equal(before, value):
                diffs.append(f"{section}.{key}: {before!r} -> {value!r}")
    return diffs
