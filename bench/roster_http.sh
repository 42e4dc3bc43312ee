#!/usr/bin/env bash
# Case 2 and case 5 of the benchmarks: the roster over HTTP, and the FastCGI program's memory.
#
# A stack of its own (scripts/stack.sh, run directory under /tmp, port 18280 or the next free
# one) with 1M agents in 1,000 workspaces of 1,000, 20,000 crews of 50, one member and one
# token per workspace. Then, alternately for ROUNDS rounds of RUN_SECONDS each:
#
#   HTTP      wrk, 2 threads, 32 connections, through nginx, the FastCGI program and
#             presence.http_roster: each request a random crew with its workspace's token
#   json_agg  pgbench, prepared, 4 clients, the plain SQL a user would write for the same
#             body (json_agg of the crew's rows in the contract's shape), a random crew of
#             the same set per transaction, as the superuser with no checks at all
#   static    wrk, 2 threads, 32 connections, an nginx serving one 50-agent roster body
#             saved as a file: the ceiling of the HTTP layer on this machine
#
# and prints the ratios, p50/p99, non-2xx responses, the CPU time each part spent per
# request, and the FastCGI program's RSS every 5 s during the HTTP runs and during a further
# MEMORY_SECONDS run at the same load. Everything it starts is stopped, and its directory
# removed, on exit.
#
# The FastCGI program runs 4 worker threads unless PRESENCE_FCGI_THREADS says otherwise: as
# many database sessions as pgbench has clients. On a 2-CPU machine where wrk, nginx, the
# program and PostgreSQL share the CPUs, 4 also serves more requests than the stack's
# default of 8 (bench/RESULTS-http.md has both).
set -euo pipefail
cd "$(dirname "$0")"
. ./http_lib.sh

RUN_SECONDS=${RUN_SECONDS:-30}
ROUNDS=${ROUNDS:-2}
MEMORY_SECONDS=${MEMORY_SECONDS:-60}
WARMUP_SECONDS=${WARMUP_SECONDS:-5}
CONNECTIONS=${CONNECTIONS:-32}
SAMPLE_SECONDS=5

export PRESENCE_FCGI_THREADS=${PRESENCE_FCGI_THREADS:-4}
hb_init bench-http
hb_machine
hb_stack_start "${SHARED_BUFFERS:-2GB}"
hb_load_data 1000 1000
# The sweep would scan the 1M agents every minute and, five minutes after the load, hold
# back every workspace: a read benchmark runs without it (bench/soak.sh runs it).
hb_psql -At -c "SELECT presence.unschedule_sweep()" >/dev/null
hb_print_settings

export ROSTER_PAIRS=$HB_WORK/crews.txt

# The baseline. pgbench takes every :name as a variable, even inside a string literal, so
# the colons of the time format are written as \x3a.
cat >"$HB_WORK/json_agg.sql" <<'SQL'
\set c random(0, 19999)
\set w :c / 20
SELECT json_build_object('rows', coalesce(json_agg(json_strip_nulls(json_build_object(
           'agent_id', agent_id, 'crew_id', crew_id, 'status', status,
           'since', to_char(since AT TIME ZONE 'UTC', E'YYYY-MM-DD"T"HH24\x3aMI\x3aSS.US"Z"'),
           'details', details)) ORDER BY agent_id), '[]'),
       'count', count(*))
FROM presence.agents
WHERE workspace_id = 'ws' || :w::text AND crew_id = 'crw' || :c::text;
SQL

# One crew both ways: the same rows, in the same order, with the same fields.
sample_crew=crw12345
sample_ws=ws617
mkdir -p -m 755 "$HB_WORK/static"
awk -v c=$sample_crew '$1 == c {printf "header = \"Authorization: Bearer %s\"\n", $3}' \
    "$ROSTER_PAIRS" | curl -sS -f -K - -o "$HB_WORK/static/roster.json" \
    "$HB_URL?crew_id=$sample_crew"
