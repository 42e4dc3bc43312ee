"""What the HTTP tests share: the stack under test, HTTP clients (http.client for ordinary
requests, raw sockets for what http.client refuses to send), psql as the cluster's superuser,
and a small registry that runs tests in order and counts them.

Standard library only; runs on Debian's /usr/bin/python3.
"""

import http.client
import json
import os
import re
import socket
import subprocess
import time

TOP = os.path.realpath(os.path.join(os.path.dirname(__file__), "..", ".."))
ROSTER = "/api/v1/presence/roster"


class Failure(Exception):
    """A test's assertion that did not hold."""


def check(cond, what):
    if not cond:
        raise Failure(what)


def equal(got, want, what):
    if got != want:
        raise Failure("%s: got %r, want %r" % (what, got, want))


# --- the stack under test ------------------------------------------------------------------


class Stack:
    """One stack.sh stack: its run directory, port and, once started, its .run/env."""

    def __init__(self, run_dir, port):
        self.run_dir = run_dir
        self.port = port
        self.env = {}

    def make_env(self):
        env = dict(os.environ)
        env["PRESENCE_RUN_DIR"] = self.run_dir
        env["PRESENCE_HTTP_PORT"] = str(self.port)
        return env

    def make(self, target, timeout=600):
        """Runs `make TARGET` in the checkout for this stack; returns (exit status, output)."""
        p = subprocess.run(["make", "-s", "-C", TOP, target], env=self.make_env(),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout)
        return p.returncode, p.stdout.decode("utf-8", "replace")

    def load_env(self):
        """Reads RUN_DIR/env: `export NAME='value'` lines."""
        self.env = {}
        with open(os.path.join(self.run_dir, "env")) as f:
            for line in f:
                m = re.match(r"^export ([A-Z_]+)='([^']*)'$", line.rstrip("\n"))
                if m:
                    self.env[m.group(1)] = m.group(2)
        return self.env

    def state(self):
        """The layout stack.sh recorded in RUN_DIR/stack.state."""
        out = {}
        with open(os.path.join(self.run_dir, "stack.state")) as f:
            for line in f:
                m = re.match(r"^([a-z_]+)=(.*)$", line.rstrip("\n"))
                if m:
                    out[m.group(1)] = m.group(2)
        return out

    def psql(self, sql, check_errors=True):
        """Runs SQL (on stdin, so tokens never reach a command line) as the superuser of the
        private cluster; returns the unaligned, tuples-only output lines, fields split by tabs."""
        env = dict(os.environ)
        for k in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER"):
            env[k] = self.env[k]
        env["PGCLIENTENCODING"] = "UTF8"
        p = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1"],
                           input=sql.encode(), env=env, stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        if check_errors and p.returncode != 0:
            raise Failure("psql failed: %s" % p.stderr.decode("utf-8", "replace").strip())
        return [l for l in p.stdout.decode("utf-8").split("\n") if l != ""]

    def fcgi_pid(self):
        with open(os.path.join(self.run_dir, "fcgi.pid")) as f:
            return int(f.read().strip())

    def stack_pids(self):
        """Every live process of this stack: the postmaster and its children, nginx's master
        and workers, the FastCGI program."""
        st = self.state()
        pids = set()
        try:
            with open(os.path.join(st["pgdata"], "postmaster.pid")) as f:
                pm = int(f.readline())
            pids.add(pm)
            pids |= children(pm)
        except (OSError, ValueError):
            pass
        try:
            with open(os.path.join(st["ngx_prefix"], "nginx.pid")) as f:
                master = int(f.read().strip())
            pids.add(master)
            pids |= children(master)
        except (OSError, ValueError):
            pass
        try:
            pids.add(self.fcgi_pid())
        except (OSError, ValueError):
            pass
        return {p for p in pids if alive(p)}


def alive(pid):
    """True when pid is a live process (a zombie is not)."""
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except (OSError, IndexError):
        return False


def children(pid):
    out = set()
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % d) as f:
                fields = f.read().rsplit(")", 1)[1].split()
            if int(fields[1]) == pid:
                out.add(int(d))
        except (OSError, IndexError, ValueError):
            pass
    return out


def listening(port):
    """True when something listens on TCP `port`, by `ss -ltn`."""
    p = subprocess.run(["ss", "-ltnH", "sport = :%d" % port], stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=10)
    return p.stdout.strip() != b""


# --- HTTP ----------------------------------------------------------------------------------


class Response:
    def __init__(self, status, reason, headers, body, raw=None):
        self.status = status
        self.reason = reason
        self.headers = headers  # [(name, value)] in wire order
        self.body = body
        self.raw = raw

    def header(self, name):
        vals = self.all(name)
        return vals[0] if vals else None

    def all(self, name):
        return [v for k, v in self.headers if k.lower() == name.lower()]

    def json(self):
        return json.loads(self.body.decode("utf-8"))

    def __repr__(self):
        return "<%d %s %r>" % (self.status, self.reason, self.body[:200])


