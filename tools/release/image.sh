#!/usr/bin/env bash
# Builds the operator image from the Dockerfile for linux/amd64 and linux/arm64, pushes it,
# signs it with keyless cosign and attaches an SPDX SBOM. The release workflow runs the same
# steps; a maintainer can run this by hand after `docker login` (and, for signing, with a
# browser or an OIDC token for cosign's keyless flow).
#
#   tools/release/image.sh ghcr.io/fnf-operator/fnf-operator
#   tools/release/image.sh registry.cn-hangzhou.aliyuncs.com/<namespace>/fnf-operator   # ACR
#   FNF_IMAGE_SIGN=0 tools/release/image.sh localhost:5000/fnf-operator                 # unsigned
#
# Needs docker with buildx (QEMU or native builders for the other architecture), cosign >= 2.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
repository="${1:?usage: image.sh REPOSITORY (without tag)}"
version=$("$here/versions.sh")
platforms="${FNF_IMAGE_PLATFORMS:-linux/amd64,linux/arm64}"

metadata=$(mktemp)
trap 'rm -f "$metadata"' EXIT
# --sbom/--provenance: BuildKit attaches an SPDX SBOM and SLSA provenance to the index.
docker buildx build "$root" \
  --platform "$platforms" \
  --tag "$repository:$version" \
  --label "org.opencontainers.image.version=$version" \
  --label "org.opencontainers.image.source=https://github.com/${FNF_GITHUB_REPO:-fnf-operator/fnf-operator}" \
  --label "org.opencontainers.image.licenses=Apache-2.0" \
  --sbom=true --provenance=mode=max \
  --metadata-file "$metadata" \
  --push >&2
digest=$(sed -n 's/.*"containerimage.digest": *"\([^"]*\)".*/\1/p' "$metadata" | head -1)
[ -n "$digest" ] || { echo "error: buildx reported no digest" >&2; exit 1; }
echo "image: pushed $repository:$version@$digest" >&2

if [ "${FNF_IMAGE_SIGN:-1}" = 1 ]; then
  # Keyless: the signature names the identity (the workflow, or the maintainer's account)
  # and lands in the public transparency log; verify with cosign verify, see docs/upgrade.md.
  cosign sign --yes "$repository@$digest" >&2
  echo "image: signed $repository@$digest" >&2
fi
echo "$repository@$digest"