chmod 644 "$HB_WORK/static/roster.json"
sed -e '1,2d' -e "s/'ws' || :w::text/'$sample_ws'/" -e "s/'crw' || :c::text/'$sample_crew'/" \
    "$HB_WORK/json_agg.sql" | hb_psql -At >"$HB_WORK/json_agg.json"
python3 - "$HB_WORK/static/roster.json" "$HB_WORK/json_agg.json" <<'PY'
import json, sys
http, plain = (json.load(open(p)) for p in sys.argv[1:])
assert http == plain, "the HTTP body and the json_agg body differ"
assert http["count"] == 50 and len(http["rows"]) == 50
print(f"body check: {sys.argv[1].split('/')[-1]} ({len(open(sys.argv[1]).read())} bytes) "
      "and json_agg give the same 50 rows")
PY

# The static ceiling: an nginx like the stack's (one worker, the same access log format),
# serving the saved body as a file.
static_prefix=$HB_DIR/static-nginx
mkdir -p -m 755 "$static_prefix"
cat >"$static_prefix/nginx.conf" <<EOF
worker_processes 1;
pid $static_prefix/nginx.pid;
error_log $static_prefix/error.log notice;
events { worker_connections 512; }
http {
    client_body_temp_path $static_prefix/temp/client_body;
    fastcgi_temp_path $static_prefix/temp/fastcgi;
    proxy_temp_path $static_prefix/temp/proxy;
    uwsgi_temp_path $static_prefix/temp/uwsgi;
    scgi_temp_path $static_prefix/temp/scgi;
    log_format presence '\$remote_addr [\$time_iso8601] "\$request" \$status '
                        '\$body_bytes_sent \$request_time rid=\$request_id';
    access_log $static_prefix/access.log presence;
    sendfile on;
    keepalive_timeout 30s;
    server_tokens off;
    server {
        listen 127.0.0.1:$HB_PORT2;
        location = /roster.json {
            root $HB_WORK/static;
            default_type application/json;
            add_header Cache-Control no-store;
        }
    }
}
EOF
hb_nginx_start "$static_prefix" "$static_prefix/nginx.conf"
static_url=http://127.0.0.1:$HB_PORT2/

fcgi=$(hb_fcgi_pid)
rss_log=$HB_WORK/rss.txt
: >"$rss_log"

# Runs wrk for $1 seconds against URL $2 with the roster script (ROSTER_PATH may be set),
# sampling the FastCGI program's RSS every SAMPLE_SECONDS into rss_log with label $3. Sets
# the W_* figures, and CPU seconds C_PG C_NGINX C_FCGI C_CLIENT.
wrk_run() {
    local secs=$1 url=$2 label=$3 out=$HB_WORK/wrk.out
    local ngx_pids pg0 ng0 fc0 t=0
    if [ "$url" = "$static_url" ]; then
        ngx_pids="$(head -n 1 "$static_prefix/nginx.pid") $(ps -o pid= --ppid \
            "$(head -n 1 "$static_prefix/nginx.pid")")"
    else
        ngx_pids=$(hb_nginx_pids)
    fi
    # shellcheck disable=SC2086
    pg0=$(hb_pg_ticks); ng0=$(hb_ticks $ngx_pids); fc0=$(hb_ticks "$fcgi")
    local path=
    [ "$url" = "$static_url" ] && path=/roster.json
    (ROSTER_PATH=$path wrk -t2 -c"$CONNECTIONS" -d"${secs}s" --timeout 10s --latency \
        -s roster.lua "$url" >"$out" 2>&1; times >"$out.times") &
    local w=$!
    HB_PIDS+=("$w")
    while kill -0 "$w" 2>/dev/null; do
        sleep 1
        t=$((t + 1))
        if [ -n "$label" ] && [ $((t % SAMPLE_SECONDS)) -eq 0 ] && kill -0 "$w" 2>/dev/null
        then
            echo "$label t=${t}s rss=$(hb_status_kb "$fcgi" VmRSS) hwm=$(hb_status_kb \
                "$fcgi" VmHWM)" >>"$rss_log"
        fi
    done
    wait "$w" || { cat "$out" >&2; hb_die "wrk failed"; }
    hb_forget "$w"
    local hz
    hz=$(getconf CLK_TCK)
    # shellcheck disable=SC2086
    C_PG=$(( $(hb_pg_ticks) - pg0 )); C_NGINX=$(( $(hb_ticks $ngx_pids) - ng0 ))
    C_FCGI=$(( $(hb_ticks "$fcgi") - fc0 ))
    C_PG=$(awk -v t=$C_PG -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}')
    C_NGINX=$(awk -v t=$C_NGINX -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}')
    C_FCGI=$(awk -v t=$C_FCGI -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}')
    C_CLIENT=$(hb_times_cpu "$out.times")
    hb_wrk_parse "$out"
}

