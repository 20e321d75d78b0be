#!/usr/bin/env bash
# Makes ganscope's fastest CPU backend, TensorFlow.js's native `tensorflow`
# backend (@tensorflow/tfjs-node), work from registry packages only.
#
# tfjs-node's own install script downloads libtensorflow from a host outside
# the package registries, which fails here, so package.json denies it
# (allowScripts) and this script does its job instead: it takes TensorFlow's
# C library and headers from TensorFlow's PyPI wheel (tensorflow-cpu), stages
# them as the package's deps/, and compiles the binding with node-gyp against
# this Node's headers. Run by `npm install` (postinstall) and `npm test`
# (scripts/setup-system.sh); quick when the binding already loads.
#
#   bash scripts/setup-tfjs-node.sh            # warns and exits 0 if it cannot build
#   bash scripts/setup-tfjs-node.sh --strict   # exits 1 instead
#   bash scripts/setup-tfjs-node.sh --require-if-buildable
#       exits 0 with a warning where the machine cannot build it (no
#       tfjs-node package, not Linux x64, a missing tool), but 1 when it has
#       everything and the build or the loaded binding fails: CI
#       (scripts/setup-system.sh under CI=1) then cannot pass without testing
#       the backend the README calls the default.
#
# GANSCOPE_SKIP_TFJS_NODE=1 skips it (ganscope then trains on wasm).
# GANSCOPE_TFJS_NODE_GPU=1 (or an NVIDIA driver) also builds the GPU-capable
# binding, scripts/setup-tfjs-node-gpu.sh; =0 never does.
# The wheel's library (~1 GB unpacked) is kept once per machine under
# ${GANSCOPE_CACHE_HOME:-~/.cache/ganscope}/libtensorflow-<version>.
# Needs python3 with pip, unzip, make and g++.
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
STRICT=0
REQUIRE_IF_BUILDABLE=0
[ "${1:-}" = "--strict" ] && STRICT=1
[ "${1:-}" = "--require-if-buildable" ] && REQUIRE_IF_BUILDABLE=1
say() { printf '[setup-tfjs-node] %s\n' "$*" >&2; }
# This machine cannot build the binding: a warning, or a failure with --strict.
give_up() {
  say "$1"
  say "ganscope will train on the wasm backend instead (slower); see README.md \"Backends\"."
  exit "$STRICT"
}
# It could and did not: also a failure with --require-if-buildable.
build_failed() {
  if [ "$REQUIRE_IF_BUILDABLE" = "1" ]; then
    say "$1"
    say "error: this machine has everything the native tensorflow backend needs, but it did not build; failing (--require-if-buildable)"
    exit 1
  fi
  give_up "$1"
}

[ "${GANSCOPE_SKIP_TFJS_NODE:-}" = "1" ] && { say "skipped (GANSCOPE_SKIP_TFJS_NODE=1)"; exit 0; }

# Also a GPU-capable build, in a folder of its own (node_modules/.ganscope/tfjs-node-gpu),
# where the machine has an NVIDIA driver or GANSCOPE_TFJS_NODE_GPU=1 asks for it
# (scripts/setup-tfjs-node-gpu.sh says how and what it costs). The CPU build below is
# made either way; GANSCOPE_TFJS_NODE_GPU=0 never builds the GPU one.
GPU="${GANSCOPE_TFJS_NODE_GPU:-}"
if [ "$GPU" = "1" ] || { [ "$GPU" != "0" ] && [ -e /proc/driver/nvidia/version ]; }; then
  if ! bash "$ROOT/scripts/setup-tfjs-node-gpu.sh"; then
    say "the GPU-capable build failed (above); the CPU build goes on"
    # Asked for by name: --strict fails, as for the CPU build.
    [ "$GPU" = "1" ] && [ "$STRICT" = "1" ] && exit 1
  fi
fi

PKG="$ROOT/node_modules/@tensorflow/tfjs-node"
[ -f "$PKG/package.json" ] || give_up "@tensorflow/tfjs-node is not installed (an optional dependency: an npm without allowScripts runs its downloading install script, which fails, and then drops it)"