class Client:
    def __init__(self, port):
        self.port = port
        self.seen = []  # every response, to check headers every response must carry

    def get(self, path=ROSTER, headers=None, method="GET", body=None):
        """One request through http.client. `headers` is a list of (name, value) so a header
        can be sent twice."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=15)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for k, v in headers or []:
                conn.putheader(k, v)
            if body is not None:
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders(body)
            r = conn.getresponse()
            resp = Response(r.status, r.reason, r.getheaders(), r.read())
        finally:
            conn.close()
        self.seen.append(resp)
        return resp

    def raw(self, data, timeout=15):
        """Sends bytes as they are and reads the answer until the server closes."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=timeout)
        try:
            s.sendall(data)
            chunks = []
            while True:
                c = s.recv(65536)
                if not c:
                    break
                chunks.append(c)
        finally:
            s.close()
        raw = b"".join(chunks)
        resp = parse_raw(raw)
        self.seen.append(resp)
        return resp

    def raw_request(self, target, headers=(), method="GET", version="HTTP/1.1"):
        """A request built byte by byte, with `Connection: close`."""
        if isinstance(target, str):
            target = target.encode("latin-1")
        lines = [method.encode() + b" " + target + b" " + version.encode(),
                 b"Host: 127.0.0.1:%d" % self.port, b"Connection: close"]
        for k, v in headers:
            if isinstance(v, str):
                v = v.encode("latin-1")
            lines.append(k.encode() + b": " + v)
        return self.raw(b"\r\n".join(lines) + b"\r\n\r\n")


def parse_raw(raw):
    head, sep, body = raw.partition(b"\r\n\r\n")
    if not sep:
        raise Failure("no complete response head in %r" % raw[:200])
    lines = head.split(b"\r\n")
    m = re.match(rb"^HTTP/1\.[01] (\d{3}) ?(.*)$", lines[0])
    if not m:
        raise Failure("bad status line %r" % lines[0])
    headers = []
    for l in lines[1:]:
        k, _, v = l.partition(b":")
        headers.append((k.decode("latin-1"), v.strip().decode("latin-1")))
    return Response(int(m.group(1)), m.group(2).decode("latin-1"), headers, body, raw)


def without_date(raw):
    """A raw response with its Date header line removed, for byte-for-byte comparisons."""
    return re.sub(rb"\r\nDate: [^\r]*", b"", raw)


def bearer(token):
    return ("Authorization", "Bearer " + token)


TITLES = {400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
          405: "Method Not Allowed", 413: "Content Too Large", 414: "URI Too Long",
          500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable",
          504: "Gateway Timeout"}


def expect_problem(resp, status, head=False):
    """Checks an error response: status, problem+json with type, title, status and detail,
    and Cache-Control: no-store. With head=True the body must be empty."""
    equal(resp.status, status, "status (body %r)" % resp.body[:300])
    expect_no_store(resp)
    ctype = resp.header("Content-Type") or ""
    equal(ctype.split(";")[0].strip(), "application/problem+json", "Content-Type")
    if head:
        equal(resp.body, b"", "HEAD body")
        return None
    try:
        doc = resp.json()
    except ValueError as e:
        raise Failure("body is not JSON (%s): %r" % (e, resp.body[:300]))
    check(isinstance(doc, dict), "problem body is an object")
    for k in ("type", "title", "status", "detail"):
        check(k in doc, "problem body has %r: %r" % (k, doc))
    equal(doc["type"], "about:blank", "problem type")
    equal(doc["status"], status, "problem status")
    if status in TITLES:
        equal(doc["title"], TITLES[status], "problem title")
    check(isinstance(doc["detail"], str) and doc["detail"] != "", "problem detail is text")
    return doc


def expect_no_store(resp):
    equal(resp.header("Cache-Control"), "no-store", "Cache-Control")


def expect_401(resp, invalid_token):
    expect_problem(resp, 401)
    want = 'Bearer realm="presence"'
    if invalid_token:
        want += ', error="invalid_token"'
    equal(resp.all("WWW-Authenticate"), [want], "WWW-Authenticate")


# --- the registry --------------------------------------------------------------------------


class Runner:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def run(self, name, fn, *args):
        """Runs one test and prints one line for it. Returns True when it passed."""
        t0 = time.monotonic()
        try:
            fn(*args)
        except Failure as e:
            self.failed += 1
            print("FAIL %s: %s" % (name, e), flush=True)
            return False
        except Exception as e:  # a broken test is a failed test, never a crash of the run
            self.failed += 1
            print("FAIL %s: %s: %s" % (name, type(e).__name__, e), flush=True)
            return False
        self.passed += 1
        print("ok   %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)
        return True

    def skip_all(self, names, why):
        for n in names:
            self.failed += 1
            print("FAIL %s: not run, %s" % (n, why), flush=True)

    def summary(self):
        print("%d passed, %d failed" % (self.passed, self.failed), flush=True)
        return self.failed == 0
