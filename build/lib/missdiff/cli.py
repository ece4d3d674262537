"""`missdiff`: impute or synthesise one table from the command line.

    missdiff impute IN.csv --output OUT.csv [--model missdiff] [--steps N | --epochs N] [--seed S]
        [--categorical COL ...] [--na-values V ...] [--draws K --draws-output DIR] [--save MODEL]
    missdiff generate (IN.csv | --load MODEL) --rows N --output OUT.csv [--seed S]

Empty cells (and the --na-values) are missing. Column types are inferred (numbers continuous,
text categorical) unless --categorical names the categorical columns. The defaults are
missdiff.estimator's (README, "Your own data": what they cost, and why). Bad input stops with one
line naming the fix, before any training, and an output file is written whole or not at all.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from pathlib import Path
from typing import Any

import pandas as pd

from missdiff.errors import MissDiffError
from missdiff.files import atomic_write_text

PROG = "missdiff"
MODELS = {
    "missdiff": "MissDiff",
    "csdi_t": "CSDIT",
    "mean_mode": "MeanModeImputer",
    "mice": "MICEImputer",
    "missforest": "MissForestImputer",
    "gain": "GAINImputer",
}


def read_table(path: Path, na_values: list[str] | None) -> pd.DataFrame:
    if not path.is_file():
        raise MissDiffError(f"no file {path}")
    try:
        # round_trip: observed numbers are written back exactly as they were read.
        data = pd.read_csv(path, na_values=na_values or None, float_precision="round_trip")
    except pd.errors.EmptyDataError:
        raise MissDiffError(f"{path} is empty") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        first = str(err).splitlines()[0] if str(err) else type(err).__name__
        raise MissDiffError(f"{path} is not a readable CSV file ({first})") from None
    if len(data) == 0:
        raise MissDiffError(f"{path} has a header but no rows")
    return data


def check_output(path: Path, what: str = "--output") -> None:
    """Checked before any work: the folder must exist and the path must not be a folder."""
    if path.is_dir():
        raise MissDiffError(f"{what} {path} is a folder; give a file name")
    if not path.parent.is_dir():
        raise MissDiffError(f"{what} {path}: folder {path.parent} does not exist")


def write_table(data: pd.DataFrame, path: Path, index: bool = False) -> None:
    buffer = io.StringIO()
    data.to_csv(buffer, index=index)
    atomic_write_text(path, buffer.getvalue())


def estimator(args: argparse.Namespace) -> Any:
    import missdiff.estimator as est

    cls = getattr(est, MODELS[args.model])
    kwargs: dict[str, Any] = {"random_state": args.seed, "categorical": args.categorical}
    if args.model in ("missdiff", "csdi_t"):
        if args.steps is not None and args.epochs is not None:
            raise MissDiffError("give --steps or --epochs, not both")
        if args.steps is not None:
            kwargs["train_steps"] = args.steps
        if args.epochs is not None:
            kwargs.update(train_steps=0, epochs=args.epochs)
        kwargs["threads"] = args.threads
    elif args.steps is not None or args.epochs is not None:
        raise MissDiffError(f"--steps and --epochs apply to missdiff and csdi_t, not {args.model}")
    return cls(**kwargs)


def impute(args: argparse.Namespace) -> str:
    output = Path(args.output)
    check_output(output)
    if args.draws is not None and args.draws_output is None:
        raise MissDiffError("--draws needs --draws-output DIR for the imputed copies")
    draws_dir = Path(args.draws_output) if args.draws_output else None
    if draws_dir is not None and not draws_dir.parent.is_dir():
        raise MissDiffError(f"--draws-output {draws_dir}: folder {draws_dir.parent} does not exist")
    if args.save:
        check_output(Path(args.save), "--save")
    data = read_table(Path(args.input), args.na_values)
    start = time.perf_counter()
    model = estimator(args).fit(data)
    completed = model.transform(data)
    draws = model.impute_draws(data, args.draws) if args.draws else []
    if args.save:
        model.save(args.save)
    write_table(completed, output)
    if draws_dir is not None:
        draws_dir.mkdir(exist_ok=True)
        for k, frame in enumerate(draws, start=1):
            write_table(frame, draws_dir / f"draw_{k}.csv")
    filled = int(data.isna().to_numpy().sum())
    return (
        f"imputed {output}: {len(data):,} rows x {data.shape[1]} columns, {filled:,} entries "
        f"filled, {time.perf_counter() - start:.1f} s"
    )


def generate(args: argparse.Namespace) -> str:
    output = Path(args.output)
    check_output(output)
    if args.rows < 1:
        raise MissDiffError(f"--rows must be a positive integer, got {args.rows}")
    if (args.input is None) == (args.load is None):
        raise MissDiffError("give a CSV to fit on, or --load MODEL, not both")
    start = time.perf_counter()
    if args.load is not None:
        from missdiff.estimator import load

        model = load(args.load)
    else:
        if args.model not in ("missdiff", "csdi_t"):
            raise MissDiffError(f"--model {args.model} imputes only; use missdiff or csdi_t")
        model = estimator(args).fit(read_table(Path(args.input), args.na_values))
    rows = model.sample(args.rows)
    write_table(rows, output)
    return (
        f"generated {output}: {len(rows):,} rows x {rows.shape[1]} columns, "
        f"{time.perf_counter() - start:.1f} s"
    )


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    sub = top.add_subparsers(dest="command", required=True)
    for name, helptext in (
        ("impute", "fill the missing entries of a CSV table"),
        ("generate", "synthesise complete rows like a CSV table's"),
    ):
        p = sub.add_parser(name, help=helptext, description=helptext)
        p.add_argument("input", nargs="?" if name == "generate" else None, help="a CSV file")
        p.add_argument("--output", "-o", required=True, help="the CSV file to write")
        p.add_argument("--model", choices=sorted(MODELS), default="missdiff")
        p.add_argument("--steps", type=int, help="training budget in optimiser steps")
        p.add_argument("--epochs", type=int, help="training budget in passes over the rows")
        p.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
        p.add_argument(
            "--categorical",
            nargs="+",
            metavar="COL",
            help="the categorical columns (default: the non-numeric ones)",
        )
        p.add_argument(
            "--na-values",
            nargs="+",
            metavar="V",
            help="strings that mean missing, besides empty cells",
        )
        p.add_argument("--threads", type=int, default=None, help="torch threads (default: 1)")
        if name == "impute":
            p.add_argument("--draws", type=int, help="also write K imputed copies")
            p.add_argument("--draws-output", metavar="DIR", help="folder for the K copies")
            p.add_argument("--save", metavar="MODEL", help="save the fitted model to this file")
        else:
            p.add_argument("--rows", type=int, required=True, help="rows to generate")
            p.add_argument("--load", metavar="MODEL", help="a model saved by impute --save")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if getattr(args, "threads", None) is None:
        args.threads = 1  # one thread per job is fastest on small shared CPUs (README)
    try:
        line = impute(args) if args.command == "impute" else generate(args)
    except MissDiffError as err:
        print(f"{PROG}: error: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted; nothing was written", file=sys.stderr)
        return 130
    print(f"{PROG}: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
