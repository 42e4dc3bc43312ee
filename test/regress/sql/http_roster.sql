-- presence.http_roster(token, workspace_id, crew_id, malformed): the HTTP front's one call.
-- It checks, in this order: the token (PR401), the request (PR400) and that a workspace is
-- resolved (PR428), membership (PR403, also for a workspace that does not exist), the crew
-- (PR404, the same for a crew elsewhere and a crew nowhere); then returns the 200 body.

SET ROLE regress_admin;
SELECT presence.workspace_create('ws_http');
SELECT presence.crew_create('ws_http', 'crw_backend');
SELECT presence.crew_create('ws_http', 'crw_frontend');
SELECT presence.crew_create('ws_http', 'crw_quiet');
SELECT presence.workspace_create('ws_http_other');
SELECT presence.crew_create('ws_http_other', 'crw_elsewhere');
SELECT presence.member_add('ws_http', 'usr_viktor');
SELECT presence.member_add('ws_http_other', 'usr_olga');

SELECT presence.token_issue('usr_viktor', 'ws_http') AS tok \gset
SELECT presence.token_issue('usr_viktor') AS tok_nows \gset
SELECT presence.token_issue('usr_olga', 'ws_http') AS tok_olga \gset
SELECT presence.token_issue('usr_viktor', 'ws_http') AS tok_revoked \gset
SELECT presence.token_revoke(:'tok_revoked') AS revoked;
SELECT presence.token_issue('usr_viktor', 'ws_http', '1 millisecond') AS tok_expired \gset
SELECT pg_sleep(0.05);

SET ROLE regress_writer;
SELECT count(*) AS written FROM (VALUES
        ('agt_viktor', 'crw_backend', 'busy', '{"current_task_id": "T-42"}'::jsonb),
        ('agt_anna', NULL, 'online', NULL),
        ('agt_zed', 'crw_frontend', 'blocked',
         '{"blocked_reason": "awaiting_approval", "approval_id": "APR-7"}'),
        ('agt_empty', 'crw_frontend', 'offline', '{}')) v(agent, crew, status, details),
    LATERAL presence.presence_upsert('ws_http', v.agent, v.status, v.crew, v.details);
SELECT count(*) AS written FROM presence.presence_upsert('ws_http_other', 'agt_olga', 'busy');

-- Fixed times, set as the superuser, so the body can be compared byte for byte.
RESET ROLE;
UPDATE presence.agents SET since = CASE agent_id
        WHEN 'agt_viktor' THEN timestamptz '2026-04-17 10:23:41+00'
        WHEN 'agt_anna' THEN timestamptz '2026-04-17 10:23:41.123456+00'
        WHEN 'agt_zed' THEN timestamptz '2026-04-17 12:00:00.5+02'
        ELSE timestamptz '1999-12-31 23:59:59.999999+00' END
    WHERE workspace_id = 'ws_http';

SET ROLE regress_reader;

-- 200: the whole workspace, the token's workspace; crew_id and details are omitted when
-- there are none, since is RFC 3339 in UTC with six fractional digits.
SELECT presence.http_roster(:'tok', NULL, NULL);
-- The session's time zone does not change the body.
SET TimeZone = 'America/New_York';
SELECT presence.http_roster(:'tok', NULL, NULL);
RESET TimeZone;
-- One crew.
SELECT presence.http_roster(:'tok', NULL, 'crw_backend');
SELECT presence.http_roster(:'tok', NULL, 'crw_frontend');
-- A crew with no agents.
SELECT presence.http_roster(:'tok', NULL, 'crw_quiet');
-- The workspace named by the request (X-Workspace-Id) instead of the token's.
SELECT presence.http_roster(:'tok_nows', 'ws_http', NULL)
       = presence.http_roster(:'tok', NULL, NULL) AS same_body;
SELECT presence.http_roster(:'tok', 'ws_http', 'crw_backend');
-- The body is JSON that reads back as the roster.
SELECT (presence.http_roster(:'tok', NULL, NULL)::jsonb -> 'count')::int AS count,
       jsonb_array_length(presence.http_roster(:'tok', NULL, NULL)::jsonb -> 'rows') AS rows;

-- JSON strings are escaped in details.
SET ROLE regress_writer;
SELECT count(*) AS written FROM presence.presence_upsert('ws_http', 'agt_quote', 'busy',
    'crw_quiet', jsonb_build_object('note', E'say "hi"\\ \n\t\u0001 ü', 'n', 1.50, 'ok', true,
                                    'none', NULL, 'list', jsonb_build_array(1, 'two', NULL)));
RESET ROLE;
UPDATE presence.agents SET since = '2026-04-17 10:23:41+00'
    WHERE workspace_id = 'ws_http' AND agent_id = 'agt_quote';
SET ROLE regress_reader;
SELECT presence.http_roster(:'tok', NULL, 'crw_quiet');
SELECT presence.http_roster(:'tok', NULL, 'crw_quiet')::jsonb #> '{rows,0,details}'
       = (SELECT details FROM presence.presence_roster('ws_http', 'crw_quiet')) AS same_details;

