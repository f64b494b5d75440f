#!/usr/bin/env bash
# The real node's host: a network namespace, a private mount namespace and a
# cgroup of its own, with containerd, Postgres and a small HTTP server in it,
# later the kubelet and kube-proxy. Nothing with an address other than
# loopback lives outside the network namespace; the host's /var/lib,
# /var/log, /opt, /run, /tmp/hostpath_pv and kernel sysctls are covered by the
# run's own in the mount namespace. See ../README.md ("The real node").
#
#   node-host.sh start STATE OWNER_PID IMAGES_DIR   namespaces, containerd, images, Postgres, httpd
#   node-host.sh join STATE PKI_DIR KUBECONFIG BIN_DIR NODE_NAME   certificates, kubelet, kube-proxy
#   node-host.sh exec STATE CMD...                  run CMD inside both namespaces
#   node-host.sh stop STATE                         stop every process by PID, remove it all
#   node-host.sh clean-stale ROOT                   stop what runs whose owner is gone left
#
# STATE is a new directory under ROOT (default /var/tmp/lily-deploy-real-node,
# outside the paths covered inside); OWNER_PID the process whose end stops it.
set -euo pipefail

readonly NODE_IP=10.200.0.1
readonly POD_SUBNET=10.88.0.0/16
here=$(cd "$(dirname "$0")" && pwd)

log() { echo "node-host: $*" >&2; }

# Runs "$@" inside the holder's mount and network namespaces.
inside() {
  local state=$1; shift
  nsenter --target "$(cat "$state/holder.pid")" --mount --net -- "$@"
}

# Starts a daemon inside, in the run's cgroup, logging to logs/NAME.log.
daemon() {
  local state=$1 name=$2; shift 2
  local cg; cg=$(cat "$state/cgroup")
  # shellcheck disable=SC2016 # expanded by the inner shell
  setsid nsenter --target "$(cat "$state/holder.pid")" --mount --net -- \
    sh -c 'for h in /sys/fs/cgroup/*/"$0"/daemons; do echo $$ > "$h/cgroup.procs"; done; exec "$@"' "$cg" "$@" \
    >"$state/logs/$name.log" 2>&1 </dev/null &
  echo $! >"$state/pids/$name"
}

wait_for() { # what, seconds, command...
  local what=$1 seconds=$2; shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS > deadline)); then log "timed out waiting for $what"; return 1; fi
    sleep 0.1
  done
}

