"""The 200 answer: exact keys, omitted members, the since format, byte order, count, filters,
the workspace X-Workspace-Id chooses, and HEAD."""

import json
import re

from fixtures import CREW_A1, CREW_A2, WS_A, WS_C, q
from harness import ROSTER, Failure, bearer, check, equal, expect_no_store, without_date

SINCE = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{6}Z$")


def expect_roster(resp, rows):
    """Checks a 200 roster body against the database's rows, member by member and in order."""
    equal(resp.status, 200, "status (body %r)" % resp.body[:300])
    expect_no_store(resp)
    equal(resp.header("Content-Type"), "application/json", "Content-Type")

    ordered = json.loads(resp.body.decode("utf-8"), object_pairs_hook=lambda p: p)
    equal([k for k, _ in ordered], ["rows", "count"], "top-level keys")
    doc = json.loads(resp.body.decode("utf-8"))
    equal(doc["count"], len(rows), "count")
    equal(len(doc["rows"]), len(rows), "number of rows")

    for got_pairs, got, want in zip(dict(ordered)["rows"], doc["rows"], rows):
        agent, crew, status, since, details = want
        keys = ["agent_id"] + (["crew_id"] if crew else []) + ["status", "since"]
        keys += ["details"] if details else []
        equal([k for k, _ in got_pairs], keys, "keys of the row of %s" % agent)
        equal(got["agent_id"], agent, "agent_id")
        if crew:
            equal(got["crew_id"], crew, "crew_id of %s" % agent)
        equal(got["status"], status, "status of %s" % agent)
        check(SINCE.match(got["since"]), "since of %s is RFC 3339 UTC with six fractional "
              "digits: %r" % (agent, got["since"]))
        equal(got["since"], since, "since of %s" % agent)
        if details:
            equal(got["details"], json.loads(details), "details of %s" % agent)
    return doc


def t_token_workspace(ctx):
    r = ctx.http.get(headers=[bearer(ctx.fx.tokens["a"])])
    expect_roster(r, ctx.fx.roster(WS_A))


def t_omitted_members(ctx):
    doc = ctx.http.get(headers=[bearer(ctx.fx.tokens["a"])]).json()
    by_id = {row["agent_id"]: row for row in doc["rows"]}
    check("crew_id" not in by_id["agt_nocrew"], "an agent without crew has no crew_id member")
    check("details" not in by_id["agt_online"], "an agent without details has no details")
    check("details" not in by_id["agt_emptydetails"], "details {} is omitted")
    equal(sorted(by_id["agt_busy"]["details"]),
          ["current_mission_id", "current_task_id", "started_at"], "busy details")
    equal(by_id["agt_unicode"]["details"], {"note": "caf\u00e9 \u2713 \"quoted\" \\ end"},
          "details with non-ASCII text, quotes and a backslash")


def t_byte_order(ctx):
    doc = ctx.http.get(headers=[bearer(ctx.fx.tokens["a"])]).json()
    ids = [row["agent_id"] for row in doc["rows"]]
    equal(ids, sorted(ids, key=lambda s: s.encode()), "agent ids in byte order")
    # What ICU en-US (the database's default collation) would give instead is different.
    check(ids.index("Zeta") < ids.index("_under") < ids.index("a-b"),
          "upper case before '_' before lower case: %r" % ids)


def t_crew_filter(ctx):
    r = ctx.http.get(ROSTER + "?crew_id=" + CREW_A1, headers=[bearer(ctx.fx.tokens["a"])])
    doc = expect_roster(r, ctx.fx.roster(WS_A, CREW_A1))
    check(doc["count"] > 0, "the crew has agents")
    check(all(row.get("crew_id") == CREW_A1 for row in doc["rows"]), "only that crew")


def t_percent_encoded_crew(ctx):
    enc = "".join("%%%02X" % b for b in CREW_A1.encode())
    r = ctx.http.get(ROSTER + "?crew_id=" + enc, headers=[bearer(ctx.fx.tokens["a"])])
    expect_roster(r, ctx.fx.roster(WS_A, CREW_A1))


def t_empty_crew(ctx):
    r = ctx.http.get(ROSTER + "?crew_id=" + CREW_A2, headers=[bearer(ctx.fx.tokens["a"])])
    doc = expect_roster(r, [])
    equal(doc, {"rows": [], "count": 0}, "body of a crew without agents")


