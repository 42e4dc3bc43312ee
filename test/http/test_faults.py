"""Faults under a small load, as clients see them, each repaired within the test:

- the FastCGI program killed with SIGKILL: nginx answers 502 problem+json while it is down,
  and the program started again (scripts/stack.sh restart-fcgi) serves with no nginx reload;
- PostgreSQL stopped and started: 503 with Retry-After while it is down, 200 after, nothing
  else restarted, and every worker thread serves again;
- a roster query held up past the program's deadline by a lock: a 503 problem+json from the
  program (not nginx's 504), the threads freed, the lock holder's transaction untouched.
"""

import collections
import concurrent.futures
import os
import signal
import time

from fixtures import WS_C
from harness import (Client, Failure, Load, alive, bearer, check, equal, expect_problem,
                     note, uid_of, wait_gone)
from test_db_outage import PG_CTL, as_db_user

# nginx's fastcgi_read_timeout (nginx/presence.conf): an answer later than this is nginx's 504.
READ_TIMEOUT = 5.0


def expect_retry_after(resp):
    ra = resp.header("Retry-After") or ""
    check(ra.isdigit() and int(ra) > 0, "Retry-After is a number of seconds: %r" % ra)


def wait_for_200(ctx, headers, seconds):
    """Asks until a roster request answers 200; fails after `seconds`."""
    deadline = time.monotonic() + seconds
    seen = []
    while time.monotonic() < deadline:
        r = ctx.http.get(headers=headers)
        seen.append(r.status)
        if r.status == 200:
            return
        time.sleep(0.1)
    raise Failure("no 200 within %d s; statuses seen %r" % (seconds, seen[-20:]))


def check_load(samples, allowed, after):
    """Every request of the load got an answer, with a status in `allowed`; every error is
    problem+json with Cache-Control: no-store and Retry-After; each thread's last answers,
    those that ended after `after` (time.monotonic()), are 200. Returns the status counts."""
    check(len(samples) > 0, "the load sent requests")
    errors = [s.error for s in samples if s.error is not None]
    equal(errors[:5], [], "requests of the load that got no HTTP answer")
    counts = collections.Counter(s.status for s in samples)
    check(set(counts) <= allowed, "statuses of the load %r, allowed %r" % (dict(counts), allowed))
    for s in samples:
        if s.status != 200:
            expect_problem(s.resp, s.status)
            expect_retry_after(s.resp)
    for t in sorted({s.thread for s in samples}):
        last = [s.status for s in samples if s.thread == t and s.at > after]
        check(last and all(x == 200 for x in last),
              "load thread %d after the repair: statuses %r" % (t, last[:20]))
    return counts


def outage_figures(samples, bad):
    """(first, last) end times of the load's `bad` answers, or None when there were none."""
    at = [s.at for s in samples if s.status == bad]
    return (min(at), max(at)) if at else None


def t_fcgi_killed_under_load(ctx):
    tok = bearer(ctx.fx.tokens["a"])
    old = ctx.stack.fcgi_pid()
    old_uid = uid_of(old)
    nginx_before = ctx.stack.nginx_pids()
    sock = ctx.stack.state()["fcgi_sock"]

    load = Load(ctx.stack.port, [tok]).start()
    try:
        time.sleep(1.0)
        killed_at = time.monotonic()
        os.kill(old, signal.SIGKILL)
        check(wait_gone(old, 10), "the program is gone 10 s after SIGKILL")

        for _ in range(3):
            r = ctx.http.get(headers=[tok])
            expect_problem(r, 502)
            expect_retry_after(r)
        expect_problem(ctx.http.get(method="HEAD", headers=[tok]), 502, head=True)
        time.sleep(1.0)  # the load meets the outage too

        restart_began = time.monotonic()
        code, out = ctx.stack.restart_fcgi()
        equal(code, 0, "exit status of stack.sh restart-fcgi (output:\n%s)" % out)
        restarted_at = time.monotonic()
        wait_for_200(ctx, [tok], 15)
        served_at = time.monotonic()
        time.sleep(1.0)
    finally:
        samples = load.stop()

    counts = check_load(samples, {200, 502}, served_at)
    check(counts[502] > 0, "the load saw the 502s of the outage: %r" % dict(counts))
    new = ctx.stack.fcgi_pid()
    check(new != old and alive(new), "a new program runs (pid %d, was %d)" % (new, old))
    equal(uid_of(new), old_uid, "the user the restarted program runs as")
    check(os.path.exists(sock), "the program listens on %s again" % sock)
    equal(ctx.stack.nginx_pids(), nginx_before,
          "nginx's master and worker pids (no reload, no restart)")
    window = outage_figures(samples, 502)
    note("load: %d requests (%s); 502s from %.2f s to %.2f s after the kill; restart-fcgi "
         "took %.2f s, first 200 %.2f s after the kill"
         % (len(samples), dict(sorted(counts.items())), window[0] - killed_at,
            window[1] - killed_at, restarted_at - restart_began, served_at - killed_at))