start() {
  local state=$1 owner=$2 images=$3
  local id; id=$(basename "$state")
  local netns="lily-deploy-$id" cg="lily-deploy-$id"
  mkdir -p "$state"/{logs,pids,sysctl,root/var-lib,root/var-log,root/opt,root/run,root/hostpath_pv,www,cni/net.d}
  # Owner and its start time: a later run tells a dead owner from a reused pid.
  echo "$owner $(owner_start "$owner")" >"$state/owner"
  echo "$netns" >"$state/netns"
  echo "$cg" >"$state/cgroup"

  ip netns add "$netns"
  nsenter --net="/run/netns/$netns" sh -ec "
    ip link set lo up
    ip link add node0 type veth peer name node0-peer
    ip addr add $NODE_IP/24 dev node0
    ip link set node0 up
    ip link set node0-peer up
    sysctl -qw net.ipv4.ip_forward=1"

  for h in /sys/fs/cgroup/*/; do
    mkdir -p "$h$cg/daemons"
    if [ -f "${h}cpuset.cpus" ]; then
      for f in cpuset.cpus cpuset.mems; do
        cat "$h$f" >"$h$cg/$f"
        cat "$h$f" >"$h$cg/daemons/$f"
      done
    fi
  done

  # The kubelet insists on these host-wide values; inside, it reads them from
  # read-only files and leaves the host's alone.
  echo 10 >"$state/sysctl/panic"
  echo 1 >"$state/sysctl/panic_on_oops"
  echo 1 >"$state/sysctl/overcommit_memory"
  mkdir -p /tmp/hostpath_pv # the mount point; its content stays in the run's directory

  # The holder keeps the mount namespace; every daemon enters it.
  setsid nsenter --net="/run/netns/$netns" unshare --mount --propagation private sh -ec '
    s=$0
    mount --bind "$s/root/var-lib" /var/lib
    mount --bind "$s/root/var-log" /var/log
    mount --bind "$s/root/opt" /opt
    mount --bind "$s/root/run" /run
    mount --bind "$s/root/hostpath_pv" /tmp/hostpath_pv
    for f in kernel/panic kernel/panic_on_oops vm/overcommit_memory; do
      mount --bind "$s/sysctl/${f#*/}" "/proc/sys/$f"
      mount -o remount,bind,ro "/proc/sys/$f"
    done
    echo $$ >"$s/holder.pid.new"
    mv "$s/holder.pid.new" "$s/holder.pid"
    exec sleep 2147483647' "$state" >"$state/logs/holder.log" 2>&1 </dev/null &
  wait_for "the namespace holder" 10 test -s "$state/holder.pid"

  write_containerd_config "$state"
  daemon "$state" containerd containerd --config "$state/containerd/config.toml"
  wait_for containerd 20 ctr --address "$state/containerd/containerd.sock" version
  for archive in "$images"/*.tar; do
    inside "$state" ctr --address "$state/containerd/containerd.sock" -n k8s.io images import --no-unpack=false "$archive" >/dev/null
  done

  start_postgres "$state"
  daemon "$state" httpd busybox httpd -f -p "$NODE_IP:8080" -h "$state/www"
}

owner_start() { # field 22 of /proc/PID/stat: start time in clock ticks since boot; a zombie is gone
  awk '{ sub(/^.*\) /, ""); print ($1 == "Z" ? "gone" : $20) }' "/proc/$1/stat" 2>/dev/null || echo gone
}

write_containerd_config() {
  local state=$1
  mkdir -p "$state/containerd"
  cat >"$state/containerd/config.toml" <<EOF
version = 2
root = "$state/containerd/root"
state = "$state/containerd/state"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp"]
[grpc]
  address = "$state/containerd/containerd.sock"
[ttrpc]
  address = "$state/containerd/containerd.sock.ttrpc"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "lily-deploy.test/pause:fake"
  # This VM lacks CAP_SYS_RESOURCE: without it every sandbox fails in runc.
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$state/cni/net.d"
EOF
  cat >"$state/cni/net.d/10-bridge.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "lily-deploy-node",
  "plugins": [{
    "type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": false, "hairpinMode": true,
    "ipam": { "type": "host-local", "ranges": [[{ "subnet": "$POD_SUBNET" }]], "routes": [{ "dst": "0.0.0.0/0" }] }
  }, { "type": "loopback" }]
}
EOF
}

# Postgres with TLS on and only TLS connections allowed from the network.
start_postgres() {
  local state=$1 pg="$1/postgres"
  local bin; bin=$(find /usr/lib/postgresql -maxdepth 2 -name bin -type d | sort -V | tail -n 1)
  mkdir -p "$pg"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=lily-deploy-postgres" \
    -keyout "$pg/server.key" -out "$pg/server.crt" 2>/dev/null
  chmod 600 "$pg/server.key"
  chown -R postgres:postgres "$pg"
  setpriv --reuid=postgres --regid=postgres --init-groups -- "$bin/initdb" -D "$pg/data" -U postgres --auth-local=peer \
    --auth-host=scram-sha-256 --no-sync --no-instructions >"$state/logs/initdb.log" 2>&1
  cat >"$pg/data/pg_hba.conf" <<EOF
local all postgres peer
hostssl all all 0.0.0.0/0 scram-sha-256
EOF
  daemon "$state" postgres setpriv --reuid=postgres --regid=postgres --init-groups -- "$bin/postgres" -D "$pg/data" \
    -c listen_addresses="$NODE_IP" -c unix_socket_directories="$pg" \
    -c ssl=on -c ssl_cert_file="$pg/server.crt" -c ssl_key_file="$pg/server.key" \
    -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c shared_buffers=16MB -c max_connections=60
  wait_for postgres 30 inside "$state" setpriv --reuid=postgres --regid=postgres --init-groups -- "$bin/pg_isready" -q -h "$pg"
}

join() {
  local state=$1 pki=$2 kubeconfig=$3 bin=$4 name=$5
  local node="$state/node" cg; cg=$(cat "$state/cgroup")
  mkdir -p "$node" "$state/kubelet" "$state/pod-logs"
  # Serving certificate for the node IP, client certificate for system:node:NAME,
  # both signed by the cluster CA.
  openssl req -newkey rsa:2048 -nodes -subj "/CN=$name" -keyout "$node/kubelet.key" -out "$node/kubelet.csr" 2>/dev/null
  openssl x509 -req -in "$node/kubelet.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
    -extfile <(printf 'subjectAltName=IP:%s,DNS:%s\nextendedKeyUsage=serverAuth' "$NODE_IP" "$name") \
    -out "$node/kubelet.crt" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/O=system:nodes/CN=system:node:$name" -keyout "$node/client.key" -out "$node/client.csr" 2>/dev/null
  openssl x509 -req -in "$node/client.csr" -CA "$pki/ca.crt" -CAkey "$pki/ca.key" -CAcreateserial -days 2 \
    -extfile <(printf 'extendedKeyUsage=clientAuth') -out "$node/client.crt" 2>/dev/null
  local server; server=$(awk '/server:/ { print $2; exit }' "$kubeconfig")
  cat >"$node/kubelet.kubeconfig" <<EOF
apiVersion: v1
kind: Config
clusters: [{name: local, cluster: {server: "$server", certificate-authority: "$pki/ca.crt"}}]
users: [{name: node, user: {client-certificate: "$node/client.crt", client-key: "$node/client.key"}}]
contexts: [{name: node, context: {cluster: local, user: node}}]
current-context: node
EOF
  cat >"$node/kubelet.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /$cg
containerRuntimeEndpoint: unix://$state/containerd/containerd.sock
failSwapOn: false
readOnlyPort: 0
address: $NODE_IP
tlsCertFile: $node/kubelet.crt
tlsPrivateKeyFile: $node/kubelet.key
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $pki/ca.crt}
authorization: {mode: Webhook}
resolvConf: ""
podLogsDir: $state/pod-logs
# Local images cannot be pulled again: never collect them.
imageGCHighThresholdPercent: 100
imageGCLowThresholdPercent: 99
evictionHard: {memory.available: 50Mi, nodefs.available: 1%, imagefs.available: 1%}
registerWithTaints: [{key: lily-deploy.test/real-node, value: "true", effect: NoSchedule}]
EOF
  daemon "$state" kubelet "$bin/kubelet" --config="$node/kubelet.yaml" --kubeconfig="$node/kubelet.kubeconfig" \
    --hostname-override="$name" --node-ip="$NODE_IP" --root-dir="$state/kubelet" \
    --node-labels="type=real,lily-deploy.test/real-node=true" --v=1
  cat >"$node/kube-proxy.yaml" <<EOF
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
mode: nftables
hostnameOverride: $name
clusterCIDR: $POD_SUBNET
clientConnection: {kubeconfig: $kubeconfig}
metricsBindAddress: 127.0.0.1:10249
healthzBindAddress: 127.0.0.1:10256
# 0: leave the kernel's conntrack settings as they are (some are host-wide).
conntrack: {maxPerCore: 0, min: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s, udpTimeout: 0s, udpStreamTimeout: 0s}
EOF
  daemon "$state" kube-proxy "$bin/kube-proxy" --config="$node/kube-proxy.yaml" --v=1
}

# Every process of the run: in its cgroups (pods, shims, daemons), in its
# network namespace, the holder, the recorded daemons.
run_pids() {
  local state=$1 cg netns ino
  cg=$(cat "$state/cgroup" 2>/dev/null || true)
  netns=$(cat "$state/netns" 2>/dev/null || true)
  {
    if [ -n "$cg" ]; then find /sys/fs/cgroup/*/"$cg" -name cgroup.procs -exec cat {} + 2>/dev/null || true; fi
    cat "$state/holder.pid" "$state"/pids/* 2>/dev/null || true
    if [ -n "$netns" ] && [ -e "/run/netns/$netns" ]; then
      ino=$(stat -L -c %i "/run/netns/$netns")
      for ns in /proc/[0-9]*/ns/net; do
        if [ "$(readlink "$ns" 2>/dev/null)" = "net:[$ino]" ]; then
          p=${ns#/proc/}; echo "${p%%/*}"
        fi
      done
    fi
  } | grep -E '^[0-9]+$' | sort -un | grep -vx "$$" || true
}

