#!/usr/bin/env bash
# Gateway overhead and throughput, side by side with a raw proxy (nginx) and a peer gateway (Portkey).
#
#   bench/run.sh                  full run (~16 min): 16 and 64 connections, 10 s per run, each run twice; at the end the
#                                 durable gateway (PostgreSQL grain storage and ledger): 64 connections, then a hot tenant
#   bench/run.sh --quick          about 5 minutes: 64 connections, 3 s per run, once; without the durable gateway; at
#                                 the end, what metrics and tracing cost, as --telemetry measures it but for two
#                                 settings: off, and on (every meter, tracing at its default 1% sampling); 4 passes
#                                 of fresh gateways, the start order alternating, 3 rounds of 5 s each; a
#                                 "telemetry:" line)
#   bench/run.sh --durable-only   only the durable gateway's runs, as in the full run (~1.5 min; with --quick, ~45 s)
#   bench/run.sh --fairness       a full deployment's fair queue (~3.5 min): the mock as one deployment with 32 slots and
#                                 50 ms per request; ten tenants of one tier, nine at half a fair share alone, then with
#                                 a tenth flooding at 20 shares (open loop, Poisson arrivals); four tiers backlogged; a
#                                 tenant that sleeps and returns; the victims alone and under the flood again with each
#                                 answer's latency spread within a fifth of it (same mean: a "spread:" line); then the
#                                 flood again with Gateway:Scheduling:Policy=Fifo.
#                                 Ends with a "fairness:" line (bench/Gateway.Bench/Fairness.cs). BENCH_FAIR_LATENCY_MS=200
#                                 runs it at a quarter of the capacity and rates, for a box short of CPU;
#                                 BENCH_FAIR_JITTER_MS=J gives each request its own latency within J ms of it (same mean)
#   bench/run.sh --queue          a saturated deployment's dispatch rate from its fair queue (~1.5 min), in-process: the
#                                 capacity pools, the deployment's capacity grain and the fair queue on one silo, on two
#                                 with every waiter on one, and on two with the waiters split (Orleans' in-process test
#                                 cluster); 32 slots, 512 waiting loops of 8 tenants
#                                 (weights 8/4/2/1), each completing at once and coming back. No HTTP, no tenant grain,
#                                 no provider (bench/Gateway.Bench/QueueDispatch.cs). Ends with a "queue:" line
#   bench/run.sh --telemetry      what metrics and tracing cost (~5 min): five embedded gateways over the fixed upstream,
#                                 telemetry off, metrics only (the default), metrics and tracing at the default sampling
#                                 (parentbased_traceidratio, 1%), at 10% and at 100% (parentbased_always_on), Orleans
#                                 dashboard off in all, each warmed up alone
#                                 20 s, then loaded together 16 connections each,
#                                 4 rounds of 6 s (BENCH_TELEMETRY_ROUNDS), then again with fresh gateways started in
#                                 the reverse order; per setting the median throughput and CPU per request, and the
#                                 medians of each round's CPU and throughput ratios to "off". Ends with a "telemetry:" line
#
# Installs what it needs by package name (wrk and nginx from Debian, @portkey-ai/gateway from npm, a Release build),
# starts upstreams, contenders, PostgreSQL (scripts/deps.sh, for the durable gateway) and load on 127.0.0.1 only,
# bounds every load run in time, stops everything it started (by PID, and PostgreSQL with scripts/deps.sh stop, on
# exit) and prints one table, then a machine-readable "summary:" line and, when the durable gateway ran, a "durable:"
# line. Scratch files go to bench/.work/, PostgreSQL's folder to /tmp/gateway-bench-deps.*.
#
# BENCH_TELEMETRY sets the gateways' telemetry: unset, their defaults (every meter on, tracing off); "on", metrics and
# tracing (Gateway:Telemetry:Tracing=true and OTEL_TRACES_SAMPLER=parentbased_always_on: spans at 100% sampling, with
# no exporter); "off", none
# (OTEL_SDK_DISABLED=true: no meter is read, no span started; the Orleans dashboard's own statistics stop too). The
# setting is recorded as "telemetry=" in bench/.work/facts.txt.
set -euo pipefail

QUICK=0
DURABLE_ONLY=0
FAIRNESS=0
QUEUE=0
TELEMETRY=0
for arg in "$@"; do
  case "$arg" in
    --quick) QUICK=1 ;;
    --durable-only) DURABLE_ONLY=1 ;;
    --fairness) FAIRNESS=1 ;;
    --queue) QUEUE=1 ;;
    --telemetry) TELEMETRY=1 ;;
    -h|--help) sed -n '2,41p' "$0"; exit 0 ;;
    *) echo "unknown argument: $arg" >&2; exit 2 ;;
  esac
done

BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
WORK=$BENCH/.work
LOGS=$WORK/logs
mkdir -p "$LOGS"
RESULTS=$WORK/results.tsv
FACTS=$WORK/facts.txt
: > "$RESULTS"
: > "$FACTS"
STARTED_AT=$(date +%s)
echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)" >> "$FACTS"

if [[ $QUICK == 1 ]]; then
  DUR=3; WARM=1; PREWARM=3; GW_PREWARM=12; CONNS="64"; REPS=1; RATES="200"; TENANTS=10000; STREAM_CONNS="64"; MOCK_STREAM=0
  # The durable gateway adds ~25 s (start, warm-up, hot tenant): over the 3 minutes, so --quick leaves it out, and
  # --durable-only --quick runs its hot tenant alone. It starts cold, and JIT tiering needs ~10-15 s of load on this
  # loaded 2-core box before it runs at its steady cost (the other gateways get that from their earlier runs).
  DURABLE=$DURABLE_ONLY; DURABLE_CONCURRENCY=0; DURABLE_PREWARM=12
else
  DUR=10; WARM=3; PREWARM=8; GW_PREWARM=20; CONNS="16 64"; REPS=2; RATES="200 1000"; TENANTS=10000; STREAM_CONNS="16 64"; MOCK_STREAM=1
  # The durable gateway: 64-connection throughput beside the others, then the hot tenant; warmed up as long as the
  # other gateways are before their first run (2 x PREWARM).
  DURABLE=1; DURABLE_CONCURRENCY=1; DURABLE_PREWARM=16
fi

[[ $FAIRNESS == 1 || $QUEUE == 1 || $TELEMETRY == 1 ]] && DURABLE=0
log() { printf '[%4ds] %s\n' $(( $(date +%s) - STARTED_AT )) "$*" >&2; }
fact() { echo "$1=$2" >> "$FACTS"; }

