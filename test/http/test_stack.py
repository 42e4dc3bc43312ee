"""make start, make run and make stop as the contract's Commands section has them: the
endpoint answers once start returns, .run/env and the printed curl line work, a second stack
on another port does not collide, and stop leaves nothing running and frees the port."""

import json
import os
import re
import secrets
import selectors
import signal
import subprocess
import time

from harness import TOP, Failure, Stack, alive, bearer, check, equal, listening, note

ENV_KEYS = ["PGHOST", "PGPORT", "PGDATABASE", "PGUSER", "PRESENCE_URL", "PRESENCE_TOKEN"]

# The curl line of .run/env, as a user would type it after sourcing the file.
CURL_FROM_ENV = ('. "$1" && curl -sS -o /dev/null -w "%{http_code}" '
                 '-H "Authorization: Bearer $PRESENCE_TOKEN" "$PRESENCE_URL"')


def t_start(ctx):
    code, out = ctx.stack.make("start")
    ctx.start_output = out
    equal(code, 0, "make start's exit status (output:\n%s)" % out)
    env = ctx.stack.load_env()
    equal(sorted(env), sorted(ENV_KEYS), "the variables of .run/env")
    equal(env["PRESENCE_URL"], "http://127.0.0.1:%d/api/v1/presence/roster" % ctx.stack.port,
          "PRESENCE_URL")
    equal(env["PGUSER"], "postgres", "PGUSER")
    equal(env["PGDATABASE"], "presence", "PGDATABASE")
    mode = os.stat(os.path.join(ctx.stack.run_dir, "env")).st_mode & 0o777
    equal(mode & 0o077, 0, ".run/env (it holds a token) is readable by its owner only")


def t_curl_from_env(ctx):
    p = subprocess.run(["bash", "-c", CURL_FROM_ENV, "curl-from-env",
                        os.path.join(ctx.stack.run_dir, "env")],
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=30)
    equal(p.stdout.decode(errors="replace"), "200", "the curl line's status")


def t_superuser_env(ctx):
    rows = ctx.stack.psql("SELECT current_setting('is_superuser'), current_database();")
    equal(rows, ["on\tpresence"], "psql with .run/env's variables")
    rows = ctx.stack.psql("SELECT current_setting('listen_addresses') = '';")
    equal(rows, ["t"], "listen_addresses is empty (no TCP port)")


def t_cron_jobs(ctx):
    rows = ctx.stack.psql("SELECT jobname, schedule, database FROM cron.job ORDER BY jobname;")
    names = [r.split("\t")[0] for r in rows]
    check("presence-sweep:presence" in names, "the sweep is scheduled: %r" % rows)
    check("presence-sweep-purge:presence" in names, "the purge is scheduled: %r" % rows)
    check("presence-purge-job-run-details" not in names, "one purge job only: %r" % rows)
    sweep = [r for r in rows if r.startswith("presence-sweep:")][0].split("\t")
    equal(sweep[1], "* * * * *", "the sweep's schedule")


def t_http_role(ctx):
    rows = ctx.stack.psql("""
SELECT r.rolcanlogin, r.rolsuper, pg_has_role('presence_http', 'presence_reader', 'member'),
       pg_has_role('presence_http', 'presence_writer', 'member'),
       pg_has_role('presence_http', 'presence_admin', 'member')
FROM pg_roles r WHERE r.rolname = 'presence_http';
SELECT unnest(s.setconfig) FROM pg_db_role_setting s
WHERE s.setrole = 'presence_http'::regrole ORDER BY 1;""")
    equal(rows[0], "t\tf\tt\tf\tf", "presence_http: login, not superuser, reader only")
    check("log_parameter_max_length=0" in rows[1:], "log_parameter_max_length=0: %r" % rows)


def t_demo_data(ctx):
    tok = bearer(ctx.stack.env["PRESENCE_TOKEN"])
    doc = ctx.http.get(headers=[tok]).json()
    rows = {r["agent_id"]: r for r in doc["rows"]}
    equal(sorted({r["status"] for r in rows.values()}), ["blocked", "busy", "offline", "online"],
          "the demo's statuses")
    busy = [r for r in rows.values() if r["status"] == "busy"][0]
    equal(sorted(busy.get("details", {})), ["current_mission_id", "current_task_id",
                                            "started_at"], "the busy agent's details")
    blocked = [r for r in rows.values() if r["status"] == "blocked"][0]
    equal(blocked.get("details", {}).get("blocked_reason"), "awaiting_approval",
          "the blocked agent's reason")
    check("approval_id" in blocked["details"], "the blocked agent has an approval_id")
    check(any("crew_id" not in r for r in rows.values()), "an agent without a crew")
    crews = sorted({r["crew_id"] for r in rows.values() if "crew_id" in r})
    equal(len(crews), 2, "the demo's crews")
    for crew in crews:
        sub = ctx.http.get("/api/v1/presence/roster?crew_id=" + crew, headers=[tok]).json()
        check(sub["count"] > 0 and all(r["crew_id"] == crew for r in sub["rows"]),
              "the crew filter on %s" % crew)


