#!/usr/bin/env bash
# make bench: every benchmark, one after the other, each on its own private cluster.
# Figures go to stdout and to build/bench/NAME.txt. Pick some: bench/run.sh writes sweep
set -uo pipefail
cd "$(dirname "$0")/.."

all=(writes roster_large sweep sweep_index)
[ -x bench/roster_http.sh ] && all+=(roster_http)
names=("$@")
[ ${#names[@]} -eq 0 ] && names=("${all[@]}")

scripts/deps.sh || exit 1
make -s all >/dev/null && make -s install >/dev/null || exit 1
mkdir -p build/bench
status=0
for n in "${names[@]}"; do
    echo "== bench $n"
    if ! BENCH_DIR="/tmp/presence-bench-$n" "bench/$n.sh" 2>&1 | tee "build/bench/$n.txt"; then
        status=1
    fi
done
exit $status