loads() {
  TF_CPP_MIN_LOG_LEVEL=3 node -e "
    const tf = require('@tensorflow/tfjs-node');
    const y = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 0, 0, 1], [2, 2]), false, true);
    if (tf.getBackend() !== 'tensorflow' || y.dataSync().join() !== '1,2,3,4') throw new Error('tfjs-node loaded but computes wrongly');
    process.stdout.write(tf.backend().binding.TF_Version);
  " 2>/dev/null
}
if version="$(loads)"; then
  say "ok: tensorflow backend present (libtensorflow $version)"
  exit 0
fi

for tool in python3 unzip make g++; do
  command -v "$tool" >/dev/null || give_up "needs $tool to build the binding"
done
[ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || give_up "TensorFlow's PyPI wheel used here is for Linux x86_64, not $(uname -s)-$(uname -m)"

# The TF C API is stable: every TF_/TFE_ function the tfjs-node 4.22 binding
# calls is exported by 2.21's library (it was written against 2.9.1).
TF_VERSION="${GANSCOPE_TF_WHEEL_VERSION:-2.21.0}"
CACHE="${GANSCOPE_CACHE_HOME:-$HOME/.cache/ganscope}/libtensorflow-$TF_VERSION"
mkdir -p "$CACHE"
(
  # Two installs at once (two clones, CI beside a developer) share one download.
  flock 9
  if [ ! -f "$CACHE/tensorflow/libtensorflow_cc.so.2" ]; then
    say "tensorflow-cpu==$TF_VERSION wheel from PyPI, for its C library and headers"
    tmp="$(mktemp -d)"
    trap 'rm -rf "$tmp"' EXIT
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: -d "$tmp" "tensorflow-cpu==$TF_VERSION" || exit 1
    unzip -q -o "$tmp"/tensorflow_cpu-*.whl 'tensorflow/libtensorflow_cc.so.2' 'tensorflow/libtensorflow_framework.so.2' 'tensorflow/include/*' -d "$CACHE.partial" || exit 1
    rm -rf "$CACHE/tensorflow" && mv "$CACHE.partial/tensorflow" "$CACHE/tensorflow" && rm -rf "$CACHE.partial"
  fi
) 9>"$CACHE.lock" || build_failed "could not fetch TensorFlow's library from PyPI"

say "staging libtensorflow $TF_VERSION as the package's deps/ and compiling the binding (node-gyp, ~1 min)"
rm -rf "$PKG/deps"
mkdir -p "$PKG/deps/lib"
ln -s "$CACHE/tensorflow/include" "$PKG/deps/include"
ln -s "$CACHE/tensorflow/libtensorflow_cc.so.2" "$PKG/deps/lib/libtensorflow_cc.so.2"
ln -s "$CACHE/tensorflow/libtensorflow_framework.so.2" "$PKG/deps/lib/libtensorflow_framework.so.2"
# The binding links -ltensorflow -ltensorflow_framework; at run time the loader
# finds the sonames (libtensorflow_cc.so.2, …) in deps/lib through its rpath.
ln -s libtensorflow_cc.so.2 "$PKG/deps/lib/libtensorflow.so"
ln -s libtensorflow_framework.so.2 "$PKG/deps/lib/libtensorflow_framework.so"

NODE_PREFIX="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
# Build against the headers of the Node that runs ganscope, so node-gyp needs no download.
[ -f "$NODE_PREFIX/include/node/node_api.h" ] && export npm_config_nodedir="$NODE_PREFIX"
LOG="$PKG/build.log"
if ! (cd "$PKG" && "$ROOT/node_modules/.bin/node-pre-gyp" install --build-from-source >"$LOG" 2>&1); then
  tail -20 "$LOG" >&2
  build_failed "compiling the binding failed (log: $LOG)"
fi
version="$(loads)" || build_failed "the binding built but does not load"
say "ok: tensorflow backend ready (libtensorflow $version)"
