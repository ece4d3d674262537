"""Which experiments there are and what each declares: the one module of the report that
imports `experiments`, and only inside its functions (experiment modules import
`missdiff.report.spec`, so a module-level import here would close a cycle).

An experiment module `experiments/<name>.py` may define:
- `SPEC` (one table named `<name>`) or `SPECS: dict[str, TableSpec]` (several tables from the
  same records, e.g. table2 -> table2, table7, table10, table13..table17);
- `FIGURES: dict[str, Callable[[list[Record]], matplotlib.figure.Figure]]`, written to
  `<figures-out>/<figure>.png` when the experiment has records;
- `REQUIRES`: text shown in its tables while it has no records (e.g. user-supplied data);
- `SWEEPS`: the sweep files (missdiff/configs/experiment/*.yaml) whose runs it collects, when they
  are not just `<name>` (e.g. figure1 = figure1_row + figure1_colind), for the reproduce command.
  `missdiff-report` writes the tables of every such module, also those with no records yet: the
  paper's values beside "not run".
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from missdiff.records import Record
from missdiff.report.spec import TableSpec


@dataclass
class Experiment:
    """What an experiments/<name>.py module declares (module docstring)."""

    name: str
    specs: dict[str, TableSpec]
    figures: dict[str, Callable[[list[Record]], Any]] = field(default_factory=dict)
    requires: str = ""
    sweeps: tuple[str, ...] = ()
    defined: bool = True  # False: no module (or no SPEC/SPECS): a generic table


def load_experiment(name: str) -> Experiment:
    """The tables, figures, requirements and sweeps an experiment module declares."""
    try:
        module = importlib.import_module(f"experiments.{name}")
    except ModuleNotFoundError as err:
        if err.name not in (f"experiments.{name}", "experiments"):
            raise  # the module exists but imports something missing: a real error
        module = None
    specs = getattr(module, "SPECS", None)
    if specs is None and hasattr(module, "SPEC"):
        specs = {name: module.SPEC}
    if specs is None:
        generic = TableSpec(title=f"Experiment `{name}`")
        return Experiment(name, {name: generic}, sweeps=(name,), defined=False)
    return Experiment(
        name,
        dict(specs),
        figures=dict(getattr(module, "FIGURES", {})),
        requires=str(getattr(module, "REQUIRES", "")),
        sweeps=tuple(getattr(module, "SWEEPS", (name,))),
    )


def experiment_modules() -> list[str]:
    """Names of the modules under experiments/ that declare SPEC or SPECS."""
    import experiments

    names = []
    for info in pkgutil.iter_modules(experiments.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"experiments.{info.name}")
        if hasattr(module, "SPEC") or hasattr(module, "SPECS"):
            names.append(info.name)
    return sorted(names)