WAITING = ("SELECT count(*) FROM pg_stat_activity "
           "WHERE application_name = 'presence-fcgi' AND wait_event_type = 'Lock';")


def fcgi_sessions_waiting(ctx):
    """How many of the program's database sessions wait for a lock."""
    return int(ctx.stack.psql(WAITING)[0])


def lock_agents(ctx):
    """A superuser session holding ACCESS EXCLUSIVE on presence.agents in an open
    transaction; returns (session, its backend pid)."""
    holder = ctx.stack.session()
    try:
        out = holder.run("BEGIN;\nLOCK TABLE presence.agents IN ACCESS EXCLUSIVE MODE;\n"
                         "SELECT pg_backend_pid();")
        equal(out[:2], ["BEGIN", "LOCK TABLE"], "BEGIN and LOCK TABLE in the lock holder")
        return holder, int(out[2])
    except BaseException:
        holder.close()
        raise


def concurrent_gets(ctx, headers, n):
    """Starts n roster requests at once, each on its own connection and its own Client;
    returns (pool, futures of (response, seconds))."""
    def one(_):
        t0 = time.monotonic()
        r = Client(ctx.stack.port).get(headers=headers)
        return r, time.monotonic() - t0
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=n)
    return pool, [pool.submit(one, i) for i in range(n)]


def wait_all_threads_held(ctx, watcher, n, t0):
    """Waits until n of the program's sessions wait on the lock at once: n worker threads
    each serving a request. `watcher` is a session of its own that asks pg_stat_activity
    (each statement sees a fresh snapshot); `t0` is when the requests went out. Returns how
    long after t0 all n were held. Gives up at 80% of the program's deadline, which would
    answer the requests 503 and free the threads."""
    seconds = 0.8 * ctx.stack.fcgi_deadline_ms() / 1000.0
    waiting = 0
    while time.monotonic() - t0 < seconds:
        waiting = int(watcher.run(WAITING)[0])
        if waiting >= n:
            return time.monotonic() - t0
        time.sleep(0.01)
    raise Failure("%d of the program's %d threads took a request held by the lock within "
                  "%.1f s" % (waiting, n, seconds))


def every_thread_serves(ctx, headers):
    """N requests at once (N = the program's thread count) are each held by the lock in a
    thread of their own, then all answer 200 once it is released: no worker thread lost."""
    n = ctx.stack.fcgi_threads()
    watcher = ctx.stack.session()
    holder, _ = lock_agents(ctx)
    pool = None
    try:
        t0 = time.monotonic()
        pool, futures = concurrent_gets(ctx, headers, n)
        wait_all_threads_held(ctx, watcher, n, t0)
        equal(holder.run("ROLLBACK;"), ["ROLLBACK"], "the lock holder's ROLLBACK")
        got = [f.result(timeout=30)[0].status for f in futures]
        equal(got, [200] * n, "statuses of %d requests held at once, after the lock" % n)
    finally:
        holder.close()
        watcher.close()
        if pool is not None:
            pool.shutdown(wait=True)


def pg_ctl(ctx, *args):
    p = as_db_user([PG_CTL] + list(args))
    if p.returncode != 0:
        raise Failure("pg_ctl %s: %s" % (args[0], p.stdout.decode(errors="replace")))


def t_database_restart_under_load(ctx):
    tok = bearer(ctx.fx.tokens["a"])
    st = ctx.stack.state()
    fcgi = ctx.stack.fcgi_pid()
    nginx_before = ctx.stack.nginx_pids()
    postmaster = ctx.stack.postmaster_pid()

    load = Load(ctx.stack.port, [tok]).start()
    try:
        time.sleep(1.0)
        stopped_at = time.monotonic()
        pg_ctl(ctx, "stop", "-D", st["pgdata"], "-m", "fast", "-w", "-t", "30")
        try:
            for _ in range(3):
                r = ctx.http.get(headers=[tok])
                expect_problem(r, 503)
                expect_retry_after(r)
            expect_problem(ctx.http.get(method="HEAD", headers=[tok]), 503, head=True)
            time.sleep(1.0)
        finally:
            pg_ctl(ctx, "start", "-D", st["pgdata"], "-l", st["pg_log"], "-w", "-t", "60")
        started_at = time.monotonic()
        wait_for_200(ctx, [tok], 15)
        served_at = time.monotonic()
        time.sleep(1.0)
    finally:
        samples = load.stop()

    counts = check_load(samples, {200, 503}, served_at)
    check(counts[503] > 0, "the load saw the 503s of the outage: %r" % dict(counts))
    check(ctx.stack.postmaster_pid() != postmaster, "PostgreSQL did restart")
    equal(ctx.stack.fcgi_pid(), fcgi, "the FastCGI program's pid")
    check(alive(fcgi), "the FastCGI program still runs")
    equal(ctx.stack.nginx_pids(), nginx_before, "nginx's master and worker pids")
    every_thread_serves(ctx, [tok])
    window = outage_figures(samples, 503)
    note("load: %d requests (%s); 503s until %.2f s after the stop began; PostgreSQL down "
         "%.2f s, first 200 %.2f s after it was up"
         % (len(samples), dict(sorted(counts.items())), window[1] - stopped_at,
            started_at - stopped_at, served_at - started_at))


