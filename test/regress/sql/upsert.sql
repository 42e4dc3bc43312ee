-- presence_upsert: every call is a status write. It returns the stored row; since becomes
-- the statement time; details is replaced (NULL or {} means none); a NULL crew_id keeps
-- the agent's crew. An unknown workspace, or a crew that is not in this workspace, is a
-- not-found error (PR404) with the same text whether the crew exists elsewhere or not.

SET ROLE regress_admin;
SELECT presence.workspace_create('ws_up');
SELECT presence.crew_create('ws_up', 'crw_up_a');
SELECT presence.crew_create('ws_up', 'crw_up_b');
SELECT presence.workspace_create('ws_up_other');
SELECT presence.crew_create('ws_up_other', 'crw_up_other');

SET ROLE regress_writer;

-- Every status; the row that comes back is the row that is stored.
SELECT agent_id, crew_id, status, details, since = statement_timestamp() AS since_is_now
    FROM presence.presence_upsert('ws_up', 'agt_online', 'online');
SELECT agent_id, crew_id, status, details, since = statement_timestamp() AS since_is_now
    FROM presence.presence_upsert('ws_up', 'agt_busy', 'busy', 'crw_up_a',
        '{"current_task_id": "T-42", "current_mission_id": "M-7",
          "started_at": "2026-04-17T10:23:41Z"}');
SELECT agent_id, crew_id, status, details, since = statement_timestamp() AS since_is_now
    FROM presence.presence_upsert('ws_up', 'agt_blocked', 'blocked', 'crw_up_b',
        '{"blocked_reason": "awaiting_approval", "approval_id": "APR-1"}');
SELECT agent_id, crew_id, status, details, since = statement_timestamp() AS since_is_now
    FROM presence.presence_upsert('ws_up', 'agt_offline', 'offline');

SET ROLE regress_reader;
SELECT agent_id, crew_id, status, details FROM presence.presence_roster('ws_up');

-- The returned row is the stored row, since included.
SET ROLE regress_writer;
SELECT row(u.*)::text AS returned_row
    FROM presence.presence_upsert('ws_up', 'agt_stored', 'busy', 'crw_up_a',
                                  '{"current_task_id": "T-5"}') u \gset
RESET ROLE;
SELECT row(a.agent_id, a.crew_id, a.status, a.since, a.details)::text = :'returned_row'
       AS returned_the_stored_row
    FROM presence.agents a WHERE a.workspace_id = 'ws_up' AND a.agent_id = 'agt_stored';

-- since is the time of the statement, not of the transaction, and it moves on every
-- write, even one that repeats the status.
SET ROLE regress_writer;
BEGIN;
SELECT pg_sleep(0.01);
SELECT status, since = statement_timestamp() AS since_is_statement_time,
       since > now() AS later_than_transaction_start
    FROM presence.presence_upsert('ws_up', 'agt_online', 'online');
COMMIT;
RESET ROLE;
SELECT since AS first_since FROM presence.agents
    WHERE workspace_id = 'ws_up' AND agent_id = 'agt_online' \gset
SET ROLE regress_writer;
SELECT status, since > :'first_since' AS since_moved, since = statement_timestamp() AS since_is_now
    FROM presence.presence_upsert('ws_up', 'agt_online', 'online');

-- details is replaced, never merged.
SELECT status, details FROM presence.presence_upsert('ws_up', 'agt_busy', 'busy', NULL,
    '{"current_task_id": "T-43"}');
SELECT status, details FROM presence.presence_upsert('ws_up', 'agt_busy', 'blocked', NULL,
    '{"blocked_reason": "awaiting_user_input"}');

-- NULL and {} both mean none, and none is stored as NULL.
SELECT status, details IS NULL AS no_details
    FROM presence.presence_upsert('ws_up', 'agt_busy', 'online', NULL, NULL);
SELECT status, details FROM presence.presence_upsert('ws_up', 'agt_blocked', 'blocked', NULL,
    '{"blocked_reason": "awaiting_keeper"}');
SELECT status, details IS NULL AS no_details
    FROM presence.presence_upsert('ws_up', 'agt_blocked', 'online', NULL, '{}');
RESET ROLE;
SELECT agent_id, details IS NULL AS details_is_null FROM presence.agents
    WHERE workspace_id = 'ws_up' AND agent_id IN ('agt_busy', 'agt_blocked') ORDER BY 1;

-- A NULL crew_id keeps the agent's crew; a crew_id moves it.
SET ROLE regress_writer;
SELECT agent_id, crew_id FROM presence.presence_upsert('ws_up', 'agt_busy', 'busy');
SELECT agent_id, crew_id FROM presence.presence_upsert('ws_up', 'agt_busy', 'busy', 'crw_up_b');
SELECT agent_id, crew_id FROM presence.presence_upsert('ws_up', 'agt_busy', 'online', NULL);
SELECT agent_id, crew_id FROM presence.presence_upsert('ws_up', 'agt_online', 'online', 'crw_up_a');

-- Named arguments, as the contract spells them.
SELECT agent_id, crew_id, status, details
    FROM presence.presence_upsert(workspace_id => 'ws_up', agent_id => 'agt_named',
                                  status => 'busy', details => '{"current_task_id": "T-1"}');

-- An agent id belongs to its workspace: the same id in another workspace is another agent.
SELECT agent_id, crew_id, status
    FROM presence.presence_upsert('ws_up_other', 'agt_online', 'blocked', 'crw_up_other');
