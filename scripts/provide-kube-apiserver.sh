#!/usr/bin/env bash
# Provides the Kubernetes binaries the Kubernetes integration tests run: kube-apiserver and a
# kubectl of the same release, both built from tools/kube-apiserver (a Go module of this
# project that pins k8s.io/kubernetes; docs/kubernetes.md says why this version). etcd comes
# from Debian's etcd-server package (.ci/apt-packages.txt).
#
# kube-apiserver needs pkg/generated/openapi/zz_generated.openapi.go, which Kubernetes
# v1.21 generates during `make` and does not publish in its module. This script generates it
# with openapi-gen (pinned by the same module) from the API packages listed in
# tools/kube-apiserver/openapi-packages.txt, and builds against a copy of the module with
# that file added (in .tools/kube-build, git-ignored).
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
export GOFLAGS=-mod=readonly

gen_dir="$repo_root/.tools/kube-build"
mkdir -p "$gen_dir/boilerplate"
go build -trimpath -o "$gen_dir/openapi-gen" k8s.io/kube-openapi/cmd/openapi-gen
: > "$gen_dir/boilerplate/empty.txt"
log "generating the OpenAPI definitions ($(wc -l < openapi-packages.txt) API packages)"
rm -rf "$gen_dir/out"
GO111MODULE=on "$gen_dir/openapi-gen" --logtostderr=false \
  -i "$(paste -sd, openapi-packages.txt)" \
  -p k8s.io/kubernetes/pkg/generated/openapi -O zz_generated.openapi \
  -o "$gen_dir/out" -h "$gen_dir/boilerplate/empty.txt" -r "$gen_dir/api-rule-violations.txt" >&2
generated="$gen_dir/out/k8s.io/kubernetes/pkg/generated/openapi/zz_generated.openapi.go"
[ -s "$generated" ] || { log "openapi-gen wrote no $generated"; exit 1; }
# Go refuses overlays inside the module cache, so kube-apiserver is built against a writable
# copy of the k8s.io/kubernetes module with the generated file added, chosen by a go.mod copy
# with one more replace line (-modfile), leaving the committed go.mod as it is.
k8s_src="$(go mod download -json "k8s.io/kubernetes@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')"
[ -d "$k8s_src" ] || { log "cannot find the k8s.io/kubernetes@$version sources in the module cache"; exit 1; }
rm -rf "$gen_dir/kubernetes"
cp -R "$k8s_src" "$gen_dir/kubernetes"
chmod -R u+w "$gen_dir/kubernetes"
cp "$generated" "$gen_dir/kubernetes/pkg/generated/openapi/zz_generated.openapi.go"
cp go.mod "$gen_dir/build.mod"
cp go.sum "$gen_dir/build.sum"
printf '\nreplace k8s.io/kubernetes => %s\n' "$gen_dir/kubernetes" >> "$gen_dir/build.mod"

go build -modfile "$gen_dir/build.mod" -trimpath -ldflags "$ldflags" -o "$tools_bin/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver
mv -f "$tools_bin/kube-apiserver.tmp" "$tools_bin/kube-apiserver"
go build -trimpath -ldflags "$ldflags" -o "$tools_bin/kubectl.tmp" k8s.io/kubernetes/cmd/kubectl
mv -f "$tools_bin/kubectl.tmp" "$tools_bin/kubectl"
log "built in $((SECONDS - start)) s"
apiserver_ok || { log "the built kube-apiserver does not report Kubernetes $version"; exit 1; }
kubectl_ok || { log "the built kubectl does not report $version"; exit 1; }
printf '%s\n' "$tools_bin/kube-apiserver"