stop() {
  local state=$1
  [ -d "$state" ] || return 0
  local pids name
  # Daemons first, gently: the kubelet stops no containers on TERM, so the
  # KILL below catches them and their shims.
  for name in kubelet kube-proxy httpd postgres containerd; do
    if [ -f "$state/pids/$name" ]; then kill -TERM "$(cat "$state/pids/$name")" 2>/dev/null || true; fi
  done
  local deadline=$((SECONDS + 5))
  while (( SECONDS < deadline )); do
    pids=$(for name in kubelet kube-proxy httpd postgres containerd; do cat "$state/pids/$name" 2>/dev/null; done | while read -r p; do kill -0 "$p" 2>/dev/null && echo "$p"; done || true)
    [ -z "$pids" ] && break
    sleep 0.1
  done
  for _ in 1 2 3 4 5 6 7 8 9 10; do
    pids=$(run_pids "$state")
    [ -z "$pids" ] && break
    # shellcheck disable=SC2086
    kill -KILL $pids 2>/dev/null || true
    sleep 0.2
  done
  local cg netns
  cg=$(cat "$state/cgroup" 2>/dev/null || true)
  netns=$(cat "$state/netns" 2>/dev/null || true)
  if [ -n "$cg" ]; then
    for h in /sys/fs/cgroup/*/; do
      [ -d "$h$cg" ] && find "$h$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
  fi
  if [ -n "$netns" ] && [ -e "/run/netns/$netns" ]; then ip netns delete "$netns"; fi
  rm -rf "$state"
}

clean_stale() {
  local root=$1 dir owner start
  [ -d "$root" ] || return 0
  for dir in "$root"/*/; do
    [ -d "$dir" ] || continue
    dir=${dir%/}
    # A node another run is starting has no owner file for a moment: left alone for a minute.
    if [ ! -e "$dir/owner" ] && [ -n "$(find "$dir" -maxdepth 0 -newermt '-1 minute')" ]; then continue; fi
    read -r owner start <"$dir/owner" 2>/dev/null || { owner=0; start=gone; }
    if [ "$owner" -gt 0 ] 2>/dev/null && [ "$(owner_start "$owner")" = "$start" ]; then continue; fi
    log "removing the real node a killed run left in $dir"
    stop "$dir"
  done
}

cmd=${1:-}; shift || true
case "$cmd" in
  start) start "$@" ;;
  join) join "$@" ;;
  exec) state=$1; shift; inside "$state" "$@" ;;
  stop) stop "$@" ;;
  clean-stale) clean_stale "$@" ;;
  *) echo "usage: $0 start|join|exec|stop|clean-stale ..." >&2; exit 2 ;;
esac
