#!/usr/bin/env bash
# End-to-end HTTP tests: a stack of its own (run directory build/http/run, port 18080 or the
# next free one; PRESENCE_HTTP_TEST_PORT overrides), so a `make run` in the same checkout is
# left alone. The tests start the stack with `make start` and stop it with `make stop`; this
# script stops it again whatever happened. Exit status non-zero on any failure.
#
# test/http/run.sh --sanitize runs the same suite with the FastCGI program built with
# AddressSanitizer and UndefinedBehaviorSanitizer (make -C fcgi SANITIZE=1), in
# build/http/run-asan, and fails as well when a sanitizer reported anything: a report file in
# the run directory's sanitizer/, or a sanitizer's line in the program's log.
set -uo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
cd "$top" || exit 1

sanitize=no
case ${1:-} in
'') ;;
--sanitize) sanitize=yes ;;
*)
    echo "usage: $0 [--sanitize]" >&2
    exit 2
    ;;
esac

if [ $sanitize = yes ]; then
    echo "test/http: building the FastCGI program with ASan and UBSan"
    make -s -C fcgi SANITIZE=1 >/dev/null || exit 1
    export PRESENCE_RUN_DIR=$top/build/http/run-asan
    # stack.sh runs this binary and hands the program these options, adding a log_path
    # under the run directory. Leaks are reported when the program exits after TERM.
    export PRESENCE_FCGI_BIN=$top/fcgi/build-asan/presence-fcgi
    export ASAN_OPTIONS=halt_on_error=1:detect_leaks=1
    export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
    unset LSAN_OPTIONS
else
    export PRESENCE_RUN_DIR=$top/build/http/run
    unset PRESENCE_FCGI_BIN ASAN_OPTIONS UBSAN_OPTIONS LSAN_OPTIONS
fi
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

# After a sanitized run: true when no sanitizer reported anything in run directory $1, and
# the program stopped cleanly there at least once (a leak check runs only at a clean exit).
no_sanitizer_report() {
    local dir=$1 ok=0 f
    if [ ! -d "$dir/sanitizer" ]; then
        echo "test/http: $dir/sanitizer is missing: the program did not get the sanitizer options"
        return 1
    fi
    for f in "$dir"/sanitizer/*; do
        [ -e "$f" ] || continue
        echo "--- sanitizer report $f"
        head -n 60 "$f"
        ok=1
    done
    if grep -E -n 'AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|runtime error:' \
        "$dir/fcgi.log"; then
        echo "test/http: a sanitizer wrote to $dir/fcgi.log"
        ok=1
    fi
    local clean
    clean=$(grep -c 'event=stopped exit_status=0' "$dir/fcgi.log")
    if [ "$clean" -eq 0 ]; then
        echo "test/http: the program never stopped cleanly in $dir: no leak check ran"
        ok=1
    fi
    if [ $ok -eq 0 ]; then
        echo "test/http: no sanitizer report in $dir ($clean clean exits checked for leaks)"
    fi
    return $ok
}

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
if [ $sanitize = yes ]; then
    # Every program has exited (and written its leak report) before the reports are read.
    stop_all
    ldd "$PRESENCE_FCGI_BIN" | grep -q libasan || {
        echo "test/http: $PRESENCE_FCGI_BIN is not an AddressSanitizer build"
        rc=1
    }
    no_sanitizer_report "$PRESENCE_RUN_DIR" || rc=1
    no_sanitizer_report "$second" || rc=1
fi
exit $rc
