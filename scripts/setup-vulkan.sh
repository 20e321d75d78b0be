#!/usr/bin/env bash
# A software Vulkan driver for testing the webgpu backend on machines without
# a GPU (CI, 2-core laptops): Mesa's lavapipe, which Dawn (npm webgpu) sees as
# a software adapter (GANSCOPE_WEBGPU_ADAPTER=software).
#
# Debian 12's own lavapipe (Mesa 22.3.6) is rejected by Dawn; bookworm-backports'
# (Mesa 25.x) works. It is fetched with `apt-get download` from a private
# package list (the machine's apt sources stay as they are), unpacked with
# `dpkg -x` into a folder of ours and selected with VK_DRIVER_FILES, so the
# system's own Mesa is never replaced. The Vulkan loader (libvulkan1) and the
# driver's libraries (LLVM, libdrm, xcb, …) come from the machine's own
# release, installed as root.
#
#   bash scripts/setup-vulkan.sh          # quick when present; warns and exits 1 if it cannot
#
# Puts it in ${GANSCOPE_CACHE_HOME:-~/.cache/ganscope}/lavapipe, whose
# lvp_icd.json is the VK_DRIVER_FILES the tests use (libs/models/src/testing.ts).
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf '[setup-vulkan] %s\n' "$*" >&2; }

DIR="${GANSCOPE_CACHE_HOME:-$HOME/.cache/ganscope}/lavapipe"
ICD="$DIR/lvp_icd.json"
has_loader() { /sbin/ldconfig -p 2>/dev/null | grep -q 'libvulkan\.so\.1 '; }
missing_libs() { ldd "$DIR/lib/libvulkan_lvp.so" 2>/dev/null | awk '/not found/ {print $1}'; }

if [ -f "$ICD" ] && [ -f "$DIR/lib/libvulkan_lvp.so" ] && has_loader && [ -z "$(missing_libs)" ]; then
  exit 0
fi
command -v apt-get >/dev/null && command -v dpkg >/dev/null || { say "needs Debian's apt-get and dpkg"; exit 1; }
root=0
[ "$(id -u)" = 0 ] && root=1

mkdir -p "$(dirname "$DIR")"
(
  # Two setups at once (two clones, CI beside a developer) share one download. (set -e does not reach in here: every step says || exit 1.)
  flock 9
  if [ ! -f "$ICD" ]; then
    . /etc/os-release
    apt_dir="$(mktemp -d)"
    trap 'rm -rf "$apt_dir"' EXIT
    # Mesa ≥ 25 is in bookworm's backports and in the releases after it.
    suite="$VERSION_CODENAME"
    [ "$suite" = bookworm ] && suite=bookworm-backports
    say "mesa-vulkan-drivers from Debian's $suite (apt-get download, unpacked into $DIR)"
    bash scripts/debian-download.sh "$suite" "$apt_dir" mesa-vulkan-drivers || exit 1
    rm -rf "$DIR.partial" && mkdir -p "$DIR.partial/lib"
    dpkg -x "$apt_dir"/mesa-vulkan-drivers_*.deb "$apt_dir/root" || exit 1
    cp "$(find "$apt_dir/root" -name libvulkan_lvp.so | head -1)" "$DIR.partial/lib/" || exit 1
    dpkg-deb -f "$apt_dir"/mesa-vulkan-drivers_*.deb Version >"$DIR.partial/VERSION"
    # What the library needs from the machine, names without versions (ldd says which are missing).
    dpkg-deb -f "$apt_dir"/mesa-vulkan-drivers_*.deb Depends | tr ',' '\n' | sed -E 's/\(.*\)//; s/\|.*//; s/ //g' | grep -v '^$' >"$DIR.partial/DEPENDS"
    # An absolute library_path: the stock file names the library for the loader's search path.
    sed -E "s|\"library_path\": *\"[^\"]*\"|\"library_path\": \"$DIR/lib/libvulkan_lvp.so\"|" "$(find "$apt_dir/root" -name 'lvp_icd*.json' | head -1)" >"$DIR.partial/lvp_icd.json"
    [ -s "$DIR.partial/lvp_icd.json" ] || exit 1
    rm -rf "$DIR" && mv "$DIR.partial" "$DIR"
  fi
) 9>"$DIR.lock" || { say "could not fetch mesa-vulkan-drivers"; exit 1; }

if ! has_loader || [ -n "$(missing_libs)" ]; then
  # The loader and the driver's libraries, from the machine's own release (Depends without versions: they are names
  # here); only those not installed, so that nothing the machine has is upgraded on the way.
  need=()
  for pkg in $( (echo libvulkan1; cat "$DIR/DEPENDS") | sort -u); do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || need+=("$pkg")
  done
  if [ "$root" = 1 ]; then
    say "installing Debian packages: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  else
    say "missing the Vulkan loader or lavapipe's libraries ($(missing_libs | tr '\n' ' ')); install with: sudo apt-get install ${need[*]}"
    exit 1
  fi
fi
has_loader && [ -z "$(missing_libs)" ] || { say "lavapipe still lacks: $(missing_libs | tr '\n' ' ')"; exit 1; }
say "ok: lavapipe $(cat "$DIR/VERSION") in $DIR (VK_DRIVER_FILES=$ICD)"