SET ROLE regress_reader;
SELECT agent_id, crew_id, status FROM presence.presence_roster('ws_up') ORDER BY agent_id;
SELECT agent_id, crew_id, status FROM presence.presence_roster('ws_up_other');

-- Unknown workspace: PR404, for a new agent and for an id that exists elsewhere.
SET ROLE regress_writer;
SELECT * FROM regress.error_of($$
    SELECT presence.presence_upsert('ws_up_nowhere', 'agt_online', 'online') $$);
SELECT * FROM regress.error_of($$
    SELECT presence.presence_upsert('ws_up_nowhere', 'agt_online', 'online', 'crw_up_a') $$);

-- A crew of another workspace and a crew that exists nowhere: one error, the same text.
-- The crew crw_up_ghost exists in ws_up_other for the first call and nowhere for the
-- second, so the two calls differ only in whether the crew exists elsewhere.
RESET ROLE;
CREATE TEMP TABLE crew_errors (crew_case text, sqlstate text, message text, detail text,
                          hint text);
GRANT ALL ON crew_errors TO PUBLIC;
SET ROLE regress_admin;
SELECT presence.crew_create('ws_up_other', 'crw_up_ghost');
SET ROLE regress_writer;
INSERT INTO crew_errors SELECT 'elsewhere', * FROM regress.error_of($$
    SELECT presence.presence_upsert('ws_up', 'agt_online', 'online', 'crw_up_ghost') $$);
RESET ROLE;
DELETE FROM presence.crews WHERE crew_id = 'crw_up_ghost';
SET ROLE regress_writer;
INSERT INTO crew_errors SELECT 'nowhere', * FROM regress.error_of($$
    SELECT presence.presence_upsert('ws_up', 'agt_online', 'online', 'crw_up_ghost') $$);
SELECT * FROM crew_errors ORDER BY crew_case;
SELECT e.sqlstate = n.sqlstate AND e.message = n.message
       AND e.detail IS NOT DISTINCT FROM n.detail AND e.hint IS NOT DISTINCT FROM n.hint
       AS same_error
    FROM crew_errors e, crew_errors n
    WHERE e.crew_case = 'elsewhere' AND n.crew_case = 'nowhere';
SELECT * FROM regress.error_of($$
    SELECT presence.presence_upsert('ws_up', 'agt_new', 'online', 'crw_up_other') $$);

-- None of the failed writes changed or created a row.
SET ROLE regress_reader;
SELECT agent_id, crew_id, status FROM presence.presence_roster('ws_up') ORDER BY agent_id;

-- Status: exactly one of the four names, lower case.
SET ROLE regress_writer;
SELECT s AS status, e.sqlstate, e.message, e.detail
    FROM unnest(ARRAY['Online', 'ONLINE', 'away', '', ' online', 'online ', 'idle',
                      'offline_', 'busy;']) s,
         regress.error_of(format(
             'SELECT presence.presence_upsert(''ws_up'', ''agt_status'', %L)', s)) e;

-- details: a JSON object of at most 8 KiB as compact JSON text.
SELECT d AS details, e.sqlstate, e.message, e.detail
    FROM unnest(ARRAY['[]', '[{"a": 1}]', '"a string"', '42', 'true', 'null']) d,
         regress.error_of(format(
             'SELECT presence.presence_upsert(''ws_up'', ''agt_details'', ''busy'', NULL, %L)',
             d)) e;

-- {"k":"..."} is 8 bytes around the value: a value of 8184 bytes makes exactly 8 KiB.
SELECT length(details ->> 'k') AS value_bytes, length(details::text) AS jsonb_text_bytes
    FROM presence.presence_upsert('ws_up', 'agt_details', 'busy', NULL,
        jsonb_build_object('k', repeat('x', 8184)));
SELECT * FROM regress.error_of($$
    SELECT presence.presence_upsert('ws_up', 'agt_details', 'busy', NULL,
        jsonb_build_object('k', repeat('x', 8185))) $$);
SELECT * FROM regress.error_of($$
    SELECT presence.presence_upsert('ws_up', 'agt_details', 'busy', NULL,
        jsonb_build_object('k', repeat('x', 100000))) $$);
-- The failed writes left the 8 KiB details in place.
RESET ROLE;
SELECT agent_id, length(details ->> 'k') AS value_bytes FROM presence.agents
    WHERE workspace_id = 'ws_up' AND agent_id = 'agt_details';
SET ROLE regress_writer;

-- NULL in each argument: the three required ones are PR400; crew_id and details may be
-- NULL (keep the crew, no details).
SELECT call, e.sqlstate, e.message
    FROM unnest(ARRAY[
        $$presence.presence_upsert(NULL, 'agt_null', 'online')$$,
        $$presence.presence_upsert('ws_up', NULL, 'online')$$,
        $$presence.presence_upsert('ws_up', 'agt_null', NULL)$$,
        $$presence.presence_upsert(NULL, NULL, NULL, NULL, NULL)$$,
        $$presence.presence_upsert('ws_up', 'agt_null', 'online', NULL, NULL)$$]) call,
         regress.error_of('SELECT ' || call) e;
SET ROLE regress_reader;
SELECT agent_id, crew_id, status, details FROM presence.presence_roster('ws_up')
    WHERE agent_id = 'agt_null';
RESET ROLE;
