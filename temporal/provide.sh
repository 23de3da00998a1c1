#!/usr/bin/env bash
# Prints the absolute path of a usable Temporal CLI (which contains the dev server and the web UI)
# on stdout; progress goes to stderr. Runnable on a fresh clone, before `npm ci`.
#
# Order: $MERAK_TEMPORAL_CLI, `temporal` on PATH, <repo>/.tools/bin/temporal, else a Go build of
# the version pinned in temporal/VERSION into <repo>/.tools/bin (git-ignored). The Go module and
# build caches (GOMODCACHE, GOCACHE) are reused, so a second build is fast.
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="$(tr -d '[:space:]' < "$repo_root/temporal/VERSION")"
tools_bin="$repo_root/.tools/bin"
local_cli="$tools_bin/temporal"

log() { printf 'temporal/provide.sh: %s\n' "$*" >&2; }

how_to_install() {
  cat >&2 <<MSG

The Temporal CLI ($version) is needed: it contains the dev server and the web UI.
Install it in any one of these ways, then run this script again:
  - Homebrew (macOS/Linux):  brew install temporal
  - Official install script: curl -sSf https://temporal.download/cli.sh | sh
                             (puts it in ~/.temporalio/bin; add that to PATH)
  - A release download:      https://github.com/temporalio/cli/releases/tag/$version
                             (unpack 'temporal' into a folder on PATH)
  - Go 1.25 or later:        go install github.com/temporalio/cli/cmd/temporal@$version
Or point Merak at an existing binary:  export MERAK_TEMPORAL_CLI=/path/to/temporal
MSG
}

# A candidate is usable only if it runs and knows the dev server; a stale or foreign binary
# named `temporal` would otherwise fail much later with a confusing error.
usable() {
  [ -x "$1" ] && "$1" server start-dev --help >/dev/null 2>&1
}

if [ -n "${MERAK_TEMPORAL_CLI:-}" ]; then
  if usable "$MERAK_TEMPORAL_CLI"; then
    (cd "$(dirname "$MERAK_TEMPORAL_CLI")" && printf '%s/%s\n' "$(pwd)" "$(basename "$MERAK_TEMPORAL_CLI")")
    exit 0
  fi
  log "MERAK_TEMPORAL_CLI=$MERAK_TEMPORAL_CLI is not an executable Temporal CLI; unset it or fix the path."
  exit 1
fi

if on_path="$(command -v temporal 2>/dev/null)" && usable "$on_path"; then
  log "using temporal from PATH ($on_path: $("$on_path" --version 2>/dev/null); pinned is $version)"
  printf '%s\n' "$on_path"
  exit 0
fi

# The project-local build must be the pinned version, so that changing temporal/VERSION rebuilds it.
local_ok() {
  usable "$local_cli" && [ "$("$local_cli" --version 2>/dev/null | cut -d' ' -f3)" = "${version#v}" ]
}

if local_ok; then
  printf '%s\n' "$local_cli"
  exit 0
fi

if ! command -v go >/dev/null 2>&1; then
  log "no Temporal CLI found and Go is not installed, so it cannot be built here."
  how_to_install
  exit 1
fi

mkdir -p "$tools_bin"
# Two concurrent builds into the same GOBIN would race; the second waits, then finds the first's result.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$tools_bin/.build.lock"
  if ! flock -n 9; then
    log "another build of the Temporal CLI is running; waiting for it (up to 30 minutes)"
    flock -w 1800 9 || { log "gave up waiting for the other build"; exit 1; }
  fi
  if local_ok; then
    printf '%s\n' "$local_cli"
    exit 0
  fi
fi
build_log="$(mktemp "${TMPDIR:-/tmp}/merak-temporal-build.XXXXXX")"
log "building Temporal CLI $version with $(go version | cut -d' ' -f3) into $tools_bin (log: $build_log)"
log "Go caches: GOMODCACHE=$(go env GOMODCACHE) GOCACHE=$(go env GOCACHE); a first build takes several minutes"
start=$SECONDS
# `go install pkg@version` builds outside any module; running it from / with GOWORK=off keeps a
# go.mod or go.work around the caller (or the caller's GOWORK) from getting in the way.
# The -X stamps the version into `temporal --version` (a plain go install reports 0.0.0-DEV),
# which is how the check above recognises the pinned build.
if (cd / && GOWORK=off GOBIN="$tools_bin" go install \
    -ldflags "-X github.com/temporalio/cli/temporalcli.Version=${version#v}" \
    "github.com/temporalio/cli/cmd/temporal@$version") >"$build_log" 2>&1; then
  if local_ok; then
    log "built $local_cli in $((SECONDS - start))s"
    rm -f "$build_log"
    printf '%s\n' "$local_cli"
    exit 0
  fi
  log "the build finished but $local_cli does not run or does not report version ${version#v}"
else
  log "go install github.com/temporalio/cli/cmd/temporal@$version failed after $((SECONDS - start))s; last lines of $build_log:"
  tail -n 20 "$build_log" >&2
fi
how_to_install
exit 1
