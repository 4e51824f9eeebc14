#!/usr/bin/env bash
# Stop what tooling/ceph-s3/start.sh started, and nothing else: only the pids in its pid
# files, and only while each still runs the Ceph program that wrote it (a reused pid is
# left alone). The state is throw-away: SIGKILL, wait until every process is gone, then
# remove the state directory. Safe to run twice, or when nothing runs.
set -uo pipefail
DIR="${S3_ENGINE_DIR:-${TMPDIR:-/tmp}/store-ceph-s3}"
[ -d "$DIR" ] || { echo "stop.sh: nothing to stop in $DIR" >&2; exit 0; }
shopt -s nullglob
pids=()
for f in "$DIR"/run/*.pid; do
  p="$(cat "$f" 2>/dev/null)"
  [[ "$p" =~ ^[0-9]+$ ]] || continue
  case "$(cat "/proc/$p/comm" 2>/dev/null)" in
    ceph-mon|ceph-osd|radosgw) pids+=("$p") ;;
  esac
done
for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
for _ in $(seq 1 100); do
  alive=0
  for p in "${pids[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
  [ "$alive" = 0 ] && break
  sleep 0.1
done
rm -rf "$DIR"
echo "stop.sh: stopped ${#pids[@]} process(es), removed $DIR" >&2
[ "$alive" = 0 ] || { echo "stop.sh: some processes did not exit: ${pids[*]}" >&2; exit 1; }
