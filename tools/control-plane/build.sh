#!/usr/bin/env bash
# Builds the upstream Kubernetes control-plane binaries the tests and the demo run on
# (kube-apiserver, kubectl, etcd, helm, and a kstatus checker) from the Go module proxy,
# once per version, into a cache outside the repository. Prints the bin directory.
#
# `build.sh --node` also builds what a kubelet node needs (kubelet, kube-controller-manager,
# kube-scheduler, kube-proxy through the same wrapper module, and the pause image's static
# binary from pause.c inside the k8s.io/kubernetes module). Only the node tests ask for
# them: they add about 5 minutes on 2 cores with a warm Go build cache.
#
# Why a wrapper module: k8s.io/kubernetes replaces its staging modules with local paths,
# so `go install k8s.io/kubernetes/...@v` is refused. A module that requires it and
# replaces every staging module with its published version builds the same code.
set -euo pipefail

K8S_VERSION="${FNF_K8S_VERSION:-v1.37.2}"
ETCD_VERSION="${FNF_ETCD_VERSION:-v3.7.0}" # the etcd client k8s.io/kubernetes v1.37.2 requires
HELM_VERSION="${FNF_HELM_VERSION:-v3.22.0}"
CLI_UTILS_VERSION="${FNF_CLI_UTILS_VERSION:-v0.37.2}"

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
cache_root="${FNF_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/fnf-operator}"
key="k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}-helm-${HELM_VERSION}-kstatus-${CLI_UTILS_VERSION}"
bin="$cache_root/$key/bin"

wanted=(kube-apiserver kubectl etcd helm kstatus-check)
node_wanted=(kubelet kube-controller-manager kube-scheduler kube-proxy pause)
if [ "${1:-}" = "--node" ]; then wanted+=("${node_wanted[@]}"); fi
all_present() { for b in "${wanted[@]}"; do [ -x "$bin/$b" ] || return 1; done; }

if all_present; then echo "$bin"; exit 0; fi

if ! command -v go >/dev/null 2>&1; then
  echo "error: Go is required to build the local control plane (kube-apiserver, etcd, kubectl, helm) and was not found on PATH; install Go >= 1.26 and retry" >&2
  exit 2
fi

mkdir -p "$cache_root/$key"
exec 9>"$cache_root/$key/.lock"
echo "control-plane: waiting for the build lock $cache_root/$key/.lock" >&2
flock 9
if all_present; then echo "$bin"; exit 0; fi

export CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS=-modcacherw
work="$cache_root/$key/src"
mkdir -p "$work" "$bin"
start=$(date +%s)

major="${K8S_VERSION#v}"; major="${major%%.*}"
minor="${K8S_VERSION#v*.}"; minor="${minor%%.*}"
staging_version="v0.${K8S_VERSION#v1.}"

