"""Learning curves of the diffusion models: imputation RMSE and dependence error as functions of
optimiser steps, beside Mean/Mode, MICE and MissForest on the same fold. Writes one CSV per curve
under results/convergence/ and, with `report`, results/tables/convergence.md and
results/figures/convergence.png (not a test; results/NOTES.md quotes them).

A curve is one dataset x model x denoiser (x EMA) x seed on Table 1's protocol (TabCSDI's
column-balanced 20 % MCAR, the seeded 80/20 fold, RMSE on TabCSDI's scale, mean over columns),
at the `paper` profile's imputation budget (TabCSDI's architecture and batch 8) but trained for
the largest of --steps optimiser steps, its learning rate x0.1 at 25/50/75/90 % of them. The
weights (the averaged ones under EMA) are read at every budget of --steps; after training, each
snapshot imputes the test fold (median of --draws draws, test rows capped at --test-rows) and
samples rows for the dependence error of synthetic rows. A snapshot before the last has not had
its learning rate decayed as a run of that budget would have, so it can differ from such a run
either way (results/NOTES.md, session 12). The baselines are fitted on the same rows, mask and
fold (the run's seed streams do not depend on the model).

    .venv/bin/python scripts/learning_curves.py run --dataset concrete --model missdiff
    .venv/bin/python scripts/learning_curves.py run --dataset concrete --model csdi_t \\
        --denoiser mlp --ema 0.999
    .venv/bin/python scripts/learning_curves.py baselines --dataset concrete
    .venv/bin/python scripts/learning_curves.py report

Datasets: Table 1's five small tables (breast_numeric, wine_white, concrete, libras_numeric,
diabetes) and the Bayesian network (bayesnet). A finished curve's CSV is never recomputed.
"""

from __future__ import annotations

import argparse
import copy
import io
import math
import os
import shlex
import sys
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "results" / "convergence"
STEPS = (1000, 3000, 10000, 30000, 100000)
DATASETS = ("breast_numeric", "wine_white", "concrete", "libras_numeric", "diabetes", "bayesnet")
BASELINES = ("mean_mode", "mice", "missforest")
LABELS = {
    "missdiff": "MissDiff",
    "csdi_t": "CSDI_T",
    "mean_mode": "Mean/Mode",
    "mice": "MICE",
    "missforest": "MissForest",
}


def compose_run(dataset: str, model: str, overrides: list[str]):  # -> DictConfig
    from hydra import compose, initialize_config_dir

    from missdiff.config import register_configs
    from missdiff.run import CONFIG_DIR

    register_configs()
    base = [
        f"dataset={dataset}",
        "missingness=tabcsdi",
        f"model={model}",
        "evaluator=rmse",
        "profile=paper",
        "threads=1",
    ]
    with initialize_config_dir(config_dir=CONFIG_DIR, version_base="1.3"):
        return compose(config_name="config", overrides=[*base, *overrides])


def curve_name(args: argparse.Namespace) -> str:
    ema = f"-ema{args.ema:g}" if args.ema else ""
    batch = f"-b{args.batch_size}" if args.batch_size else ""
    width = f"-w{args.width}" if args.denoiser == "mlp" and args.width != 512 else ""
    return f"{args.dataset}-{args.model}-{args.denoiser}{width}{ema}{batch}-s{args.seed}"


def scores(evaluator, inputs, imputed: pd.DataFrame, sampled: pd.DataFrame | None, rng) -> dict:
    from missdiff.evaluation.dependence import dependence_error

    inputs.imputed_test = imputed
    metrics = evaluator.evaluate(inputs, rng)
    out = {k: metrics.get(k, math.nan) for k in ("rmse", "rmse_minmax", "error_rate")}
    out["dependence_error_imputed"] = metrics.get("dependence_error", math.nan)
    if sampled is not None:
        real = inputs.train_true
        out["dependence_error_sampled"] = dependence_error(real, sampled, inputs.schema)
    return out