# pgbench for $1 seconds; sets P_TPS P_TX P_FAILED and CPU seconds C_PG C_CLIENT.
pgbench_run() {
    local secs=$1 out=$HB_WORK/pgbench.out pg0 hz
    hz=$(getconf CLK_TCK)
    local before
    before=$(hb_pg_children)
    pg0=$(hb_pg_ticks)
    (pgbench -n -c 4 -j 2 -M prepared -T "$secs" -f "$HB_WORK/json_agg.sql" >"$out" 2>&1;
     times >"$out.times") || { cat "$out" >&2; hb_die "pgbench failed"; }
    hb_pg_reaped "$before"
    C_PG=$(awk -v t=$(( $(hb_pg_ticks) - pg0 )) -v hz="$hz" 'BEGIN {printf "%.2f", t / hz}')
    C_CLIENT=$(hb_times_cpu "$out.times")
    P_TPS=$(awk '/^tps/ {print $3}' "$out")
    P_TX=$(awk '/transactions actually processed/ {print $NF}' "$out")
    P_FAILED=$(awk '/number of failed transactions/ {print $5}' "$out")
    [ -n "$P_TPS" ] || { cat "$out" >&2; hb_die "pgbench gave no figures"; }
}

us_per() { awk -v s="$1" -v n="$2" 'BEGIN {printf "%.0f", s * 1e6 / n}'; }

hb_say "warm-up: ${WARMUP_SECONDS}s of each"
wrk_run "$WARMUP_SECONDS" "$HB_URL" ""
pgbench_run "$WARMUP_SECONDS"
wrk_run "$WARMUP_SECONDS" "$static_url" ""
echo "FastCGI program after warm-up: pid $fcgi, $(hb_threads "$fcgi") threads," \
    "RSS $(hb_status_kb "$fcgi" VmRSS) kB, peak $(hb_status_kb "$fcgi" VmHWM) kB;" \
    "database sessions: $(hb_connections)"

