#!/usr/bin/env python3
"""Prints bench/run.sh's table from its results.tsv and facts.txt, ending with the one-line summary and the durable line."""
import sys
from collections import defaultdict

results_path, facts_path = sys.argv[1], sys.argv[2]
COLUMNS = ["scenario", "contender", "mode", "conns", "run", "rps", "p50", "p90", "p99", "ttfb50", "ttfb99", "errors", "cpu1k"]
rows = []
with open(results_path) as f:
    for line in f:
        values = line.rstrip("\n").split("\t")
        if len(values) == len(COLUMNS):
            rows.append(dict(zip(COLUMNS, values)))
facts = {}
with open(facts_path) as f:
    for line in f:
        if "=" in line:
            k, v = line.rstrip("\n").split("=", 1)
            facts[k] = v


def num(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


def fmt(v, digits=2):
    return "-" if v is None else f"{v:.{digits}f}"


index = {(r["scenario"], r["contender"], r["mode"], r["conns"], r["run"]): r for r in rows}


def peer(r, contender):
    return index.get((r["scenario"], contender, r["mode"], r["conns"], r["run"]))


header = ["scenario", "contender", "mode", "conns", "run", "req/s", "p50 ms", "p90 ms", "p99 ms", "+p50 ms", "+p99 ms",
          "ttfb p50", "ttfb p99", "+ttfb p50", "errors", "CPU s/1k req", "x nginx", "x portkey"]
table = []
for r in rows:
    direct, nginx, portkey = peer(r, "direct"), peer(r, "nginx"), peer(r, "portkey")
    rps = num(r["rps"])

    def added(field):
        if direct is None or r["contender"] == "direct":
            return None
        a, b = num(r[field]), num(direct[field])
        return None if a is None or b is None else a - b

    def ratio(other):
        if other is None or other is r:
            return None
        o = num(other["rps"])
        return None if not o or rps is None else rps / o

    table.append([r["scenario"], r["contender"], r["mode"], r["conns"], r["run"], fmt(rps, 0), fmt(num(r["p50"])),
                  fmt(num(r["p90"])), fmt(num(r["p99"])), fmt(added("p50")), fmt(added("p99")), fmt(num(r["ttfb50"])),
                  fmt(num(r["ttfb99"])), fmt(added("ttfb50")), r["errors"], fmt(num(r["cpu1k"]), 3),
                  fmt(ratio(nginx)), fmt(ratio(portkey))])

widths = [max(len(str(x)) for x in col) for col in zip(header, *table)]
print(f"# Gateway benchmark, {facts.get('date', '?')}, {facts.get('machine', '?')}"
      + (f", Portkey {facts['portkey_version']}" if "portkey_version" in facts else ""))
print("| " + " | ".join(h.ljust(w) for h, w in zip(header, widths)) + " |")
print("| " + " | ".join("-" * w for w in widths) + " |")
for row in table:
    print("| " + " | ".join(str(x).rjust(w) if i >= 3 else str(x).ljust(w) for i, (x, w) in enumerate(zip(row, widths))) + " |")
print()
print("Latency in ms; +p50/+p99/+ttfb: added over direct-to-upstream in the same configuration; streaming rows: p50..p99")
print("are whole streams, ttfb the time to the first chunk; CPU: user+system seconds of the contender's processes per")
print("1,000 requests; x nginx / x portkey: requests/s ratio in the same configuration. rate-N rows: wrk paced at ~N req/s.")
if any(r["contender"] == "durable" for r in rows):
    print("durable: the embedded gateway with PostgreSQL grain storage and ledger; its CPU includes PostgreSQL's processes.")
print()


def mean(values):
    values = [v for v in values if v is not None]
    return sum(values) / len(values) if values else None


def pick(scenario, contender, mode, conns, field):
    return mean([num(r[field]) for r in rows if r["scenario"] == scenario and r["contender"] == contender
                 and r["mode"] == mode and r["conns"] == conns])



# The durable gateway (PostgreSQL grain storage and ledger): present when bench/run.sh ran scenario 5.
durable_rps = pick("hot-tenant", "durable", "plain", "64", "rps")
durable_gateway_rps = pick("concurrency", "durable", "plain", "64", "rps")
d_ok, d_err, d_acc, d_rows, d_syncs = (num(facts.get(f"durable_hot_tenant_{k}")) for k in ("ok", "errors", "accounted", "ledger_rows", "wal_syncs"))
d_usage_total, d_rows_total = num(facts.get("durable_usage_total")), num(facts.get("durable_ledger_rows_total"))
d_accounted = d_ok is not None and d_acc is not None and d_ok <= d_acc <= d_ok + 64
d_ledgered = d_acc is not None and d_rows is not None and d_rows == d_acc and d_usage_total is not None and d_rows_total == d_usage_total
full = any(r["contender"] != "durable" for r in rows)


def durable_facts():
    if durable_rps is None:
        return
    print(f"Hot tenant, durable (PostgreSQL {facts.get('pg_version', '?')}, fsync={facts.get('pg_fsync', '?')}, "
          f"synchronous_commit={facts.get('pg_synchronous_commit', '?')}): {fmt(durable_rps, 0)} req/s; wrk saw {fmt(d_ok, 0)} x 200 "
          f"and {fmt(d_err, 0)} errors, the tenant's usage counted {fmt(d_acc, 0)} requests "
          f"({'all accounted' if d_accounted else 'MISMATCH'}) and its ledger gained {fmt(d_rows, 0)} rows "
          f"({'one per request' if d_rows is not None and d_rows == d_acc else 'MISMATCH'}) with {fmt(d_syncs, 0)} WAL flushes "
          f"(~{fmt(d_rows / d_syncs if d_rows and d_syncs else None, 1)} rows per group commit); over the durable tenants' lives "
          f"{fmt(d_rows_total, 0)} ledger rows for "
          f"{fmt(d_usage_total, 0)} requests counted ({'equal' if d_rows_total == d_usage_total and d_rows_total is not None else 'MISMATCH'}).")
    kib = num(facts.get("peak_rss_kib_durable"))
    print(f"Durable gateway peak RSS (gateway + PostgreSQL): {fmt(kib / 1024 if kib else None, 0)} MiB. Machine load average "
          f"(1/5/15 min) at the start: {facts.get('loadavg_start', '?')}, before the durable hot tenant: {facts.get('loadavg_durable', '?')}.")


def durable_verdict_row():
    if durable_rps is not None:
        print(f"| hot tenant >= 2,000 req/s with the durable ledger, all accounted, one ledger row each | {fmt(durable_rps, 0)} req/s, "
              f"{'accounted' if d_accounted else 'not accounted'}, {fmt(d_rows, 0)} rows for {fmt(d_acc, 0)} requests | "
              f"{verdict(durable_rps >= 2000 and d_accounted and d_ledgered)} |")


def verdict(ok):
    return "met" if ok else "MISSED"


def durable_line():
    if durable_rps is not None:
        print(f"durable: hot_tenant_rps={i(durable_rps)} wrk_ok={i(d_ok)} usage={i(d_acc)} ledger_rows={i(d_rows)} "
              f"accounted={'yes' if d_accounted and d_ledgered else 'no'} gateway_rps={i(durable_gateway_rps)}")


def i(v):
    return "NaN" if v is None else str(int(round(v)))


if not full:
    durable_facts()
    print()
    print("| target | measured | |")
    print("| --- | --- | --- |")
    durable_verdict_row()
    print()
    print(f"elapsed: {facts.get('elapsed_s', '?')} s")
    durable_line()
    sys.exit(0)

print("| contender | peak RSS MiB |")
print("| --- | --- |")
for c in ["direct", "nginx", "portkey", "gateway", "split"] + (["durable"] if "peak_rss_kib_durable" in facts else []):
    kib = num(facts.get(f"peak_rss_kib_{c}"))
    print(f"| {c} | {fmt(kib / 1024 if kib else None, 0)} |")
print()

tenants = num(facts.get("tenants")) or 1
heap0, heap1, heap2 = (num(facts.get(k)) for k in ("heap_before", "heap_created", "heap_active"))
rss0, rss2 = num(facts.get("rss_before_kib")), num(facts.get("rss_active_kib"))
bytes_per_grain = (heap2 - heap0) / tenants if heap0 and heap2 and heap0 > 0 and heap2 > 0 else None
rss_per_tenant = (rss2 - rss0) * 1024 / tenants if rss0 and rss2 else None
print(f"Tenants: {int(tenants)} created in {facts.get('tenant_setup', '?')}; one request each: {facts.get('touch_errors', '?')} errors.")
print(f"Live managed heap after a full GC: {fmt(heap0 / 2**20 if heap0 else None, 1)} MiB before, "
      f"{fmt(heap1 / 2**20 if heap1 else None, 1)} MiB once created, {fmt(heap2 / 2**20 if heap2 else None, 1)} MiB once each served a request "
      f"-> {fmt(bytes_per_grain, 0)} bytes per active tenant (tenant grain, key grain, caches); RSS grew "
      f"{fmt(rss_per_tenant, 0)} bytes per tenant.")
hot_ok, hot_acc, hot_err = num(facts.get("hot_tenant_ok")), num(facts.get("hot_tenant_accounted")), num(facts.get("hot_tenant_errors"))
hot_rps = pick("hot-tenant", "gateway", "plain", "64", "rps")
accounted = hot_ok is not None and hot_acc is not None and hot_ok <= hot_acc <= hot_ok + 64
print(f"Hot tenant: {fmt(hot_rps, 0)} req/s; wrk saw {fmt(hot_ok, 0)} x 200 and {fmt(hot_err, 0)} errors, the tenant's usage "
      f"counted {fmt(hot_acc, 0)} requests ({'all accounted' if accounted else 'MISMATCH'}; up to 64 in flight at wrk's stop are "
      f"served but not counted by wrk).")
durable_facts()
print()

gateway_rps = pick("concurrency", "gateway", "plain", "64", "rps")
split_rps = pick("concurrency", "split", "plain", "64", "rps")
portkey_rps = pick("concurrency", "portkey", "plain", "64", "rps")
nginx_rps = pick("concurrency", "nginx", "plain", "64", "rps")
rate_conns = next((r["conns"] for r in rows if r["scenario"] == "rate-200"), "4")


def added_at(scenario, contender, field):
    a = pick(scenario, contender, "plain", rate_conns if scenario == "rate-200" else "10", field)
    b = pick(scenario, "direct", "plain", rate_conns if scenario == "rate-200" else "10", field)
    return None if a is None or b is None else a - b


added50, added99 = added_at("rate-200", "gateway", "p50"), added_at("rate-200", "gateway", "p99")
stream_errors = sum(int(r["errors"]) for r in rows if r["contender"] == "gateway" and r["mode"] == "stream" and r["conns"] == "64")
stream_ttfb_added = mean([num(r["ttfb50"]) - num(index[(r["scenario"], "direct", r["mode"], r["conns"], r["run"])]["ttfb50"])
                          for r in rows if r["contender"] == "gateway" and r["mode"] == "stream" and r["scenario"] == "concurrency"
                          and (r["scenario"], "direct", r["mode"], r["conns"], r["run"]) in index
                          and num(r["ttfb50"]) is not None])
portkey_ttfb_added = mean([num(r["ttfb50"]) - num(index[(r["scenario"], "direct", r["mode"], r["conns"], r["run"])]["ttfb50"])
                           for r in rows if r["contender"] == "portkey" and r["mode"] == "stream" and r["scenario"] == "concurrency"
                           and (r["scenario"], "direct", r["mode"], r["conns"], r["run"]) in index
                           and num(r["ttfb50"]) is not None])


print("| target | measured | |")
print("| --- | --- | --- |")
print(f"| added p50 < 1 ms at 200 req/s (embedded) | {fmt(added50)} ms | {verdict(added50 is not None and added50 < 1)} |")
print(f"| added p99 < 3 ms at 200 req/s (embedded) | {fmt(added99)} ms | {verdict(added99 is not None and added99 < 3)} |")
if any(r["scenario"] == "rate-1000" for r in rows):
    a50, a99 = added_at("rate-1000", "gateway", "p50"), added_at("rate-1000", "gateway", "p99")
    print(f"| added p50 < 1 ms / p99 < 3 ms at 1,000 req/s | {fmt(a50)} / {fmt(a99)} ms | {verdict(a50 is not None and a99 is not None and a50 < 1 and a99 < 3)} |")
print(f"| 64 conns: >= 5x Portkey | {fmt(gateway_rps / portkey_rps if gateway_rps and portkey_rps else None)}x | "
      f"{verdict(gateway_rps and portkey_rps and gateway_rps >= 5 * portkey_rps)} |")
print(f"| 64 conns: >= 25% of nginx | {fmt(100 * gateway_rps / nginx_rps if gateway_rps and nginx_rps else None, 0)}% | "
      f"{verdict(gateway_rps and nginx_rps and gateway_rps >= 0.25 * nginx_rps)} |")
print(f"| hot tenant >= 2,000 req/s, all accounted | {fmt(hot_rps, 0)} req/s, {'accounted' if accounted else 'not accounted'} | "
      f"{verdict(hot_rps and hot_rps >= 2000 and accounted)} |")
durable_verdict_row()
print(f"| memory per active tenant grain < 4 KiB | {fmt(bytes_per_grain, 0)} bytes | {verdict(bytes_per_grain is not None and bytes_per_grain < 4096)} |")
print(f"| streaming: no added delay to first chunk, 0 errors at 64 | +{fmt(stream_ttfb_added)} ms ttfb (Portkey +{fmt(portkey_ttfb_added)}), "
      f"{stream_errors} errors | {verdict(stream_errors == 0 and stream_ttfb_added is not None and stream_ttfb_added < 1)} |")
print()
print(f"elapsed: {facts.get('elapsed_s', '?')} s")


print(f"summary: gateway_rps={i(gateway_rps)} split_rps={i(split_rps)} portkey_rps={i(portkey_rps)} nginx_rps={i(nginx_rps)} "
      f"added_p50_ms={fmt(added50)} added_p99_ms={fmt(added99)} hot_tenant_rps={i(hot_rps)} bytes_per_grain={i(bytes_per_grain)}")
durable_line()
