#!/usr/bin/env bash
# One-command check of bus_mm on a machine with a CUDA GPU.
#
# Usage:
#   bash scripts/gpu_check.sh [--out DIR] [--iters N]
#
#   --out DIR   where phantoms, work dirs and logs go (default: work_dirs/gpu_check)
#   --iters N   ASSGAN training iterations (default 40; TaiChiNet trains 2 epochs)
#
# CPU part (any machine): versions, mmcv ops, phantom data at paper size
# (320x320), and the list of CUDA-marked tests.
# GPU part (only when torch sees CUDA):
#   1. the CUDA-marked tests (pytest -m cuda);
#   2. one short --amp run of each method at paper size on phantoms:
#      ASSGAN (configs/assgan/assgan_busi-320_15pct.py, ResNet-101 generators,
#      320x320) and TaiChiNet (U-Net++ teacher + configs/taichinet/taichinet_busi-224.py);
#   3. ASSGAN --amp resumed from its halfway checkpoint vs. the uninterrupted run
#      (max |weight diff|; cuDNN kernels are not bit-exact, expect ~bf16 rounding);
#   4. tools/analysis_tools/bench.py --device cuda --amp.
# It ends with one table (step, status, seconds, result). Without CUDA it says
# so and exits 0 after the CPU part; otherwise it exits 1 if any step failed.
set -uo pipefail
cd "$(dirname "$0")/.."

OUT=work_dirs/gpu_check
ITERS=40
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        --out) [ $# -ge 2 ] || { echo "gpu_check.sh: --out needs a folder" >&2; exit 2; }; OUT=$2; shift 2 ;;
        --iters) [[ "${2:-}" =~ ^[0-9]+$ ]] && [ "$2" -ge 4 ] || { echo "gpu_check.sh: --iters needs an integer >= 4" >&2; exit 2; }; ITERS=$2; shift 2 ;;
        *) echo "gpu_check.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
    esac
done
PY=${PY:-}
if [ -z "$PY" ]; then
    if [ -x .venv/bin/python ]; then PY=.venv/bin/python; else PY=python3; fi
fi
mkdir -p "$OUT/logs"
ROWS=()
FAILED=0

row() { ROWS+=("$1|$2|$3|$4"); }
# step NAME RESULT_CMD -- COMMAND...: run COMMAND, log it, record a row.
step() {
    local name=$1; shift
    local result_cmd=$1; shift
    [ "$1" = "--" ] && shift
    local log="$OUT/logs/${name//[^A-Za-z0-9]/_}.log" t0 t1 rc res
    echo "[gpu_check] $name: $*"
    t0=$(date +%s)
    "$@" >"$log" 2>&1
    rc=$?
    t1=$(date +%s)
    if [ $rc -eq 0 ]; then
        res=$(eval "$result_cmd" 2>/dev/null | tail -1)
        row "$name" ok "$((t1 - t0))" "${res:-see $log}"
    else
        FAILED=1
        row "$name" "FAILED ($rc)" "$((t1 - t0))" "$(tail -1 "$log" | cut -c1-100) [$log]"
    fi
}
table() {
    printf '\n| %-34s | %-10s | %7s | %s\n' step status seconds result
    printf '|%s|%s|%s|%s\n' "$(printf -- '-%.0s' {1..36})" "$(printf -- '-%.0s' {1..12})" "$(printf -- '-%.0s' {1..9})" "--------"
    for r in "${ROWS[@]}"; do
        IFS='|' read -r a b c d <<<"$r"
        printf '| %-34s | %-10s | %7s | %s\n' "$a" "$b" "$c" "$d"
    done
}

# ---------------- CPU part ----------------
step "versions and mmcv ops" 'cat "$log"' -- \
    "$PY" -c "import torch, mmcv, mmengine, mmseg, bus_mm, mmcv.ops; print(f'torch {torch.__version__} (CUDA {torch.version.cuda}) mmcv {mmcv.__version__} mmengine {mmengine.__version__} mmseg {mmseg.__version__}; cuda available: {torch.cuda.is_available()}')"
