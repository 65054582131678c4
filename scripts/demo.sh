#!/usr/bin/env bash
# The README's main job: phantom data -> train -> test with overlays.
# Re-running it continues (or reuses) the finished run instead of clobbering it.
#   DEMO_CONFIG  config to train (default: the ASSGAN phantom demo)
#   WORK_DIR     where everything goes (default: work_dirs/demo/<config name>)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PY:-.venv/bin/python}
CONFIG=${DEMO_CONFIG:-configs/assgan/assgan_phantom-demo.py}
NAME=$(basename "$CONFIG" .py)
WORK_DIR=${WORK_DIR:-work_dirs/demo/$NAME}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
start=$(date +%s)

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
$PY tools/train.py "$CONFIG" --work-dir "$WORK_DIR" "${RESUME[@]}" ${TRAIN_ARGS:-}

echo "[demo] 3/4 testing the best checkpoint"
# ASSGAN configs: report each generator and their mean, as the paper does.
if [ -z "${TEST_ARGS:-}" ] && grep -q "assgan" <<< "$CONFIG"; then
    TEST_ARGS="--predict-with generator_a generator_b mean"
fi
CKPT=$(ls -t "$WORK_DIR"/best_*.pth 2>/dev/null | head -n 1 || true)
[ -n "$CKPT" ] || CKPT=$(cat "$WORK_DIR/last_checkpoint")
$PY tools/test.py "$CONFIG" "$CKPT" --work-dir "$WORK_DIR" \
    --show-dir "$WORK_DIR/overlays" --out "$WORK_DIR/pred_masks" \
    --csv "$WORK_DIR/per_image.csv" ${TEST_ARGS:-}
echo "[demo] 4/4 pictures: curves, gate audit, best/median/worst cases -> $WORK_DIR/analysis"
$PY tools/analysis_tools/analyze.py "$WORK_DIR"
echo "[demo] done in $(( $(date +%s) - start )) s: metrics $WORK_DIR/test_metrics.json," \
     "overlays $WORK_DIR/overlays/, masks $WORK_DIR/pred_masks/, pictures $WORK_DIR/analysis/"
