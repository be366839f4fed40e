#!/usr/bin/env bash
# Makes sure the real kube-apiserver, etcd and kubectl the Kubernetes-mode tests need exist, and the
# real helm (with prometheus-operator's ServiceMonitor CRD) the chart tests need: reuses the
# versioned cache, builds them from the Go module proxy when missing (~10 min + a few on 2 cores).
# Run before the test suite; a failure here fails the run (the tests never skip).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$(bash "$here/build-binaries.sh")"
for name in etcd kube-apiserver kubectl; do
  if ! "$out/$name" --version >/dev/null 2>&1 && ! "$out/$name" version --client >/dev/null 2>&1; then
    echo "ensure-binaries: $out/$name does not run" >&2
    exit 1
  fi
done
echo "ensure-binaries: Kubernetes test binaries ready in $out" >&2

# helm: its own Go module (helm/go.mod), so its dependency versions never touch the build above.
helm_out="$(bash "$here/helm/build-helm.sh")"
if ! "$helm_out/helm" version >/dev/null 2>&1; then
  echo "ensure-binaries: $helm_out/helm does not run" >&2
  exit 1
fi
echo "ensure-binaries: helm ready in $helm_out" >&2