PH="$OUT/phantom_320"
if [ ! -f "$PH/.done" ]; then
    step "phantoms 320x320" "ls $PH/*/*.png | grep -vc _mask" -- \
        "$PY" tools/dataset_converters/make_phantoms.py "$PH" --num-benign 40 --num-malignant 20 --num-normal 4 --size 320 320 --seed 0
    [ -d "$PH/benign" ] && touch "$PH/.done"
fi
step "CUDA-marked tests (collected)" 'echo "$(grep -c "::" "$log") tests marked cuda"' -- \
    "$PY" -m pytest tests -m cuda --collect-only -q

if ! "$PY" -c "import torch, sys; sys.exit(0 if torch.cuda.is_available() else 1)"; then
    echo "[gpu_check] no CUDA device here (torch.cuda.is_available() is False): the GPU part is skipped."
    row "GPU part" skipped 0 "no CUDA device (torch.cuda.is_available() is False)"
    table
    exit 0
fi

# ---------------- GPU part ----------------
step "CUDA-marked tests" 'tail -1 "$log"' -- \
    "$PY" -m pytest tests -m cuda -q -p no:cacheprovider

HALF=$((ITERS / 2))
AOPTS=(train_cfg.max_iters=$ITERS train_cfg.val_interval=$HALF
       default_hooks.checkpoint.interval=$HALF default_hooks.logger.interval=5
       custom_hooks.1.semi_start=$HALF custom_hooks.1.epoch_length=$HALF)
A=configs/assgan/assgan_busi-320_15pct.py
last_loss() { grep -o '"loss": [0-9.eE+-]*' "$1/"*/vis_data/scalars.json 2>/dev/null | tail -1; }
step "ASSGAN 320 --amp ($ITERS it)" "last_loss $OUT/assgan" -- \
    "$PY" tools/train.py "$A" --amp --overwrite --data-root "$PH" --work-dir "$OUT/assgan" --cfg-options "${AOPTS[@]}"
rm -rf "$OUT/assgan_resumed"; mkdir -p "$OUT/assgan_resumed"
[ -f "$OUT/assgan/iter_$HALF.pth" ] && cp "$OUT/assgan/iter_$HALF.pth" "$OUT/assgan_resumed/" \
    && echo "$OUT/assgan_resumed/iter_$HALF.pth" > "$OUT/assgan_resumed/last_checkpoint"
step "ASSGAN --amp resume from $HALF" \
    "$PY -c \"import torch; a=torch.load('$OUT/assgan/iter_$ITERS.pth',weights_only=True)['state_dict']; b=torch.load('$OUT/assgan_resumed/iter_$ITERS.pth',weights_only=True)['state_dict']; print('max |weight diff| vs uninterrupted: %.3g' % max((a[k].double()-b[k].double()).abs().max().item() for k in a if a[k].is_floating_point()))\"" -- \
    "$PY" tools/train.py "$A" --amp --resume --data-root "$PH" --work-dir "$OUT/assgan_resumed" --cfg-options "${AOPTS[@]}"

CUR="$OUT/curriculum"
step "TaiChiNet teacher U-Net++ 224 (1 ep)" "cat $CUR/curriculum_meta.json | head -c 80" -- \
    "$PY" tools/misc/prepare_curriculum.py configs/taichinet/unetpp_busi-224.py --out "$CUR" --overwrite \
    --cfg-options train_cfg.max_epochs=1 train_dataloader.dataset.data_root="$PH" \
    val_dataloader.dataset.data_root="$PH" test_dataloader.dataset.data_root="$PH"
step "TaiChiNet 224 --amp (2 epochs)" "last_loss $OUT/taichinet" -- \
    "$PY" tools/train.py configs/taichinet/taichinet_busi-224.py --amp --overwrite --data-root "$PH" \
    --work-dir "$OUT/taichinet" --cfg-options train_cfg.max_epochs=2 \
    train_dataloader.dataset.pipeline.2.curriculum_dir="$CUR"

step "bench --device cuda --amp" 'echo "table in $log and work_dirs/bench/bench.json"' -- \
    "$PY" tools/analysis_tools/bench.py --device cuda --amp --iters 5 --warmup 2

table
exit $FAILED
