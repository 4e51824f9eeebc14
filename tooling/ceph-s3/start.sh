#!/usr/bin/env bash
# Start a throw-away single-node Ceph cluster (1 monitor, 1 in-memory OSD, no manager) and
# a RADOS Gateway speaking S3 on 127.0.0.1:7480, for @store/backend-s3's tests and benchmarks.
# Installs Debian's Ceph packages first when they are missing (needs root and apt).
# On success prints the client settings as KEY=value lines on stdout (progress goes to
# stderr), so `s="$(tooling/ceph-s3/start.sh)" && set -a && eval "$s" && set +a` exports them.
# Every start wipes the previous state; tooling/ceph-s3/stop.sh stops it.
set -euo pipefail

DIR="${S3_ENGINE_DIR:-${TMPDIR:-/tmp}/store-ceph-s3}"  # state, logs, pid files
S3_PORT="${S3_PORT:-7480}"                            # S3 endpoint port
MON_PORT="${S3_MON_PORT:-3300}"                       # ceph-mon (msgr v2) port
OSD_PORTS="${S3_OSD_PORTS:-6800-6830}"                # range the OSD binds in
ACCESS_KEY="${S3_ACCESS_KEY:-storetestkey}"
SECRET_KEY="${S3_SECRET_KEY:-storetestsecret}"
TIMEOUT="${S3_START_TIMEOUT:-120}"                    # seconds for each step
HERE="$(cd "$(dirname "$0")" && pwd)"

need_install=0
for b in ceph-mon ceph-osd radosgw radosgw-admin ceph monmaptool curl; do
  command -v "$b" >/dev/null || need_install=1
done
if [ "$need_install" = 1 ]; then
  if [ "$(id -u)" != 0 ] || ! command -v apt-get >/dev/null; then
    echo "start.sh: Ceph is missing; install the Debian packages: apt-get install ceph-mon ceph-osd radosgw ceph-common curl" >&2
    exit 1
  fi
  echo "start.sh: installing Debian packages ceph-mon ceph-osd radosgw ceph-common curl (~30 s)" >&2
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
     ceph-mon ceph-osd radosgw ceph-common curl) >&2
fi

# A previous run of ours that was not stopped: stop it (by its pid files) before starting.
if [ -d "$DIR/run" ]; then S3_ENGINE_DIR="$DIR" "$HERE/stop.sh" >&2 || true; fi
for port in "$S3_PORT" "$MON_PORT"; do
  if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
    echo "start.sh: port $port on 127.0.0.1 is already in use (another Ceph? stop it first)" >&2; exit 1
  fi
done
rm -rf "$DIR"
mkdir -p "$DIR"/{mon.a,osd.0,log,run}
# From here on, a failure stops whatever was started and removes the state.
trap 'status=$?; if [ $status != 0 ]; then echo "start.sh: failed; logs were in $DIR/log:" >&2; tail -n 5 "$DIR"/log/*.log >&2 2>/dev/null; S3_ENGINE_DIR="$DIR" "$HERE/stop.sh" >&2; fi' EXIT

CONF="$DIR/ceph.conf"
FSID="$(cat /proc/sys/kernel/random/uuid)"
T0=$(date +%s.%N)
log() { awk -v t0="$T0" -v t="$(date +%s.%N)" -v m="$*" 'BEGIN{printf "[%5.1fs] %s\n", t-t0, m}' >&2; }

