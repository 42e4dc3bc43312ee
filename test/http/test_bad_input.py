"""Hostile and broken requests from an authenticated client: each gets the contract's status
as problem+json, and the next good request still gets 200."""

from fixtures import CREW_A1, WS_A
from harness import ROSTER, bearer, equal, expect_401, expect_problem

# (what, query string, expected status)
QUERIES = [
    ("%00 in crew_id", "crew_id=%00", 400),
    ("%00 inside an id", "crew_id=crw%00x", 400),
    ("%ZZ", "crew_id=%ZZ", 400),
    ("a lone % at the end", "crew_id=crw%", 400),
    ("a truncated escape %4", "crew_id=crw%4", 400),
    ("overlong UTF-8 %C0%AF", "crew_id=%C0%AF", 400),
    ("%FF", "crew_id=%FF", 400),
    ("a UTF-16 surrogate %ED%A0%80", "crew_id=%ED%A0%80", 400),
    ("valid UTF-8 outside the id alphabet", "crew_id=caf%C3%A9", 400),
    ("crew_id given twice (same value)", "crew_id=%s&crew_id=%s" % (CREW_A1, CREW_A1), 400),
    ("crew_id given twice, once empty", "crew_id=&crew_id=" + CREW_A1, 400),
    ("a 129-character crew_id", "crew_id=" + "c" * 129, 400),
    ("a 128-character crew_id that is no crew", "crew_id=" + "c" * 128, 404),
    ("a quote in crew_id", "crew_id=crw'x", 400),
    ("a quote, percent-encoded", "crew_id=crw%27x", 400),
    ("a semicolon in crew_id", "crew_id=crw;x", 400),
    ("a semicolon, percent-encoded", "crew_id=crw%3Bx", 400),
    ("-- in crew_id (valid characters, no such crew)", "crew_id=crw--x", 404),
    ("SQL in crew_id", "crew_id=x'%20OR%20'1'='1';--", 400),
    ("a space in crew_id", "crew_id=crw%20x", 400),
    ("a plus sign in crew_id", "crew_id=crw+x", 400),
    ("a 6 KB query string", "crew_id=" + "q" * 6144, 400),
    ("a NUL in an unknown parameter", "other=%00", 400),
]

# (what, X-Workspace-Id value, expected status)
WORKSPACES = [
    ("a quote in X-Workspace-Id", "ws'x", 400),
    ("a semicolon in X-Workspace-Id", "ws;x", 400),
    ("-- in X-Workspace-Id (valid characters, no such workspace)", "ws--x", 403),
    ("a 129-character X-Workspace-Id", "w" * 129, 400),
    ("percent-encoding is not decoded in a header", "ws%41", 400),
]


def good(ctx):
    r = ctx.http.get(headers=[bearer(ctx.fx.tokens["a"])])
    equal(r.status, 200, "the next good request")


def t_queries(ctx):
    tok = bearer(ctx.fx.tokens["a"])
    for what, query, status in QUERIES:
        r = ctx.http.get(ROSTER + "?" + query, headers=[tok])
        try:
            expect_problem(r, status)
        except Exception as e:
            raise type(e)("%s: %s" % (what, e))
        good(ctx)


def t_queries_unauthenticated(ctx):
    for what, query, _ in QUERIES:
        r = ctx.http.get(ROSTER + "?" + query)
        try:
            expect_401(r, invalid_token=False)
        except Exception as e:
            raise type(e)("%s: %s" % (what, e))
    good(ctx)


def t_workspace_headers(ctx):
    tok = bearer(ctx.fx.tokens["a"])
    for what, ws, status in WORKSPACES:
        r = ctx.http.get(headers=[tok, ("X-Workspace-Id", ws)])
        try:
            expect_problem(r, status)
        except Exception as e:
            raise type(e)("%s: %s" % (what, e))
        good(ctx)


def t_workspace_twice(ctx):
    tok = bearer(ctx.fx.tokens["a"])
    r = ctx.http.get(headers=[tok, ("X-Workspace-Id", WS_A), ("X-Workspace-Id", WS_A)])
    expect_problem(r, 400)
    good(ctx)


def t_basic(ctx):
    # Another scheme carries no bearer token: RFC 6750 3.1, no error code.
    r = ctx.http.get(headers=[("Authorization", "Basic dXNyX2h0dHBfYTpzZWNyZXQ=")])
    expect_401(r, invalid_token=False)
    good(ctx)


def t_bearer_without_token(ctx):
    for value in ("Bearer", "Bearer ", "Bearer\t", "Token abc"):
        expect_401(ctx.http.get(headers=[("Authorization", value)]), invalid_token=False)
    good(ctx)


def t_garbled_bearer(ctx):
    for value in ("Bearer a b", "Bearer\tprs_x", "Bearerx abc"):
        expect_401(ctx.http.get(headers=[("Authorization", value)]), invalid_token=True)
    good(ctx)


def t_long_unknown_parameters(ctx):
    # Unknown parameters are ignored, however long (up to what nginx lets through).
    r = ctx.http.get(path=ROSTER + "?pad=" + "q" * 6144 + "&crew_id=",
                     headers=[bearer(ctx.fx.tokens["a"])])
    equal(r.status, 200, "status of a 6 KB query of unknown parameters")


def t_long_token(ctx):
    expect_401(ctx.http.get(headers=[bearer("t" * 4096)]), invalid_token=True)
    good(ctx)


def t_token_with_bad_characters(ctx):
    for token in ("abc'def", "abc;--", ctx.fx.tokens["a"] + "%00"):
        expect_401(ctx.http.get(headers=[bearer(token)]), invalid_token=True)
    good(ctx)


def t_authorization_twice(ctx):
    # nginx 1.22 takes Authorization as a singleton header (RFC 9110) and refuses a request
    # that repeats it with its own 400, before the program sees it: the program's own rule
    # (a repeated header is an invalid token, 401) is for servers that pass both.
    tok = bearer(ctx.fx.tokens["a"])
    expect_problem(ctx.http.get(headers=[tok, tok]), 400)
    expect_problem(ctx.http.get(headers=[tok, bearer("other")]), 400)
    good(ctx)


def t_scheme_case(ctx):
    r = ctx.http.get(headers=[("Authorization", "bearer " + ctx.fx.tokens["a"])])
    equal(r.status, 200, "status with the scheme in lower case")


TESTS = [
    ("bad query strings: 400 each, the next request 200", t_queries),
    ("bad query strings without a token: 401 each", t_queries_unauthenticated),
    ("bad X-Workspace-Id values: 400 (or 403 for a well-formed one)", t_workspace_headers),
    ("X-Workspace-Id given twice: 400", t_workspace_twice),
    ("a 6 KB query string of unknown parameters: 200", t_long_unknown_parameters),
    ("Authorization: Basic: 401 with no error code", t_basic),
    ("Bearer with no token, another scheme: 401 with no error code", t_bearer_without_token),
    ("a garbled Bearer header: 401 invalid_token", t_garbled_bearer),
    ("a 4 KB token: 401 invalid_token", t_long_token),
    ("a token with characters outside its alphabet: 401 invalid_token",
     t_token_with_bad_characters),
    ("Authorization given twice: nginx's own 400", t_authorization_twice),
    ("the Bearer scheme is case-insensitive", t_scheme_case),
]
