#!/usr/bin/env bash
# Provides the Kubernetes binaries the Kubernetes integration tests run: kube-apiserver and a
# kubectl of the same release, both built from tools/kube-apiserver (a Go module of this
# project that pins k8s.io/kubernetes; docs/kubernetes.md says why this version). etcd comes
# from Debian's etcd-server package (.ci/apt-packages.txt).
#
# Prints the absolute path of the kube-apiserver binary on stdout; progress goes to stderr.
# A binary already in <repo>/.tools/bin that reports the pinned version is reused; otherwise
# both are built, reusing the Go module and build caches (GOMODCACHE, GOCACHE), so a rebuild
# after a cache-warm first build takes a minute, a cold one 15-30 minutes on two cores.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
module_dir="$repo_root/tools/kube-apiserver"
tools_bin="$repo_root/.tools/bin"
# The version is read from the module's go.mod so the two cannot disagree.
version="$(sed -n 's/^require k8s.io\/kubernetes \(v[0-9.]*\)$/\1/p' "$module_dir/go.mod")"
[ -n "$version" ] || { echo "provide-kube-apiserver.sh: cannot read the k8s.io/kubernetes version from $module_dir/go.mod" >&2; exit 1; }
minor="$(echo "$version" | cut -d. -f2)"

log() { printf 'provide-kube-apiserver.sh: %s\n' "$*" >&2; }

# `--version` prints "Kubernetes vX.Y.Z"; kubectl prints a JSON document with gitVersion.
apiserver_ok() { [ -x "$tools_bin/kube-apiserver" ] && [ "$("$tools_bin/kube-apiserver" --version 2>/dev/null)" = "Kubernetes $version" ]; }
kubectl_ok() { [ -x "$tools_bin/kubectl" ] && "$tools_bin/kubectl" version --client -o json 2>/dev/null | grep -q "\"gitVersion\": \"$version\""; }

if apiserver_ok && kubectl_ok; then
  printf '%s\n' "$tools_bin/kube-apiserver"
  exit 0
fi

command -v go >/dev/null 2>&1 || { log "Go is needed to build kube-apiserver $version and is not installed"; exit 1; }
mkdir -p "$tools_bin"

# Two concurrent builds into one folder would race; the second waits, then finds the result.
exec 9>"$tools_bin/.kube-build.lock"
if ! flock -n 9; then
  log "another build of kube-apiserver is running; waiting for it (up to 40 minutes)"
  flock -w 2400 9 || { log "gave up waiting for the other build"; exit 1; }
fi
if apiserver_ok && kubectl_ok; then
  printf '%s\n' "$tools_bin/kube-apiserver"
  exit 0
fi

# Without these the binaries report v0.0.0-master and kubectl's version-skew logic (and our
# cache check above) cannot tell what they are.
pkg=k8s.io/component-base/version
ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
ldflags="$ldflags -X k8s.io/client-go/pkg/version.gitVersion=$version -X k8s.io/client-go/pkg/version.gitMajor=1 -X k8s.io/client-go/pkg/version.gitMinor=$minor"

log "building kube-apiserver and kubectl $version with $(go version | cut -d' ' -f3) into $tools_bin"
log "Go caches: GOMODCACHE=$(go env GOMODCACHE) GOCACHE=$(go env GOCACHE)"
start=$SECONDS
cd "$module_dir"
# -mod=readonly: go.sum is committed; a build must not quietly change the pinned graph.
for cmd in kube-apiserver kubectl; do
  go build -mod=readonly -trimpath -ldflags "$ldflags" -o "$tools_bin/$cmd.tmp" "k8s.io/kubernetes/cmd/$cmd"
  mv -f "$tools_bin/$cmd.tmp" "$tools_bin/$cmd"
done
log "built in $((SECONDS - start)) s"
apiserver_ok || { log "the built kube-apiserver does not report Kubernetes $version"; exit 1; }
kubectl_ok || { log "the built kubectl does not report $version"; exit 1; }
printf '%s\n' "$tools_bin/kube-apiserver"
