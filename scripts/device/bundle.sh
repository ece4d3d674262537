#!/bin/bash
# Here (the CPU machine): build .device/, what a GPU machine lacks to run our sweeps, for the
# device tool's `carry`. The device image has python3 3.12 with torch (CUDA), numpy, pandas,
# scikit-learn, scipy, PyYAML and tqdm, but not Hydra/OmegaConf: their pure-Python packages are
# copied from .venv (with their dist-info, so records still list their versions), and the
# datasets the named folders hold are copied from $MISSDIFF_DATA_DIR (../shared/datasets does
# not travel). Imputation sweeps (evaluator=rmse) need nothing else; generation sweeps would
# also need sdmetrics and xgboost, which this bundle does not carry.
#
#   scripts/device/bundle.sh census_tabcsdi [adult ...]      # -> .device/ (git-ignored)
set -euo pipefail
cd "$(dirname "$0")/../.."
data_dir=${MISSDIFF_DATA_DIR:-../shared/datasets}
[ $# -gt 0 ] || { echo "bundle.sh: name the dataset folders to carry, e.g. census_tabcsdi" >&2; exit 2; }
site=$(.venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
rm -rf .device
mkdir -p .device/site .device/data
for pkg in hydra omegaconf antlr4; do
  cp -r "$site/$pkg" .device/site/
done
cp -r "$site"/hydra_core-*.dist-info "$site"/omegaconf-*.dist-info \
  "$site"/antlr4_python3_runtime-*.dist-info .device/site/
for folder in "$@"; do
  [ -d "$data_dir/$folder" ] || { echo "bundle.sh: no folder $data_dir/$folder" >&2; exit 2; }
  cp -r "$data_dir/$folder" .device/data/
done
find .device -name __pycache__ -prune -exec rm -rf {} +
du -sh .device