results=$HB_WORK/results.txt
: >"$results"
for r in $(seq "$ROUNDS"); do
    hb_say "round $r of $ROUNDS: ${RUN_SECONDS}s each (load average $(cut -d' ' -f1 /proc/loadavg))"
    wrk_run "$RUN_SECONDS" "$HB_URL" "round$r"
    h_rps=$W_RPS h_req=$W_REQ h_p50=$W_P50 h_p99=$W_P99 h_max=$W_MAX h_bad=$W_NON2XX
    h_err=$W_SOCKERR
    h_us=$(us_per "$(awk -v a="$C_PG" -v b="$C_NGINX" -v c="$C_FCGI" -v d="$C_CLIENT" \
        'BEGIN {print a + b + c + d}')" "$h_req")
    h_cpu="postgres $(us_per "$C_PG" "$h_req") + nginx $(us_per "$C_NGINX" "$h_req") +"
    h_cpu="$h_cpu FastCGI $(us_per "$C_FCGI" "$h_req") + wrk $(us_per "$C_CLIENT" "$h_req")"
    echo "  HTTP     $h_rps req/s ($h_req requests), p50 $h_p50 ms, p99 $h_p99 ms," \
        "max $h_max ms, non-2xx $h_bad, socket errors $h_err"

    pgbench_run "$RUN_SECONDS"
    j_us=$(us_per "$(awk -v a="$C_PG" -v b="$C_CLIENT" 'BEGIN {print a + b}')" "$P_TX")
    j_cpu="postgres $(us_per "$C_PG" "$P_TX") + pgbench $(us_per "$C_CLIENT" "$P_TX")"
    echo "  json_agg $P_TPS tx/s ($P_TX transactions, $P_FAILED failed)"

    wrk_run "$RUN_SECONDS" "$static_url" ""
    s_rps=$W_RPS
    s_us=$(us_per "$(awk -v b="$C_NGINX" -v d="$C_CLIENT" 'BEGIN {print b + d}')" "$W_REQ")
    s_cpu="nginx $(us_per "$C_NGINX" "$W_REQ") + wrk $(us_per "$C_CLIENT" "$W_REQ")"
    echo "  static   $s_rps req/s, p99 $W_P99 ms, non-2xx $W_NON2XX"
    echo "  CPU per request: HTTP $h_us us ($h_cpu); json_agg $j_us us ($j_cpu);" \
        "static $s_us us ($s_cpu)"
    echo "$h_rps $P_TPS $s_rps $h_p50 $h_p99 $h_bad $h_err $h_us $j_us" >>"$results"
done

hb_say "memory: ${MEMORY_SECONDS}s more of HTTP at the same load"
rss_before=$(hb_status_kb "$fcgi" VmRSS)
hwm_before=$(hb_status_kb "$fcgi" VmHWM)
wrk_run "$MEMORY_SECONDS" "$HB_URL" "memory"
rss_after=$(hb_status_kb "$fcgi" VmRSS)
hwm_after=$(hb_status_kb "$fcgi" VmHWM)
echo "  HTTP     $W_RPS req/s, p99 $W_P99 ms, non-2xx $W_NON2XX, socket errors $W_SOCKERR"

hb_say "RSS of the FastCGI program (kB), every ${SAMPLE_SECONDS}s of load"
awk '{split($3, a, "="); split($4, b, "="); s[$1] = s[$1] " " a[2]; h[$1] = b[2]}
     END {for (k in s) print "  " k ":" s[k] "  (peak " h[k] ")"}' "$rss_log" | sort

hb_say "summary"
python3 - "$results" "$CONNECTIONS" "$rss_before" "$rss_after" "$hwm_before" "$hwm_after" \
    "$MEMORY_SECONDS" <<'PY'
import sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
conns = sys.argv[2]
rss0, rss1, hwm0, hwm1, mem_s = map(int, sys.argv[3:])
n = len(rows)
mean = lambda i: sum(r[i] for r in rows) / n
h, j, s = mean(0), mean(1), mean(2)
per_round = ", ".join(f"{r[0] / r[1]:.2f}" for r in rows)
print(f"HTTP {h:.0f} req/s / json_agg {j:.0f} tx/s = {h / j:.2f} "
      f"(target >= 1.0; rounds: {per_round})")
print(f"HTTP / static {s:.0f} req/s = {h / s:.2f}")
print(f"p50 {max(r[3] for r in rows):.2f} ms, p99 {max(r[4] for r in rows):.2f} ms at "
      f"{conns} connections (worst round; target p99 < 10 ms)")
print(f"non-2xx {int(sum(r[5] for r in rows))}, socket errors {int(sum(r[6] for r in rows))} "
      "(target 0)")
print(f"CPU per request: HTTP {mean(7):.0f} us / json_agg {mean(8):.0f} us = "
      f"{mean(7) / mean(8):.2f}")
print(f"FastCGI RSS {rss0} kB before and {rss1} kB after {mem_s}s more "
      f"({rss1 - rss0:+d} kB), peak {hwm0} -> {hwm1} kB")
PY
