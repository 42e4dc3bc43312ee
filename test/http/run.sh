#!/usr/bin/env bash
# End-to-end HTTP tests: a stack of its own (run directory build/http/run, port 18080 or the
# next free one; PRESENCE_HTTP_TEST_PORT overrides), so a `make run` in the same checkout is
# left alone. The tests start the stack with `make start` and stop it with `make stop`; this
# script stops it again whatever happened. Exit status non-zero on any failure.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

export PRESENCE_RUN_DIR=$top/build/http/run
second=$PRESENCE_RUN_DIR-second

port=${PRESENCE_HTTP_TEST_PORT:-18080}
while [ -n "$(ss -ltnH "sport = :$port" 2>/dev/null)" ]; do
    port=$((port + 1))
    [ "$port" -gt 18180 ] && { echo "test/http: no free port from 18080 to 18180" >&2; exit 1; }
done
export PRESENCE_HTTP_PORT=$port

# shellcheck disable=SC2317  # called by the trap
stop_all() {
    PRESENCE_RUN_DIR=$second scripts/stack.sh stop >/dev/null 2>&1
    scripts/stack.sh stop >/dev/null 2>&1
}
trap stop_all EXIT
trap 'exit 130' INT TERM

# A fresh cluster every run: what a leftover of an earlier run holds decides nothing. The
# logs of this run stay for a look afterwards.
PRESENCE_RUN_DIR=$second scripts/stack.sh clean >/dev/null || exit 1
scripts/stack.sh clean >/dev/null || exit 1
mkdir -p "$top/build/http"

echo "test/http: stack in $PRESENCE_RUN_DIR on 127.0.0.1:$PRESENCE_HTTP_PORT"
/usr/bin/python3 "$top/test/http/main.py"
rc=$?
if [ $rc -ne 0 ]; then
    for log in fcgi.log nginx/error.log postgres.log; do
        f=$PRESENCE_RUN_DIR/$log
        [ -e "$f" ] || continue
        echo "--- the last lines of $f"
        tail -n 15 "$f"
    done
fi
exit $rc
