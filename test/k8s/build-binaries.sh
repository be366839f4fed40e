#!/usr/bin/env bash
# Builds (or reuses) the real kube-apiserver, etcd and kubectl that the
# Kubernetes-mode integration tests run, from the Go module in this folder.
# Binaries live outside the repository, keyed by version, and are never committed:
#   ${GATEHOUSE_K8S_CACHE:-$HOME/.cache/gatehouse}/k8s-v1.36.3/{kube-apiserver,etcd,kubectl}
# Prints the cache directory as the last line of stdout. Fails loudly.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
k8s_version="$(awk '$1 == "k8s.io/kubernetes" { print $2 }' "$here/go.mod")"
etcd_version="$(awk '$1 == "go.etcd.io/etcd/server/v3" { print $2 }' "$here/go.mod")"
if [[ -z "$k8s_version" || -z "$etcd_version" ]]; then
  echo "build-binaries: cannot read the pinned versions from $here/go.mod" >&2
  exit 1
fi
cache_root="${GATEHOUSE_K8S_CACHE:-$HOME/.cache/gatehouse}"
out="$cache_root/k8s-$k8s_version-etcd-$etcd_version"

if ! command -v go >/dev/null 2>&1; then
  for candidate in /usr/local/go/bin /usr/lib/go/bin; do
    if [[ -x "$candidate/go" ]]; then PATH="$candidate:$PATH"; fi
  done
fi
if ! command -v go >/dev/null 2>&1; then
  echo "build-binaries: the Go toolchain is required (go >= 1.26) to build kube-apiserver/etcd/kubectl" >&2
  exit 1
fi

# name=package pairs, built in this order.
targets=(
  "etcd=go.etcd.io/etcd/server/v3"
  "kube-apiserver=k8s.io/kubernetes/cmd/kube-apiserver"
  "kubectl=k8s.io/kubernetes/cmd/kubectl"
)

# What `go build` cannot know (kube's own build stamps it from git): without it the binaries
# report v0.0.0-master and kubectl warns about version skew.
k8s_minor="${k8s_version#v1.}"; k8s_minor="${k8s_minor%%.*}"
version_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  version_ldflags+=" -X $pkg.gitVersion=$k8s_version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$k8s_minor -X $pkg.gitTreeState=clean"
done

mkdir -p "$out"
cd "$here"
total_start=$(date +%s)
built=0
for target in "${targets[@]}"; do
  name="${target%%=*}"
  pkg="${target#*=}"
  if [[ -x "$out/$name" ]]; then
    echo "build-binaries: reusing $out/$name ($(du -h "$out/$name" | cut -f1))" >&2
    continue
  fi
  echo "build-binaries: building $name from $pkg (this takes minutes on a small machine)" >&2
  start=$(date +%s)
  # Build to a temporary name and rename, so an interrupted build never
  # leaves a half-written binary that a later run would reuse.
  tmp="$out/.$name.tmp.$$"
  if ! CGO_ENABLED=0 go build -mod=readonly -trimpath -ldflags="-s -w $version_ldflags" -o "$tmp" "$pkg"; then
    rm -f "$tmp"
    echo "build-binaries: FAILED to build $name ($pkg)" >&2
    exit 1
  fi
  mv -f "$tmp" "$out/$name"
  built=$((built + 1))
  end=$(date +%s)
  echo "build-binaries: built $name in $((end - start))s, $(stat -c %s "$out/$name") bytes ($(du -h "$out/$name" | cut -f1))" >&2
done

for name in etcd kube-apiserver kubectl; do
  if [[ ! -x "$out/$name" ]]; then
    echo "build-binaries: $out/$name is missing after the build" >&2
    exit 1
  fi
done
if [[ $built -gt 0 ]]; then
  echo "build-binaries: built $built binaries in $(( $(date +%s) - total_start ))s; total size $(du -ch "$out"/etcd "$out"/kube-apiserver "$out"/kubectl | tail -1 | cut -f1)" >&2
fi
echo "$out"
