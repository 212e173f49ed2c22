#!/usr/bin/env bash
# Checks that the one version (Cargo.toml [workspace.package]) is the chart's version and
# appVersion, that values.yaml does not pin another image tag, and that CHANGELOG.md has
# its section; with a tag argument (v1.2.3, as the release workflow passes), that the tag
# is this version too. Prints the version.
#
#   tools/release/versions.sh            # 0.1.0
#   tools/release/versions.sh v0.1.0     # fails unless the tag is v<version>
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"

version=$(sed -n '/^\[workspace.package\]/,/^\[/s/^version *= *"\(.*\)"/\1/p' Cargo.toml)
[ -n "$version" ] || { echo "error: no version in Cargo.toml [workspace.package]" >&2; exit 1; }

fail=0
check() { # what actual
  if [ "$2" != "$version" ]; then
    echo "error: $1 is '$2', Cargo.toml [workspace.package] version is '$version'" >&2
    fail=1
  fi
}
unquote() { sed -e 's/^ *//' -e 's/^"\(.*\)"$/\1/' -e "s/^'\(.*\)'$/\1/"; }
check "charts/fnf-operator/Chart.yaml version" "$(sed -n 's/^version://p' charts/fnf-operator/Chart.yaml | unquote)"
check "charts/fnf-operator/Chart.yaml appVersion" "$(sed -n 's/^appVersion://p' charts/fnf-operator/Chart.yaml | unquote)"
tag=$(sed -n '/^image:/,/^[^ ]/s/^  tag://p' charts/fnf-operator/values.yaml | unquote)
[ -z "$tag" ] || check "charts/fnf-operator/values.yaml image.tag" "$tag"
for manifest in crates/*/Cargo.toml; do
  grep -q '^version.workspace = true' "$manifest" || { echo "error: $manifest has a version of its own" >&2; fail=1; }
done
grep -q "^## \[$version\]" CHANGELOG.md || { echo "error: CHANGELOG.md has no '## [$version]' section" >&2; fail=1; }
if [ $# -gt 0 ]; then check "the git tag (without its v)" "${1#v}"; fi
[ $fail -eq 0 ] || exit 1
echo "$version"
