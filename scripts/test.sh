#!/usr/bin/env bash
# make test: installs what is missing, builds, installs the extension, and runs every test
# suite. Exits non-zero when any suite fails. Suites can be picked: scripts/test.sh regress
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

all_suites=(unit-extension unit-fcgi unit-fcgi-asan regress tap http http-asan fuzz)
suites=("$@")
[ ${#suites[@]} -eq 0 ] && suites=("${all_suites[@]}")

scripts/deps.sh || exit 1

echo "== build and install the extension"
make -s all >/dev/null || exit 1
if [ "$(id -u)" -eq 0 ]; then
    make -s install >/dev/null || exit 1
else
    make -s install >/dev/null 2>&1 || {
        echo "presence: 'make install' needs write access to $(pg_config --pkglibdir)" >&2
        exit 1
    }
fi

# PostgreSQL refuses to run as root: as root, the database tests run as the unprivileged
# user postgres, from a copy of the tree that user owns.
run_as_db_user() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

db_tree=$top
if [ "$(id -u)" -eq 0 ]; then
    db_tree=$(mktemp -d /tmp/presence-test.XXXXXX)
    tar -C "$top" --exclude=./.run --exclude=./build --exclude=./.git -cf - . |
        tar -C "$db_tree" -xf -
    chown -R postgres: "$db_tree"
    # PRESENCE_KEEP_TEST_TREE=1 keeps it, with the suites' results, for a look afterwards.
    [ "${PRESENCE_KEEP_TEST_TREE:-0}" = 1 ] || trap 'rm -rf "$db_tree"' EXIT
    [ "${PRESENCE_KEEP_TEST_TREE:-0}" = 1 ] && echo "presence: test tree kept in $db_tree"
fi

suite_regress() {
    local out=$db_tree/build/test
    rm -rf "$out"
    if ! run_as_db_user make -s -C "$db_tree" installcheck TEST_OUT="$out"; then
        for f in "$out"/regress/regression.diffs "$out"/isolation/regression.diffs; do
            [ -f "$f" ] && head -n 200 "$f"
        done
        return 1
    fi
}

# TAP tests (PostgreSQL::Test::Cluster) for what needs its own server to restart or crash.
suite_tap() {
    local pgxs_dir bindir
    pgxs_dir=$(dirname "$(pg_config --pgxs)")/../..
    bindir=$(pg_config --bindir)
    run_as_db_user mkdir -p "$db_tree/build/tap"
    (cd "$db_tree" && run_as_db_user env PATH="$bindir:$PATH" TESTDIR="$db_tree/build/tap" \
        PG_REGRESS="$pgxs_dir/src/test/regress/pg_regress" \
        prove -I "$pgxs_dir/src/test/perl" test/tap/*.pl)
}

suite_unit-extension() { make -s -C extension/test run; }
suite_unit-fcgi() { make -s -C fcgi unit; }
suite_http() { test/http/run.sh; }
# The same under AddressSanitizer and UndefinedBehaviorSanitizer: any report fails the suite.
suite_unit-fcgi-asan() {
    ASAN_OPTIONS=halt_on_error=1:detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
        make -s -C fcgi SANITIZE=1 unit
}
suite_http-asan() { test/http/run.sh --sanitize; }
suite_fuzz() { make -s -C test/fuzz run FUZZ_SECONDS="${FUZZ_SECONDS:-60}"; }

passed=0
failed=0
failed_names=()
for s in "${suites[@]}"; do
    echo "== suite $s"
    if "suite_$s"; then
        passed=$((passed + 1))
        echo "== suite $s: ok"
    else
        failed=$((failed + 1))
        failed_names+=("$s")
        echo "== suite $s: FAILED"
    fi
done

[ $failed -gt 0 ] && echo "failed suites: ${failed_names[*]}"
echo "suites: $passed passed, $failed failed"
[ $failed -eq 0 ]
