#!/usr/bin/env bash
# The README's main job: phantom data -> train -> test with overlays.
# Re-running it continues (or reuses) the finished run instead of clobbering it.
#   DEMO_CONFIG  config to train (default: the ASSGAN phantom demo)
#   WORK_DIR     where everything goes (default: work_dirs/demo/<config name>)
#   DEMO_AMP     auto | on | off: --amp for training and testing (default: the
#                config's `amp`; the ASSGAN demo's is 'auto': bf16 where the
#                CPU has native bf16, fp32 elsewhere). DEMO_AMP=off with another
#                WORK_DIR times the demo in fp32.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
CONFIG=${DEMO_CONFIG:-configs/assgan/assgan_phantom-demo.py}
NAME=$(basename "$CONFIG" .py)
WORK_DIR=${WORK_DIR:-work_dirs/demo/$NAME}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
start=$(date +%s)
FAST=()
if [ -n "${DEMO_AMP:-}" ]; then
    case $DEMO_AMP in
        auto|on|off) FAST=("--amp=$DEMO_AMP") ;;
        *) echo "[demo] DEMO_AMP must be auto, on or off, got '$DEMO_AMP'" >&2
           exit 2 ;;
    esac
fi

echo "[demo] 1/4 phantom data (data/phantom; skipped when already there)"
$PY tools/dataset_converters/make_phantoms.py data/phantom

echo "[demo] 2/4 training $CONFIG -> $WORK_DIR"
RESUME=()
[ -f "$WORK_DIR/last_checkpoint" ] && RESUME=(--resume)
# ASSGAN configs: audit the trust gate (phantoms have masks for the unlabeled
# images too; the audit never reaches a loss) -> analysis/gate_audit.png
if [ -z "${TRAIN_ARGS:-}" ] && grep -q "assgan" <<< "$CONFIG"; then
    TRAIN_ARGS="--audit-gate"
fi
train_start=$(date +%s)
$PY tools/train.py "$CONFIG" --work-dir "$WORK_DIR" "${RESUME[@]}" "${FAST[@]}" \
    ${TRAIN_ARGS:-}
train_s=$(( $(date +%s) - train_start ))
# the precision and layout the training resolved to (its dumped config,
# which the test run below rewrites with the inference layout)
PREC=$(grep -hE "^(amp|amp_dtype|channels_last) = " "$WORK_DIR/$NAME.py" \
       2>/dev/null | sed ':a;N;$!ba;s/\n/, /g' || true)

echo "[demo] 3/4 testing the best checkpoint"
# ASSGAN configs: report each generator and their mean, as the paper does.
if [ -z "${TEST_ARGS:-}" ] && grep -q "assgan" <<< "$CONFIG"; then
    TEST_ARGS="--predict-with generator_a generator_b mean"
fi
CKPT=$(ls -t "$WORK_DIR"/best_*.pth 2>/dev/null | head -n 1 || true)
[ -n "$CKPT" ] || CKPT=$(cat "$WORK_DIR/last_checkpoint")
$PY tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK_DIR" \
    --show-dir "$WORK_DIR/overlays" --out "$WORK_DIR/pred_masks" \
    --csv "$WORK_DIR/per_image.csv" "${FAST[@]}" ${TEST_ARGS:-}
echo "[demo] 4/4 pictures: curves, gate audit, best/median/worst cases -> $WORK_DIR/analysis"
$PY tools/analysis_tools/analyze.py "$WORK_DIR"
echo "[demo] trained in ${train_s} s (${PREC:-amp = False}; fp32 vs bf16:" \
     "docs/advanced_guides/fast_path.md)"
echo "[demo] done in $(( $(date +%s) - start )) s: metrics $WORK_DIR/test_metrics.json," \
     "overlays $WORK_DIR/overlays/, masks $WORK_DIR/pred_masks/, pictures $WORK_DIR/analysis/"