build_kubernetes() {
  local dir="$work/kubernetes"
  mkdir -p "$dir"
  cd "$dir"
  [ -f go.mod ] || go mod init fnf-operator.dev/tools/kubernetes >/dev/null 2>&1
  go mod edit -require="k8s.io/kubernetes@${K8S_VERSION}"
  local gomod
  gomod=$(go mod download -json "k8s.io/kubernetes@${K8S_VERSION}" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  # Every staging replace in the real go.mod becomes a replace by the published module.
  local edits=()
  while read -r path; do
    edits+=("-replace=${path}=${path}@${staging_version}")
  done < <(go mod edit -json "$gomod" | python3 -c '
import json, sys
for r in json.load(sys.stdin).get("Replace") or []:
    if r["New"]["Path"].startswith("./staging/"):
        print(r["Old"]["Path"])')
  go mod edit "${edits[@]}"
  cat > tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-proxy"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
	_ "k8s.io/kubernetes/cmd/kubelet"
)
GO
  go mod tidy >/dev/null
  local ld="-s -w"
  for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    ld+=" -X $p.gitVersion=${K8S_VERSION} -X $p.gitMajor=${major} -X $p.gitMinor=${minor} -X $p.gitTreeState=clean"
  done
  local name
  for name in "$@"; do
    [ -x "$bin/$name" ] && continue
    echo "control-plane: building $name ${K8S_VERSION} (a first build takes minutes to tens of minutes)" >&2
    go build -trimpath -ldflags "$ld" -o "$bin/$name.tmp" "k8s.io/kubernetes/cmd/$name"
    mv "$bin/$name.tmp" "$bin/$name"
  done
}

# The pod sandbox ("pause") binary, from the C source shipped inside the kubernetes module;
# static so that the image needs no libc. Needs gcc.
build_pause() {
  local src
  src="$(cd "$work/kubernetes" && go list -m -f '{{.Dir}}' k8s.io/kubernetes)/build/pause/linux/pause.c"
  if ! command -v gcc >/dev/null 2>&1; then
    echo "error: gcc is required to build the pause image (tools/node/install-packages.sh installs it)" >&2
    exit 2
  fi
  echo "control-plane: building pause from $src" >&2
  gcc -Os -static -Wall -Werror -DVERSION="${K8S_VERSION}" -o "$bin/pause.tmp" "$src"
  strip "$bin/pause.tmp" 2>/dev/null || true
  mv "$bin/pause.tmp" "$bin/pause"
}

build_simple() { # name module-require package [ldflags]
  local name="$1" req="$2" pkg="$3" ld="${4:-}"
  local dir="$work/$name"
  mkdir -p "$dir"
  cd "$dir"
  [ -f go.mod ] || go mod init "fnf-operator.dev/tools/$name" >/dev/null 2>&1
  go mod edit -require="$req"
  printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$pkg" > tools.go
  go mod tidy >/dev/null
  echo "control-plane: building $name" >&2
  go build -trimpath -ldflags "-s -w $ld" -o "$bin/$name.tmp" "$pkg"
  mv "$bin/$name.tmp" "$bin/$name"
}

build_kstatus() {
  local dir="$work/kstatus-check"
  mkdir -p "$dir"
  cp "$here/kstatus-check/main.go" "$dir/main.go"
  cd "$dir"
  [ -f go.mod ] || go mod init fnf-operator.dev/tools/kstatus-check >/dev/null 2>&1
  go mod edit -require="sigs.k8s.io/cli-utils@${CLI_UTILS_VERSION}"
  go mod tidy >/dev/null
  echo "control-plane: building kstatus-check" >&2
  go build -trimpath -ldflags "-s -w" -o "$bin/kstatus-check.tmp" .
  mv "$bin/kstatus-check.tmp" "$bin/kstatus-check"
}

[ -x "$bin/kube-apiserver" ] && [ -x "$bin/kubectl" ] || build_kubernetes kube-apiserver kubectl
if [ "${1:-}" = "--node" ]; then
  build_kubernetes kubelet kube-controller-manager kube-scheduler kube-proxy
  [ -x "$bin/pause" ] || build_pause
fi
[ -x "$bin/etcd" ] || build_simple etcd "go.etcd.io/etcd/server/v3@${ETCD_VERSION}" go.etcd.io/etcd/server/v3
helm_ld=""
for p in helm.sh/helm/v3/pkg/chartutil helm.sh/helm/v3/pkg/lint/rules; do
  helm_ld+=" -X $p.k8sVersionMajor=${major} -X $p.k8sVersionMinor=${minor}"
done
helm_ld+=" -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
[ -x "$bin/helm" ] || build_simple helm "helm.sh/helm/v3@${HELM_VERSION}" helm.sh/helm/v3/cmd/helm "$helm_ld"
[ -x "$bin/kstatus-check" ] || build_kstatus

echo "control-plane: built in $(( $(date +%s) - start ))s into $bin" >&2
echo "$bin"
