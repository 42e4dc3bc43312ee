"""What the HTTP tests share: the stack under test, HTTP clients (http.client for ordinary
requests, raw sockets for what http.client refuses to send), psql as the cluster's superuser
(one statement batch at a time, or a session kept open), a small steady load for the fault
tests, and a small registry that runs tests in order and counts them.

Standard library only; runs on Debian's /usr/bin/python3.
"""

import http.client
import json
import os
import re
import selectors
import shlex
import socket
import subprocess
import threading
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
        """The layout stack.sh recorded in RUN_DIR/stack.state (shell assignments, some
        quoted)."""
        out = {}
        with open(os.path.join(self.run_dir, "stack.state")) as f:
            for line in f:
                m = re.match(r"^([a-z_]+)=(.*)$", line.rstrip("\n"))
                if m:
                    words = shlex.split(m.group(2))
                    out[m.group(1)] = words[0] if words else ""
        return out

    def psql_env(self):
        env = dict(os.environ)
        for k in ("PGHOST", "PGPORT", "PGDATABASE", "PGUSER"):
            env[k] = self.env[k]
        env["PGCLIENTENCODING"] = "UTF8"
        return env

    def psql(self, sql, check_errors=True):
        """Runs SQL (on stdin, so tokens never reach a command line) as the superuser of the
        private cluster; returns the unaligned, tuples-only output lines, fields split by tabs."""
        p = subprocess.run(["psql", "-X", "-q", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1"],
                           input=sql.encode(), env=self.psql_env(), stdout=subprocess.PIPE,
                           stderr=subprocess.PIPE, timeout=60)
        if check_errors and p.returncode != 0:
            raise Failure("psql failed: %s" % p.stderr.decode("utf-8", "replace").strip())
        return [l for l in p.stdout.decode("utf-8").split("\n") if l != ""]

    def session(self):
        """A psql session of the superuser kept open (see PsqlSession)."""
        return PsqlSession(self.psql_env())

    def fcgi_pid(self):
        with open(os.path.join(self.run_dir, "fcgi.pid")) as f:
            return int(f.read().strip())

    def fcgi_threads(self):
        """The FastCGI program's worker thread count, as start passed it."""
        return int(self.state().get("fcgi_threads") or 8)

    def fcgi_deadline_ms(self):
        """The FastCGI program's deadline for a database call: what start passed, else the
        program's default."""
        return int(self.state().get("fcgi_deadline_ms") or 2000)

    def nginx_pids(self):
        """(master pid, sorted worker pids) of this stack's nginx."""
        with open(os.path.join(self.state()["ngx_prefix"], "nginx.pid")) as f:
            master = int(f.read().strip())
        return master, sorted(p for p in children(master) if alive(p))

    def postmaster_pid(self):
        with open(os.path.join(self.state()["pgdata"], "postmaster.pid")) as f:
            return int(f.readline())

    def restart_fcgi(self):
        """`scripts/stack.sh restart-fcgi`: the program started again the way start starts it.
        Returns (exit status, output)."""
        p = subprocess.run([os.path.join(TOP, "scripts", "stack.sh"), "restart-fcgi"],
                           env=self.make_env(), stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        return p.returncode, p.stdout.decode("utf-8", "replace")

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


def wait_gone(pid, seconds):
    """Waits up to `seconds` for pid to exit; True when it has."""
    deadline = time.monotonic() + seconds
    while alive(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    return not alive(pid)


def uid_of(pid):
    """The real user id pid runs as."""
    with open("/proc/%d/status" % pid) as f:
        for line in f:
            if line.startswith("Uid:"):
                return int(line.split()[1])
    raise Failure("no Uid line for pid %d" % pid)


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


class PsqlSession:
    """One psql process of the superuser, kept open and fed statements through a pipe: a
    transaction stays open between calls (a lock holder, say). Output is unaligned and
    tuples-only, with command tags (COMMIT, ROLLBACK) shown."""

    def __init__(self, env):
        # Line-buffered output, so each answer arrives while the session stays open.
        self.proc = subprocess.Popen(
            ["stdbuf", "-oL", "psql", "-X", "-At", "-F", "\t", "-v", "ON_ERROR_STOP=1"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        self.buf = b""
        self.marks = 0

    def run(self, sql, timeout=15):
        """Sends `sql` and returns the output lines it produced, waiting at most `timeout`
        seconds for them."""
        self.marks += 1
        mark = "--presence-test-mark-%d--" % self.marks
        try:
            self.proc.stdin.write(("%s\n\\echo %s\n" % (sql, mark)).encode())
            self.proc.stdin.flush()
        except BrokenPipeError:
            raise Failure("the psql session ended; output %r" % self.buf[-500:])
        sel = selectors.DefaultSelector()
        sel.register(self.proc.stdout, selectors.EVENT_READ)
        deadline = time.monotonic() + timeout
        try:
            while True:
                lines = self.buf.decode("utf-8", "replace").split("\n")
                if mark in lines:
                    at = lines.index(mark)
                    self.buf = "\n".join(lines[at + 1:]).encode()
                    return lines[:at]
                left = deadline - time.monotonic()
                if left <= 0:
                    raise Failure("psql did not answer %r within %d s; output %r"
                                  % (sql[:100], timeout, self.buf[-500:]))
                if sel.select(timeout=left):
                    chunk = os.read(self.proc.stdout.fileno(), 65536)
                    if not chunk:
                        raise Failure("the psql session ended; output %r" % self.buf[-500:])
                    self.buf += chunk
        finally:
            sel.close()

    def close(self):
        """Ends the session (an open transaction is rolled back by the server)."""
        if self.proc.poll() is None:
            try:
                self.proc.stdin.close()
            except OSError:
                pass
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.proc.stdout.close()


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


class Sample:
    """One request of a Load: when it ended (time.monotonic()), and the response, or the
    error that kept it from getting one."""

    def __init__(self, thread, at, resp, error):
        self.thread = thread
        self.at = at
        self.resp = resp
        self.error = error

    @property
    def status(self):
        return self.resp.status if self.resp is not None else None


class Load:
    """A small steady load: a few threads sending one roster request after another, each on a
    fresh connection, until stop() or `max_seconds`, whichever comes first. Every request's
    outcome is kept, for a fault test to check what clients saw during the fault."""

    def __init__(self, port, headers, threads=4, max_seconds=60, pause=0.005, path=ROSTER):
        self.port = port
        self.headers = headers
        self.path = path
        self.pause = pause
        self.max_seconds = max_seconds
        self.stopping = threading.Event()
        self.lock = threading.Lock()
        self.samples = []
        self.threads = [threading.Thread(target=self._loop, args=(i,), daemon=True)
                        for i in range(threads)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _loop(self, index):
        deadline = time.monotonic() + self.max_seconds
        while not self.stopping.is_set() and time.monotonic() < deadline:
            resp, error = None, None
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
            try:
                conn.putrequest("GET", self.path, skip_accept_encoding=True)
                for k, v in self.headers:
                    conn.putheader(k, v)
                conn.endheaders()
                r = conn.getresponse()
                resp = Response(r.status, r.reason, r.getheaders(), r.read())
            except (OSError, http.client.HTTPException) as e:
                error = "%s: %s" % (type(e).__name__, e)
            finally:
                conn.close()
            with self.lock:
                self.samples.append(Sample(index, time.monotonic(), resp, error))
            self.stopping.wait(self.pause)

    def stop(self):
        """Stops the threads and returns every sample, in the order they ended."""
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=30)
        with self.lock:
            return list(self.samples)


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


def note(text):
    """A line of figures under the test that measured them (timings, counts)."""
    print("     %s" % text, flush=True)


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
