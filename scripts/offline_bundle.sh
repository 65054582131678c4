#!/usr/bin/env bash
# Write a wheelhouse for installing bus_mm on a machine without network
# (an air-gapped GPU server): `bash scripts/install.sh --offline DIR` there.
#
# Usage:
#   bash scripts/offline_bundle.sh DIR [--python 3.12] [--platform TAG]...
#                                      [--torch SPEC | --no-torch]
#                                      [--torch-index URL]
#
#   DIR            output folder (created; files already there are kept)
#   --python X.Y   Python version of the target machine (default: this
#                  machine's python3)
#   --platform TAG wheel platform tag the target accepts, repeatable; give
#                  all of them (pip does not widen the list). Default: x86-64
#                  Linux with glibc >= 2.28: manylinux_2_28, _2_17 (2014),
#                  _2_12 (2010) and _2_5 (manylinux1), x86_64
#   --torch SPEC   torch requirement to bundle (default: torch==2.13.0). For a
#                  CUDA build add --torch-index https://download.pytorch.org/whl/cu128
#   --no-torch     do not bundle torch (the target already has it)
#
# DIR receives binary wheels of mmengine, mmsegmentation and every dependency
# (requirements.txt, mmcv's runtime and build requirements, pytest), the
# mmcv 2.1.0 source archive (no wheel of mmcv 2.1.0 exists for torch 2.13, so
# the target builds it), and BUNDLE.txt: the target, the date and the sha256 of
# every file. Needs network here, not there.
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,/^set -euo/p' "$0" | sed '$d; s/^# \{0,1\}//'; }
die() { echo "offline_bundle.sh: $*" >&2; echo "Run with --help for usage." >&2; exit 2; }

OUT=""
PYVER=""
PLATFORMS=()
TORCH_SPEC="torch==2.13.0"
TORCH_INDEX=""
PYTHON=${PYTHON:-python3}
while [ $# -gt 0 ]; do
    case "$1" in
        -h|--help) usage; exit 0 ;;
        --python) [ $# -ge 2 ] || die "--python needs a version such as 3.12"; PYVER=$2; shift 2 ;;
        --platform) [ $# -ge 2 ] || die "--platform needs a wheel platform tag"; PLATFORMS+=("$2"); shift 2 ;;
        --torch) [ $# -ge 2 ] || die "--torch needs a requirement such as torch==2.13.0"; TORCH_SPEC=$2; shift 2 ;;
        --no-torch) TORCH_SPEC=""; shift ;;
        --torch-index) [ $# -ge 2 ] || die "--torch-index needs a URL"; TORCH_INDEX=$2; shift 2 ;;
        -*) die "unknown option $1" ;;
        *) [ -z "$OUT" ] || die "one output folder only (got $OUT and $1)"; OUT=$1; shift ;;
    esac
done
[ -n "$OUT" ] || die "give the output folder: scripts/offline_bundle.sh DIR"
[ -n "$PYVER" ] || PYVER=$("$PYTHON" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
[[ "$PYVER" =~ ^3\.[0-9]+$ ]] || die "--python must look like 3.12, got '$PYVER'"
case "$PYVER" in 3.10|3.11|3.12) ;; *) die "bus_mm supports Python 3.10-3.12 (mmcv 2.1.0 builds there), got $PYVER" ;; esac
[ ${#PLATFORMS[@]} -gt 0 ] || PLATFORMS=(manylinux_2_28_x86_64 manylinux_2_17_x86_64
    manylinux2014_x86_64 manylinux_2_12_x86_64 manylinux2010_x86_64 manylinux_2_5_x86_64 manylinux1_x86_64)
ABI="cp${PYVER/./}"
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

PIP=("$PYTHON" -m pip --disable-pip-version-check)
PLATFORM_ARGS=()
for p in "${PLATFORMS[@]}"; do PLATFORM_ARGS+=(--platform "$p"); done
TARGET=(--only-binary=:all: --python-version "$PYVER" --implementation cp --abi "$ABI" --abi abi3 --abi none "${PLATFORM_ARGS[@]}")

# mmcv 2.1.0: runtime requirements (requirements/runtime.txt) and what its
# setup.py needs to build with --no-build-isolation.
MMCV_DEPS=(addict "mmengine>=0.3.0" numpy packaging Pillow pyyaml yapf opencv-python)
BUILD_DEPS=("setuptools>=77.0.3,<81" wheel ninja)

echo "[bundle] target: Python $PYVER ($ABI), ${PLATFORMS[*]}; into $OUT"
echo "[bundle] step 1/3: wheels of mmengine, mmsegmentation and their dependencies"
"${PIP[@]}" download -d "$OUT" "${TARGET[@]}" \
    -r requirements.txt "${MMCV_DEPS[@]}" "${BUILD_DEPS[@]}"

if [ -n "$TORCH_SPEC" ]; then
    echo "[bundle] step 2/3: $TORCH_SPEC"
    TORCH_ARGS=()
    [ -z "$TORCH_INDEX" ] || TORCH_ARGS=(--index-url "$TORCH_INDEX")
    "${PIP[@]}" download -d "$OUT" "${TARGET[@]}" "${TORCH_ARGS[@]}" "$TORCH_SPEC"
else
    echo "[bundle] step 2/3: torch not bundled (--no-torch)"
fi

echo "[bundle] step 3/3: the mmcv 2.1.0 source archive"
# pip reads the sdist's metadata in an isolated build env; mmcv's setup.py
# imports pkg_resources, gone from setuptools >= 81, so cap it there.
CONSTRAINT=$(mktemp)
echo "setuptools<81" > "$CONSTRAINT"
PIP_CONSTRAINT="$CONSTRAINT" "${PIP[@]}" download -d "$OUT" --no-deps --no-binary mmcv mmcv==2.1.0
rm -f "$CONSTRAINT"
ls "$OUT"/mmcv-2.1.0.tar.gz >/dev/null || die "mmcv-2.1.0.tar.gz missing in $OUT"

{
    echo "bus_mm offline bundle"
    echo "python=$PYVER"
    echo "abi=$ABI"
    echo "platforms=${PLATFORMS[*]}"
    echo "torch=${TORCH_SPEC:-none}"
    echo "created=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    echo "files:"
    (cd "$OUT" && sha256sum -- *.whl *.tar.gz 2>/dev/null)
} > "$OUT/BUNDLE.txt"
echo "[bundle] done: $(ls "$OUT" | grep -c -e '\.whl$' -e '\.tar\.gz$') files, $(du -sh "$OUT" | cut -f1) in $OUT"
echo "[bundle] on the target: bash scripts/install.sh --offline $OUT"
