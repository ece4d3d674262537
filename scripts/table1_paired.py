"""Table 1's diffusion models against every other method, paired over shared seeds: prints figures.

Not a test. For each dataset with finished Table 1 records of MissDiff or CSDI_T at a profile,
prints the model's RMSE per seed, its mean (std) and wall minutes per run, then for every other
method with records on the same seeds: its mean over those seeds (`on_shared_seeds`), the
difference and a paired t-test's p (`paired_p`): the claims page's rule and test (the folds and
masks are the same for every model of a seed; no test below PAIRED_MIN_SEEDS shared seeds: p =
nan).
Superseded records are left out. The numbers in results/NOTES.md's Table 1 sections come from this.

    .venv/bin/python scripts/table1_paired.py --profile paper
"""

from __future__ import annotations

import argparse
from collections import defaultdict
from pathlib import Path

import numpy as np

from missdiff.claims import Estimate, on_shared_seeds, paired_p
from missdiff.records import COMPLETED, iter_records
from missdiff.report.spec import dataset_label, model_label, profile_label

DIFFUSION = ("missdiff", "csdi_t")
OTHERS = ("mean_mode", "mice", "missforest", "gain", "miwae", "csdi_t", "missdiff")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="paper")
    parser.add_argument("--records", default="results/runs")
    args = parser.parse_args()
    rmse: dict[tuple[str, str], dict[int, float]] = defaultdict(dict)
    minutes: dict[tuple[str, str], list[float]] = defaultdict(list)
    for rec in iter_records(Path(args.records)):
        cfg, m = rec.config, rec.metrics
        if (
            rec.status != COMPLETED
            or m.get("superseded")
            or "table1" not in m.get("experiments", [])
            or profile_label(cfg) != args.profile
        ):
            continue
        cell = (dataset_label(cfg), model_label(cfg))
        rmse[cell][int(cfg["seed"])] = float(m["metrics"]["rmse"])
        minutes[cell].append(float(m.get("wall_time", 0.0)) / 60)
    for dataset in sorted({d for d, _ in rmse}):
        for model in DIFFUSION:
            ours = rmse.get((dataset, model))
            if not ours:
                continue
            values = np.array([ours[s] for s in sorted(ours)])
            std = values.std(ddof=1) if len(values) > 1 else float("nan")
            wall = minutes[(dataset, model)]
            seeds = " / ".join(f"{ours[s]:.4f}" for s in sorted(ours))
            print(
                f"{dataset} {model}: {values.mean():.4f} ({std:.4f}) seeds {sorted(ours)}: {seeds};"
                f" {min(wall):.0f}-{max(wall):.0f} min per run"
            )
            for other in OTHERS:
                theirs = rmse.get((dataset, other))
                if other == model or not theirs or not set(ours) & set(theirs):
                    continue
                a, b, _ = on_shared_seeds(Estimate.of(ours.items()), Estimate.of(theirs.items()))
                p, _ = paired_p(a, b)
                shared = sorted(s for s, _ in a.by_seed)
                print(
                    f"    vs {other:<10} {b.mean:.4f} on seeds {shared}:"
                    f" difference {a.mean - b.mean:+.4f}, paired p = {p:.3f}"
                )


if __name__ == "__main__":
    main()
