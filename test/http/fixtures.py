"""The tests' own data, provisioned through the SQL surface as the private cluster's superuser,
next to the demo workspace stack.sh creates.

    ws_http_a   crews crw_http_a1 (agents), crw_http_a2 (no agents); usr_http_a is a member
    ws_http_b   crew crw_http_b1; usr_http_b is a member, usr_http_a is not
    ws_http_c   usr_http_a is a member too (a workspace chosen by X-Workspace-Id)

Agent ids in ws_http_a use every character class of the id alphabet, so byte order differs
from the ICU collation the stack's database uses by default.
"""

import time

from harness import Failure

WS_A = "ws_http_a"
WS_B = "ws_http_b"
WS_C = "ws_http_c"
WS_MISSING = "ws_http_nowhere"
CREW_A1 = "crw_http_a1"
CREW_A2 = "crw_http_a2"
CREW_B1 = "crw_http_b1"
CREW_MISSING = "crw_http_nowhere"

# (agent_id, status, crew_id, details as SQL jsonb literal or None)
AGENTS_A = [
    ("agt_online", "online", CREW_A1, None),
    ("agt_busy", "busy", CREW_A1,
     '{"current_task_id": "T-42", "current_mission_id": "M-7", '
     '"started_at": "2026-04-17T10:20:00Z"}'),
    ("agt_blocked", "blocked", CREW_A1,
     '{"blocked_reason": "awaiting_approval", "approval_id": "APR-9"}'),
    ("agt_offline", "offline", CREW_A1, None),
    ("agt_nocrew", "online", None, None),
    ("agt_emptydetails", "online", CREW_A1, "{}"),
    ("agt_unicode", "busy", None, '{"note": "caf\u00e9 \u2713 \\"quoted\\" \\\\ end"}'),
    # byte order: - . 0-9 : A-Z _ a-z
    ("Zeta", "online", CREW_A1, None),
    ("alpha", "online", CREW_A1, None),
    ("a-b", "online", None, None),
    ("a.b", "online", None, None),
    ("a:b", "online", None, None),
    ("a_b", "online", None, None),
    ("aB", "online", None, None),
    ("a9", "online", None, None),
    ("A", "online", None, None),
    ("_under", "online", None, None),
]

AGENTS_B = [("agt_b_only", "busy", CREW_B1, '{"current_task_id": "B-1"}')]
AGENTS_C = [("agt_c_only", "online", None, None)]


def q(s):
    """A SQL string literal."""
    return "'" + s.replace("'", "''") + "'"


def upserts(ws, agents):
    out = []
    for agent, status, crew, details in agents:
        out.append("SELECT presence.presence_upsert(%s, %s, %s, %s, %s);" % (
            q(ws), q(agent), q(status), q(crew) if crew else "NULL",
            q(details) + "::jsonb" if details is not None else "NULL"))
    return "\n".join(out)


class Fixtures:
    """Creates the data and issues the tokens; `tokens` maps a name to a token."""

    def __init__(self, stack):
        self.stack = stack
        self.tokens = {}
        self.expired_at = None

    def provision(self):
        sql = """
SELECT presence.workspace_create('%(a)s');
SELECT presence.workspace_create('%(b)s');
SELECT presence.workspace_create('%(c)s');
SELECT presence.crew_create('%(a)s', '%(a1)s');
SELECT presence.crew_create('%(a)s', '%(a2)s');
SELECT presence.crew_create('%(b)s', '%(b1)s');
SELECT presence.member_add('%(a)s', 'usr_http_a');
SELECT presence.member_add('%(c)s', 'usr_http_a');
SELECT presence.member_add('%(b)s', 'usr_http_b');
""" % {"a": WS_A, "b": WS_B, "c": WS_C, "a1": CREW_A1, "a2": CREW_A2, "b1": CREW_B1}
        sql += upserts(WS_A, AGENTS_A) + "\n" + upserts(WS_B, AGENTS_B) + "\n"
        sql += upserts(WS_C, AGENTS_C) + "\n"
        self.stack.psql(sql)

        issue = [
            ("a", "SELECT presence.token_issue('usr_http_a', '%s')" % WS_A),
            ("a_nows", "SELECT presence.token_issue('usr_http_a')"),
            ("b", "SELECT presence.token_issue('usr_http_b', '%s')" % WS_B),
            ("revoked", "SELECT presence.token_issue('usr_http_a', '%s')" % WS_A),
            ("expired", "SELECT presence.token_issue('usr_http_a', '%s', '1 second')" % WS_A),
            # a member of no workspace at all
            ("stranger", "SELECT presence.token_issue('usr_http_stranger')"),
        ]
        for name, stmt in issue:
            rows = self.stack.psql(stmt + ";")
            if len(rows) != 1:
                raise Failure("token_issue for %s returned %r" % (name, rows))
            self.tokens[name] = rows[0]
        self.expired_at = time.monotonic() + 1.0
        rows = self.stack.psql("SELECT presence.token_revoke(%s);" % q(self.tokens["revoked"]))
        if rows != ["t"]:
            raise Failure("token_revoke returned %r" % rows)

    def wait_expired(self):
        """Sleeps until the 1-second token has expired (plus a margin)."""
        left = self.expired_at + 0.3 - time.monotonic()
        if left > 0:
            time.sleep(left)

    def roster(self, ws, crew=None):
        """The rows the database holds for a roster, as the HTTP body should give them:
        [(agent_id, crew_id or None, status, since text, details JSON text or None)]."""
        sql = """
SELECT r.agent_id, COALESCE(r.crew_id, ''), r.status,
       to_char(r.since AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
       COALESCE(r.details::text, '')
FROM presence.presence_roster(%s, %s) r;
""" % (q(ws), q(crew) if crew else "NULL")
        out = []
        for line in self.stack.psql(sql):
            agent, crew_id, status, since, details = line.split("\t")
            out.append((agent, crew_id or None, status, since, details or None))
        return out
