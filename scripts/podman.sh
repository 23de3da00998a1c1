#!/usr/bin/env bash
# podman with this checkout's own settings, so nothing of the machine's podman is used or changed:
#   bash scripts/podman.sh images | run ... | rmi ...
# - image/containers.conf (CONTAINERS_CONF): runc, cgroupfs, ulimits these hosts allow;
# - images and containers in .tools/podman/storage (git-ignored; MERAK_PODMAN_STATE overrides);
# - run state in /run/merak-podman/<hash of the checkout path>: a path under the checkout can be
#   too long for the unix sockets podman makes there (108 bytes);
# - network configuration in .tools/podman/networks (podman never writes /etc/cni for us).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state="${MERAK_PODMAN_STATE:-$repo_root/.tools/podman}"
run_state="/run/merak-podman/$(printf '%s' "$state" | sha256sum | cut -c1-12)"
# Run state belongs to one storage: a storage made anew (a fresh clone at a path used before)
# starts with none.
if [ ! -d "$state/storage" ]; then rm -rf "$run_state"; fi
mkdir -p "$state/storage" "$state/networks" "$state/volumes" "$run_state/run" "$run_state/tmp"
export CONTAINERS_CONF="$repo_root/image/containers.conf"
exec podman \
  --root "$state/storage" \
  --runroot "$run_state/run" \
  --tmpdir "$run_state/tmp" \
  --network-config-dir "$state/networks" \
  --volumepath "$state/volumes" \
  "$@"
