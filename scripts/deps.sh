#!/usr/bin/env bash
# Starts PostgreSQL and Redis on loopback in a folder of their own, applies the gateway's schema, and stops them.
#
#   scripts/deps.sh start [DIR]   start both (installing redis-server with apt-get when missing), apply the schema,
#                                 write DIR/env (shell lines ConnectionStrings__Gateway='...' and
#                                 ConnectionStrings__Redis='...', for `set -a; . DIR/env`) and print it
#   scripts/deps.sh stop [DIR]    stop both and remove DIR
#
# DIR defaults to $GATEWAY_DEPS_DIR or /tmp/gateway-deps. Ports are free ones picked at start. PostgreSQL refuses to
# run as root, so as root its commands run as the 'postgres' user. GATEWAY_DEPS_REDIS=0 starts PostgreSQL only (DIR/env
# then has no ConnectionStrings__Redis line); bench/run.sh uses that for its durable contender.
set -euo pipefail

cmd=${1:-}
dir=${2:-${GATEWAY_DEPS_DIR:-/tmp/gateway-deps}}
with_redis=${GATEWAY_DEPS_REDIS:-1}
repo=$(cd "$(dirname "$0")/.." && pwd)

as_postgres() {
  if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

free_port() {
  local port
  for _ in $(seq 1 100); do
    port=$(( (RANDOM % 20000) + 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then echo "$port"; return; fi
  done
  echo "no free port found" >&2; exit 1
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
  pg_port=$(free_port)
  as_postgres initdb -D "$dir/pg" -U gateway -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1
  as_postgres pg_ctl -D "$dir/pg" -l "$dir/pg.log" -w -t 60 \
    -o "-p $pg_port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >&2
  as_postgres psql -h 127.0.0.1 -p "$pg_port" -U gateway -d postgres -qc "CREATE DATABASE gateway;" >&2

  if [ "$with_redis" != 0 ]; then
    redis_port=$(free_port)
    redis-server --port "$redis_port" --bind 127.0.0.1 --save "" --appendonly no --daemonize yes \
      --dir "$dir" --pidfile "$dir/redis.pid" --logfile "$dir/redis.log"
    for _ in $(seq 1 50); do redis-cli -p "$redis_port" ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi

  migrate "$pg_port"
  cat >"$dir/env" <<ENV
ConnectionStrings__Gateway='Host=127.0.0.1;Port=$pg_port;Username=gateway;Database=gateway;Maximum Pool Size=50'
ENV
  if [ "$with_redis" != 0 ]; then echo "ConnectionStrings__Redis='127.0.0.1:$redis_port'" >>"$dir/env"; fi
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
  rm -rf "$dir"
}

case "$cmd" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop [DIR]" >&2; exit 2 ;;
esac
