# Shared helpers of the benchmark scripts: a private cluster, data, and figures.
# Sourced, not run. The cluster lives under $BENCH_DIR and is stopped on exit.

BENCH_DIR=${BENCH_DIR:-/tmp/presence-bench}
PGBIN=/usr/lib/postgresql/15/bin

as_db_user() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Starts a private cluster tuned like a small production box (fsync on) with pg_cron.
bench_cluster_start() {
    mkdir -p "$BENCH_DIR"
    [ "$(id -u)" -eq 0 ] && chown postgres: "$BENCH_DIR"
    if [ ! -d "$BENCH_DIR/data" ]; then
        as_db_user "$PGBIN/initdb" -D "$BENCH_DIR/data" -A trust -U postgres >/dev/null
        cat >> "$BENCH_DIR/data/postgresql.conf" <<CONF
listen_addresses = ''
unix_socket_directories = '$BENCH_DIR'
port = 5433
shared_buffers = 2GB
max_connections = 100
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 16
autovacuum_naptime = 10s
CONF
    fi
    as_db_user "$PGBIN/pg_ctl" -D "$BENCH_DIR/data" -l "$BENCH_DIR/log" -w start >/dev/null
    export PGHOST=$BENCH_DIR PGPORT=5433 PGUSER=postgres
    trap bench_cluster_stop EXIT
}

bench_cluster_stop() {
    as_db_user "$PGBIN/pg_ctl" -D "$BENCH_DIR/data" -m fast -w stop >/dev/null 2>&1 || true
}

# Creates database $1 with the extension and N agents in workspaces of 1,000 agents each,
# crews of 50; every agent fresh.
bench_load_agents() {
    local db=$1 agents=$2
    psql -qX -d postgres -c "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db"
    psql -qX -d "$db" -v agents="$agents" <<'SQL'
CREATE EXTENSION presence;
INSERT INTO presence.workspaces (workspace_id)
    SELECT 'ws' || w FROM generate_series(0, (:agents - 1) / 1000) w;
INSERT INTO presence.crews (crew_id, workspace_id)
    SELECT 'crw' || c, 'ws' || (c / 20) FROM generate_series(0, (:agents - 1) / 50) c;
INSERT INTO presence.agents (workspace_id, agent_id, crew_id, status, since, seen_at, details)
    SELECT 'ws' || (a / 1000), 'agt' || a, 'crw' || (a / 50),
           (ARRAY['online', 'busy', 'blocked'])[1 + a % 3], now(), now(),
           CASE WHEN a % 3 = 1 THEN jsonb_build_object('current_task_id', 'T-' || a) END
    FROM generate_series(0, :agents - 1) a;
VACUUM ANALYZE;
SQL
}

# Makes about per_mille/1024 of database $1's agents stale (seen ten minutes ago) and every
# other agent live and fresh, whatever earlier sweeps did.
bench_make_stale() {
    local db=$1 per_mille=$2
    psql -qX -d "$db" -v pm="$per_mille" <<'SQL' >/dev/null
UPDATE presence.agents SET status = 'online', details = NULL, seen_at = now()
    WHERE status = 'offline' OR seen_at < now() - interval '1 minute';
UPDATE presence.agents SET seen_at = now() - interval '10 minutes'
    WHERE (hashtext(agent_id) & 1023) < :pm;
VACUUM ANALYZE presence.agents;
SQL
}

# Runs one sweep in database $1 and prints its wall time in ms, measured inside the server.
bench_sweep_ms() {
    psql -qX -d "$1" 2>&1 <<'SQL' | sed -n 's/.*sweep_ms=\([0-9.]*\).*/\1/p'
DO $$
DECLARE
    t0 timestamptz := clock_timestamp();
    n integer;
BEGIN
    n := presence.presence_sweep_offline();
    RAISE NOTICE 'sweep_ms=% flipped=%',
        round(extract(epoch FROM clock_timestamp() - t0) * 1000, 1), n;
END
$$;
SQL
}
