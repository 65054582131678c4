#!/usr/bin/env bash
# Training parity of the CPU fast path (docs/advanced_guides/fast_path.md):
# 3 folds of busi-dev-style data (fold seed 0), each row trained in fp32
# (--no-amp --no-channels-last) and on the fast path (--amp, the config's
# channels_last='auto'), last checkpoint. Rows:
#   sup-r18   ASSGAN's supervised row at full width (ResNet-18 DeepLabV3+
#             = generator A, PSPNet = generator B; 15% labels, 800 iters)
#   unet      U-Net cpu128 (all labels)
#   taichinet TaiChiNet cpu128 with its U-Net++ curriculum teacher
#   bash scripts/fastpath_parity.sh DATA_ROOT [WORK_ROOT]
# Two lanes (fp32, fast path), one thread each; rerunning continues (finished
# folds are skipped, a killed fold resumes). ROWS picks rows (default all),
# PRECISIONS the lanes (default "fp32 bf16"; one of them runs a single lane,
# e.g. beside other jobs).
# Then the paired table of a row (ROW-fp32-s0 and ROW-bf16-s0 are its runs):
#   python tools/analysis_tools/paired_diff.py --ref unet-fp32 \
#       WORK_ROOT/unet-fp32-s0 WORK_ROOT/unet-bf16-s0
#   (ASSGAN's row: --variant generator_a, generator_b or mean)
set -uo pipefail
DATA=${1:?usage: bash scripts/fastpath_parity.sh DATA_ROOT [WORK_ROOT]}
WORK=${2:-work_dirs/fastpath_parity}
PY=${PYTHON:-.venv/bin/python}
ROWS=${ROWS:-sup-r18 unet taichinet}
PRECISIONS=${PRECISIONS:-fp32 bf16}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
T=configs/taichinet
cv() { # name config [extra args...]
  local name=$1 cfg=$2; shift 2
  if $PY tools/cross_val.py "$cfg" --num-folds 3 --seed 0 --data-root "$DATA" \
      --checkpoint last --work-dir "$WORK/$name" "$@" \
      >> "$WORK/$name.log" 2>&1; then
    echo "$(date +%T) done   $name"
  else
    echo "$(date +%T) FAILED $name (see $WORK/$name.log)" | tee -a "$WORK/FAILED"
  fi
}
lane() { # precision cross_val flags...
  local p=$1; shift
  for row in $ROWS; do
    case $row in
      sup-r18) cv "sup-r18-$p-s0" configs/assgan/assgan_busi-cpu128-r18_15pct_sup.py "$@" ;;
      unet) cv "unet-$p-s0" $T/unet_busi-cpu128.py "$@" ;;
      taichinet) cv "taichinet-$p-s0" $T/taichinet_busi-cpu128.py "$@" \
          --curriculum-teacher $T/unetpp_busi-cpu128.py ;;
    esac
  done
}
for row in $ROWS; do  # checked before any lane starts
  case $row in sup-r18|unet|taichinet) ;;
    *) echo "unknown row '$row' in ROWS (sup-r18, unet, taichinet)" >&2
       exit 2 ;;
  esac
done
for p in $PRECISIONS; do
  case $p in fp32|bf16) ;;
    *) echo "unknown precision '$p' in PRECISIONS (fp32, bf16)" >&2; exit 2 ;;
  esac
done
mkdir -p "$WORK"
rm -f "$WORK/FAILED"
for p in $PRECISIONS; do
  if [ "$p" = fp32 ]; then lane fp32 --no-amp --no-channels-last &
  else lane bf16 --amp &
  fi
done
wait
[ ! -f "$WORK/FAILED" ]