def prepared(cfg):
    from missdiff import pipeline as P
    from missdiff.data.schema import apply_mask
    from missdiff.evaluation.base import EvalInputs

    data = P.prepare_data(cfg, os.environ.get("MISSDIFF_DATA_DIR"))
    table = data.table
    train_true = table.data.iloc[data.train].reset_index(drop=True)
    test_true = table.data.iloc[data.test].reset_index(drop=True)
    inputs = EvalInputs(
        table.schema, train_true, test_true, data.observed[data.train], data.observed[data.test]
    )
    train_in = apply_mask(train_true, data.observed[data.train])
    test_in = apply_mask(test_true, data.observed[data.test])
    return inputs, train_in, test_in


def write_csv(rows: list[dict], path: Path) -> None:
    from missdiff.files import atomic_write_text

    buffer = io.StringIO()
    pd.DataFrame(rows).to_csv(buffer, index=False)
    atomic_write_text(path, buffer.getvalue())
    print(f"wrote {path}")


def run_curve(args: argparse.Namespace) -> None:
    import torch

    from missdiff import pipeline as P
    from missdiff.registry import build_evaluator, build_model

    path = OUT / f"{curve_name(args)}.csv"
    if path.exists() and not args.force:
        print(f"{path} exists (finished); --force to recompute")
        return
    steps = sorted(args.steps)
    overrides = [
        f"seed={args.seed}",
        f"model.denoiser={args.denoiser}",
        f"model.ema_decay={args.ema}",
        f"model.train_steps={steps[-1]}",
        f"model.n_impute_samples={args.draws}",
        f"profile.max_test_rows={args.test_rows}",
        "+model.device=cpu",
        "+model.progress=false",
    ]
    if args.batch_size:
        overrides.append(f"model.batch_size={args.batch_size}")
    if args.denoiser == "mlp":
        overrides.append(f"model.mlp_width={args.width}")
    cfg = compose_run(args.dataset, args.model, overrides)
    torch.set_num_threads(1)
    inputs, train_in, test_in = prepared(cfg)
    model = build_model(cfg.model)
    snapshots: dict[int, dict] = {}
    seconds: dict[int, float] = {}
    start = time.perf_counter()

    def keep(done: int, net: torch.nn.Module) -> None:
        if done in steps:
            seconds[done] = time.perf_counter() - start
            snapshots[done] = copy.deepcopy(net.state_dict())
            print(f"  {done} steps, {seconds[done] / 60:.1f} min", flush=True)

    model.on_step = keep
    # Everything the evaluation imports is loaded before the long fit (edits made meanwhile to
    # the working tree cannot reach this run).
    evaluator = build_evaluator(cfg.evaluator)
    import missdiff.evaluation.dependence  # noqa: F401
    from missdiff.records import code_version

    code = code_version()
    model.fit(train_in, inputs.schema, P.stream(cfg.seed, "model"))
    n_sample = min(len(train_in), 1000)
    rows = []
    for done in steps:
        model.net.load_state_dict(snapshots[done])
        t0 = time.perf_counter()
        imputed = model.impute(test_in, P.stream(cfg.seed, "inference")).completed
        sampled = model.sample(n_sample, P.stream(cfg.seed, "inference"))
        row = {
            "curve": curve_name(args),
            "dataset": args.dataset,
            "model": args.model,
            "denoiser": args.denoiser,
            "mlp_width": cfg.model.mlp_width if args.denoiser == "mlp" else None,
            "ema_decay": args.ema,
            "seed": args.seed,
            "steps": done,
            "batch_size": cfg.model.batch_size,
            "train_seconds": seconds[done],
            "eval_seconds": time.perf_counter() - t0,
        }
        row.update(scores(evaluator, inputs, imputed, sampled, P.stream(cfg.seed, "evaluate")))
        row.update(
            n_test=len(test_in),
            n_draws=args.draws,
            commit=code["commit"],
            dirty=code["dirty"],
            command=shlex.join(["scripts/learning_curves.py", *sys.argv[1:]]),
        )
        rows.append(row)
        print(
            f"  {done:>6} steps: rmse {row['rmse']:.4f}, dependence error imputed "
            f"{row['dependence_error_imputed']:.3f} sampled "
            f"{row['dependence_error_sampled']:.3f}",
            flush=True,
        )
    write_csv(rows, path)


