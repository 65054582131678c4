#!/usr/bin/env bash
# Reproduce the README's busi-dev results table on a CPU: 3-fold
# cross-validation of the main rows and fold 0 of the ablations, with the
# short CPU configs (128 px, small backbones). Two lanes run side by side
# (ASSGAN family | TaiChiNet family), one thread each.
#   bash scripts/busi_cv_cpu.sh /path/to/BUSI-folder [work root]
# Rerunning continues where a killed run stopped (cross_val.py skips finished
# folds and resumes unfinished ones). Then:
#   python tools/analysis_tools/analyze.py --table <work root>/*      (the results table)
set -euo pipefail
DATA=${1:?usage: bash scripts/busi_cv_cpu.sh DATA_ROOT [WORK_ROOT]}
WORK=${2:-work_dirs/busi_cv_cpu}
PY=${PYTHON:-.venv/bin/python}
K=${FOLDS:-3}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
cv() { # name config [extra args...]
  local name=$1 cfg=$2; shift 2
  $PY tools/cross_val.py "$cfg" --num-folds "$K" --data-root "$DATA" \
      --work-dir "$WORK/$name" "$@" > "$WORK/$name.log" 2>&1 \
    && echo "$(date +%T) done   $name" \
    || echo "$(date +%T) FAILED $name (see $WORK/$name.log)" | tee -a "$WORK/FAILED"
}
mkdir -p "$WORK"
A=configs/assgan/assgan_busi-cpu128_15pct
T=configs/taichinet
ablation() { # Table I model m, fold 0
  cv t1-model$1 $T/taichinet_busi-cpu128_no-curriculum.py --folds 0 \
      --cfg-options model.ablation=model$1
}
gamma() { cv gamma-$1 ${A}.py --folds 0 --cfg-options model.gate.gamma=$1; }
lane_assgan() {
  cv sup-15pct        ${A}_sup.py
  cv assgan-15pct     ${A}.py
  cv sup-100pct       configs/assgan/assgan_busi-cpu128_100pct_sup.py
  cv t9-1gen          ${A}_1gen.py --folds 0
  cv t9-1gen-gan      ${A}_1gen-gan.py --folds 0
  cv t9-2gen          ${A}_2gen.py --folds 0
  ablation 7; ablation 6; ablation 5
  gamma 0.1; gamma 0.9
}
lane_taichinet() {
  cv unet-100pct      $T/unet_busi-cpu128.py
  cv taichinet-100pct $T/taichinet_busi-cpu128.py \
      --curriculum-teacher $T/unetpp_busi-cpu128.py
  ablation 2; ablation 3; ablation 4
  gamma 0.3; gamma 0.7
}
rm -f "$WORK/FAILED"
lane_assgan &
lane_taichinet &
wait
$PY tools/analysis_tools/analyze.py --table "$WORK"/*/ --out "$WORK"
[ ! -f "$WORK/FAILED" ]
