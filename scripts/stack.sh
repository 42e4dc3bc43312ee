#!/usr/bin/env bash
# shellcheck disable=SC2174  # mkdir -p -m: the mode is meant for the last directory only
# scripts/stack.sh {run|start|stop|status|clean|restart-fcgi}: the whole product on this
# machine, for people (make run) and for scripts (make start, make stop).
#
#   run           start, print a ready curl line, serve until INT or TERM, then stop everything
#   start         the same stack in the background; returns once the endpoint answers 200
#   stop          stops nginx (QUIT), the FastCGI program (TERM) and PostgreSQL (fast)
#   status        says what runs; exit status 0 only when all three parts do
#   clean         stop, then remove the run directory (the cluster's data too)
#   restart-fcgi  stops the FastCGI program if it runs and starts it again as start did (same
#                 copy, socket, user and settings); nginx and PostgreSQL are left alone
#
# Environment: PRESENCE_HTTP_PORT (default 8080), PRESENCE_RUN_DIR (default .run in the
# checkout), PRESENCE_FCGI_THREADS (default 8), PRESENCE_FCGI_DEADLINE_MS (the program's
# default when unset), PRESENCE_FCGI_BIN (a program to run instead of building
# fcgi/build/presence-fcgi), ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS (passed to the
# program; reports go to sanitizer/ in the run directory). docs/operations.md describes
# the layout.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
pg_bin=/usr/lib/postgresql/15/bin
pg_port=5432    # names the socket file only: the cluster listens on no TCP port
fcgi_build=$top/fcgi/build/presence-fcgi

