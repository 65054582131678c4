#!/usr/bin/env bash
# Accuracy parity of the CPU fast path (README "Fast CPU training"): 3 folds
# of busi-dev-style data, each row in fp32 (--no-amp --no-channels-last) and
# on the fast path (--amp, the config's channels_last default).
#   bash scripts/fastpath_parity.sh DATA_ROOT [WORK_ROOT]
# Two lanes, one thread each, resumable. Then:
#   python tools/analysis_tools/analyze.py --table WORK_ROOT/*/
set -euo pipefail
DATA=${1:?usage: bash scripts/fastpath_parity.sh DATA_ROOT [WORK_ROOT]}
WORK=${2:-work_dirs/fastpath_parity}
PY=${PYTHON:-.venv/bin/python}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
T=configs/taichinet
cv() { # name config [extra args...]
  local name=$1 cfg=$2; shift 2
  $PY tools/cross_val.py "$cfg" --num-folds 3 --data-root "$DATA" \
      --work-dir "$WORK/$name" "$@" > "$WORK/$name.log" 2>&1 \
    && echo "$(date +%T) done   $name" \
    || echo "$(date +%T) FAILED $name (see $WORK/$name.log)" | tee -a "$WORK/FAILED"
}
mkdir -p "$WORK"
rm -f "$WORK/FAILED"
FP32="--no-amp --no-channels-last"
(
  cv sup15-fp32  configs/assgan/assgan_busi-cpu128_15pct_sup.py $FP32
  cv unet-fp32   $T/unet_busi-cpu128.py $FP32
  cv taichinet-fp32 $T/taichinet_busi-cpu128.py $FP32 \
      --curriculum-teacher $T/unetpp_busi-cpu128.py
) &
(
  cv sup15-bf16  configs/assgan/assgan_busi-cpu128_15pct_sup.py --amp
  cv unet-bf16   $T/unet_busi-cpu128.py --amp
  cv taichinet-bf16 $T/taichinet_busi-cpu128.py --amp \
      --curriculum-teacher $T/unetpp_busi-cpu128.py
) &
wait
[ ! -f "$WORK/FAILED" ]
