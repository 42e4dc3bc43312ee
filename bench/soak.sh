#!/usr/bin/env bash
# make soak: the stack under a long mixed load, then with kept FastCGI connections.
#
# A stack of its own (scripts/stack.sh as deployed: its settings, 8 FastCGI threads unless
# PRESENCE_FCGI_THREADS says otherwise; run directory under /tmp, port 18280 or the next
# free one) with SOAK_WORKSPACES workspaces of 1,000 agents in crews of 50.
#
# Phase 1, SOAK_SECONDS (default 600) of, at the same time:
#   - wrk, 64 connections, a mix of roster requests answered 200, 401, 403 and 404
#     (bench/soak.lua);
#   - pgbench as a presence_writer role: presence_upsert (any agent) and presence_touch (the
#     first 800 agents of every workspace), SOAK_WRITE_RATE transactions a second;
#   - pg_cron running the sweep every minute with a threshold of SOAK_SWEEP_THRESHOLD, so
#     that agents left without heartbeats are flipped every minute.
# Every SOAK_SAMPLE_SECONDS: the FastCGI program's RSS, database sessions, the HOT share of
# agent updates, the agents table and index sizes, sweeps run and agents flipped.
#
# Phase 2, SOAK_PHASE2_SECONDS (default 60): a second nginx in front of the same program with
# fastcgi_keep_conn on and an upstream keepalive pool of SOAK_PHASE2_POOL (default 32) idle
# connections, more than the program's threads, and wrk at 64 connections: no request may
# take longer than nginx's timeout; after the load the program must answer at once, on a
# kept connection and on a new one.
#
# Exit status non-zero when a check fails: a status outside the mix, a socket error, a
# failed pgbench transaction or sweep in phase 1; a request past nginx's timeout in phase 2;
# no prompt 200 after either phase. docs/reliability.md ("Soak") has the figures.
set -euo pipefail
cd "$(dirname "$0")"
. ./http_lib.sh

# Under about 90 s a run may end before pg_cron's first sweep, which fails the sweep check.
SOAK_SECONDS=${SOAK_SECONDS:-600}
SAMPLE_SECONDS=${SOAK_SAMPLE_SECONDS:-30}
CONNECTIONS=${SOAK_CONNECTIONS:-64}
WRITE_RATE=${SOAK_WRITE_RATE:-400}
WORKSPACES=${SOAK_WORKSPACES:-20}
SWEEP_THRESHOLD=${SOAK_SWEEP_THRESHOLD:-1 minute}
PHASE2_SECONDS=${SOAK_PHASE2_SECONDS:-60}
PHASE2_POOL=${SOAK_PHASE2_POOL:-32}
# The variant's upstream keepalive_timeout: how long an idle kept connection holds a thread.
PHASE2_IDLE=${SOAK_PHASE2_IDLE_SECONDS:-20}
# nginx/presence.conf's fastcgi_read_timeout: the longest a request may wait for the program.
READ_TIMEOUT=5

failures=()
fail() { failures+=("$*"); echo "FAIL: $*"; }

hb_init soak
hb_machine
hb_stack_start
hb_load_data "$WORKSPACES" 1000
hb_print_settings
export ROSTER_PAIRS=$HB_WORK/crews.txt

# The writer: a login role in presence_writer, reached by the invoking OS user through the
# stack's ident map. The sweep every minute with a short threshold.
hb_psql <<SQL >/dev/null
SET client_min_messages = warning;
CREATE ROLE soak_writer LOGIN IN ROLE presence_writer;
GRANT CONNECT ON DATABASE presence TO soak_writer;
SELECT presence.schedule_sweep('* * * * *', '$SWEEP_THRESHOLD');
SELECT pg_stat_reset_single_table_counters('presence.agents'::regclass);
SQL
echo "presence $(id -un) soak_writer" >>"$pgdata/pg_ident.conf"
hb_psql -At -c "SELECT pg_reload_conf()" >/dev/null
t0=$(hb_psql -At -c "SELECT now()")

cat >"$HB_WORK/upsert.sql" <<SQL
\\set w random(0, $WORKSPACES - 1)
\\set a :w * 1000 + random(0, 999)
\\set s random(1, 3)
SELECT status FROM presence.presence_upsert('ws' || :w::text, 'agt' || :a::text,
    (ARRAY['online', 'busy', 'blocked'])[:s::int], NULL,
    CASE WHEN :s::int = 2 THEN '{"current_task_id": "T-1"}'::jsonb END);
