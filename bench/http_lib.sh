# Shared helpers of bench/roster_http.sh and bench/soak.sh: a stack of their own (the real
# scripts/stack.sh, with its own run directory and port, so `make run` is left alone),
# benchmark data in it, and figures read from /proc. Sourced, not run.
#
# Everything lives under $HB_DIR (BENCH_HTTP_DIR, default /tmp/presence-<name>), which the
# EXIT trap stops and removes (BENCH_KEEP=1 keeps it for a look). Loopback only: nginx listens
# on 127.0.0.1, PostgreSQL and the FastCGI program on unix sockets.

hb_top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
hb_stack=$hb_top/scripts/stack.sh
HB_PIDS=()          # background processes of ours, stopped by the trap
HB_NGINX_EXTRA=()   # pid files of extra nginx instances (static ceiling, variants)

hb_say() { echo "== $*"; }
hb_die() { echo "bench: $*" >&2; exit 1; }

hb_port_free() { [ -z "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]; }

# The first port from $1 up with $2 free ports in a row (at most 100 tried).
hb_free_ports() {
    local p=$1 want=$2 i ok
    for ((p = $1; p < $1 + 100; p++)); do
        ok=yes
        for ((i = 0; i < want; i++)); do
            hb_port_free $((p + i)) || { ok=no; break; }
        done
        [ $ok = yes ] && { echo "$p"; return 0; }
    done
    return 1
}

# Sets the layout of run $1 and the trap that removes it.
hb_init() {
    local name=$1
    for t in wrk pgbench psql nginx curl python3 ss; do
        command -v "$t" >/dev/null || hb_die "$t is not installed (make deps)"
    done
    HB_DIR=${BENCH_HTTP_DIR:-/tmp/presence-$name}
    case $HB_DIR in /*) ;; *) hb_die "BENCH_HTTP_DIR must be an absolute path" ;; esac
    if [ -L "$HB_DIR" ] || { [ -e "$HB_DIR" ] && [ "$(stat -c %u "$HB_DIR")" != "$(id -u)" ]; }
    then
        hb_die "$HB_DIR exists and is not ours"
    fi
    HB_RUN=$HB_DIR/run
    HB_WORK=$HB_DIR/work
    local port
    port=$(hb_free_ports "${BENCH_HTTP_PORT:-18280}" 3) || hb_die "no free ports near 18280"
    HB_PORT=$port
    HB_PORT2=$((port + 1))
    HB_PORT3=$((port + 2))
    export PRESENCE_RUN_DIR=$HB_RUN PRESENCE_HTTP_PORT=$HB_PORT
    export PRESENCE_FCGI_THREADS=${PRESENCE_FCGI_THREADS:-8}
    trap hb_cleanup EXIT
    trap 'exit 130' INT TERM
    # A leftover of an aborted run: its stack is stopped and its files removed first.
    if [ -d "$HB_DIR" ]; then
        "$hb_stack" clean >/dev/null 2>&1 || true
        rm -rf "$HB_DIR"
    fi
    mkdir -p -m 755 "$HB_DIR" "$HB_WORK"
}

# Drops pid $1 from HB_PIDS once it has been waited for.
hb_forget() {
    local keep=() p
    for p in "${HB_PIDS[@]}"; do
        [ "$p" = "$1" ] || keep+=("$p")
    done
    HB_PIDS=("${keep[@]}")
}

hb_cleanup() {
    local rc=$? p f
    trap - EXIT INT TERM
    for p in "${HB_PIDS[@]}"; do
        kill "$p" 2>/dev/null || true
    done
    for p in "${HB_PIDS[@]}"; do
        wait "$p" 2>/dev/null || true
    done
    for f in "${HB_NGINX_EXTRA[@]}"; do
        hb_nginx_stop "$f"
    done
    if [ -n "${HB_DIR:-}" ] && [ -d "$HB_DIR" ]; then
        "$hb_stack" clean >/dev/null 2>&1 || true
        if [ "${BENCH_KEEP:-0}" = 1 ]; then
            echo "bench: kept $HB_DIR (remove it with rm -rf)" >&2
        else
            rm -rf "$HB_DIR"
        fi
    fi
    exit $rc
}

hb_psql() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# Starts the stack. With $1 (a shared_buffers value) PostgreSQL gets it through ALTER SYSTEM
# and the stack starts again so that it takes effect; every other setting is the stack's.
# hb_print_settings prints the settings that matter for the figures.
hb_stack_start() {
    local shared_buffers=${1:-}
    hb_say "starting a stack in $HB_RUN on 127.0.0.1:$HB_PORT" \
        "($PRESENCE_FCGI_THREADS FastCGI threads)"
    "$hb_stack" start >"$HB_DIR/stack.log" 2>&1 || { tail -n 20 "$HB_DIR/stack.log"; exit 1; }
    # shellcheck disable=SC1091
    . "$HB_RUN/env"
    if [ -n "$shared_buffers" ]; then
        hb_psql -d postgres -c "ALTER SYSTEM SET shared_buffers = '$shared_buffers'"
        "$hb_stack" stop >>"$HB_DIR/stack.log" 2>&1
        "$hb_stack" start >>"$HB_DIR/stack.log" 2>&1 ||
            { tail -n 20 "$HB_DIR/stack.log"; exit 1; }
        # shellcheck disable=SC1091
        . "$HB_RUN/env"
    fi
    HB_URL=$PRESENCE_URL
    # The layout stack.sh chose (pgdata, the nginx prefix, the FastCGI socket).
    # shellcheck disable=SC1091
    . "$HB_RUN/stack.state"
}

# Replaces the demo data with $1 workspaces of $2 agents each in crews of 50 (crew ids and
# agent ids numbered across workspaces, as bench/lib.sh does), one member and one token per
# workspace; writes "crew_id workspace_id token" lines to $HB_WORK/crews.txt (mode 0600).
hb_load_data() {
    local workspaces=$1 per_ws=$2
    hb_say "loading $workspaces workspaces of $per_ws agents, crews of 50"
    hb_psql -v ws="$workspaces" -v per="$per_ws" <<'SQL' >/dev/null
SET client_min_messages = warning;
DELETE FROM presence.tokens;
DELETE FROM presence.agents;
DELETE FROM presence.members;
DELETE FROM presence.crews;
DELETE FROM presence.workspaces;
INSERT INTO presence.workspaces (workspace_id)
    SELECT 'ws' || w FROM generate_series(0, :ws - 1) w;
INSERT INTO presence.crews (crew_id, workspace_id)
    SELECT 'crw' || c, 'ws' || (c / (:per / 50)) FROM generate_series(0, :ws * :per / 50 - 1) c;
INSERT INTO presence.members (workspace_id, user_id)
    SELECT 'ws' || w, 'usr' || w FROM generate_series(0, :ws - 1) w;
INSERT INTO presence.agents (workspace_id, agent_id, crew_id, status, since, seen_at, details)
    SELECT 'ws' || (a / :per), 'agt' || a, 'crw' || (a / 50),
           (ARRAY['online', 'busy', 'blocked'])[1 + a % 3], now(), now(),
           CASE WHEN a % 3 = 1 THEN jsonb_build_object('current_task_id', 'T-' || a) END
    FROM generate_series(0, :ws * :per - 1) a;
SQL
    # One token per workspace through token_issue; stdout only, never a table or a log.
    (umask 077 && hb_psql -At -F ' ' -v ws="$workspaces" -v per="$per_ws" \
        >"$HB_WORK/crews.txt") <<'SQL'
WITH t AS MATERIALIZED (
    SELECT w, presence.token_issue('usr' || w, 'ws' || w) AS token
    FROM generate_series(0, :ws - 1) w
)
SELECT 'crw' || c, 'ws' || t.w, t.token
FROM generate_series(0, :ws * :per / 50 - 1) c JOIN t ON t.w = c / (:per / 50)
ORDER BY c;
SQL
    hb_psql <<'SQL' >/dev/null
SET client_min_messages = warning;
VACUUM ANALYZE;
CREATE EXTENSION IF NOT EXISTS pg_prewarm;
SELECT pg_prewarm(c.oid) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'presence' AND c.relkind IN ('r', 'i');
SQL
    local lines
    lines=$(wc -l <"$HB_WORK/crews.txt")
    [ "$lines" -eq $((workspaces * per_ws / 50)) ] || hb_die "expected one token line per crew"
}

# The settings the figures depend on.
hb_print_settings() {
    echo "PostgreSQL: $(hb_psql -At -c "SELECT string_agg(name || '=' || setting ||
        coalesce(unit, ''), ', ' ORDER BY name) FROM pg_settings WHERE name IN
        ('server_version', 'shared_buffers', 'max_connections', 'fsync', 'synchronous_commit',
         'jit', 'work_mem', 'autovacuum_naptime', 'max_worker_processes')")"
    echo "the FastCGI program: $PRESENCE_FCGI_THREADS worker threads (one database session" \
        "each), statement deadline 2000 ms; nginx: worker_processes 1," \
        "fastcgi_keep_conn off (nginx/presence.conf as deployed)"
}

# The machine and the software the figures come from. The stack builds and installs the
# extension and the program from this checkout as it is, so uncommitted changes count.
hb_machine() {
    local dirty
    dirty=$({ git -C "$hb_top" status --porcelain -- extension sql fcgi nginx 2>/dev/null ||
        true; } | awk '{print $2}' | tr '\n' ' ')
    echo "source: commit $(git -C "$hb_top" rev-parse --short HEAD 2>/dev/null || echo '?')" \
        "${dirty:+with uncommitted changes in $dirty}"
    echo "machine: $(nproc) CPUs ($(sed -n 's/^model name\s*: //p' /proc/cpuinfo | head -n 1))," \
        "$(awk '/MemTotal/ {printf "%.1f GiB", $2 / 1048576}' /proc/meminfo)," \
        "kernel $(uname -r), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "versions: $(psql --version | awk '{print "PostgreSQL", $3}'), $(nginx -v 2>&1 |
        sed 's|.*/||; s|^|nginx |'), $(wrk -v 2>&1 | head -n 1 | awk '{print "wrk", $2}'),"\
        "$(pgbench --version | awk '{print "pgbench", $3}')," \
        "libfcgi $(dpkg-query -W -f='${Version}' libfcgi-bin 2>/dev/null ||
                  dpkg-query -W -f='${Version}' libfcgi0ldbl 2>/dev/null || echo '?')"
}

# --- processes ----------------------------------------------------------------------------

hb_fcgi_pid() { head -n 1 "$HB_RUN/fcgi.pid"; }
hb_nginx_pids() {
    local m
    m=$(head -n 1 "$ngx_prefix/nginx.pid")
    echo "$m" $(ps -o pid= --ppid "$m")
}
hb_postmaster_pid() { head -n 1 "$pgdata/postmaster.pid"; }

# CPU time in clock ticks of the given pids (threads included), summed.
hb_ticks() {
    local p sum=0 v
    for p in "$@"; do
        v=$(awk '{sub(/^.*\) /, ""); print $12 + $13}' "/proc/$p/stat" 2>/dev/null) || v=0
        sum=$((sum + ${v:-0}))
    done
    echo $sum
}

# CPU time of the whole PostgreSQL server: the postmaster, its live children and the
# children it has reaped (backends that came and went, pgbench's among them).
hb_pg_ticks() {
    local pm live reaped
    pm=$(hb_postmaster_pid)
    reaped=$(awk '{sub(/^.*\) /, ""); print $12 + $13 + $14 + $15}' "/proc/$pm/stat")
    # shellcheck disable=SC2046
    live=$(hb_ticks $(ps -o pid= --ppid "$pm"))
    echo $((reaped + live))
}

hb_pg_children() { ps -o pid= --ppid "$(hb_postmaster_pid)" | wc -l; }

# Waits (up to 5 s) until the postmaster has no more children than $1: a backend that has
# exited but is not reaped yet shows no CPU time anywhere.
hb_pg_reaped() {
    local i
    for ((i = 0; i < 50; i++)); do
        [ "$(hb_pg_children)" -le "$1" ] && return 0
        sleep 0.1
    done
}

# A field of /proc/PID/status in kB (VmRSS, VmHWM).
hb_status_kb() { awk -v f="$2:" '$1 == f {print $2}' "/proc/$1/status"; }

# Threads of a process.
hb_threads() { awk '$1 == "Threads:" {print $2}' "/proc/$1/status"; }

# Client backends of the benchmark's database, by role.
hb_connections() {
    hb_psql -At -c "SELECT string_agg(usename || '=' || n, ' ' ORDER BY usename) FROM (
        SELECT usename, count(*) AS n FROM pg_stat_activity
        WHERE backend_type = 'client backend' AND pid <> pg_backend_pid()
        GROUP BY usename) s"
}

