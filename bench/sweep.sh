#!/usr/bin/env bash
# Case 4: the sweep's wall time with 1% of the agents stale and with none stale, at 100k,
# 300k and 1M agents, as a ratio to the 100k figure; and the HOT share of agent updates
# under an upsert and heartbeat load (target: at least 95%).
set -euo pipefail
cd "$(dirname "$0")"
. ./lib.sh

SIZES=${SIZES:-"100000 300000 1000000"}
REPEAT=${REPEAT:-3}
LOAD_SECONDS=${LOAD_SECONDS:-30}
bench_cluster_start

# Median wall time in ms of REPEAT sweeps, each after making about per_mille/1024 of the
# agents stale again.
sweep_ms() {
    local db=$1 per_mille=$2
    for _ in $(seq "$REPEAT"); do
        bench_make_stale "$db" "$per_mille"
        bench_sweep_ms "$db"
    done | sort -n | awk '{v[NR] = $1} END {print v[int((NR + 1) / 2)]}'
}

declare -A stale none
for n in $SIZES; do
    bench_load_agents "bench_sweep_$n" "$n"
    stale[$n]=$(sweep_ms "bench_sweep_$n" 10)
    none[$n]=$(sweep_ms "bench_sweep_$n" 0)
done
base=${SIZES%% *}
for n in $SIZES; do
    python3 - "$n" "${stale[$n]}" "${none[$n]}" "${stale[$base]}" "${none[$base]}" <<'PY'
import sys
n, s, z, sb, zb = sys.argv[1], *map(float, sys.argv[2:])
print(f"{int(n):>8} agents: 1% stale {s:7.1f} ms ({s / sb:4.1f}x), "
      f"none stale {z:6.1f} ms ({z / zb:4.1f}x)")
PY
done

# HOT share under writes, on the largest data set.
last=${SIZES##* }
cat > "$BENCH_DIR/hot_load.sql" <<SQL
\\set a random(0, $last - 1)
SELECT presence.presence_upsert('ws' || (:a / 1000), 'agt' || :a, 'busy', NULL,
    '{"current_task_id": "T-42"}');
SELECT presence.presence_touch('ws' || (:a / 1000), 'agt' || :a);
SQL
chown postgres: "$BENCH_DIR/hot_load.sql" 2>/dev/null || true
psql -qXAt -d "bench_sweep_$last" -c "SELECT pg_stat_reset()" >/dev/null
as_db_user pgbench -n -h "$PGHOST" -p "$PGPORT" -U postgres -c 4 -j 2 -M prepared \
    -T "$LOAD_SECONDS" -f "$BENCH_DIR/hot_load.sql" "bench_sweep_$last" >/dev/null 2>&1
sleep 1
psql -qXAt -d "bench_sweep_$last" -c "SELECT 'HOT share of ' || n_tup_upd || ' agent updates: '
    || round(100.0 * n_tup_hot_upd / greatest(n_tup_upd, 1), 1) || '%'
    FROM pg_stat_user_tables WHERE relname = 'agents'"
