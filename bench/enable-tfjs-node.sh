#!/usr/bin/env bash
# Builds @tensorflow/tfjs-node against the TensorFlow C library that
# TensorFlow's own PyPI wheel ships, for machines where tfjs-node's installer
# cannot download libtensorflow (it fetches from a host outside the package
# registries). Registry packages only: the tensorflow-cpu wheel from PyPI,
# @tensorflow/tfjs-node and its dependencies from npm; the native binding is
# compiled here with node-gyp against this Node's headers.
#
#   bash bench/enable-tfjs-node.sh [DIR]       # DIR defaults to ~/.cache/ganscope/tfjs-node
#   export GANSCOPE_TFJS_NODE=DIR/node_modules/@tensorflow/tfjs-node
#
# The repo's own node_modules is not touched: ganscope loads the binding from
# GANSCOPE_TFJS_NODE (libs/models/src/backend.ts), and the build links DIR's
# @tensorflow/tfjs* packages to the repo's so both share one tfjs engine.
# Needs python3 with pip, unzip, make and a C++ compiler (g++).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="$(mkdir -p "${1:-$HOME/.cache/ganscope/tfjs-node}" && cd "${1:-$HOME/.cache/ganscope/tfjs-node}" && pwd)"
TFJS_VERSION="$(node -p "require('$ROOT/node_modules/@tensorflow/tfjs-core/package.json').version")"
# The newest wheel that pip offers for this Python; the TF C API is stable, and
# every TF_/TFE_ function the 4.22 binding calls is exported by 2.21's library.
TF_WHEEL_VERSION="${TF_WHEEL_VERSION:-2.21.0}"
say() { printf '[enable-tfjs-node] %s\n' "$*" >&2; }

say "tensorflow-cpu==$TF_WHEEL_VERSION wheel from PyPI"
mkdir -p "$DIR/wheel"
if ! ls "$DIR"/wheel/tensorflow_cpu-*.whl >/dev/null 2>&1; then
  python3 -m pip download --quiet --no-deps --only-binary=:all: -d "$DIR/wheel" "tensorflow-cpu==$TF_WHEEL_VERSION"
fi
WHEEL="$(ls "$DIR"/wheel/tensorflow_cpu-*.whl | head -1)"
if [ ! -f "$DIR/tf/tensorflow/libtensorflow_cc.so.2" ]; then
  say "unpacking its C library and headers"
  unzip -q -o "$WHEEL" 'tensorflow/libtensorflow_cc.so.2' 'tensorflow/libtensorflow_framework.so.2' 'tensorflow/include/*' -d "$DIR/tf"
fi

say "@tensorflow/tfjs-node@$TFJS_VERSION from npm (install scripts off: they would try to download libtensorflow)"
cd "$DIR"
[ -f package.json ] || echo '{"name":"ganscope-tfjs-node","private":true}' > package.json
npm install --no-audit --no-fund --ignore-scripts --no-save "@tensorflow/tfjs-node@$TFJS_VERSION" >/dev/null
# One tfjs for both: the binding's @tensorflow/tfjs* must be the repo's copies.
for p in "$ROOT"/node_modules/@tensorflow/tfjs*; do
  rm -rf "node_modules/@tensorflow/$(basename "$p")"
  ln -s "$p" "node_modules/@tensorflow/$(basename "$p")"
done

PKG="$DIR/node_modules/@tensorflow/tfjs-node"
say "staging the wheel's library as libtensorflow in $PKG/deps"
rm -rf "$PKG/deps"
mkdir -p "$PKG/deps/lib"
cp -r "$DIR/tf/tensorflow/include" "$PKG/deps/include"
ln -s "$DIR/tf/tensorflow/libtensorflow_cc.so.2" "$PKG/deps/lib/libtensorflow_cc.so.2"
ln -s "$DIR/tf/tensorflow/libtensorflow_framework.so.2" "$PKG/deps/lib/libtensorflow_framework.so.2"
# The binding links -ltensorflow -ltensorflow_framework; the loader then looks
# for the sonames (libtensorflow_cc.so.2, libtensorflow_framework.so.2) in deps/lib.
ln -s libtensorflow_cc.so.2 "$PKG/deps/lib/libtensorflow.so"
ln -s libtensorflow_framework.so.2 "$PKG/deps/lib/libtensorflow_framework.so"

say "compiling the binding (node-gyp, a few minutes)"
NODE_PREFIX="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
# Build against the headers of the Node that runs ganscope, so node-gyp needs no download.
if [ -f "$NODE_PREFIX/include/node/node_api.h" ]; then export npm_config_nodedir="$NODE_PREFIX"; fi
(cd "$PKG" && "$DIR/node_modules/.bin/node-pre-gyp" install --build-from-source >"$DIR/build.log" 2>&1) || {
  say "build failed; the end of $DIR/build.log:"
  tail -30 "$DIR/build.log" >&2
  exit 1
}

say "checking that it loads"
TF_CPP_MIN_LOG_LEVEL=3 node -e "
  const tf = require('$PKG');
  const y = tf.matMul(tf.tensor2d([1, 2, 3, 4], [2, 2]), tf.tensor2d([1, 0, 0, 1], [2, 2]), false, true);
  if (tf.getBackend() !== 'tensorflow' || y.dataSync().join() !== '1,2,3,4') throw new Error('tfjs-node loaded but computes wrongly');
  console.error('[enable-tfjs-node] ok: backend tensorflow, libtensorflow ' + tf.backend().binding.TF_Version);
"
echo "export GANSCOPE_TFJS_NODE=$PKG"
