"""The database goes away under a running stack and comes back: 503 with Retry-After while
it is down, 200 again afterwards, and the FastCGI program is the same process throughout."""

import concurrent.futures
import os
import subprocess
import time

from harness import Failure, bearer, check, equal, expect_problem

PG_CTL = "/usr/lib/postgresql/15/bin/pg_ctl"


def as_db_user(args):
    """Runs a command as the user the database runs as (postgres when we are root)."""
    if os.getuid() == 0:
        args = ["runuser", "-u", "postgres", "--"] + args
    return subprocess.run(args, cwd="/", stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, timeout=90)


def t_database_restart(ctx):
    st = ctx.stack.state()
    tok = bearer(ctx.fx.tokens["a"])
    pid = ctx.stack.fcgi_pid()
    equal(ctx.http.get(headers=[tok]).status, 200, "status before the outage")

    p = as_db_user([PG_CTL, "stop", "-D", st["pgdata"], "-m", "fast", "-w", "-t", "30"])
    check(p.returncode == 0, "pg_ctl stop: %s" % p.stdout.decode(errors="replace"))
    try:
        for i in range(3):
            r = ctx.http.get(headers=[tok])
            expect_problem(r, 503)
            ra = r.header("Retry-After") or ""
            check(ra.isdigit() and int(ra) > 0, "Retry-After is a number of seconds: %r" % ra)
            r = ctx.http.get(method="HEAD", headers=[tok])
            expect_problem(r, 503, head=True)
        # The checks before the database still answer as usual.
        expect_problem(ctx.http.get(), 401)
    finally:
        p = as_db_user([PG_CTL, "start", "-D", st["pgdata"], "-l", st["pg_log"], "-w",
                        "-t", "60"])
        if p.returncode != 0:
            raise Failure("pg_ctl start: %s" % p.stdout.decode(errors="replace"))

    deadline = time.monotonic() + 15
    statuses = []
    while time.monotonic() < deadline:
        r = ctx.http.get(headers=[tok])
        statuses.append(r.status)
        if r.status == 200:
            break
        time.sleep(0.3)
    equal(statuses[-1], 200, "status after the restart (statuses seen %r)" % statuses)
    # Every worker thread gets its session back, not only the first one asked: concurrent
    # requests spread over the threads.
    with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
        for _ in range(3):
            got = list(pool.map(lambda _: ctx.http.get(headers=[tok]).status, range(16)))
            equal(got, [200] * 16, "statuses of concurrent requests after the restart")
    equal(ctx.stack.fcgi_pid(), pid, "the FastCGI program's pid")
    check(ctx.stack.fcgi_pid() in ctx.stack.stack_pids(), "the FastCGI program still runs")


TESTS = [("database restart: 503 with Retry-After while down, then 200, same program",
          t_database_restart)]
