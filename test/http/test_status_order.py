"""Every row of the contract's status table, and the order the checks are made in: the first
check that fails answers, and a client that is not authenticated learns nothing else."""

from fixtures import CREW_A1, CREW_B1, CREW_MISSING, WS_A, WS_B, WS_MISSING
from harness import (ROSTER, bearer, check, equal, expect_401, expect_problem,
                     without_date)

UNKNOWN = "prs_" + "Q" * 43


def t_no_authorization(ctx):
    expect_401(ctx.http.get(), invalid_token=False)


def t_unknown_token(ctx):
    expect_401(ctx.http.get(headers=[bearer(UNKNOWN)]), invalid_token=True)


def t_expired_token(ctx):
    ctx.fx.wait_expired()
    expect_401(ctx.http.get(headers=[bearer(ctx.fx.tokens["expired"])]), invalid_token=True)


def t_revoked_token(ctx):
    expect_401(ctx.http.get(headers=[bearer(ctx.fx.tokens["revoked"])]), invalid_token=True)


def t_bad_token_no_workspace(ctx):
    # No header and a token that resolves nothing: the token fails first.
    expect_401(ctx.http.get(headers=[bearer("nosuchtoken")]), invalid_token=True)
    expect_401(ctx.http.get(ROSTER + "?crew_id=" + CREW_B1, headers=[bearer(UNKNOWN)]),
               invalid_token=True)


def t_unauthenticated_malformed(ctx):
    expect_401(ctx.http.get(ROSTER + "?crew_id=%ZZ"), invalid_token=False)
    expect_401(ctx.http.get(ROSTER + "?crew_id=a&crew_id=b", headers=[bearer(UNKNOWN)]),
               invalid_token=True)
    expect_401(ctx.http.get(ROSTER + "?crew_id=%00", headers=[("X-Workspace-Id", "bad'id")]),
               invalid_token=False)
    expect_401(ctx.http.get(ROSTER + "?crew_id=" + "x" * 200,
                            headers=[bearer(ctx.fx.tokens["revoked"])]), invalid_token=True)
    expect_401(ctx.http.get(headers=[bearer(UNKNOWN), ("X-Workspace-Id", "x;y")]),
               invalid_token=True)


def t_no_workspace(ctx):
    expect_problem(ctx.http.get(headers=[bearer(ctx.fx.tokens["a_nows"])]), 400)
    expect_problem(ctx.http.get(headers=[bearer(ctx.fx.tokens["stranger"])]), 400)


def t_no_workspace_foreign_crew(ctx):
    tok = bearer(ctx.fx.tokens["a_nows"])
    expect_problem(ctx.http.get(ROSTER + "?crew_id=" + CREW_B1, headers=[tok]), 400)
    expect_problem(ctx.http.get(ROSTER + "?crew_id=" + CREW_MISSING, headers=[tok]), 400)


def t_malformed_before_membership(ctx):
    # Authenticated: a malformed request is 400 even where membership would fail.
    tok = bearer(ctx.fx.tokens["a"])
    expect_problem(ctx.http.get(ROSTER + "?crew_id=%FF", headers=[tok, ("X-Workspace-Id", WS_B)]),
                   400)


def t_not_member(ctx):
    r = ctx.http.get(headers=[bearer(ctx.fx.tokens["a"]), ("X-Workspace-Id", WS_B)])
    expect_problem(r, 403)
    r = ctx.http.get(headers=[bearer(ctx.fx.tokens["stranger"]), ("X-Workspace-Id", WS_A)])
    expect_problem(r, 403)


def t_missing_workspace_same_403(ctx):
    tok = "Bearer " + ctx.fx.tokens["a"]
    foreign = ctx.http.raw_request(ROSTER, headers=[("Authorization", tok),
                                                    ("X-Workspace-Id", WS_B)])
    missing = ctx.http.raw_request(ROSTER, headers=[("Authorization", tok),
                                                    ("X-Workspace-Id", WS_MISSING)])
    expect_problem(foreign, 403)
    expect_problem(missing, 403)
    equal(without_date(missing.raw), without_date(foreign.raw),
          "403 for a missing workspace, byte for byte (Date aside)")