def t_start_again(ctx):
    pid = ctx.stack.fcgi_pid()
    code, out = ctx.stack.make("start")
    equal(code, 0, "exit status of a second make start (output:\n%s)" % out)
    check("already running" in out, "a second start says so: %r" % out)
    equal(ctx.stack.fcgi_pid(), pid, "the FastCGI program's pid")
    p = subprocess.run(["bash", "-c", CURL_FROM_ENV, "x", os.path.join(ctx.stack.run_dir, "env")],
                       stdout=subprocess.PIPE, timeout=30)
    equal(p.stdout, b"200", "status after the second start")


def free_port(start):
    port = start
    while listening(port):
        port += 1
    return port


def read_until(proc, pattern, timeout):
    """Reads the process's output lines until one matches; returns (match, all output)."""
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    buf = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not sel.select(timeout=max(0.0, deadline - time.monotonic())):
            continue
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            break
        buf += chunk
        for line in buf.decode(errors="replace").split("\n"):
            m = re.match(pattern, line)
            if m:
                return m, buf.decode(errors="replace")
    return None, buf.decode(errors="replace")


def t_make_run_second_stack(ctx):
    """make run in a second run directory on another port, next to the running stack."""
    second = Stack(ctx.stack.run_dir + "-second", free_port(ctx.stack.port + 1))
    # As a terminal would: SIGINT at its default, the whole group interrupted at once.
    proc = subprocess.Popen(["make", "-s", "-C", TOP, "run"], env=second.make_env(),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, start_new_session=True,
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    pids = set()
    try:
        m, out = read_until(proc, r"^\s*(curl .*)$", 300)
        check(m is not None, "make run printed a curl line; output:\n%s" % out)
        line = m.group(1)
        p = subprocess.run(["bash", "-c", line], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=30)
        equal(p.returncode, 0, "exit status of the printed curl line (%r)" % p.stdout[:300])
        try:
            doc = json.loads(p.stdout)
        except ValueError:
            raise Failure("the printed curl line answered %r" % p.stdout[:300])
        check(doc.get("count", 0) >= 5, "the demo roster through the printed line: %r" % doc)
        check(str(second.port) in line, "the curl line names port %d" % second.port)

        second.load_env()
        check(second.env["PGHOST"] != ctx.stack.env["PGHOST"], "separate database sockets")
        pids = second.stack_pids()
        check(len(pids) >= 3, "the second stack's processes: %r" % pids)
        check(not (pids & ctx.stack.stack_pids()), "the two stacks share no process")
        first = ctx.http.get(headers=[bearer(ctx.stack.env["PRESENCE_TOKEN"])])
        equal(first.status, 200, "the first stack still answers")

        os.killpg(proc.pid, signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            raise Failure("make run did not end within 60 s of SIGINT")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(timeout=60)
        proc.stdout.close()

    deadline = time.monotonic() + 10
    left = {p for p in pids if os.path.exists("/proc/%d" % p)}
    while left and time.monotonic() < deadline:
        time.sleep(0.2)
        left = {p for p in pids if alive(p)}
    equal(left, set(), "processes of the second stack left after SIGINT")
    check(not listening(second.port), "port %d is free after SIGINT" % second.port)
    equal(ctx.http.get(headers=[bearer(ctx.stack.env["PRESENCE_TOKEN"])]).status, 200,
          "the first stack still answers after the second stopped")


def set_log_statement(ctx, value):
    """ALTER SYSTEM for log_statement (None resets it), then a reload; returns once a new
    session sees the value."""
    if value is None:
        ctx.stack.psql("ALTER SYSTEM RESET log_statement;\nSELECT pg_reload_conf();")
        want = "none"
    else:
        ctx.stack.psql("ALTER SYSTEM SET log_statement = '%s';\nSELECT pg_reload_conf();"
                       % value)
        want = value
    deadline = time.monotonic() + 10
    while ctx.stack.psql("SHOW log_statement;") != [want]:
        if time.monotonic() > deadline:
            raise Failure("log_statement is not %s 10 s after the reload" % want)
        time.sleep(0.1)


def t_log_every_statement(ctx):
    """From here to the log test, PostgreSQL logs every statement: every request of the run
    meets log_statement = all, and the program's role must still keep its parameters (the
    token) out. The log test resets it."""
    set_log_statement(ctx, "all")


# The statement the program runs for every request, as log_statement = all logs it.
EXECUTE_LINE = re.compile(rb"presence_http@presence LOG:  execute presence_http_roster: "
                          rb"SELECT presence\.http_roster\(\$1, \$2, \$3, \$4\)")


def t_no_token_in_logs(ctx):
    """After every test's requests (good, bad, during the outages, under load), and requests
    with a valid, an unknown and a revoked token under log_statement = all: no token in any
    log."""
    st = ctx.stack.state()
    pg_mark = os.path.getsize(st["pg_log"])
    unknown = "prs_" + secrets.token_urlsafe(32)
    try:
        valid, revoked = ctx.fx.tokens["a"], ctx.fx.tokens["revoked"]
        for tok, query, want in ((valid, "", 200), (valid, "?crew_id=crw_nowhere", 404),
                                 (unknown, "", 401), (unknown, "?crew_id=crw_nowhere", 401),
                                 (revoked, "", 401), (revoked, "?crew_id=crw_nowhere", 401)):
            r = ctx.http.get("/api/v1/presence/roster" + query, headers=[bearer(tok)])
            equal(r.status, want, "status of %r under log_statement = all" % query)
        with open(st["pg_log"], "rb") as f:
            f.seek(pg_mark)
            logged = f.read()
        executed = len(EXECUTE_LINE.findall(logged))
        check(executed >= 6, "PostgreSQL logged the program's statements (%d of 6); "
              "log_statement = all was not in effect" % executed)
        check(b"parameters:" not in logged, "PostgreSQL logged bind parameters:\n%s"
              % logged.decode(errors="replace")[:2000])
    finally:
        set_log_statement(ctx, None)

    logs = [st["pg_log"], os.path.join(ctx.stack.run_dir, "fcgi.log"),
            os.path.join(st["ngx_prefix"], "error.log"),
            os.path.join(st["ngx_prefix"], "access.log")]
    tokens = (list(ctx.fx.tokens.items()) + [("demo", ctx.stack.env["PRESENCE_TOKEN"]),
                                             ("unknown", unknown)])
    check(len(tokens) >= 7, "tokens were issued")
    sizes = []
    for path in logs:
        with open(path, "rb") as f:
            text = f.read()
        check(len(text) > 0, "%s is not empty" % path)
        sizes.append("%s %d KB" % (os.path.basename(path), len(text) // 1024))
        for name, tok in tokens:
            check(tok.encode() not in text, "the %s token appears in %s" % (name, path))
    with open(st["pg_log"], "rb") as f:
        executed = len(EXECUTE_LINE.findall(f.read()))
    note("%d tokens, none in %s; the program's statement logged %d times"
         % (len(tokens), ", ".join(sizes), executed))


def t_stop(ctx):
    if not os.path.exists(os.path.join(ctx.stack.run_dir, "stack.state")):
        code, out = ctx.stack.make("stop")  # after a failed start: still leaves nothing
        equal(code, 0, "make stop's exit status (output:\n%s)" % out)
        check(not listening(ctx.stack.port), "port %d is free (ss -ltn)" % ctx.stack.port)
        return
    pids = ctx.stack.stack_pids()
    check(len(pids) >= 2, "processes of the stack before stop: %r" % pids)
    st = ctx.stack.state()
    code, out = ctx.stack.make("stop")
    equal(code, 0, "make stop's exit status (output:\n%s)" % out)
    left = {p for p in pids if alive(p)}
    equal(left, set(), "processes of the stack left after make stop")
    check(not listening(ctx.stack.port), "port %d is free (ss -ltn)" % ctx.stack.port)
    for sock in (st["fcgi_sock"], os.path.join(st["pg_sock_dir"], ".s.PGSQL.5432")):
        check(not os.path.exists(sock), "%s is gone" % sock)


def t_stop_again(ctx):
    code, out = ctx.stack.make("stop")
    equal(code, 0, "exit status of a second make stop (output:\n%s)" % out)


FIRST = [("make start: returns 0 and writes .run/env", t_start)]
AFTER_START = [
    ("the curl line from .run/env answers 200", t_curl_from_env),
    (".run/env's libpq variables reach the cluster as its superuser", t_superuser_env),
    ("pg_cron runs the sweep every minute and purges job_run_details", t_cron_jobs),
    ("the FastCGI program's role reads only and keeps parameters out of the log", t_http_role),
    ("the demo workspace: two crews, every status, an agent without crew", t_demo_data),
    ("make start when already running says so and keeps the stack", t_start_again),
]
SECOND = [("make run: a second stack on another port, Ctrl-C stops it all",
           t_make_run_second_stack)]
LOG_ALL = [("PostgreSQL logs every statement from here on (log_statement = all)",
            t_log_every_statement)]
LOGS = [("no token reaches the logs of PostgreSQL (log_statement = all), the program or nginx",
         t_no_token_in_logs)]
LAST = [
    ("make stop (with the program already gone): no process left, port free", t_stop),
    ("make stop when stopped is a no-op", t_stop_again),
]
