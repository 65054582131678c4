#!/usr/bin/env bash
# The ASSGAN trust-rule study at full width (README.md beside this script).
#   bash projects/assgan_trust/run_study.sh DATA_ROOT WORK [PHASES]
# Every unit (fold x training seed) first trains the supervised phase once
# (configs/sup-phase_*.py, the default of the study's start, iterations
# 0-399: generators + D beside them, no L_adv), then every arm is branched
# from its iter_400.pth and trained for iterations 400-799 with its own
# config; the last checkpoint is tested. The arms' configs pin their
# settings, so the study does not move when the shipped default does.
# PHASES (default "main unimatch dlab cut extra weak stock paper"), each over
# every unit before the next phase starts:
#   main    sup, accept-all, d-judge (the default: D as a judge beside
#           agreement), no-d, d-prior (D as a shape prior: L_adv)
#   cut     agree-cut
#   dlab    d-labeled (d-prior with L_adv on labeled predictions only)
#   unimatch  UniMatch, its student branched from generator A, with the
#           student's loss, with Dice alone on the unlabeled streams and
#           with one confidence threshold per predicted class
#   extra   w2s (accept-all with the strong view)
#   ref     the supervised phase, accept-all and sup only
#   weak    d-prior-weak (the shipped default), agree-rank, d-judge-weak:
#           the agreement-rank gate with D as a shape prior, without D, with
#           D as a judge, all without the strong view
#   long    sup, accept-all and the default (d-prior-weak) trained to
#           iteration 1200 (a semi-supervised phase of 800 iterations)
#   stock   the stock mmseg baseline (labeled images only, own run)
#   paper   the paper-literal gate (own supervised phase)
# Environment: PYTHON (.venv/bin/python), FOLDS (3), UNITS (the
# "fold:seed" pairs, default "0:0 1:0 2:0 0:1 1:1 2:1"), LANES (2), FAST
# (extra tools/cross_val.py flags, e.g. "--amp"), ARMS (run only the arms
# named here, e.g. "unimatch unimatch-class-thr"; a unit's supervised phase
# still runs when a named arm needs it). Two lanes of one thread each;
# rerunning the same command continues a killed study.
set -uo pipefail
DATA=${1:?usage: bash projects/assgan_trust/run_study.sh DATA_ROOT WORK [PHASES]}
WORK=${2:?usage: bash projects/assgan_trust/run_study.sh DATA_ROOT WORK [PHASES]}
PHASES=${3:-main unimatch dlab cut extra weak stock paper}
PY=${PYTHON:-.venv/bin/python}
K=${FOLDS:-3}
UNITS=${UNITS:-0:0 1:0 2:0 0:1 1:1 2:1}
LANES=${LANES:-2}
read -r -a FAST_ARGS <<< "${FAST:-}"
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
export PYTHONPATH=$(pwd)${PYTHONPATH:+:$PYTHONPATH}
A=configs/assgan/assgan_busi-cpu128-r18_15pct
P=projects/assgan_trust/configs
mkdir -p "$WORK/logs"
WORK=$(cd "$WORK" && pwd)
log() { echo "$(date +%T) $*" | tee -a "$WORK/logs/study.log"; }
wanted() { # name: whether ARMS (if set) names it
  [ -z "${ARMS:-}" ] || [ "$1" = sup-phase ] || [[ " $ARMS " == *" $1 "* ]]
}

cv() { # name fold seed config [cross_val args...]
  local name=$1 k=$2 s=$3 cfg=$4; shift 4
  wanted "$name" || return 0
  [ -f "$WORK/$name-s$s/fold_$k/cv_fold_metrics.json" ] && return 0
  if "$PY" tools/cross_val.py "$cfg" --num-folds "$K" --folds "$k" --seed 0 \
      --data-root "$DATA" --work-dir "$WORK/$name-s$s" --checkpoint last \
      "${FAST_ARGS[@]}" "$@" --cfg-options "randomness.seed=$s" \
      >> "$WORK/logs/$name-s$s.log" 2>&1; then
    log "done   $name fold $k seed $s"
  else
    log "FAILED $name fold $k seed $s (see $WORK/logs/$name-s$s.log)"
  fi
}

