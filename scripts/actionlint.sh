#!/usr/bin/env bash
# Lints every workflow with actionlint, built once from the Go module proxy
# into a versioned cache directory outside the repo.
set -euo pipefail
version=v1.7.12
bin_dir=${LILY_DEPLOY_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lily-deploy}/actionlint-$version
if [ ! -x "$bin_dir/actionlint" ]; then
  echo "building actionlint $version ..." >&2
  GOBIN=$bin_dir CGO_ENABLED=0 GOTOOLCHAIN=local GOFLAGS= go install "github.com/rhysd/actionlint/cmd/actionlint@$version"
fi
cd "$(dirname "$0")/.."
# shellcheck and pyflakes integrations off: lint results must not depend on what the machine has.
"$bin_dir/actionlint" -no-color -shellcheck= -pyflakes= "$@"