def run_baselines(args: argparse.Namespace) -> None:
    from missdiff import pipeline as P
    from missdiff.records import code_version
    from missdiff.registry import build_evaluator, build_model

    path = OUT / f"{args.dataset}-baselines-s{args.seed}.csv"
    if path.exists() and not args.force:
        print(f"{path} exists (finished); --force to recompute")
        return
    code = code_version()
    rows = []
    for name in BASELINES:
        cfg = compose_run(
            args.dataset, name, [f"seed={args.seed}", f"profile.max_test_rows={args.test_rows}"]
        )
        inputs, train_in, test_in = prepared(cfg)
        t0 = time.perf_counter()
        model = build_model(cfg.model).fit(train_in, inputs.schema, P.stream(cfg.seed, "model"))
        imputed = model.impute(test_in, P.stream(cfg.seed, "inference")).completed
        row = {
            "curve": f"{args.dataset}-{name}-s{args.seed}",
            "dataset": args.dataset,
            "model": name,
            "seed": args.seed,
            "train_seconds": time.perf_counter() - t0,
        }
        evaluator = build_evaluator(cfg.evaluator)
        row.update(scores(evaluator, inputs, imputed, None, P.stream(cfg.seed, "evaluate")))
        row.update(
            n_test=len(test_in),
            commit=code["commit"],
            dirty=code["dirty"],
            command=shlex.join(["scripts/learning_curves.py", *sys.argv[1:]]),
        )
        rows.append(row)
        print(f"  {name}: rmse {row['rmse']:.4f}", flush=True)
    write_csv(rows, path)


def load() -> tuple[pd.DataFrame, pd.DataFrame]:
    frames = [pd.read_csv(p) for p in sorted(OUT.glob("*.csv"))]
    if not frames:
        sys.exit("learning_curves: no curves under results/convergence; run `run` first")
    allrows = pd.concat(frames, ignore_index=True)
    base = allrows[allrows["model"].isin(BASELINES)]
    curves = allrows[~allrows["model"].isin(BASELINES)]
    return curves, base


def variant(row: pd.Series) -> str:
    ema = f" + EMA {row['ema_decay']:g}" if row.get("ema_decay", 0) else ""
    width = row.get("mlp_width")
    width = 512 if width is None or pd.isna(width) else int(width)  # CSVs before the column: 512
    den = f"MLP {width}x4" if row["denoiser"] == "mlp" else "backbone"
    return f"{LABELS[row['model']]} ({den}{ema}, batch {int(row['batch_size'])})"


