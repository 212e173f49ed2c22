#!/usr/bin/env bash
# Builds kubectl-fnf for one target and packs it for krew as
# dist/kubectl-fnf_v<version>_<os>_<arch>.tar.gz (the binary and LICENSE) with a .sha256.
#
#   tools/release/plugin.sh                              # this machine's platform
#   tools/release/plugin.sh aarch64-apple-darwin         # another target (rustup target add first)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dist="${FNF_DIST:-$root/dist}"
version=$("$here/versions.sh")
host=$(rustc -vV | sed -n 's/^host: //p')
target="${1:-$host}"

case "$target" in
  x86_64-unknown-linux-*) os=linux; arch=amd64 ;;
  aarch64-unknown-linux-*) os=linux; arch=arm64 ;;
  x86_64-apple-darwin) os=darwin; arch=amd64 ;;
  aarch64-apple-darwin) os=darwin; arch=arm64 ;;
  *) echo "error: no krew platform for target $target" >&2; exit 2 ;;
esac

cd "$root"
target_dir="${CARGO_TARGET_DIR:-$root/target}"
if [ $# -eq 0 ]; then
  # The host's own build (target/release), so a local run shares what is built already.
  cargo build --release --locked -p kubectl-fnf --bin kubectl-fnf >&2
  built="$target_dir/release/kubectl-fnf"
else
  cargo build --release --locked -p kubectl-fnf --bin kubectl-fnf --target "$target" >&2
  built="$target_dir/$target/release/kubectl-fnf"
fi
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
install -m 0755 "$built" "$stage/kubectl-fnf"
cp LICENSE "$stage/LICENSE"
mkdir -p "$dist"
archive="$dist/kubectl-fnf_v${version}_${os}_${arch}.tar.gz"
# GNU tar (Linux): fixed order, owner and time, so the archive's sha256 is reproducible.
# bsdtar (macOS runners) has no such flags; the archive is still the same two files.
if tar --version 2>/dev/null | grep -q GNU; then
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime='1970-01-01 00:00Z' \
    -C "$stage" -cf - kubectl-fnf LICENSE | gzip -n > "$archive"
else
  tar -C "$stage" -cf - kubectl-fnf LICENSE | gzip -n > "$archive"
fi
sha256() { if command -v sha256sum >/dev/null; then sha256sum "$@"; else shasum -a 256 "$@"; fi; }
(cd "$dist" && sha256 "$(basename "$archive")" > "$(basename "$archive").sha256")
echo "plugin: $archive" >&2
echo "$archive"