SQL
cat >"$HB_WORK/touch.sql" <<SQL
\\set w random(0, $WORKSPACES - 1)
\\set a :w * 1000 + random(0, 799)
SELECT presence.presence_touch('ws' || :w::text, 'agt' || :a::text);
SQL

fcgi=$(hb_fcgi_pid)
samples=$HB_WORK/samples.txt
: >"$samples"

# One line of figures: seconds into the run, then name=value pairs.
sample() {
    local t=$1 db
    db=$(hb_psql -At -F ' ' -v t0="$t0" -v iv="$SAMPLE_SECONDS seconds" <<'SQL'
SELECT 'sessions=' || (SELECT count(*) FROM pg_stat_activity
                       WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()),
       'by_role=' || (SELECT string_agg(usename || ':' || n, ',' ORDER BY usename)
                      FROM (SELECT usename, count(*) AS n FROM pg_stat_activity
                            WHERE backend_type = 'client backend'
                              AND pid <> pg_backend_pid() GROUP BY usename) s),
       'updates=' || n_tup_upd,
       'hot_updates=' || n_tup_hot_upd,
       'hot=' || round(100.0 * n_tup_hot_upd / greatest(n_tup_upd, 1), 1) || '%',
       'dead=' || n_dead_tup,
       'autovacuums=' || autovacuum_count,
       'heap_kB=' || pg_relation_size(relid) / 1024,
       'indexes_kB=' || pg_indexes_size(relid) / 1024,
       'offline=' || (SELECT count(*) FROM presence.agents WHERE status = 'offline'),
       'flipped=' || (SELECT count(*) FROM presence.agents
                      WHERE status = 'offline' AND since > now() - :'iv'::interval),
       'sweeps=' || (SELECT count(*) FILTER (WHERE d.status = 'succeeded') || '/' || count(*)
                     FROM cron.job_run_details d JOIN cron.job j USING (jobid)
                     WHERE j.jobname LIKE 'presence-sweep%' AND d.start_time >= :'t0'),
       'guard_events=' || (SELECT count(*) FROM presence.sweep_guard_events
                           WHERE occurred_at >= :'t0')
FROM pg_stat_user_tables WHERE relid = 'presence.agents'::regclass;
SQL
    )
    [ "$t" = end ] || t=${t}s
    echo "t=$t rss_kB=$(hb_status_kb "$fcgi" VmRSS) peak_kB=$(hb_status_kb "$fcgi" VmHWM)" \
        "threads=$(hb_threads "$fcgi") $db" | tee -a "$samples"
}

# The status and the time of one roster request with a real token through port $1.
probe() {
    local line
    line=$(head -n 1 "$ROSTER_PAIRS")
    printf 'header = "Authorization: Bearer %s"\n' "${line##* }" |
        curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 15 -K - \
        "http://127.0.0.1:$1/api/v1/presence/roster?crew_id=${line%% *}" || true
}

# Checks a probe's answer: 200 within a second.
check_prompt() {
    local what=$1 answer=$2
    echo "$what: status ${answer% *}, ${answer#* } s"
    if [ "${answer% *}" != 200 ] || awk -v t="${answer#* }" 'BEGIN {exit !(t > 1)}'; then
        fail "$what: not a prompt 200 ($answer)"
    fi
}

# --- phase 1 ------------------------------------------------------------------------------

hb_say "phase 1: ${SOAK_SECONDS}s of wrk ($CONNECTIONS connections, mix 200/401/403/404)," \
    "pgbench writes at ${WRITE_RATE}/s, the sweep every minute (threshold $SWEEP_THRESHOLD)"
wrk_out=$HB_WORK/wrk1.out
pgb_out=$HB_WORK/pgbench.out
wrk -t2 -c"$CONNECTIONS" -d"${SOAK_SECONDS}s" --timeout 10s --latency -s soak.lua \
    "$HB_URL" >"$wrk_out" 2>&1 &
wrk_pid=$!
HB_PIDS+=("$wrk_pid")
pgbench -n -U soak_writer -c 4 -j 2 -M prepared -R "$WRITE_RATE" -T "$SOAK_SECONDS" \
    -P "$SAMPLE_SECONDS" -f "$HB_WORK/upsert.sql@1" -f "$HB_WORK/touch.sql@3" \
    >"$pgb_out" 2>&1 &
pgb_pid=$!
HB_PIDS+=("$pgb_pid")

t=0
while kill -0 "$wrk_pid" 2>/dev/null; do
    sleep 1
    t=$((t + 1))
    if [ $((t % SAMPLE_SECONDS)) -eq 0 ] && kill -0 "$wrk_pid" 2>/dev/null; then
        sample "$t"
    fi
