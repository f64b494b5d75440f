#!/usr/bin/env bash
# The deployment guide's commands, run by hand: the baseline the action is
# measured against. Environment: HELM, KUBECTL, REPO_URL, RELEASE, NAMESPACE,
# CHART_VERSION, VALUES_FILE, DATABASE_URL (read from stdin by kubectl).
# Helm 4 by hand must apply the Lily chart client-side (its daemon PDB).
set -euo pipefail
"$HELM" repo add filecoin "$REPO_URL" --force-update >/dev/null
"$KUBECTL" create namespace "$NAMESPACE" >/dev/null
printf '%s' "$DATABASE_URL" | "$KUBECTL" create secret generic "$RELEASE-lily-db" \
  --namespace "$NAMESPACE" --from-file=url=/dev/stdin >/dev/null
"$HELM" upgrade --install "$RELEASE" filecoin/lily --version "$CHART_VERSION" \
  --namespace "$NAMESPACE" --values "$VALUES_FILE" --wait=watcher --timeout 2m \
  --server-side=false >/dev/null
