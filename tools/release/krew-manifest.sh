#!/usr/bin/env bash
# Writes dist/fnf.yaml, the krew plugin manifest, with one platform entry per
# dist/kubectl-fnf_v<version>_<os>_<arch>.tar.gz present (built by plugin.sh) and the
# download URLs of the GitHub release. Submit it to krew-index, or install from it:
#   kubectl krew install --manifest=dist/fnf.yaml --archive=dist/kubectl-fnf_..._linux_amd64.tar.gz
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
dist="${FNF_DIST:-$root/dist}"
repo="${FNF_GITHUB_REPO:-fnf-operator/fnf-operator}"
version=$("$here/versions.sh")
tag="v$version"

shopt -s nullglob
archives=("$dist"/kubectl-fnf_"${tag}"_*.tar.gz)
[ ${#archives[@]} -gt 0 ] || { echo "error: no $dist/kubectl-fnf_${tag}_*.tar.gz: run tools/release/plugin.sh first" >&2; exit 1; }

manifest="$dist/fnf.yaml"
{
  cat <<YAML
apiVersion: krew.googlecontainertools.github.com/v1alpha2
kind: Plugin
metadata:
  name: fnf
spec:
  version: ${tag}
  homepage: https://github.com/${repo}
  shortDescription: Inspect, rerun and wait for Serverless Workflow FlowExecutions
  description: |
    Works with fnf-operator's FlowExecutions: shows an execution's step history
    and output from the cloud, lists and reruns runs, and waits for an outcome.
  platforms:
YAML
  for archive in "${archives[@]}"; do
    name=$(basename "$archive")
    platform="${name#kubectl-fnf_"${tag}"_}"; platform="${platform%.tar.gz}"
    os="${platform%_*}"; arch="${platform#*_}"
    sha=$(sha256sum "$archive" | cut -d' ' -f1)
    cat <<YAML
    - selector:
        matchLabels:
          os: ${os}
          arch: ${arch}
      uri: https://github.com/${repo}/releases/download/${tag}/${name}
      sha256: ${sha}
      bin: kubectl-fnf
      files:
        - from: kubectl-fnf
          to: .
        - from: LICENSE
          to: .
YAML
  done
} > "$manifest"
echo "krew: $manifest (${#archives[@]} platform(s))" >&2
echo "$manifest"
