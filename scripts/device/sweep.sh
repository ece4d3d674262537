#!/bin/bash
# There (a GPU machine lent through the device tool): run sweeps on CUDA until a deadline, then
# pack the records that finished into $OUT/runs.tgz. Each argument is one `missdiff-run -m`
# command line (quoted); they run one after another (or LANES at once, below). A run cut off by the deadline writes no
# record (the sweeps resume anywhere). Records carry device=cuda; their keys are the same as on
# the CPU, so they fill the same table cells. MISSDIFF_DEVICE=cpu runs the same plumbing on a CPU.
#
#   here:  scripts/device/bundle.sh census_tabcsdi
#   device run, carry [".device"], timeout_s 600, command (the Census cells of Tables 1 and 5,
#   about 25 core-hours on the 2-core CPU; the first sweep is a CUDA check at smoke size):
#     bash scripts/device/sweep.sh 540 \
#       "experiment=table5 profile=smoke model=missdiff,csdi_t seed=0 missingness=mar" \
#       "experiment=table5 profile=quick model=missdiff,csdi_t" \
#       "experiment=table1 profile=quick dataset=census_tabcsdi model=missdiff,csdi_t"
#   generation (Tables 2, 4 and 18-19 on Census; bundle with --generation adult, then e.g.):
#     bash scripts/device/sweep.sh 540 \
#       "experiment=table2 profile=smoke model=missdiff seed=0 missingness=mcar_row" \
#       "experiment=table2 profile=quick seed=0" "experiment=table4 profile=quick seed=0"
#   Figure 1 (bundle with --generation and any one folder; the network is simulated), 8 sweeps at
#   once, one per (panel, model, seed) so that no two share a job:
#     a=(); for e in figure1_row figure1_colind; do for m in missdiff diff_delete diff_mean; do
#       for s in 0 1 2; do a+=("experiment=$e profile=quick threads=2 model=$m seed=$s"); done
#     done; done; LANES=8 bash scripts/device/sweep.sh 540 "${a[@]}"
#   (figure1_released_row / figure1_released_colind for the released network.)
#   back here, add the records without touching any already present:
#     tar -xzf <files_at>/runs.tgz -C results/runs --skip-old-files && missdiff-report
set -uo pipefail
cd "$(dirname "$0")/../.."
budget=${1:?"sweep.sh: first argument: seconds to spend on the sweeps"}
shift
[ -d .device/site ] || { echo "sweep.sh: no .device/ (run scripts/device/bundle.sh here, carry .device)" >&2; exit 2; }
site="$PWD/.device/site"
if [ -d .device/wheels ]; then
  # Generation sweeps: sdmetrics, copulas, plotly and xgboost-cpu, fetched here by bundle.sh.
  python3 -m pip install -q --no-index --no-deps --no-compile --no-cache-dir --upgrade \
    --target /tmp/missdiff-site .device/wheels/*.whl || exit 2
  site="$site:/tmp/missdiff-site"
fi
export PYTHONPATH="$PWD:$site${PYTHONPATH:+:$PYTHONPATH}" PYTHONUNBUFFERED=1
out=${OUT:-/tmp/missdiff-device-out}
mkdir -p "$out" /tmp/device-runs
python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.cuda.is_available(), torch.cuda.get_device_name(0) if torch.cuda.is_available() else "")'
deadline=$(( $(date +%s) + budget ))
# LANES=n runs up to n of the sweeps at once (default 1: one after another), each into its own
# log, printed when it ends: a GPU runs many small models (Figure 1's MLPs) far below capacity
# one at a time. The sweeps of one call must not share a job (split them by seed or model):
# two processes running the same record key would both train it.
lanes=${LANES:-1}
logs=$(mktemp -d)
i=0
for sweep in "$@"; do
  while [ "$(jobs -rp | wc -l)" -ge "$lanes" ]; do wait -n; done
  left=$(( deadline - $(date +%s) ))
  [ "$left" -gt 30 ] || break
  i=$((i + 1))
  (
    # shellcheck disable=SC2086  # one argument = one command line of overrides
    timeout --signal=INT --kill-after=20 "$left" python3 -m missdiff.run -m $sweep device="${MISSDIFF_DEVICE:-cuda}" \
      records_dir=/tmp/device-runs data_dir=.device/data > "$logs/$i.log" 2>&1
    { echo "== $sweep (started with $left s left)"; grep -v "it/s\]" "$logs/$i.log" | tail -n 40; } >&2
  ) &
done
wait
tar -czf "$out/runs.tgz" --exclude=.checkpoints --exclude='.tmp-*' --exclude='.old-*' -C /tmp/device-runs .
echo "records: $(find /tmp/device-runs -mindepth 1 -maxdepth 1 -not -name '.*' | wc -l) -> $out/runs.tgz"
