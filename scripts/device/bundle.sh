#!/bin/bash
# Here (the CPU machine): build .device/, what a GPU machine lacks to run our sweeps, for the
# device tool's `carry`. The device image has python3 3.12 with torch (CUDA), numpy, pandas,
# scikit-learn, scipy, PyYAML and tqdm, but not Hydra/OmegaConf: their pure-Python packages are
# copied from .venv (with their dist-info, so records still list their versions), and the
# datasets the named folders hold are copied from $MISSDIFF_DATA_DIR (../shared/datasets does
# not travel). Imputation sweeps (evaluator=rmse) need nothing else. Generation sweeps
# (evaluator=generation: Figure 1, Tables 2, 4, 18-19) also need sdmetrics and xgboost: with
# --generation their wheels (and copulas' and plotly's, the two of sdmetrics' needs the image
# lacks) are fetched from PyPI at the versions of requirements/lock.txt into .device/wheels;
# all four are platform-independent or manylinux wheels, so they install on the device's
# Python 3.12 as on ours. sweep.sh installs them there. (MIWAE needs hyperimpute: not carried.)
#
#   scripts/device/bundle.sh [--generation] census_tabcsdi [adult ...]   # -> .device/ (git-ignored)
set -euo pipefail
cd "$(dirname "$0")/../.."
data_dir=${MISSDIFF_DATA_DIR:-../shared/datasets}
generation=0
if [ "${1:-}" = "--generation" ]; then generation=1; shift; fi
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
if [ "$generation" = 1 ]; then
  pins=()
  for pkg in sdmetrics copulas plotly xgboost-cpu; do
    pin=$(grep -i "^$pkg==" requirements/lock.txt) || { echo "bundle.sh: $pkg is not pinned in requirements/lock.txt" >&2; exit 2; }
    pins+=("$pin")
  done
  .venv/bin/python -m pip download -q --no-deps --only-binary=:all: --python-version 3.12 \
    --implementation cp --platform manylinux_2_28_x86_64 --platform manylinux2014_x86_64 \
    --platform manylinux_2_17_x86_64 -d .device/wheels "${pins[@]}"
fi
find .device -name __pycache__ -prune -exec rm -rf {} +
du -sh .device
