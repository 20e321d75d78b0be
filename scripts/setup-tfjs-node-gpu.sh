#!/usr/bin/env bash
# A GPU-capable native tensorflow backend: the same tfjs-node binding as
# scripts/setup-tfjs-node.sh builds, compiled against TensorFlow's
# GPU-enabled PyPI wheel (`tensorflow`, not `tensorflow-cpu`) with the CUDA 12
# libraries from the `nvidia-*-cu12` wheels that `tensorflow[and-cuda]` names.
# (@tensorflow/tfjs-node-gpu's own download is CUDA 11.2, from outside the
# registries.)
#
# It goes into its own folder, node_modules/.ganscope/tfjs-node-gpu, so the
# default CPU build (node_modules/@tensorflow/tfjs-node) is untouched, and
# ganscope loads it only where the machine has an NVIDIA driver
# (/proc/driver/nvidia/version) or GANSCOPE_TFJS_NODE_GPU=1 asks for it
# (libs/models/src/backend.ts). Without a usable GPU, TensorFlow runs its CPU
# kernels.
#
# Run by scripts/setup-tfjs-node.sh when the machine has an NVIDIA driver or
# GANSCOPE_TFJS_NODE_GPU=1; by hand:
#   GANSCOPE_TFJS_NODE_GPU=1 bash scripts/setup-tfjs-node-gpu.sh
# Exits 0 when the build loads, 1 (with the reason) when it cannot be built.
#
# Cost: the wheels are ~2.5 GB to download (tensorflow 572 MB, the CUDA
# libraries the rest) and ~5 GB unpacked, kept once per machine under
# ${GANSCOPE_CACHE_HOME:-~/.cache/ganscope}/libtensorflow-gpu-<version>; the
# downloaded wheels are deleted once unpacked. Needs python3 with pip, unzip,
# make and g++.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
say() { printf '[setup-tfjs-node-gpu] %s\n' "$*" >&2; }
fail() {
  say "$1"
  exit 1
}

SRC="$ROOT/node_modules/@tensorflow/tfjs-node"
GPKG="$ROOT/node_modules/.ganscope/tfjs-node-gpu"
[ -f "$SRC/package.json" ] || fail "@tensorflow/tfjs-node is not installed: its package is the source of the GPU build"

loads() {
  GANSCOPE_GPKG="$GPKG" TF_CPP_MIN_LOG_LEVEL=3 node -e "
    const tf = require(process.env.GANSCOPE_GPKG);
    const y = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 0, 0, 1], [2, 2]), false, true);
    if (tf.getBackend() !== 'tensorflow' || y.dataSync().join() !== '1,2,3,4') throw new Error('the GPU build loaded but computes wrongly');
    process.stdout.write(tf.backend().binding.TF_Version + (tf.backend().isUsingGpuDevice ? ', using a GPU' : ', no GPU found: CPU kernels'));
  " 2>/dev/null
}
if [ -f "$GPKG/.ganscope-gpu-build" ] && state="$(loads)"; then
  say "ok: GPU-capable tensorflow backend present in $GPKG (libtensorflow $state)"
  exit 0
fi

for tool in python3 unzip make g++; do
  command -v "$tool" >/dev/null || fail "needs $tool to build the binding"
done
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || fail "TensorFlow's GPU wheel is for Linux x86_64, not $(uname -s)-$(uname -m)"