done
wait "$wrk_pid" || { cat "$wrk_out"; hb_die "wrk failed"; }
hb_forget "$wrk_pid"
wait "$pgb_pid" || { cat "$pgb_out"; fail "pgbench exited with an error"; }
hb_forget "$pgb_pid"
sample end

hb_say "phase 1 figures"
hb_wrk_parse "$wrk_out"
echo "requests: $W_REQ in ${SOAK_SECONDS}s ($W_RPS/s); latency p50 $W_P50 ms, p99 $W_P99 ms," \
    "max $W_MAX ms"
awk '/^status / {printf "status %s: %s\n", $2, $3}' "$wrk_out" | sort
awk '/^errors / {print "socket errors:", $0}' "$wrk_out"
awk '$1 == "status" && $2 !~ /^(200|401|403|404)$/ {bad = 1} END {exit !bad}' "$wrk_out" &&
    fail "a status outside 200, 401, 403, 404"
for s in 200 401 403 404; do
    grep -q "^status $s " "$wrk_out" || fail "no $s seen"
done
[ "$W_SOCKERR" -eq 0 ] || fail "$W_SOCKERR socket errors"
awk '/^errors / {exit ($3 + $5 + $7 + $9) != 0}' "$wrk_out" || fail "socket errors in the mix"
echo "pgbench: $(awk '/^number of transactions actually processed/ {print $NF}' "$pgb_out")" \
    "transactions ($(awk '/^ - [0-9]+ transactions/ {n[++k] = $2} END {
        print n[1] " presence_upsert, " n[2] " presence_touch"}' "$pgb_out")," \
    "$(awk '/^tps/ {print $3}' "$pgb_out")/s)," \
    "$(awk '/^number of failed transactions/ {print $5, $6}' "$pgb_out") failed," \
    "latency average $(awk '/^latency average/ {print $4, $5}' "$pgb_out")"
failed_tx=$(awk '/^number of failed transactions/ {print $5}' "$pgb_out")
[ "${failed_tx:-1}" = 0 ] || fail "pgbench: ${failed_tx:-?} failed transactions"
sweeps=$(sed -n 's/.* sweeps=\([0-9]*\/[0-9]*\).*/\1/p' "$samples" | tail -n 1)
echo "sweeps succeeded/run: ${sweeps:-none}"
[ -n "$sweeps" ] && [ "${sweeps%/*}" = "${sweeps#*/}" ] && [ "${sweeps%/*}" -gt 0 ] ||
    fail "sweeps: ${sweeps:-none} succeeded"
log_errors() {
    echo "error lines: the FastCGI program $(grep -c 'level=error' "$HB_RUN/fcgi.log" || true)," \
        "the stack's nginx $(grep -c '\[error\]' "$ngx_prefix/error.log" || true)$1"
}
log_errors ""
check_prompt "a request after phase 1" "$(probe "$HB_PORT")"

# --- phase 2 ------------------------------------------------------------------------------

hb_say "phase 2: ${PHASE2_SECONDS}s of wrk ($CONNECTIONS connections, 200s only) through an" \
    "nginx with fastcgi_keep_conn on and keepalive $PHASE2_POOL, idle timeout" \
    "${PHASE2_IDLE}s, against $PRESENCE_FCGI_THREADS threads"
keep=$HB_DIR/keep-nginx
mkdir -p -m 755 "$keep"
sed 's/fastcgi_keep_conn off;/fastcgi_keep_conn on;/' "$hb_top/nginx/presence.conf" \
    >"$keep/presence.conf"
grep -q 'fastcgi_keep_conn on;' "$keep/presence.conf" || hb_die "no fastcgi_keep_conn to turn on"
pool="keepalive $PHASE2_POOL;\\n\\1keepalive_timeout ${PHASE2_IDLE}s;"
sed -e "s|@PREFIX@|$keep|g" -e "s|@PORT@|$HB_PORT2|g" -e "s|@FCGI_SOCKET@|$fcgi_sock|g" \
    -e "s|@PRESENCE_CONF@|$keep/presence.conf|g" \
    -e "s|^\(\s*\)server unix:.*;$|&\n\1$pool|" \
    "$hb_top/nginx/nginx.conf.in" >"$keep/nginx.conf"
grep -q "keepalive $PHASE2_POOL;" "$keep/nginx.conf" || hb_die "no upstream block to add keepalive"
hb_nginx_start "$keep" "$keep/nginx.conf"

