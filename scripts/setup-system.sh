#!/usr/bin/env bash
# Makes a fresh Debian machine ready for `npm test`: the Debian packages the
# tests use (Chromium for the dashboard's browser tests, Fashion-MNIST for the
# second dataset, redis-server for the queue's tests), the native TensorFlow backend, a software Vulkan
# driver for the webgpu backend's tests and the MLflow server's virtual environment. Idempotent and
# quick when everything is present, so `npm test` runs it every time.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
[ -d /usr/share/datasets/fashion-mnist ] || need+=(dataset-fashion-mnist)
[ -x /usr/bin/redis-server ] || need+=(redis-server)
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "setup: installing Debian packages: ${need[*]}" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    echo "setup: missing Debian packages: ${need[*]} (install with: sudo apt-get install ${need[*]}); tests that need them will fail" >&2
  fi
fi

# The native TensorFlow backend (normally built by npm install's postinstall; quick when present).
# In CI (CI=1, as .ci/run sets) a machine that can build it must have it: the
# tests then run the README's default backend instead of silently dropping it.
if [ -n "${CI:-}" ] || [ "${GANSCOPE_REQUIRE_TFJS_NODE:-}" = "1" ]; then
  bash scripts/setup-tfjs-node.sh --require-if-buildable || exit 1
else
  bash scripts/setup-tfjs-node.sh
fi

# lavapipe for the webgpu backend's tests (scripts/setup-vulkan.sh says why it is fetched so); quick when present.
# Those tests fail without it, naming this script; in CI a failure to set it up fails here, first.
if ! bash scripts/setup-vulkan.sh; then
  [ -n "${CI:-}" ] && exit 1
  echo "setup: no software Vulkan driver (above); the webgpu backend's tests will fail" >&2
fi

if [ -f scripts/setup-mlflow.sh ]; then
  bash scripts/setup-mlflow.sh
fi