-- 401 (PR401): no token, a malformed one, an unknown one, a revoked one, an expired one.
-- Every one has the same message, and no other check is reached first: a malformed
-- request from a client that is not authenticated is still PR401.
SELECT label, e.sqlstate, e.message, e.detail
    FROM (VALUES ('null', NULL),
                 ('empty', ''),
                 ('bearer prefix', 'Bearer ' || :'tok'),
                 ('too short', left(:'tok', 46)),
                 ('too long', :'tok' || 'A'),
                 ('wrong prefix', 'prx_' || substr(:'tok', 5)),
                 ('bad character', left(:'tok', 46) || '='),
                 ('unknown', 'prs_' || repeat('A', 43)),
                 ('revoked', :'tok_revoked'),
                 ('expired', :'tok_expired')) v(label, token),
         regress.error_of(format('SELECT presence.http_roster(%L, NULL, NULL)', v.token)) e;
SELECT * FROM regress.error_of(format(
    $$SELECT presence.http_roster(%L, 'bad id!', 'crw_backend', 'crew_id given twice')$$,
    :'tok_revoked'));

-- 400 (PR400): a malformed request; the detail is the front's own description.
SELECT * FROM regress.error_of(format(
    $$SELECT presence.http_roster(%L, NULL, NULL, 'crew_id given twice')$$, :'tok'));
-- 400 (PR428): no workspace resolved, no header and a token without one.
SELECT * FROM regress.error_of(format(
    $$SELECT presence.http_roster(%L, NULL, NULL)$$, :'tok_nows'));
-- 400 (PR400): an id of the wrong form or length in the request.
SELECT label, e.sqlstate, e.message
    FROM (VALUES ('workspace 129 chars', repeat('w', 129), NULL),
                 ('workspace empty', '', NULL),
                 ('workspace slash', 'ws/http', NULL),
                 ('crew 129 chars', NULL, repeat('c', 129)),
                 ('crew space', NULL, 'crw backend')) v(label, ws, crew),
         regress.error_of(format('SELECT presence.http_roster(%L, %L, %L)',
                                 :'tok', v.ws, v.crew)) e;

-- 403 (PR403): not a member of the resolved workspace, whether the workspace is the
-- token's or the request's, and a workspace that does not exist answers the same.
RESET ROLE;
CREATE TEMP TABLE http_errors (label text, sqlstate text, message text, detail text, hint text);
GRANT ALL ON http_errors TO PUBLIC;
SET ROLE regress_reader;
INSERT INTO http_errors SELECT 'token workspace, not a member', * FROM regress.error_of(
    format('SELECT presence.http_roster(%L, NULL, NULL)', :'tok_olga'));
INSERT INTO http_errors SELECT 'header workspace, not a member', * FROM regress.error_of(
    format($$SELECT presence.http_roster(%L, 'ws_http_other', NULL)$$, :'tok'));
INSERT INTO http_errors SELECT 'header workspace, does not exist', * FROM regress.error_of(
    format($$SELECT presence.http_roster(%L, 'ws_http_nowhere', NULL)$$, :'tok'));
INSERT INTO http_errors SELECT 'does not exist, with a crew', * FROM regress.error_of(
    format($$SELECT presence.http_roster(%L, 'ws_http_nowhere', 'crw_backend')$$, :'tok'));
SELECT * FROM http_errors ORDER BY label;
SELECT count(DISTINCT (sqlstate, message, detail, hint)) AS distinct_errors FROM http_errors;
-- The member's token of another workspace reads that one.
SELECT regexp_replace(presence.http_roster(:'tok_olga', 'ws_http_other', NULL),
                      '"since":"[0-9T:.-]{26}Z"', '"since":"(masked)"') AS other_workspace_body;

-- 404 (PR404): a crew of another workspace, and the same crew id once it exists nowhere.
TRUNCATE http_errors;
SET ROLE regress_admin;
SELECT presence.crew_create('ws_http_other', 'crw_ghost');
SET ROLE regress_reader;
INSERT INTO http_errors SELECT 'crew elsewhere', * FROM regress.error_of(
    format($$SELECT presence.http_roster(%L, NULL, 'crw_ghost')$$, :'tok'));
RESET ROLE;
DELETE FROM presence.crews WHERE crew_id = 'crw_ghost';
SET ROLE regress_reader;
INSERT INTO http_errors SELECT 'crew nowhere', * FROM regress.error_of(
    format($$SELECT presence.http_roster(%L, NULL, 'crw_ghost')$$, :'tok'));
SELECT * FROM http_errors ORDER BY label;
SELECT count(DISTINCT (sqlstate, message, detail, hint)) AS distinct_errors FROM http_errors;
SELECT * FROM regress.error_of(
    format($$SELECT presence.http_roster(%L, NULL, 'crw_elsewhere')$$, :'tok'));

-- Membership is checked on every call: after member_remove the token reads nothing.
SET ROLE regress_admin;
SELECT presence.member_remove('ws_http', 'usr_viktor') AS removed;
SET ROLE regress_reader;
SELECT * FROM regress.error_of(format('SELECT presence.http_roster(%L, NULL, NULL)', :'tok'));
SET ROLE regress_admin;
SELECT presence.member_add('ws_http', 'usr_viktor');
SET ROLE regress_reader;
SELECT length(presence.http_roster(:'tok', NULL, NULL)) > 0 AS reads_again;

-- A revoked token stops working at once.
SET ROLE regress_admin;
SELECT presence.token_revoke(:'tok') AS revoked;
SET ROLE regress_reader;
SELECT * FROM regress.error_of(format('SELECT presence.http_roster(%L, NULL, NULL)', :'tok'));
RESET ROLE;
