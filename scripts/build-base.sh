#!/usr/bin/env bash
# The base of Merak's image when no registry is reachable (scripts/build-image.sh calls this):
#   bash scripts/build-base.sh                 prints localhost/merak-base:<hash>
# A Debian root filesystem made by mmdebstrap from the host's apt sources with
# image/runtime-packages.txt, plus Node.js and npm from the npm registry (pinned and checked in
# image/base.env), imported into this checkout's podman storage (scripts/podman.sh). The root
# filesystem is cached per machine, in ${MERAK_CACHE_DIR:-~/.cache/merak}/image/ (so a fresh clone,
# as CI makes, reuses it), and remade only when its inputs change (this script, image/base.env,
# image/runtime-packages.txt): their hash names both the file and the image.
# Needs root, podman, mmdebstrap, npm, openssl (CI: .ci/apt-packages.txt).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$repo_root"
podman=(bash "$repo_root/scripts/podman.sh")
log() { printf 'build-base: %s\n' "$*" >&2; }

for tool in podman mmdebstrap npm openssl sha256sum tar; do
  command -v "$tool" >/dev/null || { log "$tool is required and not installed (Debian: see .ci/apt-packages.txt)"; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
  log "must run as root (mmdebstrap makes a root filesystem; podman's storage is root's)"
  exit 1
fi

# shellcheck source=../image/base.env
source image/base.env
mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' image/runtime-packages.txt | grep -v '^$')
base_hash="$(cat scripts/build-base.sh image/base.env image/runtime-packages.txt | sha256sum | cut -c1-16)"
base_image="localhost/merak-base:$base_hash"
cache_dir="${MERAK_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/merak}/image"
base_tar="$cache_dir/base-$base_hash.tar"
mkdir -p "$cache_dir"

# The host's Debian sources (deb822 or one-line), pasted into the root filesystem by mmdebstrap;
# MERAK_IMAGE_APT_SOURCES names another file.
apt_sources="${MERAK_IMAGE_APT_SOURCES:-}"
if [ -z "$apt_sources" ]; then
  for f in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    if [ -s "$f" ]; then apt_sources="$f"; break; fi
  done
fi

# npm pack checks the tarball against the registry's dist.integrity; this checks it against the
# pin as well, so a changed or re-published package is refused rather than used.
fetch_pinned() { # NAME VERSION INTEGRITY DEST_DIR -> prints the tarball path
  local name="$1" version="$2" integrity="$3" dest="$4" file actual
  npm pack "$name@$version" --pack-destination "$dest" --silent >/dev/null
  file="$dest/$name-$version.tgz"
  actual="sha512-$(openssl dgst -sha512 -binary "$file" | base64 -w0)"
  if [ "$actual" != "$integrity" ]; then
    log "$name@$version: integrity $actual does not match the pin $integrity (image/base.env)"
    return 1
  fi
  printf '%s\n' "$file"
}

build_base_tar() {
  local work node_tgz npm_tgz started=$SECONDS
  work="$(mktemp -d "$cache_dir/base-work.XXXXXX")"
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" RETURN
  node_tgz="$(fetch_pinned "$NODE_PACKAGE" "$NODE_VERSION" "$NODE_INTEGRITY" "$work")"
  npm_tgz="$(fetch_pinned npm "$NPM_VERSION" "$NPM_INTEGRITY" "$work")"
  tar -xzf "$node_tgz" -C "$work" package/bin/node
  local node_sha
  node_sha="$(sha256sum "$work/package/bin/node" | cut -d' ' -f1)"
  if [ "$node_sha" != "$NODE_BIN_SHA256" ]; then
    log "node binary sha256 $node_sha does not match the pin $NODE_BIN_SHA256 (image/base.env)"
    return 1
  fi
  log "Node.js $NODE_VERSION ($NODE_PACKAGE, integrity and binary checked) and npm $NPM_VERSION fetched"
  # Node and npm where the node:20 registry images have them (/usr/local), docs and man pages
  # left out as Debian's slim images do.
  mmdebstrap --variant=minbase --format=tar --quiet \
    --include="$(IFS=,; echo "${packages[*]}")" \
    --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-include=/usr/share/locale/locale.alias' \
    --customize-hook="install -m 0755 '$work/package/bin/node' \"\$1/usr/local/bin/node\"" \
    --customize-hook="mkdir -p \"\$1/usr/local/lib/node_modules/npm\" && tar -xzf '$npm_tgz' --strip-components=1 --no-same-owner -C \"\$1/usr/local/lib/node_modules/npm\"" \
    --customize-hook="ln -s ../lib/node_modules/npm/bin/npm-cli.js \"\$1/usr/local/bin/npm\" && ln -s ../lib/node_modules/npm/bin/npx-cli.js \"\$1/usr/local/bin/npx\"" \
    --customize-hook="chroot \"\$1\" /usr/local/bin/node --version >/dev/null" \
    "$DEBIAN_SUITE" "$work/base.tar" ${apt_sources:+"$apt_sources"}
  mv "$work/base.tar" "$base_tar"
  log "root filesystem $base_tar made in $((SECONDS - started))s ($(du -m "$base_tar" | cut -f1) MB)"
}

started=$SECONDS
if "${podman[@]}" image exists "$base_image"; then
  log "base $base_image is there"
else
  # Older bases (other inputs) go: the cache holds one. Untagged, an old base is removed by the
  # next `image prune` once no image built on it is left (scripts/build-image.sh prunes).
  find "$cache_dir" -maxdepth 1 -name 'base-*.tar' ! -name "base-$base_hash.tar" -delete
  for old in $("${podman[@]}" images --format '{{.Repository}}:{{.Tag}}' --filter reference=localhost/merak-base); do
    "${podman[@]}" untag "$old"
  done
  if [ -s "$base_tar" ]; then log "root filesystem $base_tar is cached"; else build_base_tar; fi
  "${podman[@]}" import \
    --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
    --change 'CMD ["node"]' \
    --message "Debian $DEBIAN_SUITE (mmdebstrap) + Node.js $NODE_VERSION + npm $NPM_VERSION" \
    "$base_tar" "$base_image" >/dev/null
  log "base $base_image imported"
fi
printf '%s\n' "$base_image"
