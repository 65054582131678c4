#!/usr/bin/env bash
# TaiChiNet power study: every row on one protocol that can see a
# 3-point effect, 5-fold cross-validation (stratified, fold seed 0) x 2
# training seeds, on the cpu128 configs at backbone width WIDTH. Runs are
# named <group>-s<seed>:
#   core   : model1 (unet_busi-cpu128.py), model7 (no curriculum),
#            tc-masked / tc-literal (TaiChiNet, model.part_target=...)
#   normal : normal-model1, normal-model7, normal-tc-masked (BUSI's normal
#            images included in training and test; *_busi-with-normal-cpu128)
#   table1 : model2 ... model6 (Table I ablations, no curriculum)
# Runs trained without the normal images (core, table1) also test each
# fold's checkpoint on all of them (tools/cross_val.py --test-normal: false
# positives on unseen lesion-free images); a fold finished without that test
# gets only the test on a rerun.
# The U-Net++ teacher of each fold is trained and mined once, by the seed-0
# run of tc-masked (resp. normal-tc-masked); the other TaiChiNet runs of that
# fold link its curriculum folder (a training seed only changes the student).
# WIDTH (default 8) picks the configs:
#   8  : the *-cpu128*.py configs (sub-U-Nets 8-16-32-64-128, 600 iterations,
#        U-Net++ teachers at levels 8-128);
#   a width with *-cpu128-w<WIDTH>*.py configs, e.g. 32 (the paper's
#        32-64-128-256-512): those configs for every student and every
#        teacher (their own schedule: 1200 iterations at 32);
#   any other width, e.g. 16: the cpu128 configs with the students'
#        model.backbone.base_channels=WIDTH; the teachers keep their 8-128
#        levels.
# Every student also gets model.backbone.base_channels=WIDTH.
# Two lanes (one thread each) run side by side; rerunning the same command
# continues a killed study (finished folds are skipped, a killed fold resumes
# from its last checkpoint). JOBS=N instead runs the same commands N at a
# time through tools/misc/job_queue.py (a GPU trains a dozen of these small
# models side by side; teachers first, each TaiChiNet run as soon as its
# fold's curriculum exists); QUEUE_OPTS adds its options, e.g.
# "--deadline 3600" (stop the running trainings after an hour; rerun to go on).
#   bash scripts/taichinet_power_study.sh DATA_ROOT WORK [WIDTH]
# Environment: PYTHON (default .venv/bin/python), PHASES (default
# "core normal table1"), FOLDS (5), FOLD_LIST (which of the FOLDS folds to
# run, default all: "0 1 2" runs 3 of the 5 on a short CPU budget; later
# calls can add the others), SEEDS ("0 1"), CV_OPTS / TEACHER_OPTS
# (extra --cfg-options of every student / teacher, e.g. a tiny schedule),
# TEACHER_WORKERS (the teacher's train_dataloader.num_workers, default 1),
# CURRICULA (the work dir of an earlier run of this study at the same WIDTH
# and folds: its TaiChiNet runs link that study's curriculum of each fold
# instead of training a teacher, e.g. the same students on a longer schedule:
#   CV_OPTS="train_cfg.max_iters=2400" CURRICULA=work_dirs/power32 \
#     bash scripts/taichinet_power_study.sh DATA work_dirs/power32-2400 32),
# DRY_RUN=1 (print the configs and the tools/cross_val.py commands of every
# run, lane by lane, and exit without running or writing anything).
# At the end: $WORK/paired_diff_{model1,model7,normal}.md (tools/analysis_tools/paired_diff.py)
# and curriculum / case pictures of fold 0 in $WORK/pictures.
set -uo pipefail
DATA=${1:?usage: bash scripts/taichinet_power_study.sh DATA_ROOT WORK [WIDTH]}
WORK=${2:?usage: bash scripts/taichinet_power_study.sh DATA_ROOT WORK [WIDTH]}
WIDTH=${3:-8}
PY=${PYTHON:-.venv/bin/python}
K=${FOLDS:-5}
FOLD_LIST=${FOLD_LIST:-$(seq -s " " 0 $((K - 1)))}
SEEDS=${SEEDS:-0 1}
PHASES=${PHASES:-core normal table1}
read -r -a CV_EXTRA <<< "${CV_OPTS:-}"
read -r -a TEACHER_EXTRA <<< "${TEACHER_OPTS:-}"
DRY=${DRY_RUN:-0}
CURRICULA=${CURRICULA:-}
export OMP_NUM_THREADS=${OMP_NUM_THREADS:-1}
T=configs/taichinet
if [ "$DRY" = 0 ]; then
  mkdir -p "$WORK/logs"
  WORK=$(cd "$WORK" && pwd)
  rm -rf "$WORK/.failed"; mkdir -p "$WORK/.failed"
