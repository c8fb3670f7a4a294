#!/usr/bin/env bash
# CPU profile of the embedded gateway under load: nginx serves a fixed completion, wrk drives 64 connections on one
# tenant, dotnet-trace samples the gateway for PROFILE_SECONDS (default 10) and prints the hottest methods.
#   bench/profile.sh [connections]      (run bench/run.sh once first: it installs wrk, nginx and the builds)
set -euo pipefail
BENCH=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$BENCH/.." && pwd)
WORK=$BENCH/.work/profile
mkdir -p "$WORK/nginx/logs" "$WORK/nginx/tmp"
CONNS=${1:-64}
SECONDS_TO_TRACE=${PROFILE_SECONDS:-10}
TOOLS=$BENCH/.work/tools
[[ -x $TOOLS/dotnet-trace ]] || dotnet tool install --tool-path "$TOOLS" dotnet-trace > /dev/null

PIDS=()
cleanup() { for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done; sleep 1; for pid in "${PIDS[@]}"; do kill -KILL "$pid" 2>/dev/null || true; done; }
trap cleanup EXIT
UP=18190; GW=18191
ADMIN="adm-profile-$RANDOM$RANDOM"
COMPLETION='{"id":"chatcmpl-bench","object":"chat.completion","created":1795463062,"model":"gpt-4.1","choices":[{"index":0,"message":{"role":"assistant","content":"Hello world","refusal":null},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":16,"total_tokens":25}}'
cat > "$WORK/nginx/nginx.conf" <<EOF
daemon off; user root; worker_processes 1; pid $WORK/nginx/nginx.pid; error_log $WORK/nginx/logs/error.log warn;
events { worker_connections 4096; }
http { access_log off; client_body_temp_path $WORK/nginx/tmp; keepalive_requests 10000000;
  server { listen 127.0.0.1:$UP; location / { default_type application/json; return 200 '$COMPLETION'; } } }
EOF
"$(command -v nginx || echo /usr/sbin/nginx)" -p "$WORK/nginx" -c "$WORK/nginx/nginx.conf" > "$WORK/nginx.log" 2>&1 & PIDS+=($!)
env ASPNETCORE_ENVIRONMENT=Production Logging__LogLevel__Default=Warning Gateway__AdminKey="$ADMIN" MockProvider__Enabled=false \
  Providers__openai__BaseUrl="http://127.0.0.1:$UP/v1" Cluster__ClusterId=bench-profile Cluster__SiloPort=18192 Cluster__GatewayPort=18193 \
  dotnet "$ROOT/src/ApiFrontend/bin/Release/net10.0/Gateway.ApiFrontend.dll" --urls "http://127.0.0.1:$GW" > "$WORK/gateway.log" 2>&1 & GW_PID=$!; PIDS+=($GW_PID)
for _ in $(seq 1 150); do curl -s -o /dev/null -m 1 "http://127.0.0.1:$GW/health/ready" && break; sleep 0.2; done
curl -s -X POST "http://127.0.0.1:$GW/admin/tenants" -H "Authorization: Bearer $ADMIN" -H 'Content-Type: application/json' \
  -d '{"id":"prof","tier":"platinum","limits":{"requestsPerMinute":10000000,"tokensPerMinute":1000000000,"maxConcurrent":100000}}' > /dev/null
KEY=$(curl -s -X POST "http://127.0.0.1:$GW/admin/tenants/prof/keys" -H "Authorization: Bearer $ADMIN" | sed -n 's/.*"key":"\([^"]*\)".*/\1/p')
export BENCH_BODY='{"model":"gpt-4.1","messages":[{"role":"user","content":"Hello!"}],"max_tokens":16}' BENCH_HEADERS="Authorization: Bearer $KEY"
wrk -t2 -c"$CONNS" -d8s -s "$BENCH/lua/post.lua" "http://127.0.0.1:$GW/v1/chat/completions" | grep RESULT
wrk -t2 -c"$CONNS" -d$((SECONDS_TO_TRACE + 6))s -s "$BENCH/lua/post.lua" "http://127.0.0.1:$GW/v1/chat/completions" > "$WORK/wrk.out" &
WRK=$!; PIDS+=($WRK)
sleep 2
rm -f "$WORK/gateway.nettrace"
"$TOOLS/dotnet-trace" collect -p "$GW_PID" --profile dotnet-common,dotnet-sampled-thread-time --duration "00:00:00:$(printf '%02d' "$SECONDS_TO_TRACE")" -o "$WORK/gateway.nettrace" > "$WORK/trace.log" 2>&1 || true
wait "$WRK" || true
grep RESULT "$WORK/wrk.out"
echo "== hottest methods, exclusive"
"$TOOLS/dotnet-trace" report "$WORK/gateway.nettrace" topN -n 30 2>&1 | tail -n 35
echo "== hottest methods, inclusive"
"$TOOLS/dotnet-trace" report "$WORK/gateway.nettrace" topN -n 60 --inclusive 2>&1 | tail -n 65