TF_VERSION="${GANSCOPE_TF_WHEEL_VERSION:-2.21.0}"
CACHE="${GANSCOPE_CACHE_HOME:-$HOME/.cache/ganscope}/libtensorflow-gpu-$TF_VERSION"
mkdir -p "$CACHE"
(
  flock 9
  [ -f "$CACHE/.complete" ] && exit 0
  # Wheels stay in .partial until everything is unpacked, so an interrupted
  # download resumes with what it already has.
  WHEELS="$CACHE.partial/wheels"
  mkdir -p "$WHEELS"
  pipget() {
    # Already downloaded (a previous, interrupted attempt)?
    local name="${1%%==*}"
    ls "$WHEELS"/"${name//-/_}"-"${1##*==}"-*.whl >/dev/null 2>&1 && return 0
    say "downloading $1 from PyPI"
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d "$WHEELS" "$1"
  }
  pipget "tensorflow==$TF_VERSION" || exit 1
  tfwheel="$(ls "$WHEELS"/tensorflow-"$TF_VERSION"-*.whl | head -1)"
  # The CUDA libraries TensorFlow was built against: the lower bounds of its
  # `and-cuda` extra (e.g. nvidia-cublas-cu12>=12.5.3.2,<13.0 → ==12.5.3.2).
  reqs="$(unzip -p "$tfwheel" "tensorflow-$TF_VERSION.dist-info/METADATA" |
    sed -n 's/^Requires-Dist: \(nvidia-[a-z0-9-]*-cu12\)[^;]*>=\([0-9.]*\)[^;]*; extra == "and-cuda".*/\1==\2/p')"
  [ -n "$reqs" ] || { say "tensorflow $TF_VERSION's wheel names no nvidia-*-cu12 libraries (extra and-cuda)"; exit 1; }
  for r in $reqs; do pipget "$r" || exit 1; done
  rm -rf "$CACHE.partial/unpacked" && mkdir -p "$CACHE.partial/unpacked"
  unzip -q -o "$tfwheel" 'tensorflow/libtensorflow_cc.so.2' 'tensorflow/libtensorflow_framework.so.2' 'tensorflow/include/*' -d "$CACHE.partial/unpacked" || exit 1
  for w in "$WHEELS"/nvidia_*.whl; do
    # Libraries and tools (ptxas), not headers. `|| [ $? = 11 ]`: unzip's "nothing matched" for a pattern.
    unzip -q -o "$w" 'nvidia/*' -x 'nvidia/*/include/*' -d "$CACHE.partial/unpacked" || [ $? = 11 ] || exit 1
  done
  printf '%s\n' "tensorflow==$TF_VERSION" $reqs >"$CACHE.partial/unpacked/wheels.txt"
  rm -rf "$CACHE/tensorflow" "$CACHE/nvidia"
  mv "$CACHE.partial/unpacked/tensorflow" "$CACHE.partial/unpacked/nvidia" "$CACHE.partial/unpacked/wheels.txt" "$CACHE/" || exit 1
  rm -rf "$CACHE.partial"
  touch "$CACHE/.complete"
) 9>"$CACHE.lock" || fail "could not fetch TensorFlow's GPU wheel or its CUDA libraries from PyPI (disk: $(df -h "$CACHE" | awk 'NR==2 {print $4}') free)"

say "compiling the binding against libtensorflow $TF_VERSION (GPU wheel) in $GPKG (node-gyp, ~1 min)"
rm -rf "$GPKG"
mkdir -p "$GPKG"
# The package without the CPU build's staged library and compiled binding.
(cd "$SRC" && tar --exclude=./deps --exclude=./lib --exclude='./build-tmp-*' --exclude=./build.log -cf - .) | (cd "$GPKG" && tar -xf -) || fail "could not copy $SRC"
mkdir -p "$GPKG/deps/lib"
ln -s "$CACHE/tensorflow/include" "$GPKG/deps/include"
ln -s "$CACHE/tensorflow/libtensorflow_cc.so.2" "$GPKG/deps/lib/libtensorflow_cc.so.2"
ln -s "$CACHE/tensorflow/libtensorflow_framework.so.2" "$GPKG/deps/lib/libtensorflow_framework.so.2"
ln -s libtensorflow_cc.so.2 "$GPKG/deps/lib/libtensorflow.so"
ln -s libtensorflow_framework.so.2 "$GPKG/deps/lib/libtensorflow_framework.so"
# The wheel's libraries find CUDA through RUNPATH $ORIGIN/../nvidia/<lib>/lib
# (site-packages' layout); this link keeps that true seen from deps/lib.
ln -s "$CACHE/nvidia" "$GPKG/deps/nvidia"

NODE_PREFIX="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
[ -f "$NODE_PREFIX/include/node/node_api.h" ] && export npm_config_nodedir="$NODE_PREFIX"
LOG="$GPKG/build.log"
if ! (cd "$GPKG" && "$ROOT/node_modules/.bin/node-pre-gyp" install --build-from-source >"$LOG" 2>&1); then
  tail -20 "$LOG" >&2
  fail "compiling the GPU build's binding failed (log: $LOG)"
fi
# What it was built from, for the test and for config.json's provider line.
printf 'tensorflow==%s (GPU wheel)\n' "$TF_VERSION" >"$GPKG/.ganscope-gpu-build"
state="$(loads)" || fail "the GPU build compiled but does not load (try: node -e \"require('$GPKG')\")"
say "ok: GPU-capable tensorflow backend ready in $GPKG (libtensorflow $state)"