arm() { # name fold seed config [--no-discriminator | --to-unimatch | ""]
         #     [extra tools/cross_val.py args...]
  local name=$1 k=$2 s=$3 cfg=$4 nod=${5:-}
  shift $(( $# < 5 ? $# : 5 ))
  local src=$WORK/sup-phase-s$s/fold_$k/iter_400.pth
  local dst=$WORK/$name-s$s/fold_$k
  wanted "$name" || return 0
  [ -f "$src" ] || { log "SKIP   $name fold $k seed $s: no $src"; return; }
  if ! ls "$dst"/iter_*.pth >/dev/null 2>&1 && \
      [ ! -f "$dst/cv_fold_metrics.json" ]; then
    "$PY" projects/assgan_trust/tools/branch.py "$src" "$dst" $nod \
      >> "$WORK/logs/$name-s$s.log" 2>&1
  fi
  cv "$name" "$k" "$s" "$cfg" --audit-gate "$@"
}

unit_main() { # fold seed
  local k=$1 s=$2
  cv sup-phase "$k" "$s" "$P/sup-phase_r18_busi-cpu128_15pct.py" \
    --cfg-options train_cfg.max_iters=400
  arm sup        "$k" "$s" "${A}_sup.py" --no-discriminator
  arm accept-all "$k" "$s" "${A}_2gen.py" --no-discriminator
  arm d-judge    "$k" "$s" "$P/d-judge_r18_busi-cpu128_15pct.py"
  arm no-d       "$k" "$s" "$P/no-d_r18_busi-cpu128_15pct.py" --no-discriminator
  arm d-prior    "$k" "$s" "$P/d-prior_r18_busi-cpu128_15pct.py"
}
unit_cut() {
  arm agree-cut "$1" "$2" "${A}_agree-cut.py" --no-discriminator
}
unit_extra() {
  arm w2s "$1" "$2" "$P/w2s_r18_busi-cpu128_15pct.py" --no-discriminator
}
unit_ref() { # the supervised phase and the two reference rows first
  local k=$1 s=$2
  cv sup-phase "$k" "$s" "$P/sup-phase_r18_busi-cpu128_15pct.py" \
    --cfg-options train_cfg.max_iters=400
  arm accept-all "$k" "$s" "${A}_2gen.py" --no-discriminator
  arm sup        "$k" "$s" "${A}_sup.py" --no-discriminator
}
unit_weak() {
  local k=$1 s=$2
  cv sup-phase "$k" "$s" "$P/sup-phase_r18_busi-cpu128_15pct.py" \
    --cfg-options train_cfg.max_iters=400
  arm d-prior-weak "$k" "$s" "$P/d-prior-weak_r18_busi-cpu128_15pct.py"
  arm agree-rank   "$k" "$s" "$P/agree-rank_r18_busi-cpu128_15pct.py" --no-discriminator
  arm d-judge-weak "$k" "$s" "$P/d-judge-weak_r18_busi-cpu128_15pct.py"
}
unit_long() { # sup, accept-all and the default with a semi phase of 800
  local k=$1 s=$2 long=(--cfg-options train_cfg.max_iters=1200)
  arm sup-long          "$k" "$s" "${A}_sup.py" --no-discriminator "${long[@]}"
  arm accept-all-long   "$k" "$s" "${A}_2gen.py" --no-discriminator "${long[@]}"
  arm d-prior-weak-long "$k" "$s" "$P/d-prior-weak_r18_busi-cpu128_15pct.py" "" \
    "${long[@]}"
}
unit_dlab() {
  arm d-labeled "$1" "$2" "$P/d-labeled_r18_busi-cpu128_15pct.py"
}
unit_unimatch() {
  arm unimatch "$1" "$2" configs/unimatch/unimatch_busi-cpu128-r18_15pct.py \
    --to-unimatch
  arm unimatch-dice-u "$1" "$2" \
    configs/unimatch/unimatch_busi-cpu128-r18_15pct_dice-u.py --to-unimatch
  arm unimatch-class-thr "$1" "$2" \
    configs/unimatch/unimatch_busi-cpu128-r18_15pct_class-thr.py --to-unimatch
}
unit_stock() {
  cv stock "$1" "$2" configs/baselines/deeplabv3plus_r18_busi-cpu128_15pct_stock.py
}
unit_paper() {
  cv paper-gate "$1" "$2" "${A}_paper-gate.py" --audit-gate
}

lane() { # lane index
  local i=0 phase unit
  for phase in $PHASES; do
    i=0
    for unit in $UNITS; do
      if [ $((i % LANES)) -eq "$1" ]; then
        "unit_$phase" "${unit%%:*}" "${unit##*:}"
      fi
      i=$((i + 1))
    done
  done
}
log "study: $DATA -> $WORK, phases: $PHASES, units: $UNITS"
for l in $(seq 0 $((LANES - 1))); do lane "$l" & done
wait
log "study: all lanes finished"
