#!/usr/bin/env bash
# Builds (once) the control-plane binaries the e2e tests and `npm run demo` use:
# kube-apiserver, kube-controller-manager, kube-scheduler, etcd, kwok, kwokctl;
# with --node also the real node's kubelet and kube-proxy (real-node/).
# They land in a versioned cache directory outside the repo; what is there is
# never rebuilt. Prints that directory on its last line of stdout.
set -euo pipefail

K8S_VERSION=v1.36.3 # keep in step with k8s/go.mod
ETCD_VERSION=v3.6.16 # keep in step with etcd/go.mod
KWOK_VERSION=v0.8.0

here=$(cd "$(dirname "$0")" && pwd)
cache_root=${LILY_DEPLOY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lily-deploy}
bin_dir="$cache_root/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION"
mkdir -p "$bin_dir"

export CGO_ENABLED=0 GOTOOLCHAIN=local GOWORK=off GOFLAGS=-mod=readonly

# Each build goes to a scratch directory first, so an interrupted build never
# leaves a half-written binary that a later run would take as cached.
build() { # name, then the command that writes "$name" into "$out"
  local name=$1; shift
  if [ -x "$bin_dir/$name" ]; then return 0; fi
  local out start
  out=$(mktemp -d "$bin_dir/.build-XXXXXX")
  start=$(date +%s)
  echo "building $name ..." >&2
  (out=$out; eval "$@")
  mv "$out/$name" "$bin_dir/$name"
  rmdir "$out"
  echo "built $name in $(( $(date +%s) - start ))s ($(du -h "$bin_dir/$name" | cut -f1))" >&2
}

k8s_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
  k8s_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  k8s_ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
done

k8s_cmds="kube-apiserver kube-controller-manager kube-scheduler"
if [ "${1:-}" = --node ]; then k8s_cmds+=" kubelet kube-proxy"; fi
for cmd in $k8s_cmds; do
  build "$cmd" 'cd "$here/k8s" && go build -trimpath -ldflags "$k8s_ldflags" -o "$out/$cmd" k8s.io/kubernetes/cmd/$cmd'
done
build etcd 'cd "$here/etcd" && go build -trimpath -ldflags "-s -w" -o "$out/etcd" .'
for cmd in kwok kwokctl; do
  build "$cmd" 'GOBIN=$out GOFLAGS= go install -trimpath -ldflags "-s -w" sigs.k8s.io/kwok/cmd/$cmd@$KWOK_VERSION'
done

echo "$bin_dir"