cat > "$CONF" <<CONF
[global]
fsid = $FSID
mon host = [v2:127.0.0.1:$MON_PORT]
mon initial members = a
public addr = 127.0.0.1
cluster addr = 127.0.0.1
public network = 127.0.0.0/8
ms bind msgr1 = false
ms bind ipv6 = false
ms bind port min = ${OSD_PORTS%-*}
ms bind port max = ${OSD_PORTS#*-}
auth cluster required = none
auth service required = none
auth client required = none
# radosgw asks for 'secure' msgr2 mode on monitor links, which auth = none cannot do
ms mon client mode = crc secure
osd pool default size = 1
osd pool default min size = 1
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd crush chooseleaf type = 0
mon allow pool size one = true
mon allow pool delete = true
mon warn on pool no redundancy = false
mon max pg per osd = 1000
# commit monitor changes quickly (the 1 s default per change makes pool creation slow)
paxos propose interval = 0.05
paxos min wait = 0.01
run dir = $DIR/run
log file = $DIR/log/\$name.log
admin socket = $DIR/run/\$name.asok
pid file = $DIR/run/\$name.pid
log to stderr = false
err to stderr = false
mon cluster log file = $DIR/log/cluster.log
[mon]
mon data = $DIR/mon.\$id
[osd]
osd data = $DIR/osd.\$id
# objects live in the OSD's memory: nothing to fsync, gone at stop
osd objectstore = memstore
memstore device bytes = 4294967296
osd memory target = 939524096
# RADOS names carry the bucket marker before the S3 key; S3 keys may be 1024 bytes
osd max object name len = 2048
osd max object namespace len = 256
[client]
log file = $DIR/log/\$name.log
admin socket = $DIR/run/\$name.\$pid.asok
[client.rgw.s3]
rgw frontends = beast endpoint=127.0.0.1:$S3_PORT tcp_nodelay=1
rgw thread pool size = 64
CONF
export CEPH_CONF="$CONF"

log "creating the monitor"
monmaptool --create --clobber --fsid "$FSID" --addv a "[v2:127.0.0.1:$MON_PORT]" "$DIR/monmap" >/dev/null
ceph-mon --mkfs -i a --monmap "$DIR/monmap" -c "$CONF"
timeout "$TIMEOUT" ceph-mon -i a -c "$CONF"   # each daemon forks into the background once up

log "creating the OSD (memstore)"
OSD_UUID="$(cat /proc/sys/kernel/random/uuid)"
OSD_ID="$(timeout "$TIMEOUT" ceph --connect-timeout 30 osd new "$OSD_UUID")"
ceph-osd -i "$OSD_ID" -c "$CONF" --mkfs --osd-uuid "$OSD_UUID" >"$DIR/log/osd-mkfs.log" 2>&1
timeout "$TIMEOUT" ceph-osd -i "$OSD_ID" -c "$CONF"

log "creating the RGW pools up front (otherwise made lazily on the first bucket, PUT, multipart)"
{
  for p in .rgw.root default.rgw.log default.rgw.control default.rgw.meta \
           default.rgw.buckets.index default.rgw.buckets.data default.rgw.buckets.non-ec; do
    echo "osd pool create $p 8 8 replicated"
    echo "osd pool application enable $p rgw"
  done
} | timeout "$TIMEOUT" ceph >"$DIR/log/pool-create.log" 2>&1

deadline=$(( $(date +%s) + TIMEOUT ))
until timeout 15 ceph --connect-timeout 10 osd dump 2>/dev/null | grep -q "^osd.$OSD_ID up"; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "start.sh: the OSD did not come up" >&2; exit 1; }
  sleep 0.5
done
log "OSD up; creating the S3 user"
timeout "$TIMEOUT" radosgw-admin -c "$CONF" user create --uid=store-test --display-name="store tests" \
  --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >"$DIR/log/user-create.json"

log "starting radosgw on 127.0.0.1:$S3_PORT"
timeout "$TIMEOUT" radosgw -c "$CONF" -n client.rgw.s3
until [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$S3_PORT/")" = 200 ]; do
  [ "$(date +%s)" -lt "$deadline" ] || { echo "start.sh: radosgw not ready in time" >&2; exit 1; }
  kill -0 "$(cat "$DIR/run/client.rgw.s3.pid" 2>/dev/null || echo 0)" 2>/dev/null \
    || { echo "start.sh: radosgw exited" >&2; exit 1; }
  sleep 0.2
done
# Ready means a signed PUT/GET round trip works (bucket and object), not just an open port.
s3curl() { curl -sf -o /dev/null --aws-sigv4 "aws:amz:us-east-1:s3" --user "$ACCESS_KEY:$SECRET_KEY" \
  -H "x-amz-content-sha256: UNSIGNED-PAYLOAD" "$@"; }
u="http://127.0.0.1:$S3_PORT/store-readiness-probe"
s3curl -X PUT "$u" && s3curl -X PUT --data-binary ok "$u/probe" && s3curl "$u/probe" \
  && s3curl -X DELETE "$u/probe" && s3curl -X DELETE "$u" \
  || { echo "start.sh: the signed S3 PUT/GET probe failed" >&2; exit 1; }
log "ready"
echo "S3_ENDPOINT=http://127.0.0.1:$S3_PORT"
echo "S3_REGION=us-east-1"
echo "S3_ACCESS_KEY=$ACCESS_KEY"
echo "S3_SECRET_KEY=$SECRET_KEY"
echo "S3_FORCE_PATH_STYLE=1"