def t_empty_crew_id_no_filter(ctx):
    r = ctx.http.get(ROSTER + "?crew_id=", headers=[bearer(ctx.fx.tokens["a"])])
    expect_roster(r, ctx.fx.roster(WS_A))


def t_unknown_params(ctx):
    tok = bearer(ctx.fx.tokens["a"])
    r = ctx.http.get(ROSTER + "?foo=bar&limit=1&x=", headers=[tok])
    expect_roster(r, ctx.fx.roster(WS_A))
    r = ctx.http.get(ROSTER + "?foo=1&crew_id=%s&crew=%s&zzz" % (CREW_A1, CREW_A2), headers=[tok])
    expect_roster(r, ctx.fx.roster(WS_A, CREW_A1))


def t_header_picks_workspace(ctx):
    r = ctx.http.get(headers=[bearer(ctx.fx.tokens["a"]), ("X-Workspace-Id", WS_C)])
    expect_roster(r, ctx.fx.roster(WS_C))
    equal([row["agent_id"] for row in r.json()["rows"]], ["agt_c_only"], "rows of ws_http_c")


def t_header_without_token_workspace(ctx):
    r = ctx.http.get(headers=[bearer(ctx.fx.tokens["a_nows"]), ("X-Workspace-Id", WS_A)])
    expect_roster(r, ctx.fx.roster(WS_A))


def t_write_then_read(ctx):
    tok = bearer(ctx.fx.tokens["a"])
    before = {row["agent_id"]: row for row in ctx.http.get(headers=[tok]).json()["rows"]}
    ctx.stack.psql("SELECT presence.presence_upsert(%s, 'agt_online', 'busy', NULL, "
                   "'{\"current_task_id\": \"T-99\"}');" % q(WS_A))
    after_resp = ctx.http.get(headers=[tok])
    expect_roster(after_resp, ctx.fx.roster(WS_A))
    after = {row["agent_id"]: row for row in after_resp.json()["rows"]}
    equal(after["agt_online"]["status"], "busy", "status after a write")
    equal(after["agt_online"]["crew_id"], CREW_A1, "a NULL crew keeps the crew")
    check(after["agt_online"]["since"] > before["agt_online"]["since"], "since moved on")
    ctx.stack.psql("SELECT presence.presence_upsert(%s, 'agt_online', 'online');" % q(WS_A))


def head_and_get(ctx, headers):
    get = ctx.http.raw_request(ROSTER, headers=headers)
    head = ctx.http.raw_request(ROSTER, headers=headers, method="HEAD")
    return get, head


def t_head(ctx):
    tok = ("Authorization", "Bearer " + ctx.fx.tokens["a"])
    get, head = head_and_get(ctx, [tok])
    equal(get.status, 200, "GET status")
    equal(head.status, 200, "HEAD status")
    equal(head.body, b"", "HEAD body (bytes after the head)")
    g_head = without_date(get.raw).partition(b"\r\n\r\n")[0]
    h_head = without_date(head.raw).partition(b"\r\n\r\n")[0]
    equal(h_head, g_head, "HEAD's status line and headers (Date aside)")
    equal(int(head.header("Content-Length")), len(get.body), "Content-Length of HEAD")


def t_head_error(ctx):
    get, head = head_and_get(ctx, [])
    equal(head.status, 401, "HEAD status")
    equal(head.body, b"", "HEAD body")
    equal(without_date(head.raw).partition(b"\r\n\r\n")[0],
          without_date(get.raw).partition(b"\r\n\r\n")[0], "HEAD's headers of a 401")


TESTS = [
    ("200: exact keys, since, order and count for the token's workspace", t_token_workspace),
    ("200: crew_id and details omitted when empty; details kept as stored", t_omitted_members),
    ("200: rows in byte order whatever the database's collation", t_byte_order),
    ("200: crew_id filters to that crew", t_crew_filter),
    ("200: a percent-encoded crew_id is decoded", t_percent_encoded_crew),
    ("200: a crew without agents gives rows [] and count 0", t_empty_crew),
    ("200: an empty crew_id means no filter", t_empty_crew_id_no_filter),
    ("200: unknown query parameters are ignored", t_unknown_params),
    ("200: X-Workspace-Id picks another workspace of the member", t_header_picks_workspace),
    ("200: a token without workspace reads the one X-Workspace-Id names",
     t_header_without_token_workspace),
    ("200: a status write shows on the next read", t_write_then_read),
    ("HEAD: GET's status line and headers, no body", t_head),
    ("HEAD: an error's headers, no body", t_head_error),
]
