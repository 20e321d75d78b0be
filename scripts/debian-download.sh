#!/usr/bin/env bash
# Downloads Debian packages (.deb files, not installed) from one suite of
# Debian's archive into a folder, through a private package list: the
# machine's apt sources and state stay as they are, and no root is needed.
# Used for lavapipe (scripts/setup-vulkan.sh) and the GPU kit's Vulkan loader
# (scripts/build-gpu-kit.sh).
#
#   bash scripts/debian-download.sh SUITE DEST PACKAGE...     (e.g. bookworm-backports /tmp/debs mesa-vulkan-drivers)
#
# GANSCOPE_DEBIAN_MIRROR overrides the archive (default http://deb.debian.org/debian).
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 SUITE DEST PACKAGE..." >&2; exit 2; }
suite="$1" dest="$2"
shift 2
command -v apt-get >/dev/null && command -v dpkg >/dev/null || { echo "[debian-download] needs Debian's apt-get and dpkg" >&2; exit 1; }
mkdir -p "$dest"
dest="$(cd "$dest" && pwd)"
apt_dir="$(mktemp -d)"
trap 'rm -rf "$apt_dir"' EXIT
mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial"
echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] ${GANSCOPE_DEBIAN_MIRROR:-http://deb.debian.org/debian} $suite main" >"$apt_dir/sources.list"
apt=(-q -o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/dev/null -o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o APT::Sandbox::User="$(id -un)")
apt-get "${apt[@]}" update >/dev/null
# apt-get download writes into the current folder; as root it drops to APT::Sandbox::User, which must be able to write there.
(cd "$apt_dir" && apt-get "${apt[@]}" download "$@" >/dev/null)
mv "$apt_dir"/*.deb "$dest"/
