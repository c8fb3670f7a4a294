-- wrk script of bench/run.sh: POSTs BENCH_BODY with optional headers, keys and a fixed pace; prints one RESULT line.
--   BENCH_BODY      request body (JSON)
--   BENCH_HEADERS   extra headers, "name: value" separated by "|"
--   BENCH_KEYS      file of tenant keys, one a line: requests rotate through them (Authorization: Bearer)
--   BENCH_DELAY_MS  per-connection pause before each request (fixed rate = connections * 1000 / delay)
wrk.method = "POST"
wrk.body = os.getenv("BENCH_BODY") or "{}"
wrk.headers["Content-Type"] = "application/json"
local extra = os.getenv("BENCH_HEADERS") or ""
for header in string.gmatch(extra, "[^|]+") do
  local name, value = string.match(header, "^%s*([^:]+):%s*(.-)%s*$")
  if name then wrk.headers[name] = value end
end

local keysFile = os.getenv("BENCH_KEYS")
if keysFile and keysFile ~= "" then
  local keys = {}
  for line in io.lines(keysFile) do
    if line ~= "" then keys[#keys + 1] = line end
  end
  local i = 0
  function init(args)
    -- Threads start at different offsets so that they do not hit the same key in lockstep.
    math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)") or "0", 16) % 100000)
    i = math.random(#keys)
  end
  function request()
    i = i % #keys + 1
    wrk.headers["Authorization"] = "Bearer " .. keys[i]
    return wrk.format()
  end
end

local delayMs = tonumber(os.getenv("BENCH_DELAY_MS") or "0")
if delayMs > 0 then
  function delay() return delayMs end
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT requests=%d duration_us=%d status_errors=%d socket_errors=%d p50_us=%.0f p90_us=%.0f p99_us=%.0f\n",
    summary.requests, summary.duration, e.status, e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99)))
end
