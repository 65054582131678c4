#!/usr/bin/env bash
# ASSGAN trust-gate study on a BUSI folder (README "ASSGAN: the trust gate").
#   bash scripts/assgan_gate_study.sh DATA_ROOT [WORK_ROOT] [screen|final|all]
# screen: fold 0 of 3, every gate variant with the gate audit (--audit-gate).
# final:  3 folds of the rows of the results table: stock mmseg DeepLabV3+ R18,
#         bus_mm supervised, "2 generators" (accept all), ASSGAN with the
#         default gate and with the paper-literal gate (audited).
# Two lanes, one thread each; FAST="--amp" adds the bf16 fast path on a CPU with
# native bf16 (or a GPU). Resumable (cross_val.py
# skips finished folds). Then: python tools/analysis_tools/analyze.py --table WORK_ROOT/*/
set -euo pipefail
DATA=${1:?usage: bash scripts/assgan_gate_study.sh DATA_ROOT [WORK_ROOT] [screen|final|all]}
WORK=${2:-work_dirs/assgan_gate_study}
WHAT=${3:-all}
PY=${PYTHON:-.venv/bin/python}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
FAST=${FAST:-}
A=configs/assgan/assgan_busi-cpu128_15pct
cv() { # name config [extra args...]
  local name=$1 cfg=$2; shift 2
  $PY tools/cross_val.py "$cfg" --num-folds 3 --data-root "$DATA" $FAST \
      --work-dir "$WORK/$name" "$@" > "$WORK/$name.log" 2>&1 \
    && echo "$(date +%T) done   $name" \
    || echo "$(date +%T) FAILED $name (see $WORK/$name.log)" | tee -a "$WORK/FAILED"
}
mkdir -p "$WORK"
rm -f "$WORK/FAILED"
screen_lane1() {
  cv screen-paper-gate   ${A}_paper-gate.py --folds 0 --audit-gate
  cv screen-binarized    ${A}.py --folds 0 --audit-gate \
      --cfg-options model.adv_on_unlabeled=False model.train_d_in_semi=True
  cv screen-smoothing    ${A}.py --folds 0 --audit-gate \
      --cfg-options model.real_label=0.9
  # the previous default (MaskQualityGate, gamma 0.5 as a score, with L_adv)
  cv screen-mask-gate    ${A}.py --folds 0 --audit-gate \
      --cfg-options model.gate.type=MaskQualityGate model.gamma=0.5 \
      model.lambda_adv=0.01
  # GCT-style critic: D regresses the error map of (image, mask) and keeps
  # learning on the labeled images in Algorithm 2; score = estimated IoU
  cv screen-critic       ${A}.py --folds 0 --audit-gate \
      --cfg-options model.gate.type=ErrorMapGate \
      model.discriminator.in_channels=4 model.train_d_in_semi=True
}
screen_lane2() {
  cv screen-bin-unlab    ${A}.py --folds 0 --audit-gate \
      --cfg-options model.train_d_in_semi=True
  cv screen-default      ${A}.py --folds 0 --audit-gate
  # the default gate with the paper's L_adv
  cv screen-ladv         ${A}.py --folds 0 --audit-gate \
      --cfg-options model.lambda_adv=0.01
  cv screen-image-cond   ${A}.py --folds 0 --audit-gate \
      --cfg-options model.gate.with_image=True \
      model.discriminator.in_channels=4
}
final_lane1() {
  cv final-stock         configs/baselines/deeplabv3plus_r18_busi-cpu128_15pct_stock.py
  cv final-sup           ${A}_sup.py
  cv final-assgan        ${A}.py --audit-gate
}
final_lane2() {
  cv final-2gen          ${A}_2gen.py --audit-gate
  cv final-paper-gate    ${A}_paper-gate.py --audit-gate
}
case $WHAT in
  screen) screen_lane1 & screen_lane2 & wait ;;
  final)  final_lane1 & final_lane2 & wait ;;
  all)    (screen_lane1; final_lane1) & (screen_lane2; final_lane2) & wait ;;
esac
[ ! -f "$WORK/FAILED" ]
