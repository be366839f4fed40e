#!/usr/bin/env bash
# Builds (or reuses) the real `helm` that the chart tests run (test/helm/), from the Go module in
# this folder: helm.sh/helm/v4 at the version pinned in go.mod, fetched through the Go module proxy
# only. Its own module, so helm's dependency versions never touch the kube-apiserver build (../go.mod).
# It also fetches prometheus-operator's ServiceMonitor CRD (the chart renders a ServiceMonitor only
# when a cluster serves it; the install test installs the real CRD first), from that project's Go
# module, through the same proxy, checked against the checksum database.
# Both live outside the repository, keyed by version, and are never committed:
#   ${GATEHOUSE_K8S_CACHE:-$HOME/.cache/gatehouse}/helm-v4.3.2/helm
#   ${GATEHOUSE_K8S_CACHE:-$HOME/.cache/gatehouse}/prometheus-operator-v0.85.0/monitoring.coreos.com_servicemonitors.yaml
# Prints the helm directory as the last line of stdout. Fails loudly.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
helm_version="$(awk '$1 == "require" && $2 == "helm.sh/helm/v4" { print $3 } $1 == "helm.sh/helm/v4" { print $2 }' "$here/go.mod" | head -1)"
if [[ -z "$helm_version" ]]; then
  echo "build-helm: cannot read the pinned helm version from $here/go.mod" >&2
  exit 1
fi
crd_module=github.com/prometheus-operator/prometheus-operator
crd_version=v0.85.0
crd_file=example/prometheus-operator-crd/monitoring.coreos.com_servicemonitors.yaml
cache_root="${GATEHOUSE_K8S_CACHE:-$HOME/.cache/gatehouse}"
out="$cache_root/helm-$helm_version"
crd_out="$cache_root/prometheus-operator-$crd_version"
# Modules come from the Go module proxy only (no direct VCS fetches), checked against go.sum and
# the checksum database.
export GOPROXY="${GATEHOUSE_GOPROXY:-https://proxy.golang.org}"

if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin /usr/lib/go/bin; do
    if [[ -x "$candidate/go" ]]; then PATH="$candidate:$PATH"; fi
  done
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build-helm: the Go toolchain is required (go >= 1.26) to build helm" >&2
  exit 1
fi

# What `go build` cannot know (helm's Makefile stamps it from git): without it `helm version`
# says v4.3 and charts that check .Capabilities.HelmVersion see the wrong version.
ldflags="-s -w -X helm.sh/helm/v4/internal/version.version=$helm_version -X helm.sh/helm/v4/internal/version.gitTreeState=clean"

if [[ -f "$crd_out/$(basename "$crd_file")" ]]; then
  echo "build-helm: reusing $crd_out/$(basename "$crd_file")" >&2
else
  # Outside any module (a temp dir), so this never enters helm's module graph.
  tmpmod="$(mktemp -d)"
  if ! dir="$(cd "$tmpmod" && GOFLAGS=-mod=mod go mod download -json "$crd_module@$crd_version" | awk -F'"' '$2 == "Dir" { print $4 }')" || [[ -z "$dir" || ! -f "$dir/$crd_file" ]]; then
    rm -rf "$tmpmod"
    echo "build-helm: FAILED to fetch $crd_file from $crd_module@$crd_version" >&2
    exit 1
  fi
  rm -rf "$tmpmod"
  mkdir -p "$crd_out"
  cp "$dir/$crd_file" "$crd_out/.crd.tmp.$$"
  mv -f "$crd_out/.crd.tmp.$$" "$crd_out/$(basename "$crd_file")"
  echo "build-helm: fetched the ServiceMonitor CRD from $crd_module@$crd_version" >&2
fi

if [[ -x "$out/helm" ]]; then
  echo "build-helm: reusing $out/helm ($(du -h "$out/helm" | cut -f1))" >&2
  echo "$out"
  exit 0
fi

mkdir -p "$out"
cd "$here"
echo "build-helm: building helm $helm_version from helm.sh/helm/v4/cmd/helm (a few minutes on a small machine)" >&2
start=$(date +%s)
# Build to a temporary name and rename, so an interrupted build never leaves a half-written
# binary that a later run would reuse.
tmp="$out/.helm.tmp.$$"
if ! CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags="$ldflags" -o "$tmp" helm.sh/helm/v4/cmd/helm; then
  rm -f "$tmp"
  echo "build-helm: FAILED to build helm" >&2
  exit 1
fi
mv -f "$tmp" "$out/helm"
echo "build-helm: built helm in $(( $(date +%s) - start ))s, $(stat -c %s "$out/helm") bytes ($(du -h "$out/helm" | cut -f1))" >&2
echo "$out"
