#!/usr/bin/env bash
# The deployment guide on a cold runner: helm downloaded, its checksum checked
# and unpacked as Helm's install guide does it, then the guide's commands
# (guide.sh: helm repo add, the namespace and Secret, helm upgrade --install).
# Environment: HELM_URL (the archive; its checksum at HELM_URL.sha256sum),
# and guide.sh's, without HELM.
set -euo pipefail
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
curl -fsSL "$HELM_URL" -o "$dir/helm.tar.gz"
expected=$(curl -fsSL "$HELM_URL.sha256sum" | cut -d' ' -f1)
echo "$expected  $dir/helm.tar.gz" | sha256sum --check --quiet
tar -xzf "$dir/helm.tar.gz" -C "$dir"
HELM=$(echo "$dir"/*/helm) "$(dirname "$0")/guide.sh"
