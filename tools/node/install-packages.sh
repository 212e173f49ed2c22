#!/usr/bin/env bash
# Installs the Debian packages a kubelet node beside the test control plane needs
# (crates/fnf-testkit/src/devcluster/node): containerd and runc, the CNI plugins, iptables,
# conntrack, socat (kubectl port-forward), gcc (the pause binary) and util-linux (flock,
# nsenter). Idempotent; the project's own set-up, since CI runs on a fresh machine and
# nothing here is preinstalled. Needs root and Debian's package archive.
set -euo pipefail

packages=(containerd runc containernetworking-plugins iptables conntrack socat gcc libc6-dev util-linux iproute2)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then exit 0; fi

if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
  echo "error: the node tests need these Debian packages: ${missing[*]}; install them as root (apt-get install ${missing[*]})" >&2
  exit 2
fi
echo "node: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