# ---------------------------------------------------------------- processes we start, and only those, are stopped
PIDS=()
DEPS_DIR=
DEPS_START_PID=
cleanup() {
  local pid
  for (( i=${#PIDS[@]}-1; i>=0; i-- )); do
    pid=${PIDS[i]}
    kill -TERM "$pid" 2>/dev/null || true
  done
  for pid in "${PIDS[@]}"; do
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
  # PostgreSQL last (the durable gateway drains its ledger into it on SIGTERM), by the script that started it, which
  # stops the server of its own folder (pg_ctl -D) and removes the folder. A start still under way is let finish
  # first (it is bounded: pg_ctl -w -t 60), so that nothing it starts is left behind.
  if [[ -n $DEPS_DIR ]]; then
    [[ -n $DEPS_START_PID ]] && wait "$DEPS_START_PID" 2>/dev/null || true
    "$ROOT/scripts/deps.sh" stop "$DEPS_DIR" > /dev/null 2>&1 || true
  fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

start() { # name, command...: starts in the background, logs to .work/logs/name.log, records the PID in $LAST_PID
  local name=$1; shift
  "$@" > "$LOGS/$name.log" 2>&1 &
  LAST_PID=$!
  PIDS+=("$LAST_PID")
}

port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
pick_port() { # a free loopback port at or above $1
  local p=$1
  while ! port_free "$p"; do p=$((p + 1)); done
  echo "$p"
}
NEXT_PORT=18100
alloc() { local var; for var in "$@"; do NEXT_PORT=$(pick_port "$NEXT_PORT"); printf -v "$var" '%s' "$NEXT_PORT"; NEXT_PORT=$((NEXT_PORT + 1)); done; }

wait_http() { # url, seconds, [pid]
  local deadline=$(( $(date +%s) + $2 ))
  while (( $(date +%s) < deadline )); do
    if [[ -n ${3:-} ]] && ! kill -0 "$3" 2>/dev/null; then echo "process $3 for $1 died" >&2; return 1; fi
    curl -s -o /dev/null -m 2 "$1" && return 0
    sleep 0.2
  done
  echo "timed out waiting for $1" >&2
  return 1
}

# ---------------------------------------------------------------- install
need_apt=()
[[ $FAIRNESS == 1 || $QUEUE == 1 ]] || command -v wrk >/dev/null || need_apt+=(wrk)
[[ $FAIRNESS == 1 || $QUEUE == 1 ]] || command -v nginx >/dev/null || [[ -x /usr/sbin/nginx ]] || need_apt+=(nginx)
if (( ${#need_apt[@]} )); then
  log "installing ${need_apt[*]} from Debian"
  apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi
NGINX=$(command -v nginx || echo /usr/sbin/nginx)

PORTKEY_DIR=$WORK/portkey
PORTKEY_JS=$PORTKEY_DIR/node_modules/@portkey-ai/gateway/build/start-server.js
PORTKEY_VERSION=-
if [[ $DURABLE_ONLY == 0 && $FAIRNESS == 0 && $QUEUE == 0 ]]; then
  if [[ ! -f $PORTKEY_JS ]] || ! cmp -s "$BENCH/portkey/package.json" "$PORTKEY_DIR/package.json"; then
    log "installing @portkey-ai/gateway 1.15 from npm"
    mkdir -p "$PORTKEY_DIR"
    cp "$BENCH/portkey/package.json" "$PORTKEY_DIR/package.json"
    (cd "$PORTKEY_DIR" && timeout 300 npm install --no-audit --no-fund --silent >/dev/null)
  fi
  PORTKEY_VERSION=$(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' "$PORTKEY_DIR/node_modules/@portkey-ai/gateway/package.json" | head -1)
fi

FRONTEND_DLL=$ROOT/src/ApiFrontend/bin/Release/net10.0/Gateway.ApiFrontend.dll
SILO_DLL=$ROOT/src/Silo/bin/Release/net10.0/Gateway.Silo.dll
MOCK_DLL=$ROOT/src/MockProvider/bin/Release/net10.0/Gateway.MockProvider.dll
TOOL_DLL=$BENCH/Gateway.Bench/bin/Release/net10.0/Gateway.Bench.dll
stale() { [[ ! -f $1 ]] || [[ -n $(find "${@:2}" \( -name '*.cs' -o -name '*.csproj' -o -name '*.json' \) -newer "$1" -not -path '*/bin/*' -not -path '*/obj/*' -print -quit) ]]; }
if [[ $QUEUE == 0 ]] && { stale "$FRONTEND_DLL" "$ROOT/src" || stale "$SILO_DLL" "$ROOT/src" || stale "$MOCK_DLL" "$ROOT/src"; }; then
  log "building the gateway (Release)"
  (cd "$ROOT" && dotnet build -c Release Orleans.sln -nologo -v q > "$LOGS/build.log" 2>&1) || { tail -30 "$LOGS/build.log"; exit 1; }
fi
if stale "$TOOL_DLL" "$BENCH/Gateway.Bench" "$ROOT/src/Grains" "$ROOT/src/Grains.Abstractions" "$ROOT/src/Catalog"; then
  log "building bench/Gateway.Bench"
  (cd "$BENCH/Gateway.Bench" && dotnet build -c Release -nologo -v q > "$LOGS/build-bench.log" 2>&1) || { tail -30 "$LOGS/build-bench.log"; exit 1; }
fi
TOOL() { dotnet "$TOOL_DLL" "$@"; }

# ---------------------------------------------------------------- --queue: a saturated deployment's dispatch rate
if [[ $QUEUE == 1 ]]; then
  queue_run() { # silos, silos with waiters -> the RESULT line (from $WORK: Orleans' test cluster writes its logs to ./logs)
    cd "$WORK" && TOOL queue --silos "$1" --waiting-silos "$2" --slots 32 --waiters 512 --tenants 8 --latency-ms 0 --duration 10 --warmup 5 2>>"$LOGS/queue-errors.log" | grep '^RESULT'
  }
  log "queue: one silo (~20 s)"
  ONE=$(queue_run 1 1)
  log "queue: two silos, every waiter on one (~20 s)"
  TWO_ONE=$(queue_run 2 1)
  log "queue: two silos, waiters on both (~20 s)"
  TWO=$(queue_run 2 2)
  printf '%s\n' "$ONE" "$TWO_ONE" "$TWO" | sed 's/^RESULT /queue  /'
  pick() { sed -n "s/.* $2=\([^ ]*\).*/\1/p" <<< "$1"; }
  echo "queue: dispatched_per_s_1silo=$(pick "$ONE" dispatched_per_s) dispatched_per_s_2silos_waiting_on_1=$(pick "$TWO_ONE" dispatched_per_s) dispatched_per_s_2silos=$(pick "$TWO" dispatched_per_s) queued_pct_2silos=$(pick "$TWO" queued_pct) max_in_flight=$(pick "$TWO" max_in_flight) slots=32 loadavg=$(cut -d' ' -f1-3 /proc/loadavg | tr ' ' /)"
  log "queue: done in $(( $(date +%s) - STARTED_AT ))s"
  exit 0
fi

# ---------------------------------------------------------------- PostgreSQL, for the durable gateway
# Started now in the background (it is idle until the durable scenarios, at the end), by the project's own script,
# without Redis (the durable gateway is embedded: localhost clustering).
if [[ $DURABLE == 1 ]]; then
  command -v psql >/dev/null && command -v pg_ctl >/dev/null || { echo "PostgreSQL (pg_ctl, psql) must be on the PATH" >&2; exit 1; }
  DEPS_DIR=$(mktemp -d /tmp/gateway-bench-deps.XXXXXX)
  log "starting PostgreSQL in $DEPS_DIR (scripts/deps.sh, without Redis)"
  GATEWAY_DEPS_REDIS=0 "$ROOT/scripts/deps.sh" start "$DEPS_DIR" > "$LOGS/deps.log" 2>&1 &
  DEPS_START_PID=$!
fi
deps_ready() { # waits for scripts/deps.sh start; sets PG_CONN (the Npgsql string), PG_PID (the postmaster) and psql's arguments
  if [[ -n $DEPS_START_PID ]]; then
    wait "$DEPS_START_PID" || { tail -20 "$LOGS/deps.log" >&2; echo "scripts/deps.sh start failed" >&2; exit 1; }
    DEPS_START_PID=
  fi
  PG_CONN=$(sed -n "s/^ConnectionStrings__Gateway='\(.*\)'$/\1/p" "$DEPS_DIR/env")
  PG_PID=$(head -1 "$DEPS_DIR/pg/postmaster.pid")
  local part parts
  PSQL=(psql -X -q -t -A -v ON_ERROR_STOP=1)
  IFS=';' read -ra parts <<< "$PG_CONN"
  for part in "${parts[@]}"; do
    case ${part%%=*} in
      Host) PSQL+=(-h "${part#*=}") ;;
      Port) PSQL+=(-p "${part#*=}") ;;
      Username) PSQL+=(-U "${part#*=}") ;;
      Database) PSQL+=(-d "${part#*=}") ;;
    esac
  done
  [[ -n $PG_CONN && -n $PG_PID ]] || { echo "no PostgreSQL connection string in $DEPS_DIR/env" >&2; exit 1; }
}
sql() { timeout 30 "${PSQL[@]}" -c "$1"; }

# ---------------------------------------------------------------- fixed responses
# A chat completion with usage, and the same as an SSE stream ending with a usage chunk and [DONE].
COMPLETION='{"id":"chatcmpl-bench","object":"chat.completion","created":1795463062,"model":"gpt-4.1","choices":[{"index":0,"message":{"role":"assistant","content":"Hello world from the fixed upstream world from the fixed upstream world","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":16,"total_tokens":25}}'
sse_chunk() { printf 'data: {"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1795463062,"model":"gpt-4.1","choices":[%s],"usage":%s}\n\n' "$1" "$2"; }
STREAM_BODY=$(
  sse_chunk '{"index":0,"delta":{"role":"assistant","content":""},"logprobs":null,"finish_reason":null}' null
  for word in Hello " world" " from" " the" " fixed" " upstream" " world" " from" " the" " fixed" " upstream" " world" " from" " the" " fixed" " upstream"; do
    sse_chunk "{\"index\":0,\"delta\":{\"content\":\"$word\"},\"logprobs\":null,\"finish_reason\":null}" null
  done
  sse_chunk '{"index":0,"delta":{},"logprobs":null,"finish_reason":"stop"}' null
  sse_chunk '' '{"prompt_tokens":9,"completion_tokens":16,"total_tokens":25}'
  printf 'data: [DONE]\n\n'
)
# The same answer as an Anthropic Messages stream (16 text deltas, usage in message_start and message_delta).
a_event() { printf 'event: %s\ndata: %s\n\n' "$1" "$2"; }
ANTHROPIC_STREAM_BODY=$(
  a_event message_start '{"type":"message_start","message":{"id":"msg_bench","type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":9,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":1}}}'
  a_event content_block_start '{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}'
  for word in Hello " world" " from" " the" " fixed" " upstream" " world" " from" " the" " fixed" " upstream" " world" " from" " the" " fixed" " upstream"; do
    a_event content_block_delta "{\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"$word\"}}"
  done
  a_event content_block_stop '{"type":"content_block_stop","index":0}'
  a_event message_delta '{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":16}}'
  a_event message_stop '{"type":"message_stop"}'
)
ANTHROPIC_STREAM_BODY+=$'\n\n' # the substitution dropped the last event's blank line, which ends it

# ---------------------------------------------------------------- ports
alloc UP MOCK PROXY PROXY_MOCK PORTKEY GW GW_SILO GW_GATE SPLIT_SILO_HTTP SPLIT_SILO SPLIT_GATE SPLIT GWD GWD_SILO GWD_GATE
ADMIN="adm-bench-$(head -c 16 /dev/urandom | od -An -tx1 | tr -d ' \n')"

# ---------------------------------------------------------------- --fairness: a full deployment's fair queue
if [[ $FAIRNESS == 1 ]]; then
  # BENCH_FAIR_LATENCY_MS scales the capacity down (32 slots at 200 ms: 160 requests/s, and every rate with it) for a box
  # whose CPU cannot carry the gateway at 640 requests/s plus a flood at twice that.
  SLOTS=32; LATENCY_MS=${BENCH_FAIR_LATENCY_MS:-50}
  fair_gateway() { # policy -> starts the embedded gateway with that scheduling policy, waits for it; sets FAIR_PID
    start "gateway-$1" env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning Gateway__AdminKey="$ADMIN" \
      MockProvider__Enabled=false Gateway__Frontend__Mode=Embedded Cluster__ClusterId="bench-fair-$1" \
      Cluster__SiloPort="$GW_SILO" Cluster__GatewayPort="$GW_GATE" Gateway__Scheduling__Policy="$1" \
      Gateway__Models__fair__Deployments__0__Provider=fairup Gateway__Models__fair__Deployments__0__UpstreamModel=fair-model \
      Gateway__Models__fair__Deployments__0__MaxConcurrent="$SLOTS" \
      Gateway__Models__fair__InputPricePerMillionUsd=1 Gateway__Models__fair__OutputPricePerMillionUsd=1 \
      Providers__fairup__BaseUrl="http://127.0.0.1:$MOCK/d/fair/v1" \
      dotnet "$FRONTEND_DLL" --urls "http://127.0.0.1:$GW"; FAIR_PID=$LAST_PID
    wait_http "http://127.0.0.1:$GW/health/ready" 90 "$FAIR_PID"
  }
  stop_pid() { kill -TERM "$1" 2>/dev/null || true; for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; kill -KILL "$1" 2>/dev/null || true; }
  fair_run() { # policy scenarios [jitter ms] -> RESULT lines
    TOOL fairness --url "http://127.0.0.1:$GW" --admin "$ADMIN" --mock "http://127.0.0.1:$MOCK/d/fair" --model fair \
      --prefix "$1" --slots "$SLOTS" --latency-ms "$LATENCY_MS" --latency-jitter-ms "${3:-${BENCH_FAIR_JITTER_MS:-0}}" --duration 10 --warmup 2 --prewarm 8 --scenarios "$2" 2>>"$LOGS/fairness-errors.log" | grep '^RESULT'
  }
  log "fairness: mock provider :$MOCK (deployment 'fair', ${LATENCY_MS} ms per request), gateway :$GW ($SLOTS slots)"
  start mock dotnet "$MOCK_DLL" "--MockProvider:Url=http://127.0.0.1:$MOCK"; MOCK_PID=$LAST_PID
  wait_http "http://127.0.0.1:$MOCK/health" 30 "$MOCK_PID"
  curl -sS -m 5 -X PUT "http://127.0.0.1:$MOCK/d/fair/mock/latency" -H 'Content-Type: application/json' -d "{\"latency_ms\":$LATENCY_MS}" > /dev/null
  fair_gateway Fair
  log "fairness: policy Fair: victims alone, under a flood, four tiers backlogged, a sleeper (~75 s)"
  FAIR_LINES=$(fair_run fair alone,flood,tiers,sleeper)
  # The same two scenarios with each answer's latency spread within FAIR_SPREAD_MS of the mean (same capacity): with every
  # answer taking exactly the same time, requests that finish together are replaced together, so the slots come free in
  # a few groups a cycle and a victim waits for the next group; a real provider's latencies vary with each answer.
  FAIR_SPREAD_MS=$(( LATENCY_MS / 5 ))
  log "fairness: policy Fair, each answer within ${FAIR_SPREAD_MS} ms of ${LATENCY_MS} ms: victims alone, under a flood (~35 s)"
  SPREAD_LINES=$(fair_run spread alone,flood "$FAIR_SPREAD_MS")
  stop_pid "$FAIR_PID"
  fair_gateway Fifo
  log "fairness: policy Fifo (first come, first served): the flood again"
  FIFO_LINES=$(fair_run fifo flood)
  stop_pid "$FAIR_PID"
  echo "$FAIR_LINES" | sed 's/^RESULT /fair  /'
  echo "$FIFO_LINES" | sed 's/^RESULT /fifo  /'
  echo "$SPREAD_LINES" | sed 's/^RESULT /spread /'
  pick() { grep "scenario=$2 " <<< "$1" | head -1 | sed -n "s/.* $3=\([^ ]*\).*/\1/p"; }
  max_conc=$( { echo "$FAIR_LINES"; echo "$FIFO_LINES"; echo "$SPREAD_LINES"; } | sed -n 's/.* max_upstream_concurrency=\([0-9]*\).*/\1/p' | sort -n | tail -1)
  echo "spread: latency_spread_ms=$FAIR_SPREAD_MS victim_p99_alone_ms=$(pick "$SPREAD_LINES" alone victim_p99_ms) victim_p99_flood_ms=$(pick "$SPREAD_LINES" flood victim_p99_ms) victims_served_pct=$(pick "$SPREAD_LINES" flood victims_served_pct) jain=$(pick "$SPREAD_LINES" flood jain) utilisation_pct=$(pick "$SPREAD_LINES" flood utilisation_pct)"
  echo "fifo: victim_p99_alone_ms=$(pick "$FAIR_LINES" alone victim_p99_ms) victim_p99_flood_ms=$(pick "$FIFO_LINES" flood victim_p99_ms) victims_served_pct=$(pick "$FIFO_LINES" flood victims_served_pct) jain=$(pick "$FIFO_LINES" flood jain) utilisation_pct=$(pick "$FIFO_LINES" flood utilisation_pct)"
  echo "fairness: victim_p99_alone_ms=$(pick "$FAIR_LINES" alone victim_p99_ms) victim_p99_flood_ms=$(pick "$FAIR_LINES" flood victim_p99_ms) victims_served_pct=$(pick "$FAIR_LINES" flood victims_served_pct) jain=$(pick "$FAIR_LINES" flood jain) tier_shares=$(pick "$FAIR_LINES" tiers tier_shares) max_upstream_concurrency=$max_conc utilisation_pct=$(pick "$FAIR_LINES" flood utilisation_pct)"
  log "fairness: done in $(( $(date +%s) - STARTED_AT ))s"
  exit 0
fi

# ---------------------------------------------------------------- upstreams
nginx_conf() { # dir, server blocks
  mkdir -p "$1/logs" "$1/tmp"
  cat > "$1/nginx.conf" <<EOF
daemon off;
master_process on;
user root;
worker_processes 2;
pid $1/nginx.pid;
error_log $1/logs/error.log warn;
events { worker_connections 4096; multi_accept on; }
http {
  access_log off;
  client_body_temp_path $1/tmp/body;
  proxy_temp_path $1/tmp/proxy;
  fastcgi_temp_path $1/tmp/fastcgi;
  uwsgi_temp_path $1/tmp/uwsgi;
  scgi_temp_path $1/tmp/scgi;
  keepalive_requests 10000000;
  keepalive_timeout 120s;
  $2
}
EOF
}

ESCAPED_STREAM=${STREAM_BODY//\'/\\\'}
nginx_conf "$WORK/nginx-upstream" "
  server {
    listen 127.0.0.1:$UP;
    location = /v1/chat/completions { default_type application/json; return 200 '$COMPLETION'; }
    location = /sv1/chat/completions { default_type text/event-stream; return 200 '$ESCAPED_STREAM'; }
    location = /a/v1/messages { default_type text/event-stream; return 200 '${ANTHROPIC_STREAM_BODY//\'/\\\'}'; }
  }"
nginx_conf "$WORK/nginx-proxy" "
  upstream fixed { server 127.0.0.1:$UP; keepalive 256; }
  upstream mock { server 127.0.0.1:$MOCK; keepalive 256; }
  proxy_http_version 1.1;
  proxy_set_header Connection \"\";
  proxy_buffering off;
  server { listen 127.0.0.1:$PROXY; location / { proxy_pass http://fixed; } }
  server { listen 127.0.0.1:$PROXY_MOCK; location / { proxy_pass http://mock; } }"

gateway_env=(
  ASPNETCORE_ENVIRONMENT=Production
  Logging__LogLevel__Default=Warning
  Gateway__AdminKey="$ADMIN"
  MockProvider__Enabled=false
  # gpt-4.1 -> fixed completion, gemini-2.5-flash -> fixed stream, claude-sonnet-4.5 -> the fixed Anthropic stream,
  # deepseek-v3.2 -> the mock provider (the built-in catalog: configuring a model would replace it)
  Providers__openai__BaseUrl="http://127.0.0.1:$UP/v1"
  # the fixed stream speaks OpenAI's format, kind openai: this row measures pass-through, not translation to Gemini
  Providers__gemini__Kind=openai
  Providers__gemini__BaseUrl="http://127.0.0.1:$UP/sv1"
  # kind anthropic (its built-in kind): /v1/messages passes natively, chat completions are translated (scenario 1c)
  Providers__anthropic__BaseUrl="http://127.0.0.1:$UP/a"
  Providers__deepseek__BaseUrl="http://127.0.0.1:$MOCK/v1"
)
[[ $TELEMETRY == 1 && -n ${BENCH_TELEMETRY:-} ]] && { echo "--telemetry sets each gateway's telemetry itself: unset BENCH_TELEMETRY" >&2; exit 2; }
case "${BENCH_TELEMETRY:-}" in
  "") ;;
  on) gateway_env+=(Gateway__Telemetry__Tracing=true OTEL_TRACES_SAMPLER=parentbased_always_on) ;;
  off) gateway_env+=(OTEL_SDK_DISABLED=true) ;;
  *) echo "BENCH_TELEMETRY must be on, off or unset, not '$BENCH_TELEMETRY'" >&2; exit 2 ;;
esac
fact telemetry "${BENCH_TELEMETRY:-default}"

if [[ $DURABLE_ONLY == 1 || $TELEMETRY == 1 ]]; then
  log "starting the upstream: nginx (fixed completion) :$UP"
  start nginx-upstream "$NGINX" -p "$WORK/nginx-upstream" -c "$WORK/nginx-upstream/nginx.conf"; UP_PID=$LAST_PID
  wait_http "http://127.0.0.1:$UP/" 20 "$UP_PID"
else
  log "starting upstreams: nginx (fixed completion) :$UP, mock provider :$MOCK"
  start nginx-upstream "$NGINX" -p "$WORK/nginx-upstream" -c "$WORK/nginx-upstream/nginx.conf"; UP_PID=$LAST_PID
  start mock dotnet "$MOCK_DLL" "--MockProvider:Url=http://127.0.0.1:$MOCK"; MOCK_PID=$LAST_PID

  # ---------------------------------------------------------------- contenders
  log "starting contenders: nginx proxy :$PROXY, Portkey $PORTKEY_VERSION :$PORTKEY, gateway embedded :$GW, split :$SPLIT"
  start nginx-proxy "$NGINX" -p "$WORK/nginx-proxy" -c "$WORK/nginx-proxy/nginx.conf"; PROXY_PID=$LAST_PID
  start portkey env NODE_ENV=production node -r "$BENCH/portkey/loopback.cjs" "$PORTKEY_JS" "--port=$PORTKEY" --headless; PORTKEY_PID=$LAST_PID

  start gateway env "${gateway_env[@]}" Gateway__Frontend__Mode=Embedded Cluster__ClusterId=bench-embedded \
    Cluster__SiloPort="$GW_SILO" Cluster__GatewayPort="$GW_GATE" \
    dotnet "$FRONTEND_DLL" --urls "http://127.0.0.1:$GW"; GW_PID=$LAST_PID
  start silo env "${gateway_env[@]}" Cluster__ClusterId=bench-split \
    Cluster__SiloPort="$SPLIT_SILO" Cluster__GatewayPort="$SPLIT_GATE" \
    dotnet "$SILO_DLL" --urls "http://127.0.0.1:$SPLIT_SILO_HTTP"; SILO_PID=$LAST_PID

  wait_http "http://127.0.0.1:$UP/" 20 "$UP_PID"
  wait_http "http://127.0.0.1:$MOCK/health" 30 "$MOCK_PID" || wait_http "http://127.0.0.1:$MOCK/" 5 "$MOCK_PID"
  wait_http "http://127.0.0.1:$PROXY/" 20 "$PROXY_PID"
  wait_http "http://127.0.0.1:$PORTKEY/" 30 "$PORTKEY_PID"
  wait_http "http://127.0.0.1:$SPLIT_SILO_HTTP/health/ready" 60 "$SILO_PID"
  start frontend env "${gateway_env[@]}" Gateway__Frontend__Mode=Client Cluster__ClusterId=bench-split \
    Cluster__SiloPort="$SPLIT_SILO" Cluster__GatewayPort="$SPLIT_GATE" \
    dotnet "$FRONTEND_DLL" --urls "http://127.0.0.1:$SPLIT"; FRONTEND_PID=$LAST_PID
  wait_http "http://127.0.0.1:$GW/health/ready" 60 "$GW_PID"
  wait_http "http://127.0.0.1:$SPLIT/health/ready" 60 "$FRONTEND_PID"
  if ss -ltnp 2>/dev/null | grep -E "pid=($PORTKEY_PID)," | grep -qv '127.0.0.1:'; then
    echo "Portkey listens beyond loopback; refusing to go on" >&2; exit 1
  fi
fi

admin() { # method, base url, path, [json]
  curl -sS -m 10 -X "$1" "$2$3" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' ${4:+-d "$4"}
}
LIMITS='"tier":"platinum","limits":{"requestsPerMinute":10000000,"tokensPerMinute":1000000000,"maxConcurrent":100000}'
tenant_key() { # base url, tenant id -> prints a new key of a new high-limit tenant
  admin POST "$1" /admin/tenants "{\"id\":\"$2\",$LIMITS}" > /dev/null
  admin POST "$1" "/admin/tenants/$2/keys" | sed -n 's/.*"key":"\([^"]*\)".*/\1/p'
}
usage_requests() { admin GET "$1" "/admin/tenants/$2/usage" | sed -n 's/.*"requests":\([0-9]*\).*/\1/p'; }
if [[ $DURABLE_ONLY == 0 && $TELEMETRY == 0 ]]; then
  GW_KEY=$(tenant_key "http://127.0.0.1:$GW" bench)
  SPLIT_KEY=$(tenant_key "http://127.0.0.1:$SPLIT" bench)
  [[ $GW_KEY == sk-* && $SPLIT_KEY == sk-* ]] || { echo "could not create the benchmark tenants" >&2; exit 1; }
fi

# ---------------------------------------------------------------- measurement helpers
tree_pids() { # root pid -> it and its descendants
  local p=$1
  echo "$p"
  for c in $(cat /proc/"$p"/task/*/children 2>/dev/null); do tree_pids "$c"; done
}
cpu_ticks() { # pids... -> utime+stime in clock ticks, summed over their trees
  local total=0 p f
  for root in "$@"; do
    for p in $(tree_pids "$root"); do
      f=$(cut -d' ' -f14,15 < /proc/"$p"/stat 2>/dev/null | sed 's/)//') || continue
      [[ -n $f ]] && total=$(( total + ${f% *} + ${f#* } ))
    done
  done
  echo "$total"
}
rss_kib() { # field (VmRSS|VmHWM), pids... -> summed over their trees, KiB
  local field=$1 total=0 p v; shift
  for root in "$@"; do
    for p in $(tree_pids "$root"); do
      v=$(awk -v f="$field:" '$1 == f { print $2 }' /proc/"$p"/status 2>/dev/null || true)
      total=$(( total + ${v:-0} ))
    done
  done
  echo "$total"
}
HZ=$(getconf CLK_TCK)

# Contender table: name, url, extra headers, pids, non-stream path/body model, stream path/model.
NONSTREAM_BODY='{"model":"gpt-4.1","messages":[{"role":"user","content":"Hello!"}],"max_tokens":16}'
STREAM_REQ='{"model":"gemini-2.5-flash","messages":[{"role":"user","content":"Hello!"}],"max_tokens":16,"stream":true}'
MOCK_BODY='{"model":"deepseek-v3.2","messages":[{"role":"user","content":"Hello!"}],"max_tokens":16}'
MOCK_STREAM_REQ='{"model":"deepseek-v3.2","messages":[{"role":"user","content":"Hello!"}],"max_tokens":16,"stream":true,"stream_options":{"include_usage":true}}'
CONTENDERS="direct nginx portkey gateway split"
c_pids() { case $1 in direct) [[ ${2:-fixed} == mock ]] && echo "$MOCK_PID" || echo "$UP_PID";; nginx) echo "$PROXY_PID";; portkey) echo "$PORTKEY_PID";; gateway) echo "$GW_PID";; split) echo "$SILO_PID $FRONTEND_PID";; durable) echo "$GWD_PID $PG_PID";; esac; }
# c_target contender upstream(fixed|mock) stream(0|1) -> "url|headers|key"
c_target() {
  local path=/v1; [[ $2 == fixed && $3 == 1 ]] && path=/sv1
  local up=$UP; [[ $2 == mock ]] && up=$MOCK
  case $1 in
    direct) echo "http://127.0.0.1:$up$path/chat/completions||" ;;
    nginx) local p=$PROXY; [[ $2 == mock ]] && p=$PROXY_MOCK; echo "http://127.0.0.1:$p$path/chat/completions||" ;;
    portkey) echo "http://127.0.0.1:$PORTKEY/v1/chat/completions|x-portkey-provider: openai|x-portkey-custom-host: http://127.0.0.1:$up$path|" ;;
    gateway) echo "http://127.0.0.1:$GW/v1/chat/completions||$GW_KEY" ;;
    split) echo "http://127.0.0.1:$SPLIT/v1/chat/completions||$SPLIT_KEY" ;;
    durable) echo "http://127.0.0.1:$GWD/v1/chat/completions||$GWD_KEY" ;;
  esac
}
c_body() { # upstream stream
  if [[ $1 == mock ]]; then [[ $2 == 1 ]] && echo "$MOCK_STREAM_REQ" || echo "$MOCK_BODY"
  else [[ $2 == 1 ]] && echo "$STREAM_REQ" || echo "$NONSTREAM_BODY"; fi
}

kv() { sed -n "s/.*[ ]$1=\([^ ]*\).*/\1/p" <<< " $2"; }
# post_wrk threads conns seconds url -> RESULT line (the body and headers in BENCH_* of the environment)
post_wrk() {
  timeout $(( $3 + 30 )) wrk -t"$1" -c"$2" -d"${3}s" --timeout 10s -s "$BENCH/lua/post.lua" "$4" 2>&1 | grep '^RESULT' || echo "RESULT requests=0 duration_us=1 status_errors=0 socket_errors=1"
}

# ---------------------------------------------------------------- --telemetry: what metrics and tracing cost
# Embedded gateways over the fixed upstream, one per telemetry setting (five here, two at the end of --quick), loaded
# at the same time (16 connections each): they share the box's speed of the moment, which swings by a quarter between runs seconds apart on
# a shared 2-core machine and would drown a difference of a few percent between runs made one after the other. Each
# round gives each setting's throughput and its gateway's CPU per request; the ratios to "off" are taken per round and
# their medians reported (cpu_pct, rps_pct). The CPU ratio is the figure to read: under shared load the kernel divides
# the cores among the gateways by their runnable threads, not evenly, so the throughput ratios say less (one run had
# tracing at 100% cost 1.8% of throughput and metrics alone 6.3%); CPU per request is what each setting adds, and bounds
# what a gateway saturating a box alone loses in throughput (less, as the client and upstream share the box). The Orleans dashboard is off in all of them: it is not metrics or tracing, it costs the same
# with or without them per grain call (its profiler), and OTEL_SDK_DISABLED would stop its statistics in "off" alone.
# The order the gateways are started and warmed in may show (the same two settings, "tracing" started first then "off"
# first, 10 rounds each: +2.2% and +6.7%; identical gateways warmed together: the first 1% cheaper), and each pair of
# processes has a cost of its own besides (the same build in two gateways, 16 rounds: rounds within 2.5% of each other,
# pairs apart by up to 2%: what the JIT made of each), so each comparison runs in several passes of fresh gateways,
# started in the order given and in reverse by turns, and the ratios of every pass's rounds make the medians.
# telemetry_compare passes rounds-per-pass seconds warm setting... (off, metrics, tracing, tracing10, tracing100) ->
# per-pass ratios, per-setting lines, then "telemetry:". "tracing" is tracing as a gateway has it when turned on: its
# default sampler, 1% of the requests that come without a sampled or unsampled traceparent (wrk's).
telemetry_compare() {
  local passes=$1 rounds=$2 seconds=$3 warm=$4; shift 4
  local names=("$@") reversed=() k p
  for (( k=${#names[@]}-1; k>=0; k-- )); do reversed+=("${names[k]}"); done
  : > "$WORK/telemetry.tsv"
  for (( p=0; p<passes; p++ )); do
    if (( p % 2 == 0 )); then
      telemetry_pass "$(( p + 1 ))" "$rounds" "$seconds" "$warm" "${names[@]}"
    else
      telemetry_pass "$(( p + 1 ))" "$rounds" "$seconds" "$warm" "${reversed[@]}"
    fi
  done
  telemetry_summary
}

# telemetry_pass pass rounds seconds warm setting...: starts one gateway per setting in that order, warms each, loads
# them together for the rounds (rows appended to telemetry.tsv as "pass-round"), then stops them.
telemetry_pass() {
  local pass=$1 rounds=$2 seconds=$3 warm=$4; shift 4
  local -A settings=([off]="OTEL_SDK_DISABLED=true" [metrics]="" [tracing]="Gateway__Telemetry__Tracing=true"
    [tracing10]="Gateway__Telemetry__Tracing=true OTEL_TRACES_SAMPLER=parentbased_traceidratio OTEL_TRACES_SAMPLER_ARG=0.1"
    [tracing100]="Gateway__Telemetry__Tracing=true OTEL_TRACES_SAMPLER=parentbased_always_on")
  TEL_NAMES=("$@"); TEL_PID=(); TEL_PORT=(); TEL_KEY=()
  local i n=${#TEL_NAMES[@]} tel_port tel_silo tel_gate
  log "telemetry: ${n} gateways (${TEL_NAMES[*]}), started together"
  for (( i=0; i<n; i++ )); do
    alloc tel_port tel_silo tel_gate
    # shellcheck disable=SC2086
    start "gateway-${TEL_NAMES[i]}" env "${gateway_env[@]}" ${settings[${TEL_NAMES[i]}]} Gateway__Frontend__Mode=Embedded Gateway__Dashboard__Enabled=false \
      Cluster__ClusterId="bench-telemetry-$i" Cluster__SiloPort="$tel_silo" Cluster__GatewayPort="$tel_gate" \
      dotnet "$FRONTEND_DLL" --urls "http://127.0.0.1:$tel_port"
    TEL_PID[i]=$LAST_PID; TEL_PORT[i]=$tel_port
  done
  for (( i=0; i<n; i++ )); do
    wait_http "http://127.0.0.1:${TEL_PORT[i]}/health/ready" 90 "${TEL_PID[i]}"
    TEL_KEY[i]=$(tenant_key "http://127.0.0.1:${TEL_PORT[i]}" bench)
    [[ ${TEL_KEY[i]} == sk-* ]] || { echo "could not create the tenant of gateway ${TEL_NAMES[i]}" >&2; exit 1; }
  done
  tel_load() { # seconds [gateway] -> one RESULT line per gateway loaded (all, or the one given), in order
    local i pids=() which=()
    if [[ -n ${2:-} ]]; then which=("$2"); else for (( i=0; i<${#TEL_NAMES[@]}; i++ )); do which+=("$i"); done; fi
    for i in "${which[@]}"; do
      BENCH_BODY=$NONSTREAM_BODY BENCH_HEADERS="Authorization: Bearer ${TEL_KEY[i]}" BENCH_DELAY_MS=0 BENCH_KEYS= \
        post_wrk 1 16 "$1" "http://127.0.0.1:${TEL_PORT[i]}/v1/chat/completions" > "$WORK/telemetry-$i.out" &
      pids+=($!)
    done
    wait "${pids[@]}" || true
    for i in "${which[@]}"; do cat "$WORK/telemetry-$i.out"; done
  }
  # JIT tiering needs load before a gateway runs at its steady cost (the settings differ in how much code they run, so
  # a cold one would be charged its JIT): each gets it alone, then all run together for a few seconds before the first
  # round.
  for (( i=0; i<n; i++ )); do
    log "telemetry: warming ${TEL_NAMES[i]} up alone (${warm}s)"
    tel_load "$warm" "$i" > /dev/null
  done
  tel_load 5 > /dev/null
  local round summary ticks total dur se so ok before lines pid
  for round in $(seq 1 "$rounds"); do
    before=(); for (( i=0; i<n; i++ )); do before[i]=$(cpu_ticks "${TEL_PID[i]}"); done
    mapfile -t lines < <(tel_load "$seconds")
    summary="pass $pass round $round:"
    for (( i=0; i<n; i++ )); do
      ticks=$(( $(cpu_ticks "${TEL_PID[i]}") - before[i] ))
      total=$(kv requests "${lines[i]}"); dur=$(kv duration_us "${lines[i]}"); se=$(kv status_errors "${lines[i]}"); so=$(kv socket_errors "${lines[i]}")
      ok=$(( total - se ))
      printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$pass-$round" "${TEL_NAMES[i]}" "$ok" "$dur" "$ticks" "$(( se + so ))" >> "$WORK/telemetry.tsv"
      summary+=" ${TEL_NAMES[i]} $(( ok * 1000000 / dur )) req/s"
    done
    log "telemetry: $summary"
  done
  for pid in "${TEL_PID[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${TEL_PID[@]}"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
}

# telemetry_summary: per setting its median per pass of each round's CPU ratio to "off"; the median throughput and CPU
# per request, and the medians of each round's CPU and throughput ratios to "off", over the rounds of every pass; then
# the "telemetry:" line.
telemetry_summary() {
  python3 - "$WORK/telemetry.tsv" "$HZ" <<'PY'
import statistics, sys
from collections import defaultdict
rows = [line.split('\t') for line in open(sys.argv[1]).read().splitlines()]
hz = int(sys.argv[2])
rounds = defaultdict(dict)
errors = defaultdict(int)
names = []
for rnd, name, ok, dur, ticks, err in rows:
    ok, dur, ticks = int(ok), int(dur), int(ticks)
    errors[name] += int(err)
    if name not in names:
        names.append(name)
    rounds[rnd][name] = (ok / (dur / 1e6), ticks / hz / ok * 1e6 if ok else float('nan'))
med = statistics.median
passes = defaultdict(list)
for rnd in rounds:
    passes[rnd.split('-')[0]].append(rnd)
for name in [n for n in names if n != 'off']:
    per_pass = [100 * (med([rounds[r][name][1] / rounds[r]['off'][1] for r in rnds]) - 1) for rnds in passes.values()]
    print(f"telemetry  {name} cpu_per_request_pct per pass: " + " ".join(f"{x:+.1f}" for x in per_pass))
summary = []
for name in names:
    rps = med([r[name][0] for r in rounds.values()])
    us = med([r[name][1] for r in rounds.values()])
    line = f"telemetry  setting={name} rps={rps:.0f} cpu_us_per_request={us:.1f} errors={errors[name]}"
    if name != 'off':
        cpu = 100 * (med([r[name][1] / r['off'][1] for r in rounds.values()]) - 1)
        paired = 100 * (med([r[name][0] / r['off'][0] for r in rounds.values()]) - 1)
        line += f" cpu_per_request_pct={cpu:+.1f} rps_pct={paired:+.1f}"
        summary.append(f"{name}_cpu_pct={cpu:+.1f} {name}_rps_pct={paired:+.1f}")
    print(line)
off = med([r['off'][1] for r in rounds.values()])
print(f"telemetry: off_cpu_us={off:.1f} " + " ".join(summary) + f" rounds={len(rounds)}")
PY
}
if [[ $TELEMETRY == 1 ]]; then
  telemetry_compare 2 "${BENCH_TELEMETRY_ROUNDS:-4}" 6 20 off metrics tracing tracing10 tracing100
  log "telemetry: done in $(( $(date +%s) - STARTED_AT ))s"
  exit 0
fi

# run_wrk contender upstream conns seconds [delay_ms] [keys_file] -> RESULT line (non-streaming)
run_wrk() {
  local target url headers key
  target=$(c_target "$1" "$2" 0)
  url=${target%%|*}; key=${target##*|}; headers=${target#*|}; headers=${headers%|*}
  local threads=2; (( $3 < 2 )) && threads=1
  BENCH_BODY=$(c_body "$2" 0) BENCH_HEADERS="$headers${key:+|Authorization: Bearer $key}" BENCH_DELAY_MS=${5:-0} BENCH_KEYS=${6:-} \
    post_wrk "$threads" "$3" "$4" "$url"
}
# run_stream contender upstream conns seconds -> RESULT line
run_stream() {
  local target url headers key args=()
  target=$(c_target "$1" "$2" 1)
  url=${target%%|*}; key=${target##*|}; headers=${target#*|}; headers=${headers%|*}
  IFS='|' read -ra hs <<< "$headers"
  for h in "${hs[@]}"; do [[ -n $h ]] && args+=(--header "$h"); done
  [[ -n $key ]] && args+=(--key "$key")
  timeout $(( $4 + 60 )) dotnet "$TOOL_DLL" stream --url "$url" --conc "$3" --duration "$4" --body "$(c_body "$2" 1)" "${args[@]}" 2>>"$LOGS/stream-errors.log" \
    | grep '^RESULT' || echo "RESULT requests=0 errors=1 rps=0"
}

# record scenario contender mode conns run rps p50 p90 p99 ttfb50 ttfb99 errors cpu_per_1k
record() { local IFS=$'\t'; echo "$*" >> "$RESULTS"; }

measure() { # scenario upstream contender mode(plain|stream) conns run seconds [delay_ms] [keys]
  local scenario=$1 up=$2 c=$3 mode=$4 conns=$5 run=$6 secs=$7 delay=${8:-0} keys=${9:-}
  local pids before after line requests errors rps p50 p90 p99 t50=- t99=-
  pids=$(c_pids "$c" "$up")
  # shellcheck disable=SC2086
  before=$(cpu_ticks $pids)
  if [[ $mode == stream ]]; then
    line=$(run_stream "$c" "$up" "$conns" "$secs")
    requests=$(kv requests "$line"); errors=$(kv errors "$line"); rps=$(kv rps "$line")
    p50=$(kv p50 "$line"); p90=$(kv p90 "$line"); p99=$(kv p99 "$line"); t50=$(kv ttfb_p50 "$line"); t99=$(kv ttfb_p99 "$line")
  else
    line=$(run_wrk "$c" "$up" "$conns" "$secs" "$delay" "$keys")
    local total dur se so
    total=$(kv requests "$line"); dur=$(kv duration_us "$line"); se=$(kv status_errors "$line"); so=$(kv socket_errors "$line")
    errors=$(( se + so )); requests=$(( total - se ))
    rps=$(awk -v r="$requests" -v d="$dur" 'BEGIN { printf "%.0f", r / (d / 1e6) }')
    p50=$(awk -v v="$(kv p50_us "$line")" 'BEGIN { printf "%.3f", v / 1000 }')
    p90=$(awk -v v="$(kv p90_us "$line")" 'BEGIN { printf "%.3f", v / 1000 }')
    p99=$(awk -v v="$(kv p99_us "$line")" 'BEGIN { printf "%.3f", v / 1000 }')
  fi
  # shellcheck disable=SC2086
  after=$(cpu_ticks $pids)
  local cpu1k
  cpu1k=$(awk -v t=$(( after - before )) -v hz="$HZ" -v n="${requests:-0}" 'BEGIN { if (n > 0) printf "%.3f", t / hz / n * 1000; else print "-" }')
  record "$scenario" "$c" "$mode" "$conns" "$run" "${rps:-0}" "${p50:-}" "${p90:-}" "${p99:-}" "$t50" "$t99" "${errors:-0}" "$cpu1k"
  log "$(printf '%-14s %-8s %-6s c=%-3s run %s: %7s req/s  p50 %s ms  p99 %s ms  ttfb p50 %s  errors %s  cpu %s s/1k' \
    "$scenario" "$c" "$mode" "$conns" "$run" "$rps" "$p50" "$p99" "$t50" "$errors" "$cpu1k")"
  LAST_REQUESTS=$requests
  LAST_ERRORS=$errors
}

warm() { # upstream contender mode conns
  if [[ $3 == stream ]]; then run_stream "$2" "$1" "$4" "$WARM" > /dev/null; else run_wrk "$2" "$1" "$4" "$WARM" > /dev/null; fi
}

if [[ $DURABLE_ONLY == 0 ]]; then
  # ---------------------------------------------------------------- warm-up
  # The JIT-compiled contenders (.NET tiered compilation, V8) reach their steady state only after some thousands of
  # requests; a 1-3 s warm-up per run is not enough for them the first time, so each gets a longer one first.
  # A gateway needs ~20 s of load on this box before its tiered JIT settles (measured 2026-12-01: 1,673, 2,366, 2,956,
  # 5,568, then ~9,000 req/s in successive 5 s windows), so its plain warm-up is longer (GW_PREWARM); the streaming
  # one runs mostly the same code after it.
  log "warming up Portkey (${PREWARM}s plain and streaming) and the gateways (${GW_PREWARM}s plain, ${PREWARM}s streaming)"
  for c in portkey gateway split; do
    warm_s=$PREWARM; [[ $c != portkey ]] && warm_s=$GW_PREWARM
    run_wrk "$c" fixed 64 "$warm_s" > /dev/null
    run_stream "$c" fixed 64 "$PREWARM" > /dev/null
  done

  # ---------------------------------------------------------------- scenario 1: throughput at fixed concurrency
  log "scenario 1: fixed concurrency ($CONNS connections, ${DUR}s per run, $REPS run(s) each), fixed upstream"
  for mode in plain stream; do
    conns_list=$CONNS; [[ $mode == stream ]] && conns_list=$STREAM_CONNS
    for conns in $conns_list; do
      for c in $CONTENDERS; do
        warm fixed "$c" "$mode" "$conns"
        for run in $(seq 1 "$REPS"); do measure concurrency fixed "$c" "$mode" "$conns" "$run" "$DUR"; done
      done
    done
  done

  # Streams of one answer in three ways through the embedded gateway: OpenAI pass-through (scenario 1's row), Anthropic's
  # Messages API passed natively to an anthropic-kind provider, and OpenAI chat translated to Anthropic and back.
  log "scenario 1c: Anthropic streams through the embedded gateway (${STREAM_CONNS##* } connections): native /v1/messages, OpenAI-to-Anthropic translated"
  anthropic_stream() { # label url body [header] -> measured row
    local before after line requests cpu1k args=(--key "$GW_KEY")
    [[ -n ${4:-} ]] && args+=(--header "$4")
    timeout $(( WARM + 60 )) dotnet "$TOOL_DLL" stream --url "$2" --conc "${STREAM_CONNS##* }" --duration "$WARM" --body "$3" "${args[@]}" > /dev/null 2>>"$LOGS/stream-errors.log" || true
    for run in $(seq 1 "$REPS"); do
      before=$(cpu_ticks "$GW_PID")
      line=$(timeout $(( DUR + 60 )) dotnet "$TOOL_DLL" stream --url "$2" --conc "${STREAM_CONNS##* }" --duration "$DUR" --body "$3" "${args[@]}" 2>>"$LOGS/stream-errors.log" | grep '^RESULT' || echo "RESULT requests=0 errors=1 rps=0")
      after=$(cpu_ticks "$GW_PID")
      requests=$(kv requests "$line")
      cpu1k=$(awk -v t=$(( after - before )) -v hz="$HZ" -v n="${requests:-0}" 'BEGIN { if (n > 0) printf "%.3f", t / hz / n * 1000; else print "-" }')
      record anthropic "$1" stream "${STREAM_CONNS##* }" "$run" "$(kv rps "$line")" "$(kv p50 "$line")" "$(kv p90 "$line")" "$(kv p99 "$line")" "$(kv ttfb_p50 "$line")" "$(kv ttfb_p99 "$line")" "$(kv errors "$line")" "$cpu1k"
      log "$(printf '%-14s %-10s stream c=%-3s run %s: %7s streams/s  p50 %s ms  p99 %s ms  ttfb p50 %s  errors %s  cpu %s s/1k' \
        anthropic "$1" "${STREAM_CONNS##* }" "$run" "$(kv rps "$line")" "$(kv p50 "$line")" "$(kv p99 "$line")" "$(kv ttfb_p50 "$line")" "$(kv errors "$line")" "$cpu1k")"
    done
  }
  anthropic_stream messages "http://127.0.0.1:$GW/v1/messages" \
    '{"model":"claude-sonnet-4.5","max_tokens":16,"stream":true,"messages":[{"role":"user","content":"Hello!"}]}' "anthropic-version: 2023-06-01"
  anthropic_stream translated "http://127.0.0.1:$GW/v1/chat/completions" \
    '{"model":"claude-sonnet-4.5","messages":[{"role":"user","content":"Hello!"}],"max_tokens":16,"stream":true}'

  log "scenario 1b: the mock provider as upstream (64 connections)"
  mock_modes="plain"; [[ $MOCK_STREAM == 1 ]] && mock_modes="plain stream"
  for mode in $mock_modes; do
    for c in $CONTENDERS; do
      warm mock "$c" "$mode" 64
      measure mock-upstream mock "$c" "$mode" 64 1 "$DUR"
    done
  done

  # ---------------------------------------------------------------- scenario 2: fixed rate (added latency)
  for rate in $RATES; do
    # wrk's delay() pauses each connection before its next request: rate ~= connections * 1000 / delay.
    if (( rate <= 200 )); then conns=4; else conns=10; fi
    delay=$(( conns * 1000 / rate ))
    log "scenario 2: fixed rate ~$rate req/s ($conns connections, ${delay} ms pause each)"
    for c in $CONTENDERS; do
      run_wrk "$c" fixed "$conns" "$WARM" "$delay" > /dev/null
      measure "rate-$rate" fixed "$c" plain "$conns" 1 "$DUR" "$delay"
    done
  done

  for c in $CONTENDERS; do
    # shellcheck disable=SC2086
    fact "peak_rss_kib_$c" "$(rss_kib VmHWM $(c_pids "$c"))"
  done
  fact "portkey_version" "$PORTKEY_VERSION"

  # ---------------------------------------------------------------- scenario 3: one hot tenant, all accounted
  log "scenario 3: one hot tenant (64 connections, all load on one key)"
  HOT_KEY=$(tenant_key "http://127.0.0.1:$GW" hot)
  GW_KEY_SAVED=$GW_KEY; GW_KEY=$HOT_KEY
  run_wrk gateway fixed 64 "$WARM" > /dev/null
  before_usage=$(usage_requests "http://127.0.0.1:$GW" hot)
  measure hot-tenant fixed gateway plain 64 1 "$DUR"
  sleep 1
  after_usage=$(usage_requests "http://127.0.0.1:$GW" hot)
  GW_KEY=$GW_KEY_SAVED
  fact hot_tenant_ok "$LAST_REQUESTS"
  fact hot_tenant_errors "$LAST_ERRORS"
  fact hot_tenant_accounted "$(( after_usage - before_usage ))"

  # ---------------------------------------------------------------- scenario 4: many tenants; memory per tenant grain
  log "scenario 4: $TENANTS tenants, one key each: memory per active tenant, then load spread over all keys"
  KEYS=$WORK/keys.txt
  heap0=$(TOOL heap --pid "$GW_PID" | sed -n 's/.*heap_bytes=\([0-9-]*\).*/\1/p')
  rss0=$(rss_kib VmRSS "$GW_PID")
  setup=$(TOOL setup --url "http://127.0.0.1:$GW" --admin "$ADMIN" --prefix t --count "$TENANTS" --conc 32 --keys-out "$KEYS" | grep '^RESULT')
  log "created: $setup"
  heap1=$(TOOL heap --pid "$GW_PID" | sed -n 's/.*heap_bytes=\([0-9-]*\).*/\1/p')
  touch_line=$(TOOL touch --url "http://127.0.0.1:$GW" --keys "$KEYS" --conc 32 --body "$NONSTREAM_BODY" | grep '^RESULT')
  log "one request per tenant: $touch_line"
  heap2=$(TOOL heap --pid "$GW_PID" | sed -n 's/.*heap_bytes=\([0-9-]*\).*/\1/p')
  rss2=$(rss_kib VmRSS "$GW_PID")
  fact tenants "$TENANTS"
  fact heap_before "$heap0"; fact heap_created "$heap1"; fact heap_active "$heap2"
  fact rss_before_kib "$rss0"; fact rss_active_kib "$rss2"
  fact tenant_setup "$(kv seconds "$setup")s failures=$(kv failures "$setup")"
  fact touch_errors "$(kv errors "$touch_line")"
  GW_KEY_SAVED=$GW_KEY; GW_KEY=
  run_wrk gateway fixed 64 "$WARM" 0 "$KEYS" > /dev/null
  for run in $(seq 1 "$REPS"); do
    # measure uses run_wrk with the keys file: requests rotate over all tenants
    measure many-tenants fixed gateway plain 64 "$run" "$DUR" 0 "$KEYS"
  done
  GW_KEY=$GW_KEY_SAVED
  fact peak_rss_kib_gateway_after_tenants "$(rss_kib VmHWM "$GW_PID")"
fi

# ---------------------------------------------------------------- scenario 5: the durable gateway
# The embedded gateway again, now with PostgreSQL grain storage and the PostgreSQL usage ledger (group commit; a
# response returns once its ledger row is committed): everything on. Started only now, so that it does not add its idle
# cost to the runs above; its CPU column counts the gateway and PostgreSQL (postmaster and backends) together.
if [[ $DURABLE == 1 ]]; then
  deps_ready
  log "starting the durable gateway :$GWD (Cluster:Storage=PostgreSql, PostgreSQL on port $(sed -n 's/.*Port=\([0-9]*\).*/\1/p' <<< "$PG_CONN"))"
  start gateway-durable env "${gateway_env[@]}" Gateway__Frontend__Mode=Embedded Cluster__ClusterId=bench-durable \
    Cluster__SiloPort="$GWD_SILO" Cluster__GatewayPort="$GWD_GATE" Cluster__Storage=PostgreSql ConnectionStrings__Gateway="$PG_CONN" \
    dotnet "$FRONTEND_DLL" --urls "http://127.0.0.1:$GWD"; GWD_PID=$LAST_PID
  wait_http "http://127.0.0.1:$GWD/health/ready" 90 "$GWD_PID"
  GWD_KEY=$(tenant_key "http://127.0.0.1:$GWD" bench)
  DURABLE_HOT_KEY=$(tenant_key "http://127.0.0.1:$GWD" hot)
  [[ $GWD_KEY == sk-* && $DURABLE_HOT_KEY == sk-* ]] || { echo "could not create the durable gateway's tenants" >&2; exit 1; }
  fact pg_version "$(sql 'SHOW server_version')"
  fact pg_fsync "$(sql 'SHOW fsync')"
  fact pg_synchronous_commit "$(sql 'SHOW synchronous_commit')"
  log "warming up the durable gateway (${DURABLE_PREWARM}s)"
  run_wrk durable fixed 64 "$DURABLE_PREWARM" > /dev/null

  if [[ $DURABLE_CONCURRENCY == 1 ]]; then
    log "scenario 5a: the durable gateway at 64 connections (${DUR}s per run, $REPS run(s)), fixed upstream"
    warm fixed durable plain 64
    for run in $(seq 1 "$REPS"); do measure concurrency fixed durable plain 64 "$run" "$DUR"; done
  fi

  ledger_rows() { sql "SELECT count(*) FROM usage_ledger WHERE tenant_id = '$1'" || echo; }
  # WAL flushes to disk (fdatasync), about one per group commit (PostgreSQL 14+; approximate: statistics are flushed
  # by each backend at most once a second, and the WAL writer's own flushes count too).
  wal_syncs() { sql "SELECT wal_sync FROM pg_stat_wal" 2> /dev/null || echo; }
  log "scenario 5b: one hot tenant on the durable gateway (64 connections, all load on one key)"
  GWD_KEY_SAVED=$GWD_KEY; GWD_KEY=$DURABLE_HOT_KEY
  run_wrk durable fixed 64 "$WARM" > /dev/null
  sleep 1   # what wrk left in flight settles before the counts are read
  fact loadavg_durable "$(cut -d' ' -f1-3 /proc/loadavg)"
  before_usage=$(usage_requests "http://127.0.0.1:$GWD" hot); before_rows=$(ledger_rows hot); before_syncs=$(wal_syncs)
  measure hot-tenant fixed durable plain 64 1 "$DUR"
  sleep 1
  after_usage=$(usage_requests "http://127.0.0.1:$GWD" hot); after_rows=$(ledger_rows hot); after_syncs=$(wal_syncs)
  GWD_KEY=$GWD_KEY_SAVED
  fact durable_hot_tenant_ok "$LAST_REQUESTS"
  fact durable_hot_tenant_errors "$LAST_ERRORS"
  fact durable_hot_tenant_accounted "$(( ${after_usage:-0} - ${before_usage:-0} ))"
  fact durable_hot_tenant_ledger_rows "$(( ${after_rows:-0} - ${before_rows:-0} ))"
  [[ -n $before_syncs && -n $after_syncs ]] && fact durable_hot_tenant_wal_syncs "$(( after_syncs - before_syncs ))"
  # Over the tenants' whole lives (warm-ups included): one ledger row per request their usage counts.
  total_hot=$(usage_requests "http://127.0.0.1:$GWD" hot); total_bench=$(usage_requests "http://127.0.0.1:$GWD" bench)
  fact durable_usage_total "$(( ${total_hot:-0} + ${total_bench:-0} ))"
  fact durable_ledger_rows_total "$(sql "SELECT count(*) FROM usage_ledger WHERE tenant_id IN ('hot', 'bench')" || echo)"
  # shellcheck disable=SC2046
  fact peak_rss_kib_durable "$(rss_kib VmHWM $(c_pids durable))"
fi

# ---------------------------------------------------------------- table
fact machine "$(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo), $(uname -sr)"
fact date "$(date -u +%Y-%m-%d)"
fact elapsed_s "$(( $(date +%s) - STARTED_AT ))"
python3 "$BENCH/report.py" "$RESULTS" "$FACTS"

# ---------------------------------------------------------------- --quick: what metrics and tracing cost
# --telemetry's comparison for the two settings issue 13 asks about: off, and on ("tracing": every meter, and tracing at
# its default sampling, 1%), each warmed up alone 8 s (the hosts promote hot code at once: CallCountingDelayMs=0), then
# 3 rounds of 5 s; four such passes of fresh gateways, started in either order by turns (~3.5 min in all). Metrics alone, tracing at 10% and at 100% are --telemetry's; each gateway more
# sharing the two cores reads every setting's cost higher (metrics alone read +1.7% and +3.6% against "off" in two runs
# of two gateways, +4.7% and +5.4% in two of three, +4.9% in one of five). The gateways and contenders of the runs
# above are stopped first, so that only these two share the box with the load and the fixed upstream. Left out when BENCH_TELEMETRY sets every gateway's telemetry.
if [[ $QUICK == 1 && $DURABLE_ONLY == 0 && -z ${BENCH_TELEMETRY:-} ]]; then
  for pid in "$FRONTEND_PID" "$SILO_PID" "$GW_PID" "$PORTKEY_PID" "$PROXY_PID" "$MOCK_PID"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$FRONTEND_PID" "$SILO_PID" "$GW_PID" "$PORTKEY_PID" "$PROXY_PID" "$MOCK_PID"; do
    for _ in $(seq 1 100); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
  done
  telemetry_compare 4 3 5 8 off tracing
fi