# --- wrk ----------------------------------------------------------------------------------

# Milliseconds of a wrk duration (870.00us, 5.04ms, 1.23s, 2.00m).
hb_ms() {
    awk -v d="$1" 'BEGIN {
        v = d + 0
        if (d ~ /us$/) v /= 1000; else if (d ~ /ms$/) v = v; else if (d ~ /m$/) v *= 60000;
        else if (d ~ /s$/) v *= 1000
        printf "%.2f", v }'
}

# Reads a wrk --latency output file; sets W_RPS W_REQ W_P50 W_P99 W_MAX (ms) W_NON2XX
# W_SOCKERR (all socket errors, timeouts included).
hb_wrk_parse() {
    local f=$1
    W_RPS=$(awk '/^Requests\/sec:/ {print $2}' "$f")
    W_REQ=$(awk '/requests in/ {print $1}' "$f")
    W_P50=$(hb_ms "$(awk '$1 == "50%" {print $2}' "$f")")
    W_P99=$(hb_ms "$(awk '$1 == "99%" {print $2}' "$f")")
    W_MAX=$(hb_ms "$(awk '$1 == "Latency" {print $4; exit}' "$f")")
    W_NON2XX=$(awk '/Non-2xx or 3xx responses:/ {print $NF}' "$f")
    W_NON2XX=${W_NON2XX:-0}
    W_SOCKERR=$(awk '/Socket errors:/ {gsub(/,/, ""); print $4 + $6 + $8 + $10}' "$f")
    W_SOCKERR=${W_SOCKERR:-0}
    [ -n "$W_RPS" ] || { cat "$f" >&2; hb_die "wrk gave no figures"; }
}

