#!/usr/bin/env bash
# Builds (once) nektos/act, the local GitHub Actions runner that
# __tests__/e2e/act.test.ts runs the README's workflows with, from the Go
# module proxy into a versioned cache directory outside the repo, like the
# control plane (test/cluster/build.sh). Prints the binary's path on its last
# line of stdout.
set -euo pipefail
version=v0.2.89
bin_dir=${LILY_DEPLOY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lily-deploy}/act-$version
if [ ! -x "$bin_dir/act" ]; then
  mkdir -p "$bin_dir"
  # A scratch directory first, so an interrupted build never leaves a
  # half-written binary that a later run would take as cached.
  scratch=$(mktemp -d "$bin_dir/.build-XXXXXX")
  trap 'rm -rf "$scratch"' EXIT
  start=$(date +%s)
  echo "building act $version ..." >&2
  GOBIN=$scratch CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= \
    go install -trimpath -ldflags "-s -w" "github.com/nektos/act@$version"
  mv "$scratch/act" "$bin_dir/act"
  echo "built act in $(($(date +%s) - start))s ($(du -h "$bin_dir/act" | cut -f1))" >&2
fi
echo "$bin_dir/act"
