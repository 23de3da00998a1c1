#!/usr/bin/env bash
# Builds Merak's image with no container registry and no Docker engine (docs/kubernetes.md):
#   bash scripts/build-image.sh [TAG]          (default localhost/merak:latest)
# 1. The base: scripts/build-base.sh (Debian by mmdebstrap + Node.js from the npm registry,
#    cached per machine in ${MERAK_CACHE_DIR:-~/.cache/merak}/image/ and remade only when its inputs change).
# 2. The repository's Dockerfile built FROM that base with podman (--pull=never: nothing is
#    pulled), on the host network, with the host's CA bundle and npm cache mounted for `npm ci`,
#    into this checkout's podman storage (scripts/podman.sh).
# Prints the image's name on stdout; progress, timings and the size on stderr.
# Needs root, podman, runc, mmdebstrap, npm, openssl (CI: .ci/apt-packages.txt).
# The same Dockerfile builds with a registry: `docker build -t merak .` (its default BASE).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
podman=(bash "$repo_root/scripts/podman.sh")
log() { printf 'build-image: %s\n' "$*" >&2; }

for tool in podman npm; do
  command -v "$tool" >/dev/null || { log "$tool is required and not installed (Debian: see .ci/apt-packages.txt)"; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (the base is made by mmdebstrap; podman's storage is root's)"
  exit 1
fi

tag="${1:-localhost/merak:latest}"
started=$SECONDS
base_image="$(bash scripts/build-base.sh)"
log "base $base_image ready in $((SECONDS - started))s"

started=$SECONDS
ca_bundle=/etc/ssl/certs/ca-certificates.crt
build_args=(--build-arg "BASE=$base_image")
volumes=()
if [ -s "$ca_bundle" ]; then
  volumes+=(--volume "$ca_bundle:/run/merak-build-ca.crt:ro")
  build_args+=(--build-arg NODE_EXTRA_CA_CERTS=/run/merak-build-ca.crt)
fi
# The host's npm cache: `npm ci` in the build stage then fetches only what the host lacks.
npm_cache="$(npm config get cache 2>/dev/null || true)"
if [ -n "$npm_cache" ] && [ -d "$npm_cache" ]; then volumes+=(--volume "$npm_cache:/root/.npm"); fi
build=("${podman[@]}" build --pull=never --network=host --layers "${build_args[@]}" "${volumes[@]}" --file Dockerfile)
# The build stage gets a tag of its own, so that pruning the untagged images of earlier builds
# below keeps its layers (the `npm ci` layer is the one worth caching); the second build reuses
# every layer of the first.
"${build[@]}" --target build --tag localhost/merak-build-stage:latest . >&2
"${build[@]}" --tag "$tag" . >&2
"${podman[@]}" image prune --force >/dev/null
size_bytes="$("${podman[@]}" image inspect --format '{{.Size}}' "$tag")"
log "image $tag built in $((SECONDS - started))s: $((size_bytes / 1000000)) MB"
printf '%s\n' "$tag"