def t_query_past_deadline(ctx):
    tok = bearer(ctx.fx.tokens["a"])
    ws_c = [tok, ("X-Workspace-Id", WS_C)]
    n = ctx.stack.fcgi_threads()
    log_path = os.path.join(ctx.stack.run_dir, "fcgi.log")
    log_mark = os.path.getsize(log_path)

    watcher = ctx.stack.session()
    holder, holder_pid = lock_agents(ctx)
    pool = None
    try:
        # The lock holder writes too: its COMMIT shows the transaction was never disturbed.
        out = holder.run("SELECT agent_id FROM presence.presence_upsert('%s', 'agt_lock_holder', "
                         "'busy', NULL, '{\"current_task_id\": \"T-LOCK\"}');" % WS_C)
        equal(out, ["agt_lock_holder"], "the lock holder's upsert")

        # Every thread takes one request and is held, then the deadline answers each.
        t0 = time.monotonic()
        pool, futures = concurrent_gets(ctx, ws_c, n)
        held_after = wait_all_threads_held(ctx, watcher, n, t0)
        answers = [f.result(timeout=30) for f in futures]
        for r, seconds in answers:
            doc = expect_problem(r, 503)
            expect_retry_after(r)
            equal(doc["detail"], "the database did not answer in time; try again shortly",
                  "the program's own detail (not nginx's 503 or 504)")
            check(seconds < READ_TIMEOUT, "the 503 came back before nginx's %.0f s read "
                  "timeout (%.2f s)" % (READ_TIMEOUT, seconds))
        r = Client(ctx.stack.port).get(method="HEAD", headers=ws_c)
        expect_problem(r, 503, head=True)

        # The threads are free (no session of the program waits), the holder is not.
        equal(fcgi_sessions_waiting(ctx), 0, "the program's sessions still waiting")
        rows = ctx.stack.psql("""
SELECT a.state, l.granted FROM pg_stat_activity a
JOIN pg_locks l ON l.pid = a.pid AND l.relation = 'presence.agents'::regclass
    AND l.mode = 'AccessExclusiveLock'
WHERE a.pid = %d;""" % holder_pid)
        equal(rows, ["idle in transaction\tt"], "the lock holder's session and lock")
        with open(log_path, "rb") as f:
            f.seek(log_mark)
            logged = [l for l in f.read().split(b"\n") if b"sqlstate=57014" in l]
        check(len(logged) >= n + 1, "a log line with sqlstate=57014 for each 503 (%d)"
              % len(logged))

        equal(holder.run("COMMIT;"), ["COMMIT"], "the lock holder's COMMIT")
    finally:
        holder.close()
        watcher.close()
        if pool is not None:
            pool.shutdown(wait=True)

    r = ctx.http.get(headers=ws_c)
    equal(r.status, 200, "status once the lock is released")
    rows = {row["agent_id"]: row for row in r.json()["rows"]}
    equal(rows.get("agt_lock_holder", {}).get("details"), {"current_task_id": "T-LOCK"},
          "the lock holder's committed write")
    pool, futures = concurrent_gets(ctx, ws_c, n)
    with pool:
        got = [f.result(timeout=30)[0].status for f in futures]
    equal(got, [200] * n, "statuses of %d requests at once after the lock" % n)
    secs = sorted(s for _, s in answers)
    note("%d threads held by the lock after %.2f s; 503s after %.2f to %.2f s (deadline "
         "%d ms)" % (n, held_after, secs[0], secs[-1], ctx.stack.fcgi_deadline_ms()))


TESTS = [
    ("SIGKILL under load: 502 problem+json while down, restart-fcgi serves, no nginx reload",
     t_fcgi_killed_under_load),
    ("PostgreSQL restart under load: 503 with Retry-After, 200 after, no thread lost",
     t_database_restart_under_load),
    ("a query past the deadline (lock): the program's 503, threads freed, holder untouched",
     t_query_past_deadline),
]
