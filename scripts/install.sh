#!/usr/bin/env bash
# Install bus_mm's pinned stack into a virtual environment (default: ./.venv).
#
# Idempotent: a second run checks the stamp file and returns in about a second.
# The first run builds mmcv 2.1.0 with its C++ ops from source, which takes
# ~8-20 minutes on 2 cores; pip caches the built wheel, so reruns (even into a
# fresh venv) take seconds.
#
# Usage:
#   bash scripts/install.sh                  # from the package registry
#   bash scripts/install.sh --offline DIR    # no network: from a wheelhouse
#                                            # written by scripts/offline_bundle.sh
#
# --offline installs with `pip --no-index --find-links DIR` only (pip's config
# files and PIP_* index settings are ignored), checks that DIR was made for
# this Python, and builds mmcv from the bundled source archive.
#
# Environment:
#   VENV        path of the virtual environment (default: .venv)
#   PYTHON      interpreter used to create it (default: python3)
#   TORCH_SPEC  torch requirement (default: torch==2.13.0; for CUDA, install the
#               CUDA build of the same version first and keep this default)
set -euo pipefail
cd "$(dirname "$0")/.."

die() { echo "install.sh: $*" >&2; exit 2; }
OFFLINE=""
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
        --offline)
            [ $# -ge 2 ] || die "--offline needs the bundle folder (made by scripts/offline_bundle.sh DIR)"
            OFFLINE=$2; shift 2 ;;
        *) die "unknown argument '$1' (usage: scripts/install.sh [--offline DIR])" ;;
    esac
done
if [ -n "$OFFLINE" ]; then
    [ -d "$OFFLINE" ] || die "--offline $OFFLINE: no such folder. Make it on a machine with network: bash scripts/offline_bundle.sh $OFFLINE --python X.Y"
    [ -f "$OFFLINE/BUNDLE.txt" ] || die "--offline $OFFLINE: BUNDLE.txt missing; this is not a folder written by scripts/offline_bundle.sh"
    ls "$OFFLINE"/mmcv-2.1.0.tar.gz >/dev/null 2>&1 || die "--offline $OFFLINE: mmcv-2.1.0.tar.gz missing; rerun scripts/offline_bundle.sh"
    OFFLINE=$(cd "$OFFLINE" && pwd)
fi

VENV=${VENV:-.venv}
PYTHON=${PYTHON:-python3}
TORCH_SPEC=${TORCH_SPEC:-torch==2.13.0}
STAMP="$VENV/.bus_mm_installed"
REQ_HASH=$(cat requirements.txt scripts/install.sh | sha256sum | cut -c1-16)

if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$REQ_HASH" ]; then
    echo "[install] $VENV is up to date (delete $STAMP to force a reinstall)."
    exit 0
fi

if [ ! -x "$VENV/bin/python" ]; then
    echo "[install] creating virtual environment $VENV with $PYTHON"
    "$PYTHON" -m venv "$VENV"
fi
PY="$VENV/bin/python"
PIP="$PY -m pip --disable-pip-version-check"
if [ -n "$OFFLINE" ]; then
    want=$(sed -n 's/^python=//p' "$OFFLINE/BUNDLE.txt")
    have=$($PY -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    [ "$want" = "$have" ] || die "--offline $OFFLINE was made for Python $want but $VENV has Python $have; make a bundle with scripts/offline_bundle.sh DIR --python $have (or set PYTHON=python$want)"
    # nothing but the bundle: no index, no config file, no other find-links
    unset PIP_INDEX_URL PIP_EXTRA_INDEX_URL PIP_CONSTRAINT
    export PIP_CONFIG_FILE=/dev/null PIP_NO_INDEX=1 PIP_FIND_LINKS="$OFFLINE"
    echo "[install] offline: only $OFFLINE is used (pip --no-index)"
fi

echo "[install] step 1/4: torch and build tools"
if [ -n "$OFFLINE" ] && $PY -c "import torch" >/dev/null 2>&1; then
    echo "[install]   keeping the torch this environment has"
    $PIP install -q "setuptools>=77.0.3,<81" wheel ninja "numpy>=2"
else
    $PIP install -q "$TORCH_SPEC" "setuptools>=77.0.3,<81" wheel ninja "numpy>=2"
fi

if ! $PY -c "import mmcv, mmcv.ops" >/dev/null 2>&1; then
    echo "[install] step 2/4: building mmcv 2.1.0 with C++ ops from source."
    echo "[install]   This takes ~8-20 minutes on 2 cores the first time; pip caches"
    echo "[install]   the wheel, so later installs take seconds."
    MMCV_WITH_OPS=1 MAX_JOBS=${MAX_JOBS:-$(nproc)} \
        $PIP install --no-build-isolation mmcv==2.1.0
else
    echo "[install] step 2/4: mmcv with ops already present"
fi

echo "[install] step 3/4: mmengine, mmsegmentation and the rest (requirements.txt)"
$PIP install -q -r requirements.txt

echo "[install] step 4/4: bus_mm in editable mode + consistency check"
$PIP install -q --no-build-isolation --no-deps -e .
$PIP check
$PY -c "import bus_mm, mmseg, mmcv, mmengine, torch; print('[install] OK: torch', torch.__version__, '| mmcv', mmcv.__version__, '| mmengine', mmengine.__version__, '| mmseg', mmseg.__version__)"
echo "$REQ_HASH" > "$STAMP"
