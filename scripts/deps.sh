#!/usr/bin/env bash
# Starts PostgreSQL and Redis on loopback in a folder of their own, applies the gateway's schema, and stops them.
#
#   scripts/deps.sh start [DIR]   start both (installing redis-server with apt-get when missing), apply the schema,
#                                 write DIR/env (shell lines ConnectionStrings__Gateway='...' and
#                                 ConnectionStrings__Redis='...', for `set -a; . DIR/env`) and print it
#   scripts/deps.sh stop [DIR]    stop both and remove DIR (kept when the start had failed, for its logs)
#
# DIR defaults to $GATEWAY_DEPS_DIR or /tmp/gateway-deps. Ports are free ones picked at start, below the kernel's
# ephemeral range (net.ipv4.ip_local_port_range), which the machine's own outgoing connections draw from at the same
# moment; a server that fails to bind its port is started again on another one (5 tries). When the start fails, the
# servers' logs are printed on stderr and DIR is kept with a FAILED marker. PostgreSQL refuses to
# run as root, so as root its commands run as the 'postgres' user. GATEWAY_DEPS_REDIS=0 starts PostgreSQL only (DIR/env
# then has no ConnectionStrings__Redis line); bench/run.sh uses that for its durable contender.
set -Eeuo pipefail

cmd=${1:-}
dir=${2:-${GATEWAY_DEPS_DIR:-/tmp/gateway-deps}}
with_redis=${GATEWAY_DEPS_REDIS:-1}
repo=$(cd "$(dirname "$0")/.." && pwd)

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Ports below the ephemeral range (20000 up to its start, 32768 by default), or above it when it starts too low.
free_port() {
  local low high lo hi port
  read -r low high </proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || { low=32768; high=60999; }
  if [ "$low" -gt 21024 ]; then lo=20000; hi=$((low - 1)); else lo=$((high + 1)); hi=65535; fi
  for _ in $(seq 1 100); do
    port=$(( lo + (RANDOM * 32768 + RANDOM) % (hi - lo + 1) ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "no free port found between $lo and $hi" >&2; exit 1
}

# On a failed start: every log the servers wrote, on stderr, and the folder kept (stop leaves it) so they stay readable.
report_failure() {
  local status=$?
  touch "$dir/FAILED" 2>/dev/null || true
  echo "deps.sh: start failed (exit $status); logs kept in $dir" >&2
  for log in "$dir"/initdb.log "$dir"/pg.log "$dir"/redis.log; do
    if [ -f "$log" ]; then echo "----- $log -----" >&2; tail -n 100 "$log" >&2; fi
  done
  exit "$status"
}

bind_failed() { [ -f "$1" ] && grep -qiE "could not bind|address already in use|could not create listen socket" "$1"; }

start_postgres() {
  local try
  for try in 1 2 3 4 5; do
    pg_port=$(free_port)
    if as_postgres pg_ctl -D "$dir/pg" -l "$dir/pg.log" -w -t 60 \
      -o "-p $pg_port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >&2; then
      return 0
    fi
    if ! bind_failed "$dir/pg.log"; then return 1; fi
    echo "deps.sh: PostgreSQL could not bind port $pg_port (try $try); trying another" >&2
    as_postgres pg_ctl -D "$dir/pg" -m immediate -w stop >/dev/null 2>&1 || true
  done
  return 1
}

start_redis() {
  local try
  for try in 1 2 3 4 5; do
    redis_port=$(free_port)
    : >"$dir/redis.log"
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
      --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" || true
    for _ in $(seq 1 50); do
      if redis-cli -p "$redis_port" ping >/dev/null 2>&1; then return 0; fi
      if bind_failed "$dir/redis.log"; then break; fi
      sleep 0.1
    done
    if ! bind_failed "$dir/redis.log"; then echo "deps.sh: Redis did not answer on port $redis_port" >&2; return 1; fi
    echo "deps.sh: Redis could not bind port $redis_port (try $try); trying another" >&2
    if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; rm -f "$dir/redis.pid"; fi
  done
  return 1
}

start() {
  if [ -f "$dir/env" ]; then cat "$dir/env"; return; fi
  mkdir -p "$dir"
  chmod 0777 "$dir"

  if [ "$with_redis" != 0 ] && ! command -v redis-server >/dev/null 2>&1; then
    echo "installing redis-server" >&2
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server) >&2
  fi

  local pg_port redis_port
  trap report_failure ERR
  as_postgres initdb -D "$dir/pg" -U gateway -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1
  start_postgres
  as_postgres psql -h 127.0.0.1 -p "$pg_port" -U gateway -d postgres -qc "CREATE DATABASE gateway;" >&2

  if [ "$with_redis" != 0 ]; then
    start_redis
  fi

  migrate "$pg_port"
  cat >"$dir/env" <<ENV
ConnectionStrings__Gateway='Host=127.0.0.1;Port=$pg_port;Username=gateway;Database=gateway;Maximum Pool Size=50'
ENV
  if [ "$with_redis" != 0 ]; then echo "ConnectionStrings__Redis='127.0.0.1:$redis_port'" >>"$dir/env"; fi
  trap - ERR
  cat "$dir/env"
}

# The same numbered scripts, in the same bookkeeping table, that the silo applies at start-up.
migrate() {
  local port=$1 file version
  local psql=(psql -h 127.0.0.1 -p "$port" -U gateway -d gateway -v ON_ERROR_STOP=1 -q)
  "${psql[@]}" -c "CREATE TABLE IF NOT EXISTS gateway_schema_migrations (version integer NOT NULL PRIMARY KEY, name varchar(200) NOT NULL, applied_at timestamptz NOT NULL DEFAULT now());" >&2
  for file in "$repo"/src/Grains/Storage/Migrations/*.sql; do
    version=$((10#$(basename "$file" | cut -d_ -f1)))
    if [ "$("${psql[@]}" -tAc "SELECT count(*) FROM gateway_schema_migrations WHERE version = $version;")" = 0 ]; then
      { echo "BEGIN;"; cat "$file"; echo "INSERT INTO gateway_schema_migrations (version, name) VALUES ($version, '$(basename "$file" .sql)');"; echo "COMMIT;"; } \
        | "${psql[@]}" >&2
    fi
  done
}

stop() {
  if [ -f "$dir/redis.pid" ]; then kill "$(cat "$dir/redis.pid")" 2>/dev/null || true; fi
  if [ -d "$dir/pg" ]; then as_postgres pg_ctl -D "$dir/pg" -m fast -w stop >/dev/null 2>&1 || true; fi
  if [ -f "$dir/FAILED" ]; then
    echo "deps.sh: $dir kept: its start had failed (see its logs)" >&2
  else
    rm -rf "$dir"
  fi
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
