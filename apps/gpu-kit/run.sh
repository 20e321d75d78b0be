#!/usr/bin/env bash
# The GPU kit's launcher: ganscope's runner on the kit's own Node, Dawn
# (dawn.node) and Vulkan loader, so a machine needs only its GPU driver.
#
#   ./run.sh device-check --out DIR [--evidence REPO/docs/evidence/seed-study-digits] [--minutes 8]
#   ./run.sh study --file experiments/seed/findings.mjs --budget digits --backend webgpu …   (any runner command)
#
# VK_DRIVER_FILES: the Vulkan driver's ICD file; default NVIDIA's where the
# lent machines keep it. GANSCOPE_WEBGPU_ADAPTER=software allows a software
# adapter (lavapipe), as the kit's test does.
set -euo pipefail
KIT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# dawn.node dlopens libvulkan.so.1: the kit's copy, for machines without one.
export LD_LIBRARY_PATH="$KIT/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}"
NVIDIA_ICD=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
if [ -z "${VK_DRIVER_FILES:-}" ] && [ -f "$NVIDIA_ICD" ]; then
  export VK_DRIVER_FILES="$NVIDIA_ICD"
fi
# Measurements and the metrics' classifier (shipped in cache/ when the build had one): the kit's own folder.
export GANSCOPE_CACHE="${GANSCOPE_CACHE:-$KIT/cache}"
# The commit the kit was built from, for the study's report and evidence (there is no .git beside the kit).
export GANSCOPE_COMMIT="${GANSCOPE_COMMIT:-$(cat "$KIT/COMMIT")}"
if [ "${1:-}" = device-check ]; then
  shift
  exec "$KIT/bin/node" "$KIT/app/device-check.mjs" "$@"
fi
exec "$KIT/bin/node" "$KIT/app/runner.mjs" "$@"