# CPU seconds of the children a subshell waited for, from the second line of `times`.
hb_times_cpu() {
    awk 'NR == 2 {
        split($1, u, /[ms]/); split($2, s, /[ms]/)
        printf "%.2f", u[1] * 60 + u[2] + s[1] * 60 + s[2]
    }' "$1"
}

# --- extra nginx instances ----------------------------------------------------------------

# Starts an nginx with configuration $2 under prefix $1 (as the stack's web user when
# root); remembered for the trap.
hb_nginx_start() {
    local prefix=$1 conf=$2 t
    for t in client_body fastcgi proxy uwsgi scgi; do
        mkdir -p -m 700 "$prefix/temp/$t"
    done
    cp /etc/nginx/fastcgi_params "$prefix/fastcgi_params"
    HB_NGINX_EXTRA+=("$prefix/nginx.pid")
    if [ "$(id -u)" -eq 0 ]; then
        chown -R "$web_user": "$prefix"
        setpriv --reuid="$web_user" --regid="$web_user" --init-groups -- \
            /usr/sbin/nginx -p "$prefix" -c "$conf" -e "$prefix/error.log" </dev/null
    else
        /usr/sbin/nginx -p "$prefix" -c "$conf" -e "$prefix/error.log" </dev/null
    fi
}

hb_nginx_stop() {
    local pidfile=$1 p i
    [ -f "$pidfile" ] || return 0
    p=$(head -n 1 "$pidfile")
    [ "$(readlink "/proc/$p/exe" 2>/dev/null)" = /usr/sbin/nginx ] || return 0
    kill -QUIT "$p" 2>/dev/null || true
    for ((i = 0; i < 100; i++)); do
        [ -d "/proc/$p" ] || return 0
        sleep 0.1
    done
    kill -TERM "$p" 2>/dev/null || true
}
