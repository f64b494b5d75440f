#!/usr/bin/env bash
# Makes this machine ready for the real node (README.md, "The real node"), or
# says why it cannot be: exit 3 with the reason on the last line of stderr.
#   1. root, nsenter/unshare/ip, network namespaces, cgroup v1 hierarchies;
#   2. Debian packages by name, installed when missing;
#   3. kubelet and kube-proxy (../build.sh --node), the fake lily, the pause
#      process and the port bridge (Go), and the two images as docker archives,
#      cached beside the control plane, rebuilt when their sources change.
# Prints KEY=VALUE lines on stdout: BIN_DIR, IMAGES_DIR, TOOLS_DIR.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
skip() { echo "$*" >&2; exit 3; }

[ "$(id -u)" = 0 ] || skip "the real node needs root (network and mount namespaces, cgroups)"
for tool in ip nsenter unshare setpriv; do
  command -v "$tool" >/dev/null || skip "the real node needs $tool (util-linux, iproute2)"
done
probe="lily-deploy-probe-$$"
ip netns add "$probe" 2>/dev/null || skip "cannot create a network namespace here (ip netns add failed)"
ip netns delete "$probe"
[ -d /sys/fs/cgroup/memory ] && [ -d /sys/fs/cgroup/pids ] || skip "the real node needs cgroup v1 hierarchies (memory, pids) at /sys/fs/cgroup"

packages=(containerd runc containernetworking-plugins busybox-static postgresql nftables openssl)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "installing ${missing[*]} ..." >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >&2
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
fi

bin_dir=$(bash "$here/../build.sh" --node | tail -n 1)

export CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=readonly

# A one-layer docker-archive from a rootfs: the fake lily with busybox-static
# (the chart's scripts need a shell), or the pause process alone.
image() { # dir reference binary
  local dir=$1 ref=$2 bin=$3 work diff config
  work=$(mktemp -d)
  mkdir -p "$work/rootfs"/{bin,usr/bin,etc,tmp,var/lib/lily} "$work/archive"
  chmod 1777 "$work/rootfs/tmp"
  if [ "$bin" = lily ]; then
    cp /bin/busybox "$work/rootfs/bin/busybox"
    for applet in $(/bin/busybox --list); do
      [ -e "$work/rootfs/bin/$applet" ] || ln -s busybox "$work/rootfs/bin/$applet"
    done
    printf 'root:x:0:0:root:/root:/bin/sh\nlily:x:532:532:lily:/var/lib/lily:/bin/sh\n' >"$work/rootfs/etc/passwd"
    printf 'root:x:0:\nlily:x:532:\n' >"$work/rootfs/etc/group"
  fi
  cp "$dir/$bin" "$work/rootfs/usr/bin/$bin"
  tar -C "$work/rootfs" --numeric-owner --owner=0 --group=0 --sort=name --mtime=@0 -cf "$work/layer.tar" .
  diff=$(sha256sum "$work/layer.tar" | cut -d' ' -f1)
  mkdir -p "$work/archive/$diff" && mv "$work/layer.tar" "$work/archive/$diff/layer.tar"
  printf '{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/usr/bin:/bin"],"Entrypoint":["/usr/bin/%s"],"WorkingDir":"/"},"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' \
    "$bin" "$diff" >"$work/config.json"
  config=$(sha256sum "$work/config.json" | cut -d' ' -f1)
  mv "$work/config.json" "$work/archive/$config.json"
  printf '[{"Config":"%s.json","RepoTags":["%s"],"Layers":["%s/layer.tar"]}]' "$config" "$ref" "$diff" >"$work/archive/manifest.json"
  tar -C "$work/archive" -cf "$dir/images/$bin.tar" .
  rm -rf "$work"
}
# The fake and its images change with this repository: keyed by their sources.
key=$(cd "$repo" && cat test/lily/go.* test/lily/*.go test/lily/cmd/*/*.go test/cluster/real-node/netns-bridge/* "$here/setup.sh" | sha256sum | cut -c1-12)
tools_dir="$(dirname "$bin_dir")/real-node-$key"
if [ ! -f "$tools_dir/done" ]; then
  echo "building the fake lily, pause and netns-bridge ..." >&2
  rm -rf "$tools_dir.tmp" && mkdir -p "$tools_dir.tmp/images"
  (cd "$repo/test/lily" && go build -trimpath -ldflags "-s -w" -o "$tools_dir.tmp/lily" . &&
    go build -trimpath -ldflags "-s -w" -o "$tools_dir.tmp/pause" ./cmd/pause)
  (cd "$here/netns-bridge" && go build -trimpath -ldflags "-s -w" -o "$tools_dir.tmp/netns-bridge" .)
  image "$tools_dir.tmp" lily-deploy.test/lily:fake lily
  image "$tools_dir.tmp" lily-deploy.test/pause:fake pause
  touch "$tools_dir.tmp/done"
  rm -rf "$tools_dir" && mv "$tools_dir.tmp" "$tools_dir"
fi
echo "BIN_DIR=$bin_dir"
echo "TOOLS_DIR=$tools_dir"
echo "IMAGES_DIR=$tools_dir/images"
