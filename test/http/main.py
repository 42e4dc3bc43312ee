"""End-to-end tests of presence through the real nginx, the real FastCGI program and the real
extension. test/http/run.sh runs this with PRESENCE_RUN_DIR and PRESENCE_HTTP_PORT set; it
starts the stack with `make start` (a test of its own) and stops it with `make stop`.

Prints one line per test and a last line `N passed, N failed`; exits 1 on any failure.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import test_bad_input  # noqa: E402
import test_db_outage  # noqa: E402
import test_faults  # noqa: E402
import test_nginx_errors  # noqa: E402
import test_roster_body  # noqa: E402
import test_stack  # noqa: E402
import test_status_order  # noqa: E402
import test_timing  # noqa: E402
from fixtures import Fixtures  # noqa: E402
from harness import Client, Runner, Stack  # noqa: E402


class Context:
    def __init__(self, stack):
        self.stack = stack
        self.http = Client(stack.port)
        self.fx = Fixtures(stack)


def names(tests):
    return [n for n, _ in tests]


def main():
    stack = Stack(os.environ["PRESENCE_RUN_DIR"], int(os.environ["PRESENCE_HTTP_PORT"]))
    ctx = Context(stack)
    runner = Runner()

    # The order matters: the stack first, the disruptive tests late, stop last. Every request
    # after provisioning meets log_statement = all, up to the log test, which needs the
    # program up; the program is gone only from GONE on.
    requests = (test_stack.LOG_ALL + test_status_order.TESTS + test_roster_body.TESTS
                + test_bad_input.TESTS + test_nginx_errors.TESTS + test_status_order.FINAL)
    later = (test_timing.TESTS + test_db_outage.TESTS + test_faults.TESTS
             + test_nginx_errors.TIMEOUT + test_stack.SECOND + test_stack.LOGS
             + test_nginx_errors.GONE)

    started = all(runner.run(n, f, ctx) for n, f in test_stack.FIRST)
    if not started:
        runner.skip_all(names(test_stack.AFTER_START + requests + later), "make start failed")
        runner.run(*test_stack.LAST[0], ctx)
        return runner.summary()

    for n, f in test_stack.AFTER_START:
        runner.run(n, f, ctx)
    if runner.run("provision the tests' workspaces, crews, agents and tokens",
                  ctx.fx.provision):
        for n, f in requests + later:
            runner.run(n, f, ctx)
    else:
        runner.skip_all(names(requests + later), "the tests' data could not be provisioned")
    for n, f in test_stack.LAST:
        runner.run(n, f, ctx)
    return runner.summary()


if __name__ == "__main__":
    sys.exit(0 if main() else 1)
