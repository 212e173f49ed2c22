#!/usr/bin/env bash
# Host state of the test node (crates/fnf-testkit/src/devcluster/node), set up and undone.
#   host.sh up DIR ADDRESS    saves the sysctls the node changes, puts ADDRESS/32 on lo
#   host.sh down DIR ADDRESS  undoes everything the node did: its container processes (by
#                             the PIDs in DIR), mounts under DIR, the bridge, the KUBE-*
#                             and CNI-* iptables chains, the kubepods cgroups, the CNI
#                             cache of its network, the sysctls, the address; removes DIR.
# `down` is idempotent and also runs after a crash. Nothing else is touched: every name
# it removes is the node's own (one node per machine, under a lock the caller holds).
set -uo pipefail

action="${1:?up|down}"; dir="${2:?scratch dir}"; address="${3:?node address}"
bridge="${FNF_NODE_BRIDGE:-fnfbr0}"
network="${FNF_NODE_NETWORK:-fnf-node}"
# What kubelet, kube-proxy and the bridge plugin set, restored afterwards.
sysctls=(
  net/ipv4/ip_forward net/ipv4/conf/all/route_localnet
  net/bridge/bridge-nf-call-iptables net/bridge/bridge-nf-call-ip6tables
  vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops
  kernel/keys/root_maxkeys kernel/keys/root_maxbytes
  net/netfilter/nf_conntrack_max net/netfilter/nf_conntrack_tcp_timeout_established
  net/netfilter/nf_conntrack_tcp_timeout_close_wait
)

up() {
  mkdir -p "$dir"
  if [ ! -f "$dir/sysctl.saved" ]; then
    for s in "${sysctls[@]}"; do
      [ -f "/proc/sys/$s" ] && echo "$s=$(cat "/proc/sys/$s")"
    done > "$dir/sysctl.saved.tmp" && mv "$dir/sysctl.saved.tmp" "$dir/sysctl.saved"
  fi
  # Fixed directories containerd, the shims and libcni create: removed again if empty.
  for d in /run/containerd/s /run/containerd /var/lib/cni/results /var/lib/cni /var/log/containers; do
    [ -e "$d" ] || echo "$d"
  done > "$dir/created-dirs"
  if ! ip -4 addr show dev lo | grep -q " $address/"; then
    ip addr add "$address/32" dev lo && touch "$dir/address.added"
  fi
}

remove_chains() { # iptables|ip6tables
  local cmd="$1" table rule chain
  command -v "$cmd" >/dev/null 2>&1 || return 0
  for table in filter nat mangle raw; do
    # Jumps from the built-in chains into ours first, then our chains themselves.
    while read -r rule; do
      eval "$cmd -w -t $table -D ${rule#-A }" 2>/dev/null
    done < <("$cmd-save" -t "$table" 2>/dev/null | grep -E '^-A (INPUT|OUTPUT|FORWARD|PREROUTING|POSTROUTING) .*-j (KUBE-|CNI-)')
    local chains
    chains=$("$cmd-save" -t "$table" 2>/dev/null | sed -n 's/^:\(\(KUBE\|CNI\)-[^ ]*\) .*/\1/p')
    for chain in $chains; do "$cmd" -w -t "$table" -F "$chain" 2>/dev/null; done
    for chain in $chains; do "$cmd" -w -t "$table" -X "$chain" 2>/dev/null; done
  done
}

down() {
  # Containers and their shims, by the PIDs containerd recorded (containerd itself and
  # the kube binaries are killed by their watchdogs before this runs).
  if [ -d "$dir/containerd/state" ]; then
    find "$dir/containerd/state" -name 'init.pid' -o -name 'shim.pid' 2>/dev/null | while read -r f; do
      pid=$(cat "$f" 2>/dev/null) && [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null
    done
    # Shim sockets live in containerd's fixed /run/containerd/s; remove ours by address.
    find "$dir/containerd/state" -name address 2>/dev/null | while read -r f; do
      sock=$(sed 's#^unix://##' "$f" 2>/dev/null)
      case "$sock" in /run/containerd/s/*) rm -f -- "$sock" ;; esac
    done
    sleep 0.5
  fi
  # A shim started while containerd was being killed has no PID file yet: find it by the
  # node's own containerd socket on its command line.
  for p in /proc/[0-9]*; do
    if tr '\0' ' ' < "$p/cmdline" 2>/dev/null | grep -q -- "-address $dir/containerd/containerd.sock"; then
      kill -KILL "${p#/proc/}" 2>/dev/null
    fi
  done
  # Mounts under DIR (container rootfs, volumes, network namespaces), deepest first.
  local tries
  for tries in 1 2 3; do
    mapfile -t mounts < <(awk -v d="$dir/" 'index($5, d) == 1 {print $5}' /proc/self/mountinfo | sort -r)
    [ "${#mounts[@]}" -eq 0 ] && break
    for m in "${mounts[@]}"; do umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; done
  done
  ip link del "$bridge" 2>/dev/null
  remove_chains iptables
  remove_chains ip6tables
  # kubelet's cgroups (cgroupfs driver): empty once the containers are dead.
  for root in /sys/fs/cgroup/*/; do
    [ -d "$root/kubepods" ] && find "$root/kubepods" -depth -type d -exec rmdir {} + 2>/dev/null
  done
  rm -f /var/lib/cni/results/"$network"-* 2>/dev/null
  # The loopback plugin's cache names no network of ours, but holds our netns path.
  grep -l -F -- "$dir/" /var/lib/cni/results/* 2>/dev/null | while read -r f; do rm -f -- "$f"; done
  # kubelet links every container's log into the fixed /var/log/containers.
  for link in /var/log/containers/*.log; do
    [ -L "$link" ] && case "$(readlink "$link")" in "$dir"/*) rm -f -- "$link" ;; esac
  done
  if [ -f "$dir/sysctl.saved" ]; then
    while IFS='=' read -r s v; do
      [ -f "/proc/sys/$s" ] && [ "$(cat "/proc/sys/$s")" != "$v" ] && echo "$v" > "/proc/sys/$s"
    done < "$dir/sysctl.saved"
  fi
  if [ -f "$dir/address.added" ]; then ip addr del "$address/32" dev lo 2>/dev/null; fi
  if [ -f "$dir/created-dirs" ]; then
    while read -r d; do rmdir -- "$d" 2>/dev/null; done < "$dir/created-dirs"
  fi
  if ! awk -v d="$dir/" 'index($5, d) == 1 {found=1} END {exit !found}' /proc/self/mountinfo; then
    rm -rf --one-file-system -- "$dir"
  else
    echo "node: mounts remain under $dir; left in place" >&2
    return 1
  fi
}

case "$action" in
  up) up ;;
  down) down ;;
  *) echo "usage: host.sh up|down DIR ADDRESS" >&2; exit 2 ;;
esac