wrk2_out=$HB_WORK/wrk2.out
SOAK_MIX=200:1 wrk -t2 -c"$CONNECTIONS" -d"${PHASE2_SECONDS}s" --timeout 15s --latency \
    -s soak.lua "http://127.0.0.1:$HB_PORT2/" >"$wrk2_out" 2>&1 ||
    { cat "$wrk2_out"; hb_die "wrk failed"; }
hb_wrk_parse "$wrk2_out"
echo "requests: $W_REQ in ${PHASE2_SECONDS}s ($W_RPS/s); latency p50 $W_P50 ms," \
    "p99 $W_P99 ms, max $W_MAX ms"
awk '/^status / {printf "status %s: %s\n", $2, $3}' "$wrk2_out" | sort
awk '/^errors / {print "socket errors:", $0}' "$wrk2_out"
awk '/^latency p99.9/ {print "latency p99.9:", $3, "ms"}' "$wrk2_out"
max_s=$(awk -v m="$W_MAX" 'BEGIN {printf "%.2f", m / 1000}')
if awk -v m="$max_s" -v lim="$READ_TIMEOUT" 'BEGIN {exit !(m > lim + 1)}'; then
    fail "a request took ${max_s}s, past nginx's ${READ_TIMEOUT}s timeout"
fi
[ "$W_SOCKERR" -eq 0 ] || fail "$W_SOCKERR socket errors (a request hung past wrk's 15 s)"
log_errors ", the keep-alive nginx $(grep -c '\[error\]' "$keep/error.log" || true)"
grep '\[error\]' "$keep/error.log" | sed 's/^.*\[error\] [0-9#]*: \*[0-9]* //; s/, client:.*//' |
    sort | uniq -c | sort -rn | head -n 3
echo "the FastCGI program: $(hb_threads "$fcgi") threads, pid $(hb_fcgi_pid)" \
    "(was $fcgi), RSS $(hb_status_kb "$fcgi" VmRSS) kB; database sessions: $(hb_connections)"

# After the load: through the keep-alive nginx, on a kept connection; through the stack's
# own nginx, a new connection, which idle kept connections must not keep waiting; again
# once the variant's idle timeout has closed them.
check_prompt "after phase 2, through the keep-alive nginx" "$(probe "$HB_PORT2")"
check_prompt "after phase 2, through the stack's nginx (a new connection)" \
    "$(probe "$HB_PORT")"
sleep $((PHASE2_IDLE + 2))
check_prompt "after the idle timeout (${PHASE2_IDLE}s), through the stack's nginx" \
    "$(probe "$HB_PORT")"
hb_nginx_stop "$keep/nginx.pid"
check_prompt "with the keep-alive nginx stopped, through the stack's nginx" "$(probe "$HB_PORT")"

hb_say "summary"
python3 - "$samples" "$SAMPLE_SECONDS" <<'PY'
import re, sys
rows = []
for line in open(sys.argv[1]):
    d = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
    rows.append(d)
if len(rows) < 2:
    print("too few samples for flatness figures")
    sys.exit(0)
warm = rows[min(len(rows) - 1, max(1, len(rows) // 3))]
last = rows[-1]
for key, name in [("rss_kB", "FastCGI RSS"), ("heap_kB", "agents heap"),
                  ("indexes_kB", "agents indexes")]:
    a, b = int(warm[key]), int(last[key])
    print(f"{name}: {a} kB at {warm['t']} -> {b} kB at {last['t']} ({b - a:+d} kB, "
          f"{100.0 * (b - a) / a:+.1f}%); all samples "
          f"{min(int(r[key]) for r in rows)}..{max(int(r[key]) for r in rows)} kB")
during = [r for r in rows if r["t"] != "end"]
sessions = sorted({r["sessions"] for r in during})
print(f"database client sessions during the load: {', '.join(sessions)} "
      f"({', '.join(sorted({r['by_role'] for r in during}))})")
upd = int(last["updates"]) - int(warm["updates"])
hot = int(last["hot_updates"]) - int(warm["hot_updates"])
print(f"HOT share of agent updates: {last['hot']} of {last['updates']} updates in the whole "
      f"run; {100.0 * hot / max(upd, 1):.1f}% of the {upd} after {warm['t']}")
print(f"agents flipped by the sweep per {sys.argv[2]} s: "
      f"{', '.join(r['flipped'] for r in rows)}; guard events {last['guard_events']}")
PY
if [ ${#failures[@]} -gt 0 ]; then
    echo "soak: ${#failures[@]} check(s) failed:"
    printf '  %s\n' "${failures[@]}"
    exit 1
fi
echo "soak: every check passed"
