#!/usr/bin/env bash
# Case 1: the write path. presence_upsert against a plain INSERT ... ON CONFLICT DO UPDATE
# into a table of the same shape with no checks, and presence_touch against a plain
# one-column UPDATE: pgbench, prepared, 4 clients, 1M agents in 1,000 workspaces and
# 20,000 crews of 50. Each pair runs alternately, twice; the figure is the mean of the two.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh

AGENTS=${AGENTS:-1000000}
RUN_SECONDS=${RUN_SECONDS:-30}
bench_cluster_start
bench_load_agents bench_writes "$AGENTS"

psql -qX -d bench_writes <<'SQL'
CREATE SCHEMA plain;
CREATE TABLE plain.agents (
    workspace_id text COLLATE "C" NOT NULL,
    agent_id     text COLLATE "C" NOT NULL,
    crew_id      text COLLATE "C",
    status       text COLLATE "C" NOT NULL,
    since        timestamptz NOT NULL,
    seen_at      timestamptz NOT NULL,
    details      jsonb,
    PRIMARY KEY (workspace_id, agent_id)
) WITH (fillfactor = 80);
CREATE INDEX ON plain.agents (workspace_id, crew_id, agent_id) WHERE crew_id IS NOT NULL;
INSERT INTO plain.agents SELECT * FROM presence.agents;
VACUUM ANALYZE plain.agents;
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'bench_writer') THEN
        CREATE ROLE bench_writer LOGIN;
    END IF;
END $$;
GRANT presence_writer TO bench_writer;
GRANT USAGE ON SCHEMA plain TO bench_writer;
GRANT SELECT, INSERT, UPDATE ON plain.agents TO bench_writer;
SQL

cat > "$BENCH_DIR/upsert_presence.sql" <<SQL
\\set a random(0, $AGENTS - 1)
SELECT presence.presence_upsert('ws' || (:a / 1000), 'agt' || :a, 'busy', 'crw' || (:a / 50),
    '{"current_task_id": "T-42"}');
SQL
cat > "$BENCH_DIR/upsert_plain.sql" <<SQL
\\set a random(0, $AGENTS - 1)
INSERT INTO plain.agents AS a (workspace_id, agent_id, crew_id, status, since, seen_at, details)
    VALUES ('ws' || (:a / 1000), 'agt' || :a, 'crw' || (:a / 50), 'busy',
            statement_timestamp(), statement_timestamp(), '{"current_task_id": "T-42"}')
    ON CONFLICT (workspace_id, agent_id) DO UPDATE
    SET crew_id = coalesce(EXCLUDED.crew_id, a.crew_id), status = EXCLUDED.status,
        since = EXCLUDED.since, seen_at = EXCLUDED.seen_at, details = EXCLUDED.details
    RETURNING a.agent_id, a.crew_id, a.status, a.since, a.details;
SQL
cat > "$BENCH_DIR/touch_presence.sql" <<SQL
\\set a random(0, $AGENTS - 1)
SELECT presence.presence_touch('ws' || (:a / 1000), 'agt' || :a);
SQL
cat > "$BENCH_DIR/touch_plain.sql" <<SQL
\\set a random(0, $AGENTS - 1)
UPDATE plain.agents SET seen_at = statement_timestamp()
    WHERE workspace_id = 'ws' || (:a / 1000) AND agent_id = 'agt' || :a;
SQL
chown postgres: "$BENCH_DIR"/*.sql 2>/dev/null || true

tps() {
    as_db_user pgbench -n -h "$PGHOST" -p "$PGPORT" -U bench_writer -c 4 -j 2 -M prepared \
        -T "$RUN_SECONDS" -f "$BENCH_DIR/$1.sql" bench_writes 2>&1 | awk '/^tps/ {print $3}'
}

hot_share() {
    psql -qXAt -d bench_writes -c "SELECT round(100.0 * n_tup_hot_upd / greatest(n_tup_upd, 1), 1)
        FROM pg_stat_user_tables WHERE schemaname = 'presence' AND relname = 'agents'"
}

report() {
    python3 - "$@" <<'PY'
import sys
name, a1, b1, a2, b2 = sys.argv[1], *map(float, sys.argv[2:])
a, b = (a1 + a2) / 2, (b1 + b2) / 2
print(f"{name}: presence {a:.0f} tps, plain {b:.0f} tps, ratio {a / b:.2f}")
PY
}

for commit in on off; do
    psql -qX -d bench_writes -c "ALTER DATABASE bench_writes SET synchronous_commit = $commit"
    psql -qXAt -d bench_writes -c "SELECT pg_stat_reset()" >/dev/null
    u1=$(tps upsert_presence); p1=$(tps upsert_plain)
    u2=$(tps upsert_presence); p2=$(tps upsert_plain)
    hot=$(hot_share)
    t1=$(tps touch_presence); q1=$(tps touch_plain)
    t2=$(tps touch_presence); q2=$(tps touch_plain)
    echo "synchronous_commit = $commit (HOT share of presence.agents updates: $hot%)"
    report "  upsert" "$u1" "$p1" "$u2" "$p2"
    report "  touch " "$t1" "$q1" "$t2" "$q2"
done
