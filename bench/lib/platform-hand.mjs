// The by-hand baselines of bench/platform.sh, as the bash a person would write: start in the
// background, poll curl until HTTP 200, then kill + wait. Each script prints "PID n" as it
// starts a process, "HEALTHY" once everything answers and "STOPPED" at the end; the bench
// times the script from spawn to HEALTHY (start) and from HEALTHY to exit (stop).
// PIDs also go to files so that bench/platform.sh's cleanup can kill leftovers of an
// interrupted run.

// hand-registry.sh CONFIG PORT POLL_SECONDS PIDFILE LOG
export const HAND_REGISTRY = `#!/usr/bin/env bash
set -u
config=$1 port=$2 poll=$3 pidfile=$4 log=$5
docker-registry serve "$config" >>"$log" 2>&1 &
pid=$!
echo "$pid" >"$pidfile"
echo "PID $pid"
tries=0
until [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" == 200 ]]; do
  if ! kill -0 "$pid" 2>/dev/null; then echo "docker-registry exited before it answered" >&2; exit 1; fi
  tries=$((tries + 1))
  if ((tries > 300)); then echo "docker-registry did not answer" >&2; kill "$pid"; exit 1; fi
  sleep "$poll"
done
echo HEALTHY
kill "$pid"
wait "$pid" || true
rm -f "$pidfile"
echo STOPPED
`

// hand-chain.sh PYTHON POLL_SECONDS PIDDIR LOGDIR NAME:PORT... (in start order; stopped in reverse)
export const HAND_CHAIN = `#!/usr/bin/env bash
set -u
python=$1 poll=$2 piddir=$3 logdir=$4
shift 4
names=() pids=()
for service in "$@"; do
  name=\${service%%:*} port=\${service##*:}
  "$python" -m http.server "$port" --bind 127.0.0.1 >"$logdir/$name.log" 2>&1 &
  pid=$!
  echo "$pid" >"$piddir/$name.pid"
  echo "PID $pid"
  names+=("$name") pids+=("$pid")
  tries=0
  until [[ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/")" == 200 ]]; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "$name exited before it answered" >&2; exit 1; fi
    tries=$((tries + 1))
    if ((tries > 300)); then echo "$name did not answer" >&2; exit 1; fi
    sleep "$poll"
  done
done
echo HEALTHY
for ((i = \${#pids[@]} - 1; i >= 0; i--)); do
  kill "\${pids[i]}"
  wait "\${pids[i]}" || true
  rm -f "$piddir/\${names[i]}.pid"
done
echo STOPPED
`

// Raw etcd round trip, the floor under "workspace lock" with etcd: a put then a delete through
// etcd's v3 JSON gateway (no client library, no Node). etcd-raw.sh URL KEY
export const ETCD_RAW = `#!/usr/bin/env bash
set -eu
url=$1 key=$(printf %s "$2" | base64 -w0) value=$(printf %s '{"owner":"bench"}' | base64 -w0)
curl -fsS -X POST "$url/v3/kv/put" -d "{\\"key\\":\\"$key\\",\\"value\\":\\"$value\\"}" >/dev/null
curl -fsS -X POST "$url/v3/kv/deleterange" -d "{\\"key\\":\\"$key\\"}"
echo
`

// etcdctl put + del (only when etcdctl is installed). etcdctl-raw.sh ETCDCTL URL KEY
export const ETCDCTL_RAW = `#!/usr/bin/env bash
set -eu
ETCDCTL_API=3 "$1" --endpoints="$2" put "$3" '{"owner":"bench"}' >/dev/null
ETCDCTL_API=3 "$1" --endpoints="$2" del "$3"
`
