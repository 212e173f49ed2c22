#!/usr/bin/env bash
# Packages the chart into dist/ and, with a registry, pushes it as an OCI artifact.
#
#   tools/release/chart.sh                                    # dist/fnf-operator-<v>.tgz
#   tools/release/chart.sh oci://ghcr.io/fnf-operator/charts  # and push (after helm registry login)
#   FNF_HELM_PLAIN_HTTP=1 tools/release/chart.sh oci://127.0.0.1:5000/charts   # a local registry
#
# helm: $HELM, else the one tools/control-plane/build.sh builds.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dist="${FNF_DIST:-$root/dist}"
helm="${HELM:-$("$root/tools/control-plane/build.sh")/helm}"
version=$("$here/versions.sh")

mkdir -p "$dist"
"$helm" lint "$root/charts/fnf-operator" >&2
"$helm" package "$root/charts/fnf-operator" --version "$version" --app-version "$version" \
  --destination "$dist" >&2
package="$dist/fnf-operator-$version.tgz"
echo "chart: packaged $package" >&2

if [ $# -gt 0 ]; then
  plain=()
  [ -z "${FNF_HELM_PLAIN_HTTP:-}" ] || plain=(--plain-http)
  "$helm" push "$package" "$1" "${plain[@]}" >&2
  # Read it back: what a user's `helm install oci://...` will fetch.
  "$helm" show chart "$1/fnf-operator" --version "$version" "${plain[@]}" >&2
  echo "chart: pushed to $1/fnf-operator:$version" >&2
fi
echo "$package"
