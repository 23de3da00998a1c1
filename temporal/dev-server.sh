#!/usr/bin/env bash
# The local Temporal dev server without Node: same defaults and files as `merak server`.
#   temporal/dev-server.sh start|stop|status
# Settings (environment): MERAK_TEMPORAL_IP (127.0.0.1), MERAK_TEMPORAL_PORT (7233),
# MERAK_TEMPORAL_UI_PORT (8233), MERAK_STATE_DIR (<repo>/.state/temporal).
set -euo pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
ip="${MERAK_TEMPORAL_IP:-127.0.0.1}"
port="${MERAK_TEMPORAL_PORT:-7233}"
ui_port="${MERAK_TEMPORAL_UI_PORT:-8233}"
state_dir="${MERAK_STATE_DIR:-$repo_root/.state/temporal}"
db_file="$state_dir/temporal.sqlite"
pid_file="$state_dir/temporal.pid"
log_file="$state_dir/temporal.log"
record_file="$state_dir/temporal.json"   # read by `merak server status|stop`

log() { printf 'dev-server.sh: %s\n' "$*" >&2; }

# The pid from the pid file, if that process is alive and is the dev server of this SQLite file.
live_pid() {
  [ -f "$pid_file" ] || return 1
  local pid
  pid="$(tr -dc '0-9' < "$pid_file")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  if [ -r "/proc/$pid/cmdline" ]; then
    tr '\0' '\n' < "/proc/$pid/cmdline" | grep -qxF "$db_file" || return 1
  fi
  printf '%s\n' "$pid"
}

healthy() {
  "$cli" operator cluster health --address "$ip:$port" >/dev/null 2>&1
}

case "${1:-}" in
  start)
    cli="$(bash "$repo_root/temporal/provide.sh")"
    if pid="$(live_pid)"; then
      log "already running (pid $pid)"
      exit 0
    fi
    mkdir -p "$state_dir"
    printf '\n--- %s dev-server.sh start\n' "$(date -u +%FT%TZ)" >> "$log_file"
    setsid "$cli" server start-dev --ip "$ip" --port "$port" --ui-port "$ui_port" \
      --db-filename "$db_file" --log-level warn \
      --search-attribute MerakScenario=Keyword \
      --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal \
      </dev/null >>"$log_file" 2>&1 &
    pid=$!
    printf '%s\n' "$pid" > "$pid_file"
    printf '{"pid":%s,"address":"%s:%s","namespace":"default","uiUrl":"http://localhost:%s","dbFile":"%s","logFile":"%s","cli":"%s","args":[],"startedAt":"%s"}\n' \
      "$pid" "$ip" "$port" "$ui_port" "$db_file" "$log_file" "$cli" "$(date -u +%FT%TZ)" > "$record_file"
    for _ in $(seq 1 120); do   # 60 s
      if healthy; then
        printf 'running (pid %s): gRPC %s:%s, web UI http://localhost:%s, database %s\n' "$pid" "$ip" "$port" "$ui_port" "$db_file"
        exit 0
      fi
      if ! kill -0 "$pid" 2>/dev/null; then
        log "the server exited while starting; last lines of $log_file:"
        tail -n 20 "$log_file" >&2
        rm -f "$pid_file"
        exit 1
      fi
      sleep 0.5
    done
    log "not healthy after 60 s; stopping it. Log: $log_file"
    kill "$pid" 2>/dev/null || true
    exit 1
    ;;
  stop)
    if ! pid="$(live_pid)"; then
      rm -f "$pid_file"
      echo "not running"
      exit 0
    fi
    kill -TERM "$pid"
    for _ in $(seq 1 150); do   # 15 s grace
      kill -0 "$pid" 2>/dev/null || { rm -f "$pid_file" "$record_file"; echo "stopped pid $pid"; exit 0; }
      sleep 0.1
    done
    kill -KILL "$pid" 2>/dev/null || true
    rm -f "$pid_file" "$record_file"
    echo "stopped pid $pid (SIGKILL after 15 s)"
    ;;
  status)
    if pid="$(live_pid)"; then
      cli="$(bash "$repo_root/temporal/provide.sh")"
      if healthy; then
        echo "running, healthy (pid $pid): gRPC $ip:$port, web UI http://localhost:$ui_port"
        exit 0
      fi
      echo "running, NOT answering (pid $pid); log: $log_file"
      exit 3
    fi
    echo "stopped"
    exit 3
    ;;
  *)
    echo "usage: $0 start|stop|status" >&2
    exit 2
    ;;
esac
