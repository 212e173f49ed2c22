#!/usr/bin/env bash
# Prints the CHANGELOG.md section of a version (the GitHub release's notes).
#   tools/release/notes.sh 0.1.0
set -euo pipefail
version="${1:?usage: notes.sh VERSION}"
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
notes=$(awk -v v="$version" '
  index($0, "## [" v "]") == 1 { on = 1; next }
  on && /^## \[/ { exit }
  on { print }' "$root/CHANGELOG.md")
[ -n "$(printf '%s' "$notes" | tr -d '[:space:]')" ] || { echo "error: CHANGELOG.md has no notes for $version" >&2; exit 1; }
printf '%s\n' "$notes"