fi

log() { echo "$(date +%T) $*"; }

fold() { # name fold seed config [cross_val args...] [-- cfg-options...]
  local name=$1 k=$2 seed=$3 cfg=$4; shift 4
  local args=() opts=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do args+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  opts=("$@")
  local dir=$WORK/$name
  # runs trained without the normal images are also tested on them
  [[ $name == normal-* ]] || args+=(--test-normal)
  local done=$dir/fold_$k/cv_fold_metrics.json
  if [ -f "$done" ]; then
    [[ $name == normal-* ]] && return 0
    grep -q normal_num_images "$done" && return 0
  fi
  local cmd=("$PY" tools/cross_val.py "$cfg" --num-folds "$K" --folds "$k"
    --seed 0 --data-root "$DATA" --work-dir "$dir" "${args[@]}" --cfg-options
    "randomness.seed=$seed" "model.backbone.base_channels=$WIDTH"
    "${opts[@]}" "${CV_EXTRA[@]}")
  if [ "$DRY" != 0 ]; then
    echo "run $name fold $k: $(printf '%q ' "${cmd[@]}")"; return 0
  fi
  if "${cmd[@]}" >> "$WORK/logs/$name.log" 2>&1; then
    log "done   $name fold $k"
  else
    log "FAILED $name fold $k (see $WORK/logs/$name.log)"
    touch "$WORK/.failed/$name-f$k"
    return 1
  fi
}