def report(args: argparse.Namespace) -> None:
    from missdiff.files import atomic_path, atomic_write_text

    curves, base = load()
    curves = curves.assign(variant=curves.apply(variant, axis=1))
    lines = [
        "# Learning curves: imputation RMSE against optimiser steps",
        "",
        "Rebuilt by `python scripts/learning_curves.py report` from results/convergence/*.csv"
        " (each CSV names the command that made it). Table 1's protocol, seed 0; RMSE on"
        " TabCSDI's scale (lower is better); `dep. err.`: mean |dependence(real) -"
        " dependence(imputed)| over column pairs (missdiff/evaluation/dependence.py)."
        " Snapshots of one run per curve (learning rate x0.1 at 25/50/75/90 % of its last"
        " budget): a point before the last was not annealed as a run of that budget would be,"
        " and can differ from one either way (results/NOTES.md). `dep. err. sampled`: the"
        " same for up to 1,000 sampled rows against the training rows. Minutes:"
        " single-thread training time to that point.",
        "",
    ]
    for dataset in [d for d in DATASETS if d in set(curves["dataset"]) | set(base["dataset"])]:
        lines += [f"## {dataset}", ""]
        b = base[base["dataset"] == dataset]
        if len(b):
            lines.append(
                "Baselines on the same fold: "
                + ", ".join(f"{LABELS[r.model]} {r.rmse:.4f}" for r in b.itertuples())
                + "."
            )
            lines.append("")
        c = curves[curves["dataset"] == dataset]
        if len(c):
            lines += [
                "| variant | steps | minutes | RMSE | dep. err. imputed | dep. err. sampled |",
                "|---|---|---|---|---|---|",
            ]
            for r in c.sort_values(["variant", "steps"]).itertuples():
                lines.append(
                    f"| {r.variant} | {int(r.steps):,} | {r.train_seconds / 60:.1f} | "
                    f"{r.rmse:.4f} | {r.dependence_error_imputed:.3f} | "
                    f"{r.dependence_error_sampled:.3f} |"
                )
            lines.append("")
            for name, group in c.groupby("variant"):
                for bl in b.itertuples():
                    below = group[group["rmse"] < bl.rmse].sort_values("steps")
                    when = (
                        f"from {int(below['steps'].iloc[0]):,} steps"
                        if len(below)
                        else f"not by {int(group['steps'].max()):,} steps"
                    )
                    lines.append(f"- {name} below {LABELS[bl.model]} ({bl.rmse:.4f}): {when}")
            lines.append("")
    table = REPO / "results" / "tables" / "convergence.md"
    atomic_write_text(table, "\n".join(lines) + "\n")
    print(f"wrote {table}")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    datasets = [d for d in DATASETS if d in set(curves["dataset"])]
    # One colour per variant in every panel, one legend for the figure.
    variants = sorted(set(curves["variant"]))
    colour = {v: plt.get_cmap("tab10")(k % 10) for k, v in enumerate(variants)}
    rows = (
        ("rmse", "imputation RMSE"),
        ("dependence_error_imputed", "dependence error, imputed"),
        ("dependence_error_sampled", "dependence error, sampled"),
    )
    fig, axes = plt.subplots(
        len(rows), len(datasets), figsize=(3.2 * len(datasets), 2.6 * len(rows) + 0.8),
        squeeze=False,
    )  # fmt: skip
    for j, dataset in enumerate(datasets):
        c = curves[curves["dataset"] == dataset]
        for name, group in c.groupby("variant"):
            g = group.sort_values("steps")
            for i, (metric, _) in enumerate(rows):
                axes[i, j].plot(g["steps"], g[metric], marker="o", color=colour[name], label=name)
        # The baselines impute but do not sample: lines on the first two rows only.
        for bl in base[base["dataset"] == dataset].itertuples():
            for i, metric in enumerate(("rmse", "dependence_error_imputed")):
                value = getattr(bl, metric)
                axes[i, j].axhline(value, linestyle="--", linewidth=1, color="grey")
                axes[i, j].annotate(LABELS[bl.model], (c["steps"].min(), value), fontsize=7)
        axes[0, j].set_title(dataset)
        for i, (_, label) in enumerate(rows):
            axes[i, j].set_xscale("log")
            axes[i, j].set_xlabel("optimiser steps")
            axes[i, j].set_ylabel(label if j == 0 else "")
    handles = [plt.Line2D([], [], color=colour[v], marker="o", label=v) for v in variants]
    ncol = max(1, min(len(variants), len(datasets)))
    fig.legend(handles=handles, loc="lower center", ncol=ncol, fontsize=8)
    fig.tight_layout(rect=(0, 0.025 * math.ceil(len(variants) / ncol) + 0.01, 1, 1))
    figure = REPO / "results" / "figures" / "convergence.png"
    with atomic_path(figure) as tmp:
        fig.savefig(tmp, dpi=130, format="png")
    print(f"wrote {figure}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="one curve")
    run.add_argument("--dataset", choices=DATASETS, required=True)
    run.add_argument("--model", choices=("missdiff", "csdi_t"), required=True)
    run.add_argument("--denoiser", choices=("backbone", "mlp"), default="backbone")
    run.add_argument("--width", type=int, default=512, help="MLP width (--denoiser mlp)")
    run.add_argument("--ema", type=float, default=0.0, help="EMA decay (0: none)")
    run.add_argument("--batch-size", type=int, default=0, help="0: the imputation budget's")
    run.add_argument("--steps", type=int, nargs="+", default=list(STEPS))
    run.add_argument("--seed", type=int, default=0)
    run.add_argument("--draws", type=int, default=20)
    run.add_argument("--test-rows", type=int, default=300)
    run.add_argument("--force", action="store_true")
    bl = sub.add_parser("baselines", help="Mean/Mode, MICE, MissForest on the same fold")
    bl.add_argument("--dataset", choices=DATASETS, required=True)
    bl.add_argument("--seed", type=int, default=0)
    bl.add_argument("--test-rows", type=int, default=300)
    bl.add_argument("--force", action="store_true")
    sub.add_parser("report", help="table and figure from the CSVs")
    args = parser.parse_args()
    if args.command == "run":
        run_curve(args)
    elif args.command == "baselines":
        run_baselines(args)
    else:
        report(args)


if __name__ == "__main__":
    main()