def t_membership_before_crew(ctx):
    tok = bearer(ctx.fx.tokens["a"])
    for crew in (CREW_B1, CREW_MISSING, CREW_A1):
        r = ctx.http.get(ROSTER + "?crew_id=" + crew, headers=[tok, ("X-Workspace-Id", WS_B)])
        expect_problem(r, 403)


def t_crew_not_found_identical(ctx):
    tok = ("Authorization", "Bearer " + ctx.fx.tokens["a"])
    foreign = ctx.http.raw_request(ROSTER + "?crew_id=" + CREW_B1, headers=[tok])
    missing = ctx.http.raw_request(ROSTER + "?crew_id=" + CREW_MISSING, headers=[tok])
    expect_problem(foreign, 404)
    expect_problem(missing, 404)
    equal(without_date(foreign.raw), without_date(missing.raw),
          "404 for a foreign crew and a missing crew, byte for byte (Date aside)")


def t_method_not_allowed(ctx):
    tok = bearer(ctx.fx.tokens["a"])
    for method, body in (("POST", b'{"status":"online"}'), ("PUT", b"{}"), ("DELETE", None),
                         ("PATCH", b"{}"), ("OPTIONS", None)):
        r = ctx.http.get(method=method, headers=[tok], body=body)
        expect_problem(r, 405)
        equal(r.all("Allow"), ["GET, HEAD"], "Allow of %s" % method)
        equal(ctx.http.get(headers=[tok]).status, 200, "GET after %s" % method)


def t_method_without_token(ctx):
    # The token comes first: an unauthenticated client learns nothing else, methods too.
    for method in ("POST", "DELETE"):
        r = ctx.http.get(method=method, body=b"{}" if method == "POST" else None)
        expect_401(r, invalid_token=False)
        equal(r.all("Allow"), [], "Allow on a 401 to %s" % method)
        r = ctx.http.get(method=method, headers=[bearer(UNKNOWN)])
        expect_401(r, invalid_token=True)


def t_no_store_everywhere(ctx):
    check(len(ctx.http.seen) > 0, "responses were seen")
    bad = [r for r in ctx.http.seen if r.header("Cache-Control") != "no-store"]
    equal(bad, [], "responses without Cache-Control: no-store")


TESTS = [
    ("401: no Authorization, WWW-Authenticate without error", t_no_authorization),
    ("401: an unknown token, error=\"invalid_token\"", t_unknown_token),
    ("401: an expired token", t_expired_token),
    ("401: a revoked token", t_revoked_token),
    ("401 before 400: a bad token and no workspace", t_bad_token_no_workspace),
    ("401 before 400: a malformed request from an unauthenticated client",
     t_unauthenticated_malformed),
    ("400: no workspace resolved (no header, the token has none)", t_no_workspace),
    ("400 before 404: no workspace and a foreign or missing crew", t_no_workspace_foreign_crew),
    ("400 before 403: a malformed request naming a foreign workspace",
     t_malformed_before_membership),
    ("403: not a member of the workspace X-Workspace-Id names", t_not_member),
    ("403: a workspace that does not exist answers the same bytes", t_missing_workspace_same_403),
    ("403 before 404: a crew in a workspace the user is not in", t_membership_before_crew),
    ("404: a foreign crew and a missing crew are byte-identical", t_crew_not_found_identical),
    ("405: POST, PUT, DELETE, PATCH, OPTIONS carry Allow: GET, HEAD", t_method_not_allowed),
    ("another method without an accepted token: 401, not 405", t_method_without_token),
]

# Run after every other request-level test, so it sees their responses too.
FINAL = [("every response so far carried Cache-Control: no-store", t_no_store_everywhere)]
