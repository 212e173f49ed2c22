#!/usr/bin/env bash
# Builds the Go tools the release checks use (actionlint for the workflows, promtool for
# the alert rules, a local OCI registry for the chart push rehearsal) from the Go module
# proxy, once per version, into the same cache as the control plane. Prints the bin dir.
# Tests that need these tools run only when they are already in the cache; the release
# script (tools/release/release.sh) builds them when missing.
#
#   tools/release/build-tools.sh                # all three
#   tools/release/build-tools.sh actionlint     # just one (actionlint|promtool|registry)
#   FNF_RELEASE_TOOLS_CACHED_ONLY=1 ...          # print the dir if built, else exit 3
set -euo pipefail

ACTIONLINT_VERSION="${FNF_ACTIONLINT_VERSION:-v1.7.12}"
PROMETHEUS_VERSION="${FNF_PROMETHEUS_VERSION:-v0.316.0}" # the Go module of Prometheus 3.x
REGISTRY_VERSION="${FNF_REGISTRY_VERSION:-v3.1.2}"       # distribution/distribution

cache_root="${FNF_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fnf-operator}"
key="release-actionlint-${ACTIONLINT_VERSION}-prometheus-${PROMETHEUS_VERSION}-registry-${REGISTRY_VERSION}"
bin="$cache_root/$key/bin"

wanted=("$@")
[ ${#wanted[@]} -gt 0 ] || wanted=(actionlint promtool registry)
all_present() { for b in "${wanted[@]}"; do [ -x "$bin/$b" ] || return 1; done; }

if all_present; then echo "$bin"; exit 0; fi
# Tests ask with FNF_RELEASE_TOOLS_CACHED_ONLY=1: they use the tools when built, never build them.
if [ -n "${FNF_RELEASE_TOOLS_CACHED_ONLY:-}" ]; then exit 3; fi

if ! command -v go >/dev/null 2>&1; then
  echo "error: Go is required to build ${wanted[*]} and was not found on PATH; install Go >= 1.26 and retry" >&2
  exit 2
fi

mkdir -p "$cache_root/$key"
exec 9>"$cache_root/$key/.lock"
echo "release-tools: waiting for the build lock $cache_root/$key/.lock" >&2
flock 9
if all_present; then echo "$bin"; exit 0; fi

export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-modcacherw
work="$cache_root/$key/src"
mkdir -p "$work" "$bin"

# A wrapper module that requires the tool's module builds it with that module's own
# dependency versions (go install pkg@version refuses modules with replace directives).
build() { # name module@version package [ldflags]
  local name="$1" req="$2" pkg="$3" ld="${4:-}"
  local dir="$work/$name"
  mkdir -p "$dir"
  cd "$dir"
  [ -f go.mod ] || go mod init "fnf-operator.dev/tools/$name" >/dev/null 2>&1
  go mod edit -require="$req"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" > tools.go
  go mod tidy >/dev/null
  echo "release-tools: building $name ($req)" >&2
  # nice: the tools build beside test runs on a shared machine.
  nice -n 10 go build -trimpath -ldflags "-s -w $ld" -o "$bin/$name.tmp" "$pkg"
  mv "$bin/$name.tmp" "$bin/$name"
}

for t in "${wanted[@]}"; do
  [ -x "$bin/$t" ] && continue
  case "$t" in
    actionlint) build actionlint "github.com/rhysd/actionlint@${ACTIONLINT_VERSION}" \
      github.com/rhysd/actionlint/cmd/actionlint \
      "-X github.com/rhysd/actionlint.version=${ACTIONLINT_VERSION}" ;;
    promtool) build promtool "github.com/prometheus/prometheus@${PROMETHEUS_VERSION}" \
      github.com/prometheus/prometheus/cmd/promtool ;;
    registry) build registry "github.com/distribution/distribution/v3@${REGISTRY_VERSION}" \
      github.com/distribution/distribution/v3/cmd/registry ;;
    *) echo "error: unknown tool $t (actionlint|promtool|registry)" >&2; exit 2 ;;
  esac
done

echo "$bin"
