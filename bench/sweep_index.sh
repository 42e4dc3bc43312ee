#!/usr/bin/env bash
# Should the sweep have an index on seen_at? Measures, on the same 1M agents, the sweep's
# wall time (1% stale, and none stale) and a write load's HOT ratio and throughput,
# first without an index on seen_at, then with one. Prints ratios of with/without.
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh

AGENTS=${AGENTS:-1000000}
SECONDS_PER_RUN=${SECONDS_PER_RUN:-20}
bench_cluster_start
bench_load_agents bench_idx "$AGENTS"

# Wall time of one sweep in ms, after making about per_mille/1024 of the agents stale.
sweep_ms() {
    bench_make_stale bench_idx "$1"
    bench_sweep_ms bench_idx
}

# Upserts per second through presence_upsert for SECONDS_PER_RUN, and the HOT share.
write_load() {
    cat > "$BENCH_DIR/upsert.sql" <<SQL
\set a random(0, $AGENTS - 1)
SELECT presence.presence_touch('ws' || (:a / 1000), 'agt' || :a);
SELECT presence.presence_upsert('ws' || (:a / 1000), 'agt' || :a, 'busy');
SQL
    psql -qXAt -d bench_idx -c "SELECT pg_stat_reset()" >/dev/null
    local tps
    tps=$(as_db_user pgbench -n -h "$PGHOST" -p "$PGPORT" -U postgres -c 4 -j 2 -M prepared \
        -T "$SECONDS_PER_RUN" -f "$BENCH_DIR/upsert.sql" bench_idx 2>/dev/null |
        awk '/^tps/ {print $3}')
    sleep 1
    local hot
    hot=$(psql -qXAt -d bench_idx -c "SELECT
        round(100.0 * n_tup_hot_upd / greatest(n_tup_upd, 1), 1)
        FROM pg_stat_user_tables WHERE relname = 'agents'")
    echo "$tps $hot"
}

chown postgres: "$BENCH_DIR" 2>/dev/null || true
echo "agents: $AGENTS"
for variant in without with; do
    if [ $variant = with ]; then
        psql -qX -d bench_idx -c "CREATE INDEX agents_seen_at ON presence.agents (seen_at)
            WHERE status <> 'offline'"
    fi
    s1=$(sweep_ms 10); s0=$(sweep_ms 0)
    read -r tps hot < <(write_load)
    size=$(psql -qXAt -d bench_idx -c "SELECT pg_size_pretty(pg_indexes_size('presence.agents'))")
    echo "$variant index: sweep 1% stale ${s1} ms, none stale ${s0} ms;" \
         "writes ${tps} tps, HOT ${hot}%, indexes ${size}"
    eval "${variant}_s1=$s1 ${variant}_s0=$s0 ${variant}_tps=$tps"
done
python3 - "$without_s1" "$with_s1" "$without_s0" "$with_s0" "$without_tps" "$with_tps" <<'PY'
import sys
a = [float(x) for x in sys.argv[1:]]
print(f"with/without: sweep 1% stale {a[1]/a[0]:.2f}x time, none stale {a[3]/a[2]:.2f}x time, "
      f"write throughput {a[5]/a[4]:.2f}x")
PY