say() { echo "presence: $*"; }
die() { echo "presence: $*" >&2; exit 1; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# --- layout -------------------------------------------------------------------------------

# Everything the stack writes lives under run_dir. When run as root the database runs as
# postgres and nginx and the FastCGI program as www-data; if those users cannot reach
# run_dir (a checkout under /root, say) their files go to a private directory under /tmp
# instead, and run_dir keeps links to the logs.
init_layout() {
    local want=${PRESENCE_RUN_DIR:-$top/.run}
    case $want in /*) ;; *) want=$PWD/$want ;; esac
    run_dir=$(realpath -m "$want")
    # nginx and postgresql.conf take these paths unquoted or single-quoted.
    [[ $run_dir =~ ^[A-Za-z0-9._/+-]+$ ]] ||
        die "the run directory '$run_dir' has characters nginx and PostgreSQL cannot take"

    if is_root; then
        db_user=postgres
        web_user=www-data
    else
        db_user=$(id -un)
        web_user=$db_user
    fi

    want_port=${PRESENCE_HTTP_PORT:-8080}
    port=$want_port

    hash=$(printf '%s' "$run_dir" | sha256sum | cut -c1-12)
    state=$run_dir/stack.state
    # What a state file written before these settings existed leaves out.
    fcgi_threads=8
    fcgi_deadline_ms=
    sanitizer_dir=$run_dir/sanitizer
    asan_options=
    ubsan_options=
    lsan_options=
    # A running stack keeps the layout it was started with, whatever the environment says.
    if [ -f "$state" ]; then
        # shellcheck disable=SC1090
        . "$state"
    fi
}

# Decides where the service users' files go; called by start only.
plan_layout() {
    if ! [[ $want_port =~ ^[0-9]+$ ]] || [ "$want_port" -lt 1024 ] || [ "$want_port" -gt 65535 ]
    then
        die "PRESENCE_HTTP_PORT must be a number from 1024 to 65535, not '$want_port'"
    fi
    port=$want_port
    mkdir -p -m 755 "$run_dir"
    srv_dir=$run_dir
    if is_root && ! { reachable "$db_user" "$run_dir" && reachable "$web_user" "$run_dir"; }
    then
        srv_dir=$(private_tmp_dir "/tmp/presence-$hash")
        say "$run_dir is not reachable by $db_user and $web_user; their files go to $srv_dir"
    fi

    # A unix socket path has room for 107 bytes; the longer of the two is the database's.
    sock_dir=$srv_dir
    if [ $((${#sock_dir} + ${#pg_port} + 13)) -gt 107 ]; then
        sock_dir=$(private_tmp_dir "/tmp/presence-$hash-s")
        say "socket paths under $srv_dir would be too long; sockets go to $sock_dir"
    fi

    # The stack runs a copy of the program: a rebuild under a running stack changes nothing
    # until the next start, and the web user need not reach the checkout.
    fcgi_bin=$srv_dir/bin/presence-fcgi
    fcgi_src=${PRESENCE_FCGI_BIN:-$fcgi_build}
    case $fcgi_src in /*) ;; *) fcgi_src=$PWD/$fcgi_src ;; esac
    fcgi_threads=${PRESENCE_FCGI_THREADS:-8}
    fcgi_deadline_ms=${PRESENCE_FCGI_DEADLINE_MS:-}
    # A sanitizer build's reports go to files the web user can write, not to fcgi.log.
    sanitizer_dir=$srv_dir/sanitizer
    asan_options=$(with_log_path "${ASAN_OPTIONS:-}")
    ubsan_options=$(with_log_path "${UBSAN_OPTIONS:-}")
    lsan_options=$(with_log_path "${LSAN_OPTIONS:-}")
    pgdata=$srv_dir/pgdata
    pg_sock_dir=$sock_dir/pg
    fcgi_sock_dir=$sock_dir/fcgi
    fcgi_sock=$fcgi_sock_dir/fcgi.sock
    ngx_prefix=$srv_dir/nginx
    pg_log=$srv_dir/postgres.log
    if [ "$srv_dir" != "$run_dir" ]; then
        ln -sfn "$pg_log" "$run_dir/postgres.log"
        ln -sfn "$ngx_prefix" "$run_dir/nginx"
        ln -sfn "$sanitizer_dir" "$run_dir/sanitizer"
    fi
}

# Sanitizer options $1 with a log_path under sanitizer_dir added, unless they name one or
# are empty. A sanitizer appends the pid to the path: one file per process that reported.
with_log_path() {
    case $1 in
    '' | *log_path=*) printf '%s' "$1" ;;
    *) printf '%s' "$1:log_path=$sanitizer_dir/presence-fcgi" ;;
    esac
}

# True when user $1 can reach path $2 (test's operator $3, -x by default: search a directory).
reachable() { (cd / && runuser -u "$1" -- test "${3:--x}" "$2") 2>/dev/null; }

# Creates (or reuses) a directory under /tmp that only we own; never follows a link there.
private_tmp_dir() {
    local d=$1
    if [ -L "$d" ] || { [ -e "$d" ] && [ "$(stat -c %u "$d")" != "$(id -u)" ]; }; then
        die "$d exists and is not ours; remove it or set PRESENCE_RUN_DIR"
    fi
    mkdir -p -m 755 "$d"
    # Checked again: someone may have made it between the check and the mkdir.
    if [ -L "$d" ] || [ "$(stat -c %u "$d")" != "$(id -u)" ]; then
        die "$d exists and is not ours; remove it or set PRESENCE_RUN_DIR"
    fi
    echo "$d"
}

write_state() {
    cat > "$state" <<EOF
# Written by scripts/stack.sh start; read by stop and status. Removed by stop.
port=$port
srv_dir=$srv_dir
sock_dir=$sock_dir
pgdata=$pgdata
pg_sock_dir=$pg_sock_dir
fcgi_sock_dir=$fcgi_sock_dir
fcgi_sock=$fcgi_sock
fcgi_bin=$fcgi_bin
fcgi_threads=$(printf '%q' "$fcgi_threads")
fcgi_deadline_ms=$(printf '%q' "$fcgi_deadline_ms")
sanitizer_dir=$sanitizer_dir
asan_options=$(printf '%q' "$asan_options")
ubsan_options=$(printf '%q' "$ubsan_options")
lsan_options=$(printf '%q' "$lsan_options")
ngx_prefix=$ngx_prefix
pg_log=$pg_log
db_user=$db_user
web_user=$web_user
EOF
}

# --- running things as the service users --------------------------------------------------

as_db() {
    if is_root; then
        (cd / && runuser -u "$db_user" -- "$@")
    else
        "$@"
    fi
}

# Execs (no fork, so $! is the program's own pid) as the web user, in a new session so a
# Ctrl-C at the terminal reaches only this script.
web_exec_prefix() {
    if is_root; then
        echo "setsid setpriv --reuid=$web_user --regid=$web_user --init-groups --"
    else
        echo "setsid"
    fi
}

own_db() { if is_root; then chown "$db_user": "$@"; fi; }
own_web() { if is_root; then chown "$web_user": "$@"; fi; }

# --- process checks -----------------------------------------------------------------------

# True when pid $1 is alive and runs the executable $2 (a recycled pid is not ours).
pid_runs() {
    local pid=$1 exe=$2
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    [ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(realpath "$exe")" ]
}

read_pid() { if [ -f "$1" ]; then head -n 1 "$1" | tr -dc 0-9; fi; }

fcgi_pid() {
    local p
    p=$(read_pid "$run_dir/fcgi.pid")
    pid_runs "$p" "${fcgi_bin:-/nonexistent}" && echo "$p"
}
nginx_pid() {
    local p
    p=$(read_pid "${ngx_prefix:-/nonexistent}/nginx.pid")
    pid_runs "$p" /usr/sbin/nginx && echo "$p"
}
# From the postmaster's pid file, not pg_ctl status: `run` asks every second, and runuser
# would open a PAM session each time.
pg_running() {
    local p
    p=$(read_pid "${pgdata:-/nonexistent}/postmaster.pid")
    pid_runs "$p" "$pg_bin/postgres"
}

# True when pid $1 is a live process. A zombie is not: daemons are reparented to pid 1,
# which may reap them only later.
alive() {
    local s
    s=$(sed -n 's/^.*) \([A-Za-z]\) .*$/\1/p' "/proc/$1/stat" 2>/dev/null) || return 1
    [ -n "$s" ] && [ "$s" != Z ] && [ "$s" != X ]
}

# Waits up to $2 tenths of a second for pid $1 to exit.
wait_gone() {
    local i
    for ((i = 0; i < $2; i++)); do
        alive "$1" || return 0
        sleep 0.1
    done
    ! alive "$1"
}

port_in_use() { [ -n "$(ss -ltnH "sport = :$1" 2>/dev/null)" ]; }

# --- start --------------------------------------------------------------------------------

build_and_install() {
    "$top/scripts/deps.sh"
    say "building the extension and the FastCGI program"
    make -s -C "$top" all >/dev/null
    if [ -n "${PRESENCE_FCGI_BIN:-}" ]; then
        # Built by whoever chose it (make -C fcgi SANITIZE=1, say); start only copies it.
        if ! [ -f "$fcgi_src" ] || ! [ -x "$fcgi_src" ]; then
            die "PRESENCE_FCGI_BIN=$PRESENCE_FCGI_BIN is not an executable file"
        fi
    else
        make -s -C "$top/fcgi" >/dev/null
        [ -x "$fcgi_build" ] || die "make -C fcgi did not produce $fcgi_build"
    fi
    if is_root; then
        make -s -C "$top" install >/dev/null
    elif ! make -s -C "$top" install >/dev/null 2>&1; then
        die "'make install' needs write access to $(pg_config --pkglibdir); run as root"
    fi
}

start_postgres() {
    mkdir -p -m 755 "$pg_sock_dir"
    own_db "$pg_sock_dir"
    touch "$pg_log"
    own_db "$pg_log"

    if [ ! -f "$pgdata/PG_VERSION" ]; then
        say "creating the database cluster in $pgdata"
        mkdir -p -m 700 "$pgdata"
        own_db "$pgdata"
        # An ICU default collation on purpose: the roster's byte order must not depend on it.
        as_db "$pg_bin/initdb" -D "$pgdata" -U postgres -E UTF8 --locale=C.UTF-8 \
            --locale-provider=icu --icu-locale=en-US --auth-local=peer --auth-host=reject \
            >"$run_dir/initdb.log" 2>&1 || {
            cat "$run_dir/initdb.log" >&2
            die "initdb failed"
        }
        # The database pg_cron serves exists before pg_cron first looks for it (else its
        # launcher fails until provision_database creates it). Single-user mode, no settings
        # of ours loaded yet.
        echo "CREATE DATABASE presence;" |
            as_db "$pg_bin/postgres" --single -D "$pgdata" postgres >>"$run_dir/initdb.log" 2>&1 ||
            die "could not create the database presence (see $run_dir/initdb.log)"
        echo "include_if_exists = 'presence-stack.conf'" | as_db tee -a "$pgdata/postgresql.conf" \
            >/dev/null
    fi

    # Rewritten at every start, so a changed layout or setting takes effect.
    as_db tee "$pgdata/presence-stack.conf" >/dev/null <<EOF
# Written by scripts/stack.sh at every start; edit the script, not this file.
listen_addresses = ''
port = $pg_port
unix_socket_directories = '$pg_sock_dir'
max_connections = 100
shared_preload_libraries = 'pg_cron'
cron.database_name = 'presence'
cron.use_background_workers = on
cron.max_running_jobs = 4
max_worker_processes = 16
log_line_prefix = '%m [%p] %q%u@%d '
log_timezone = 'UTC'
timezone = 'UTC'
EOF
    # Peer authentication only: the OS user decides the database role. The invoking user is
    # the superuser postgres; the web user may log in as presence_http and nothing else.
    as_db tee "$pgdata/pg_hba.conf" >/dev/null <<EOF
# Written by scripts/stack.sh. Unix socket only, peer authentication through pg_ident.conf.
local all all peer map=presence
EOF
    {
        echo "# Written by scripts/stack.sh: OS user, database role."
        echo "presence $(id -un) postgres"
        echo "presence $db_user postgres"
        echo "presence $web_user presence_http"
    } | as_db tee "$pgdata/pg_ident.conf" >/dev/null

    say "starting PostgreSQL (log $pg_log)"
    if ! as_db "$pg_bin/pg_ctl" start -D "$pgdata" -l "$pg_log" -w -t 60 -s 9>&-; then
        tail -n 20 "$pg_log" >&2
        die "PostgreSQL did not start"
    fi
}

psql_su() {
    PGHOST=$pg_sock_dir PGPORT=$pg_port PGUSER=postgres psql -X -q -v ON_ERROR_STOP=1 "$@"
}

provision_database() {
    if [ "$(psql_su -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = 'presence'")" != 1 ]
    then
        psql_su -d postgres -c 'CREATE DATABASE presence'
    fi

    say "creating the extensions, the sweep job and the FastCGI program's role"
    psql_su -d presence >/dev/null <<'SQL'
SET client_min_messages = warning;
CREATE EXTENSION IF NOT EXISTS pg_cron;
CREATE EXTENSION IF NOT EXISTS presence;
ALTER EXTENSION presence UPDATE;

-- The sweep, every minute, and the hourly purge of its rows in cron.job_run_details
-- (calling it again replaces both). A stack made before the purge was part of
-- schedule_sweep had a job of its own for it.
SELECT presence.schedule_sweep();
SELECT cron.unschedule(jobid) FROM cron.job
    WHERE jobname = 'presence-purge-job-run-details';

-- The FastCGI program's role: reads through presence_reader and nothing else. Its bind
-- parameters (the bearer token) never reach the server log.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = 'presence_http') THEN
        CREATE ROLE presence_http LOGIN;
    END IF;
END
$$;
GRANT presence_reader TO presence_http;
ALTER ROLE presence_http SET log_parameter_max_length = 0;
ALTER ROLE presence_http SET log_parameter_max_length_on_error = 0;
-- Refused tokens, non-members and unknown crews are the program's to log, one line each with
-- nginx's request id; the server keeps its log for LOG, FATAL and PANIC from this role.
ALTER ROLE presence_http SET log_min_messages = log;
REVOKE CONNECT ON DATABASE presence FROM PUBLIC;
GRANT CONNECT ON DATABASE presence TO presence_http;
SQL
}

# The demo workspace: two crews, an agent in every status, one without a crew, a member and
# a token bound to the workspace. Every start writes the agents again (since = now) and
# issues a new token; the previous demo token is revoked.
provision_demo() {
    say "provisioning the demo workspace ws_demo"
    psql_su -d presence >/dev/null <<'SQL'
SELECT presence.workspace_create('ws_demo');
SELECT presence.crew_create('ws_demo', 'crw_backend');
SELECT presence.crew_create('ws_demo', 'crw_frontend');
SELECT presence.member_add('ws_demo', 'usr_demo');
SELECT presence.presence_upsert('ws_demo', 'agt_ada', 'online', 'crw_frontend');
SELECT presence.presence_upsert('ws_demo', 'agt_viktor', 'busy', 'crw_backend',
    jsonb_build_object('current_task_id', 'T-42', 'current_mission_id', 'M-7',
                       'started_at', to_char(now() AT TIME ZONE 'UTC',
                                             'YYYY-MM-DD"T"HH24:MI:SS"Z"')));
SELECT presence.presence_upsert('ws_demo', 'agt_bram', 'blocked', 'crw_backend',
    '{"blocked_reason": "awaiting_approval", "approval_id": "APR-1001"}');
SELECT presence.presence_upsert('ws_demo', 'agt_olga', 'offline', 'crw_frontend');
SELECT presence.presence_upsert('ws_demo', 'agt_solo', 'online');
SQL

    local old=''
    if [ -f "$run_dir/env" ]; then
        old=$(sed -n "s/^export PRESENCE_TOKEN='\([A-Za-z0-9_-]*\)'$/\1/p" "$run_dir/env")
    fi
    if [ -n "$old" ]; then
        # Through stdin, never the command line: a token must not show up in ps. Nor in the
        # server log of a cluster that logs every statement.
        printf "SET log_statement = 'none';\nSELECT presence.token_revoke('%s');\n" "$old" |
            psql_su -d presence >/dev/null
    fi
    token=$(psql_su -d presence -At -c "SELECT presence.token_issue('usr_demo', 'ws_demo')")
    [[ $token =~ ^[A-Za-z0-9_-]+$ ]] || die "token_issue returned something unexpected"
}

start_fcgi() {
    mkdir -p -m 755 "$fcgi_sock_dir"
    own_web "$fcgi_sock_dir"
    rm -f "$fcgi_sock"
    mkdir -p -m 755 "$srv_dir/bin"
    install -m 755 "$fcgi_src" "$fcgi_bin"
    launch_fcgi
}

# Starts the stack's copy of the program as the web user with the settings start recorded
# (threads, deadline, sanitizer options); returns once its socket exists.
launch_fcgi() {
    local fcgi_log=$run_dir/fcgi.log
    say "starting the FastCGI program (log $fcgi_log)"

    local args=(--socket "$fcgi_sock" --threads "$fcgi_threads") san=()
    if [ -n "$fcgi_deadline_ms" ]; then
        args+=(--deadline-ms "$fcgi_deadline_ms")
    fi
    if [ -n "$asan_options$ubsan_options$lsan_options" ]; then
        mkdir -p -m 755 "$sanitizer_dir"
        own_web "$sanitizer_dir"
    fi
    if [ -n "$asan_options" ]; then san+=("ASAN_OPTIONS=$asan_options"); fi
    if [ -n "$ubsan_options" ]; then san+=("UBSAN_OPTIONS=$ubsan_options"); fi
    if [ -n "$lsan_options" ]; then san+=("LSAN_OPTIONS=$lsan_options"); fi

    # A clean environment: nothing of the caller's libpq settings leaks into the program.
    # shellcheck disable=SC2046
    $(web_exec_prefix) env -i PATH=/usr/bin:/bin LANG=C.UTF-8 \
        PGHOST="$pg_sock_dir" PGPORT="$pg_port" PGDATABASE=presence PGUSER=presence_http \
        PGAPPNAME=presence-fcgi PGCONNECT_TIMEOUT=2 "${san[@]}" \
        "$fcgi_bin" "${args[@]}" </dev/null >>"$fcgi_log" 2>&1 9>&- &
    local pid=$!
    echo "$pid" > "$run_dir/fcgi.pid"

    local i
    for ((i = 0; i < 100; i++)); do
        [ -S "$fcgi_sock" ] && return 0
        alive "$pid" || break
        sleep 0.1
    done
    tail -n 20 "$fcgi_log" >&2
    die "the FastCGI program did not open $fcgi_sock"
}

render_nginx() {
    mkdir -p -m 755 "$ngx_prefix"
    local t
    for t in client_body fastcgi proxy uwsgi scgi; do
        mkdir -p -m 700 "$ngx_prefix/temp/$t"
    done
    touch "$ngx_prefix/error.log" "$ngx_prefix/access.log"
    cp /etc/nginx/fastcgi_params "$ngx_prefix/fastcgi_params"
    # nginx includes the deployable file itself, or, when the web user cannot read the
    # checkout, a copy of it.
    local conf=$top/nginx/presence.conf
    if is_root && ! reachable "$web_user" "$conf" -r; then
        cp "$conf" "$ngx_prefix/presence.conf"
        conf=$ngx_prefix/presence.conf
    fi
    sed -e "s|@PREFIX@|$ngx_prefix|g" -e "s|@PORT@|$port|g" \
        -e "s|@FCGI_SOCKET@|$fcgi_sock|g" -e "s|@PRESENCE_CONF@|$conf|g" \
        "$top/nginx/nginx.conf.in" > "$ngx_prefix/nginx.conf"
    if is_root; then
        chown -R "$web_user": "$ngx_prefix"
    fi
}

start_nginx() {
    render_nginx
    say "starting nginx on 127.0.0.1:$port (logs $ngx_prefix/error.log, access.log)"
    # nginx daemonizes itself and writes its pid file once its socket is bound.
    # shellcheck disable=SC2046
    if ! $(web_exec_prefix) /usr/sbin/nginx -p "$ngx_prefix" -c "$ngx_prefix/nginx.conf" \
        -e stderr </dev/null >>"$ngx_prefix/error.log" 2>&1 9>&-; then
        tail -n 20 "$ngx_prefix/error.log" >&2
        die "nginx did not start"
    fi
}

roster_url() { echo "http://127.0.0.1:$port/api/v1/presence/roster"; }

write_env() {
    (umask 077 && cat > "$run_dir/env.tmp") <<EOF
# Written by scripts/stack.sh start. Source it: . $run_dir/env
export PGHOST='$pg_sock_dir'
export PGPORT='$pg_port'
export PGDATABASE='presence'
export PGUSER='postgres'
export PRESENCE_URL='$(roster_url)'
export PRESENCE_TOKEN='$token'
EOF
    mv "$run_dir/env.tmp" "$run_dir/env"
}

# The HTTP status of a roster request with the demo token (000 when nothing answers).
probe() {
    local tok
    tok=$(sed -n "s/^export PRESENCE_TOKEN='\(.*\)'$/\1/p" "$run_dir/env" 2>/dev/null || true)
    # The header through curl's config on stdin, not the command line.
    printf 'header = "Authorization: Bearer %s"\n' "$tok" |
        curl -s -o /dev/null -w '%{http_code}' --max-time 2 -K - "$(roster_url)" || true
}

wait_ready() {
    local i code=000
    for ((i = 0; i < 50; i++)); do
        code=$(probe)
        [ "$code" = 200 ] && return 0
        sleep 0.2
    done
    echo "--- $run_dir/fcgi.log" >&2
    tail -n 10 "$run_dir/fcgi.log" >&2
    echo "--- $ngx_prefix/error.log" >&2
    tail -n 10 "$ngx_prefix/error.log" >&2
    die "the endpoint answers $code, not 200"
}

# Prints what runs; true only when all three parts do.
report_status() {
    local n=0 p
    if [ ! -f "$state" ]; then
        say "not started in $run_dir"
        return 1
    fi
    if pg_running; then
        say "PostgreSQL runs ($pgdata)"
        n=$((n + 1))
    else
        say "PostgreSQL is down"
    fi
    if p=$(fcgi_pid); then
        say "the FastCGI program runs (pid $p)"
        n=$((n + 1))
    else
        say "the FastCGI program is down"
    fi
    if p=$(nginx_pid); then
        say "nginx runs (pid $p, port $port)"
        n=$((n + 1))
    else
        say "nginx is down"
    fi
    [ $n -eq 3 ]
}

all_running() { pg_running && fcgi_pid >/dev/null && nginx_pid >/dev/null; }

# True when this run directory's stack is up and its endpoint answers.
serving() { [ -f "$state" ] && all_running && [ "$(probe)" = 200 ]; }

# Starts the stack. Exits non-zero, after stopping whatever did start, on any failure.
do_start() {
    if [ -f "$state" ]; then
        say "a previous stack in $run_dir is stale or half running; stopping what is left"
        do_stop
    fi

    plan_layout
    build_and_install
    if port_in_use "$port"; then
        die "127.0.0.1:$port is taken by another program; set PRESENCE_HTTP_PORT"
    fi

    write_state
    starting=yes
    trap 'on_start_exit' EXIT
    trap 'exit 130' INT TERM
    start_postgres
    provision_database
    provision_demo
    start_fcgi
    write_env
    start_nginx
    wait_ready
    starting=no
    trap - EXIT INT TERM
    say "ready: $(roster_url) ($run_dir/env has the libpq variables and the demo token)"
}

on_start_exit() {
    if [ "${starting:-no}" = yes ]; then
        echo "presence: start failed; stopping what started" >&2
        do_stop >/dev/null 2>&1 || true
    fi
}

# --- stop ---------------------------------------------------------------------------------

stop_nginx() {
    local p
    p=$(nginx_pid) || return 0
    kill -QUIT "$p" 2>/dev/null || true
    if ! wait_gone "$p" 150; then
        say "nginx did not quit in 15 s; terminating it"
        kill -TERM "$p" 2>/dev/null || true
        wait_gone "$p" 50 || kill -KILL "$p" 2>/dev/null || true
    fi
    # nginx's workers live in the master's session; none may outlive it.
    local w
    for w in $(ps -o pid= -s "$p" 2>/dev/null); do
        if pid_runs "$w" /usr/sbin/nginx; then kill -KILL "$w" 2>/dev/null || true; fi
    done
    say "nginx stopped"
}

stop_fcgi() {
    local p
    if p=$(fcgi_pid); then
        kill -TERM "$p" 2>/dev/null || true
        if ! wait_gone "$p" 150; then
            say "the FastCGI program did not stop in 15 s; killing it"
            kill -KILL "$p" 2>/dev/null || true
            wait_gone "$p" 20 || true
        fi
        say "the FastCGI program stopped"
    fi
    rm -f "$run_dir/fcgi.pid"
    [ -n "${fcgi_sock:-}" ] && rm -f "$fcgi_sock"
    return 0
}

stop_postgres() {
    pg_running || return 0
    if ! as_db "$pg_bin/pg_ctl" stop -D "$pgdata" -m fast -w -t 30 -s; then
        say "PostgreSQL did not stop in fast mode; stopping it immediately"
        as_db "$pg_bin/pg_ctl" stop -D "$pgdata" -m immediate -w -t 30 -s || true
    fi
    say "PostgreSQL stopped"
}

do_stop() {
    if [ ! -f "$state" ]; then
        say "not running in $run_dir"
        return 0
    fi
    stop_nginx
    stop_fcgi
    stop_postgres
    if [ -n "${port:-}" ] && port_in_use "$port"; then
        say "warning: something still listens on 127.0.0.1:$port"
    fi
    rm -f "$state"
}

# Stops the stack and removes its run directory and any /tmp fallback of it: the next start
# makes a fresh cluster.
do_clean() {
    do_stop
    local d
    for d in "/tmp/presence-$hash" "/tmp/presence-$hash-s"; do
        if [ -d "$d" ] && [ ! -L "$d" ] && [ "$(stat -c %u "$d")" = "$(id -u)" ]; then
            rm -rf "$d"
        fi
    done
    rm -rf "$run_dir"
    say "removed $run_dir"
}

# Stops the FastCGI program if it runs (TERM, as stop does) and starts the stack's copy of it
# again as start did: the same socket, user and settings. nginx and PostgreSQL are left
# alone; nginx connects to the socket for every request and needs no reload.
do_restart_fcgi() {
    [ -f "$state" ] || die "not started in $run_dir"
    [ -x "$fcgi_bin" ] || die "$fcgi_bin is missing; start the stack again"
    stop_fcgi
    launch_fcgi
    say "the FastCGI program runs again (pid $(read_pid "$run_dir/fcgi.pid"))"
}

# --- run ----------------------------------------------------------------------------------

# Serves until INT or TERM; the stack is already started and the lock released.
serve() {
    trap 'trap "" INT TERM; echo; say "stopping"; lock; do_stop; exit 0' INT TERM
    echo
    echo "Try it:"
    echo "  curl -sS -H 'Authorization: Bearer $token' '$(roster_url)'"
    echo
    say "serving until interrupted (Ctrl-C)"
    # Wakes every second to notice a part that died or a 'make stop' from elsewhere; skips
    # the check while another stack.sh holds the lock.
    while true; do
        sleep 1 &
        wait $! || true
        exec 9>"$run_dir/stack.lock"
        if flock -n 9; then
            if [ ! -f "$state" ]; then
                say "stopped from elsewhere"
                exit 0
            fi
            if ! all_running; then
                say "a part of the stack died:"
                report_status || true
                do_stop
                exit 1
            fi
        fi
        exec 9>&-
    done
}

# --- main ---------------------------------------------------------------------------------

# One stack.sh at a time per run directory. The daemons never inherit fd 9 (see no_lock).
lock() {
    mkdir -p -m 755 "$run_dir"
    exec 9>"$run_dir/stack.lock"
    flock -w 120 9 || die "another stack.sh holds $run_dir/stack.lock"
}

main() {
    local cmd=${1:-}
    init_layout
    case $cmd in
    start)
        lock
        if serving; then
            say "already running on $(roster_url) ($run_dir); 'make stop' stops it"
            exit 0
        fi
        do_start
        ;;
    run)
        lock
        if serving; then
            die "a stack started with 'make start' serves $(roster_url); 'make stop' it first"
        fi
        do_start
        exec 9>&-
        serve
        ;;
    stop)
        [ -d "$run_dir" ] || { say "not running in $run_dir"; exit 0; }
        lock
        do_stop
        ;;
    status)
        report_status
        ;;
    clean)
        [ -d "$run_dir" ] || exit 0
        lock
        do_clean
        ;;
    restart-fcgi)
        [ -d "$run_dir" ] || die "not started in $run_dir"
        lock
        do_restart_fcgi
        ;;
    *)
        echo "usage: $0 {run|start|stop|status|clean|restart-fcgi}" >&2
        exit 2
        ;;
    esac
}

main "$@"
