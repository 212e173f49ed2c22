#!/usr/bin/env bash
# The release rehearsal a maintainer (or CI) runs from a clean checkout, with no cloud
# account and no registry credentials. Into dist/ it writes:
#   - fnf-operator-<v>.tgz, the packaged chart, pushed to a local OCI registry (the
#     distribution registry, built from the Go module proxy) and read back from it;
#   - kubectl-fnf_v<v>_<os>_<arch>.tar.gz for this platform, its .sha256, and fnf.yaml,
#     the krew manifest entry for it;
#   - notes.md, the release notes from CHANGELOG.md.
# and checks that the versions agree, that promtool accepts and tests the alerts, and
# that actionlint accepts the workflows. Publishing (image.sh, chart.sh oci://ghcr.io/...,
# gh release create) is the release workflow's job, or a maintainer's with credentials.
#
#   tools/release/release.sh             # from HEAD, exported into a temporary clean tree
#   FNF_RELEASE_IN_PLACE=1 tools/release/release.sh   # from the working tree as it is
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dist="${FNF_DIST:-$root/dist}"
rm -rf "$dist"
mkdir -p "$dist"
scratch=$(mktemp -d)
registry_pid=""
cleanup() {
  [ -z "$registry_pid" ] || kill "$registry_pid" 2>/dev/null || true
  rm -rf "$scratch"
}
trap cleanup EXIT

tree="$root"
if [ -z "${FNF_RELEASE_IN_PLACE:-}" ]; then
  # A clean checkout: exactly what HEAD commits, nothing untracked or modified. The target
  # dir stays the working tree's, so built dependencies are reused.
  tree="$scratch/src"
  mkdir -p "$tree"
  git -C "$root" archive HEAD | tar -x -C "$tree"
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$root/target}"
  echo "release: building from a clean export of $(git -C "$root" rev-parse --short HEAD)" >&2
fi
export FNF_DIST="$dist"
rel="$tree/tools/release"

version=$("$rel/versions.sh")
echo "release: version $version agrees across Cargo.toml, Chart.yaml and CHANGELOG.md" >&2

tools=$("$rel/build-tools.sh" actionlint promtool registry)
helm="$("$tree/tools/control-plane/build.sh")/helm"
export HELM="$helm"

(cd "$tree" && "$tools/actionlint" .github/workflows/*.yml) # named: an export has no .git to find them by
echo "release: actionlint passed" >&2
"$tools/promtool" check rules "$tree/charts/fnf-operator/files/alerts.yaml" >&2
"$tools/promtool" test rules "$tree/deploy/prometheus/alerts_test.yaml" >&2
echo "release: promtool check rules and test rules passed" >&2

# A local OCI registry on a free port, storage in the scratch dir.
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
cat > "$scratch/registry.yml" <<YAML
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $scratch/registry
http:
  addr: 127.0.0.1:$port
YAML
OTEL_TRACES_EXPORTER=none "$tools/registry" serve "$scratch/registry.yml" > "$scratch/registry.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 100); do
  curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null || { cat "$scratch/registry.log" >&2; echo "error: the local registry did not start" >&2; exit 1; }
FNF_HELM_PLAIN_HTTP=1 "$rel/chart.sh" "oci://127.0.0.1:$port/charts" >/dev/null
echo "release: chart pushed to and read back from the local OCI registry" >&2

"$rel/plugin.sh" >/dev/null
"$rel/krew-manifest.sh" >/dev/null
"$rel/notes.sh" "$version" > "$dist/notes.md"

echo "release: done; dist/:" >&2
(cd "$dist" && ls -1) >&2
