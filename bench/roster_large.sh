#!/usr/bin/env bash
# Case 3: the roster of one 10,000-agent workspace. The extension's body
# (presence.http_roster: token, membership and crew checks included) against the plain SQL a
# user would write for the same body with json_agg, run by the superuser with no checks at
# all. pgbench, prepared, 2 clients; alternately, twice; the figure is the mean.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh

AGENTS=${AGENTS:-10000}
RUN_SECONDS=${RUN_SECONDS:-20}
bench_cluster_start
psql -qX -d postgres -c "DROP DATABASE IF EXISTS bench_roster" -c "CREATE DATABASE bench_roster"
psql -qX -d bench_roster -v agents="$AGENTS" <<'SQL' >/dev/null
CREATE EXTENSION presence;
SELECT presence.workspace_create('big');
SELECT presence.crew_create('big', 'crw' || c) FROM generate_series(0, (:agents - 1) / 50) c;
INSERT INTO presence.agents (workspace_id, agent_id, crew_id, status, since, seen_at, details)
    SELECT 'big', 'agt' || a, CASE WHEN a % 10 <> 0 THEN 'crw' || (a / 50) END,
           (ARRAY['online', 'busy', 'blocked', 'offline'])[1 + a % 4], now(), now(),
           CASE a % 4
               WHEN 1 THEN jsonb_build_object('current_task_id', 'T-' || a,
                                              'current_mission_id', 'M-' || (a / 100),
                                              'started_at', now()::text)
               WHEN 2 THEN jsonb_build_object('blocked_reason', 'awaiting_approval',
                                              'approval_id', 'APR-' || a)
               WHEN 3 THEN '{"reason": "idle_timeout"}'::jsonb
           END
    FROM generate_series(0, :agents - 1) a;
SELECT presence.member_add('big', 'reader');
VACUUM ANALYZE;
SQL
token=$(psql -qXAt -d bench_roster -c "SELECT presence.token_issue('reader', 'big')")

cat > "$BENCH_DIR/roster_presence.sql" <<SQL
SELECT presence.http_roster('$token', NULL, NULL);
SQL
# (pgbench reads ":name" as a variable: the time format spells its colons with chr(58).)
cat > "$BENCH_DIR/roster_json_agg.sql" <<'SQL'
SELECT json_build_object('rows', coalesce(json_agg(json_strip_nulls(json_build_object(
           'agent_id', agent_id, 'crew_id', crew_id, 'status', status,
           'since', to_char(since AT TIME ZONE 'UTC',
                            'YYYY-MM-DD"T"HH24' || chr(58) || 'MI' || chr(58) || 'SS.US"Z"'),
           'details', details)) ORDER BY agent_id), '[]'),
       'count', count(*))
FROM presence.agents WHERE workspace_id = 'big';
SQL
chown postgres: "$BENCH_DIR"/*.sql 2>/dev/null || true

# The two bodies carry the same rows, in the same order, with the same values.
psql -qXAt -d bench_roster -f "$BENCH_DIR/roster_presence.sql" > "$BENCH_DIR/presence.json"
psql -qXAt -d bench_roster -f "$BENCH_DIR/roster_json_agg.sql" > "$BENCH_DIR/json_agg.json"
python3 - "$BENCH_DIR/presence.json" "$BENCH_DIR/json_agg.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
same = a == b
print(f"bodies: {a['count']} rows; presence {len(open(sys.argv[1]).read())} bytes, "
      f"json_agg {len(open(sys.argv[2]).read())} bytes; same content: {'yes' if same else 'NO'}")
sys.exit(0 if same else 1)
PY

tps() {
    as_db_user pgbench -n -h "$PGHOST" -p "$PGPORT" -U postgres -c 2 -j 2 -M prepared \
        -T "$RUN_SECONDS" -f "$BENCH_DIR/$1.sql" bench_roster 2>&1 | awk '/^tps/ {print $3}'
}
e1=$(tps roster_presence); j1=$(tps roster_json_agg)
e2=$(tps roster_presence); j2=$(tps roster_json_agg)
python3 - "$e1" "$j1" "$e2" "$j2" "$AGENTS" <<'PY'
import sys
e1, j1, e2, j2, n = map(float, sys.argv[1:])
e, j = (e1 + e2) / 2, (j1 + j2) / 2
print(f"{int(n)}-agent roster: presence {e:.1f} bodies/s, json_agg {j:.1f} bodies/s, "
      f"ratio {e / j:.2f}")
PY