share() { # name fold src: link src's fold-k curriculum, waiting for it
  # (src: a run of this study, or an absolute path to another study's run)
  local name=$1 k=$2 src=$3
  local from=$WORK/$src target=../../$src/fold_$k/curriculum
  if [[ $src == /* ]]; then from=$src target=$src/fold_$k/curriculum; fi
  local meta=$from/fold_$k/curriculum/curriculum_meta.json
  if [ "$DRY" != 0 ]; then
    echo "link $name fold $k: the curriculum of $src fold $k"; return 0
  fi
  until [ -f "$meta" ]; do
    if [ -f "$WORK/.failed/$src-f$k" ]; then
      log "FAILED $name fold $k: the teacher of $src fold $k failed"
      touch "$WORK/.failed/$name-f$k"; return 1
    fi
    sleep 30
  done
  mkdir -p "$WORK/$name/fold_$k"
  [ -e "$WORK/$name/fold_$k/curriculum" ] || \
    ln -s "$target" "$WORK/$name/fold_$k/curriculum"
}

plain() { # name seed config [-- cfg-options...]: every fold
  local name=$1 seed=$2 cfg=$3; shift 3
  local k
  for k in $FOLD_LIST; do fold "$name" "$k" "$seed" "$cfg" "$@"; done
}

taichi() { # name seed config teacher-config reading [src]: every fold;
  # without src the run mines each fold's teacher, with src it links src's
  local name=$1 seed=$2 cfg=$3 tcfg=$4 reading=$5 src=${6:-}
  local k
  for k in $FOLD_LIST; do
    if [ -n "$src" ]; then share "$name" "$k" "$src" || continue; fi
    fold "$name" "$k" "$seed" "$cfg" --curriculum-teacher "$tcfg" \
      --teacher-cfg-options "${TEACHER_EXTRA[@]}" \
      "train_dataloader.num_workers=${TEACHER_WORKERS:-1}" \
      -- "model.part_target=$reading"
  done
}

has() { [[ " $PHASES " == *" $1 "* ]]; }
S0=${SEEDS%% *}
SEED_LIST=($SEEDS)

at_width() { # a cpu128 config -> its -w$WIDTH sibling, if there is one
  local sibling=${1/-cpu128/-cpu128-w$WIDTH}
  if [ "$WIDTH" != 8 ] && [ -f "$sibling" ]; then
    echo "$sibling"
  else
    echo "$1"
  fi
}
U=$(at_width $T/unet_busi-cpu128.py)
M7=$(at_width $T/taichinet_busi-cpu128_no-curriculum.py)
TC=$(at_width $T/taichinet_busi-cpu128.py)
TP=$(at_width $T/unetpp_busi-cpu128.py)
NU=$(at_width $T/unet_busi-with-normal-cpu128.py)
NM7=$(at_width $T/taichinet_busi-with-normal-cpu128_no-curriculum.py)
NTC=$(at_width $T/taichinet_busi-with-normal-cpu128.py)
NTP=$(at_width $T/unetpp_busi-with-normal-cpu128.py)
# all at WIDTH or none: a teacher must not stay at another width than its
# students because one sibling is missing
CONFIGS=("$U" "$M7" "$TC" "$TP" "$NU" "$NM7" "$NTC" "$NTP")
siblings=0
for c in "${CONFIGS[@]}"; do
  [[ $c == *-cpu128-w$WIDTH* ]] && siblings=$((siblings + 1))
done
if [ "$siblings" -ne 0 ] && [ "$siblings" -ne ${#CONFIGS[@]} ]; then
  echo "width $WIDTH: only $siblings of the ${#CONFIGS[@]} configs have a" \
    "-cpu128-w$WIDTH sibling in $T; add the others" >&2
  exit 2
fi
if [ "$WIDTH" = 8 ] || [ "$siblings" -ne 0 ]; then
  TEACHER_WIDTH=$WIDTH
else
  TEACHER_WIDTH=8
fi

# CURRICULA: every fold's curriculum must be there already
teachers() { # where the seed-0 TaiChiNet run of group $1 gets its curricula
  # (none: it mines them)
  if [ -n "$CURRICULA" ]; then echo "$CURRICULA/$1-s$S0"; fi
}
source_of() { # the run whose curricula the other TaiChiNet runs of $1 link
  local t; t=$(teachers "$1"); echo "${t:-$1-s$S0}"
}
if [ -n "$CURRICULA" ]; then
  CURRICULA=$(cd "$CURRICULA" 2>/dev/null && pwd) || {
    echo "CURRICULA=${CURRICULA}: no such folder (an earlier study's work" \
      "dir, e.g. work_dirs/power32)" >&2; exit 2; }
  for k in $FOLD_LIST; do
    for g in tc-masked normal-tc-masked; do
      [ "$g" = tc-masked ] && ! has core && continue
      [ "$g" = normal-tc-masked ] && ! has normal && continue
      meta=$CURRICULA/$g-s$S0/fold_$k/curriculum/curriculum_meta.json
      [ -f "$meta" ] && continue
      echo "CURRICULA: $meta is missing (fold $k's teacher was not mined" \
        "there); run that study's $g-s$S0 first or leave CURRICULA unset" >&2
      exit 2
    done
  done
fi

# Lane A mines every teacher first (seed-0 TaiChiNet runs), so lane B's
# TaiChiNet runs, which come after its teacher-free runs, find them ready.
lane_a() {
  local s
  if has core; then
    taichi "tc-masked-s$S0" "$S0" $TC $TP masked "$(teachers tc-masked)"
  fi
  if has normal; then
    taichi "normal-tc-masked-s$S0" "$S0" $NTC $NTP masked \
      "$(teachers normal-tc-masked)"
  fi
  if has normal; then
    for s in "${SEED_LIST[@]}"; do plain "normal-model1-s$s" "$s" $NU; done
    for s in "${SEED_LIST[@]:1}"; do
      taichi "normal-tc-masked-s$s" "$s" $NTC $NTP masked \
        "$(source_of normal-tc-masked)"
    done
  fi
  if has table1; then
    for s in "${SEED_LIST[@]}"; do
      plain "model2-s$s" "$s" $M7 -- model.ablation=model2
      plain "model4-s$s" "$s" $M7 -- model.ablation=model4
    done
  fi
}
lane_b() {
  local s
  if has core; then
    for s in "${SEED_LIST[@]}"; do plain "model7-s$s" "$s" $M7; done
    for s in "${SEED_LIST[@]}"; do plain "model1-s$s" "$s" $U; done
    taichi "tc-literal-s$S0" "$S0" $TC $TP literal "$(source_of tc-masked)"
  fi
  if has normal; then
    for s in "${SEED_LIST[@]}"; do plain "normal-model7-s$s" "$s" $NM7; done
  fi
  if has core; then
    for s in "${SEED_LIST[@]:1}"; do
      taichi "tc-masked-s$s" "$s" $TC $TP masked "$(source_of tc-masked)"
      taichi "tc-literal-s$s" "$s" $TC $TP literal "$(source_of tc-masked)"
    done
  fi
  if has table1; then
    for s in "${SEED_LIST[@]}"; do
      plain "model3-s$s" "$s" $M7 -- model.ablation=model3
      plain "model5-s$s" "$s" $M7 -- model.ablation=model5
      plain "model6-s$s" "$s" $M7 -- model.ablation=model6
    done
  fi
}

log "study: data $DATA, work $WORK, width $WIDTH (teachers $TEACHER_WIDTH)," \
  "folds $FOLD_LIST of $K, seeds $SEEDS, phases $PHASES"
if [ "$DRY" != 0 ]; then
  echo "configs: model1 $U, model7 $M7, taichinet $TC, teacher $TP," \
    "normal-model1 $NU, normal-model7 $NM7, normal-taichinet $NTC," \
    "normal-teacher $NTP"
  echo "lane A:"; lane_a
  echo "lane B:"; lane_b
  exit 0
fi
if [ -n "${JOBS:-}" ]; then
  DRY_RUN=1 JOBS= bash "$0" "$DATA" "$WORK" "$WIDTH" \
    | "$PY" tools/misc/job_queue.py --work "$WORK" --jobs "$JOBS" \
      ${QUEUE_OPTS:-} \
    | tee -a "$WORK/logs/queue.log"
  "$PY" - "$WORK" <<'EOF' # the queue's failed and skipped jobs, as the lanes'
import json, os.path as osp, sys
for job in json.load(open(osp.join(sys.argv[1], 'logs', 'queue.json'))):
    if job['state'] not in ('done', 'finished before'):
        open(osp.join(sys.argv[1], '.failed', f"{job['name']}-f{job['fold']}"), 'w').close()
EOF
else
  lane_a > "$WORK/logs/lane_a.log" 2>&1 &
  lane_b > "$WORK/logs/lane_b.log" 2>&1 &
  wait
  cat "$WORK/logs/lane_a.log" "$WORK/logs/lane_b.log"
fi

# summaries over every run's finished folds (the lanes ran one fold per
# cross_val.py call), paired differences, pictures of fold 0
"$PY" - "$WORK" <<'EOF'
import glob, json, os.path as osp, sys
sys.path.insert(0, '.')
from bus_mm.evaluation.cv_summary import write_cv_summary
for d in sorted(glob.glob(osp.join(sys.argv[1], '*-s[0-9]*'))):
    per_fold = {}
    for p in glob.glob(osp.join(d, 'fold_*', 'cv_fold_metrics.json')):
        with open(p) as f:
            rec = json.load(f)
        per_fold[int(rec['fold'])] = rec['metrics']
    if per_fold:
        with open(osp.join(d, 'cv_config.json')) as f:
            stamp = json.load(f)
        write_cv_summary(per_fold, d, meta=dict(
            stamp, folds_finished=sorted(per_fold)))
EOF
core=() normal=()
for dir in "$WORK"/*-s[0-9]*; do
  case $(basename "$dir") in
    normal-*) normal+=("$dir") ;;
    *) core+=("$dir") ;;
  esac
done
if [ ${#core[@]} -gt 0 ]; then
  "$PY" tools/analysis_tools/paired_diff.py "${core[@]}" --ref model1 \
    --out "$WORK/paired_diff_model1.md" > /dev/null || true
  "$PY" tools/analysis_tools/paired_diff.py "${core[@]}" --ref model7 \
    --out "$WORK/paired_diff_model7.md" > /dev/null || true
fi
if [ ${#normal[@]} -gt 0 ]; then
  # lesion-only Dice/IoU first: the headline means count a clean normal
  # image as 1.0
  "$PY" tools/analysis_tools/paired_diff.py "${normal[@]}" --ref normal-model1 \
    --metrics lesion_Dice lesion_IoU Dice \
    --out "$WORK/paired_diff_normal.md" > /dev/null || true
fi
for run in "tc-masked-s$S0" "tc-literal-s$S0" "model1-s$S0" "model7-s$S0"; do
  [ -f "$WORK/$run/fold_0/cv_fold_metrics.json" ] || continue
  "$PY" tools/analysis_tools/analyze.py "$WORK/$run/fold_0" --out "$WORK/pictures/$run" \
    > /dev/null 2>&1 || log "pictures of $run failed"
done
ls "$WORK"/paired_diff_*.md 2>/dev/null
if [ -n "$(ls -A "$WORK/.failed")" ]; then
  log "failed: $(ls "$WORK/.failed" | tr '\n' ' ')"; exit 1
fi
