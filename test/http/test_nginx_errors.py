"""What nginx answers itself (nginx/presence.conf): problem+json with Cache-Control: no-store
for requests it refuses and for a FastCGI program that times out or is gone."""

import os
import signal
import time

from harness import ROSTER, bearer, equal, expect_problem


def good(ctx):
    r = ctx.http.get(headers=[bearer(ctx.fx.tokens["a"])])
    equal(r.status, 200, "the next good request")


def t_unknown_path(ctx):
    for path in ("/", "/api/v1/presence/roster/", "/api/v1/presence/rosterx", "/index.html",
                 "/api/v1/presence/roster/../../../etc/passwd"):
        expect_problem(ctx.http.get(path, headers=[bearer(ctx.fx.tokens["a"])]), 404)
    good(ctx)


def t_request_line_too_long(ctx):
    r = ctx.http.raw_request(ROSTER + "?crew_id=" + "L" * 9000,
                             headers=[("Authorization", "Bearer " + ctx.fx.tokens["a"])])
    expect_problem(r, 414)
    good(ctx)


def t_header_too_large(ctx):
    r = ctx.http.raw_request(ROSTER, headers=[("Authorization", "Bearer " + ctx.fx.tokens["a"]),
                                              ("X-Workspace-Id", "w" * 10000)])
    expect_problem(r, 400)
    good(ctx)


def t_control_byte(ctx):
    r = ctx.http.raw_request(b"/api/v1/presence/roster?crew_id=a\x01b",
                             headers=[("Authorization", "Bearer " + ctx.fx.tokens["a"])])
    expect_problem(r, 400)
    good(ctx)


def t_body_too_large(ctx):
    r = ctx.http.get(headers=[bearer(ctx.fx.tokens["a"])], body=b"x" * 4096)
    expect_problem(r, 413)
    good(ctx)


def t_trace(ctx):
    r = ctx.http.raw_request(ROSTER, method="TRACE")
    expect_problem(r, 405)
    equal(r.all("Allow"), ["GET, HEAD"], "Allow")
    good(ctx)


def t_gateway_timeout(ctx):
    """A stopped (not dead) program: nginx waits fastcgi_read_timeout, then answers 504."""
    pid = ctx.stack.fcgi_pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        t0 = time.monotonic()
        r = ctx.http.get(headers=[bearer(ctx.fx.tokens["a"])])
        waited = time.monotonic() - t0
    finally:
        os.kill(pid, signal.SIGCONT)
    expect_problem(r, 504)
    equal(r.header("Retry-After"), "2", "Retry-After")
    if waited > 12:
        raise AssertionError("504 after %.1f s; fastcgi_read_timeout is 5 s" % waited)
    deadline = time.monotonic() + 10
    status = None
    while time.monotonic() < deadline:
        status = ctx.http.get(headers=[bearer(ctx.fx.tokens["a"])]).status
        if status == 200:
            break
        time.sleep(0.2)
    equal(status, 200, "status once the program runs again")
    equal(ctx.stack.fcgi_pid(), pid, "the FastCGI program's pid")


def t_bad_gateway(ctx):
    """The program stopped: nginx answers 502. Leaves the stack without its program, for
    `make stop` to cope with."""
    pid = ctx.stack.fcgi_pid()
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and os.path.exists("/proc/%d" % pid):
        with open("/proc/%d/stat" % pid) as f:
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                break
        time.sleep(0.1)
    r = ctx.http.get(headers=[bearer(ctx.fx.tokens["a"])])
    expect_problem(r, 502)
    equal(r.header("Retry-After"), "2", "Retry-After")
    r = ctx.http.raw_request(ROSTER, method="HEAD")
    expect_problem(r, 502, head=True)


TESTS = [
    ("404 problem+json for any other path", t_unknown_path),
    ("414 problem+json for a request line over 8 KB", t_request_line_too_long),
    ("400 problem+json for a header over 8 KB", t_header_too_large),
    ("400 problem+json for a raw control byte in the request line", t_control_byte),
    ("413 problem+json for a request body over 1 KB", t_body_too_large),
    ("405 problem+json with Allow for TRACE (refused by nginx)", t_trace),
]
TIMEOUT = [("504 problem+json while the program hangs; then 200, same pid", t_gateway_timeout)]
GONE = [("502 problem+json (GET and HEAD) once the program is gone", t_bad_gateway)]
