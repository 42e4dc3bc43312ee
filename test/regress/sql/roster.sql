-- presence_roster: a workspace's agents, or one crew's, ordered by agent_id in byte order
-- whatever the database's locale. An unknown workspace is PR404; a crew outside the
-- workspace is PR404 with the same text whether it exists elsewhere or not.

-- A database whose own collation orders ids differently from byte order.
CREATE DATABASE regression_presence_icu TEMPLATE template0
    LOCALE_PROVIDER icu ICU_LOCALE 'en-US' LOCALE 'C.UTF-8';
\c regression_presence_icu
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
CREATE EXTENSION presence;
SELECT datlocprovider, daticulocale FROM pg_database WHERE datname = current_database();

SET ROLE regress_admin;
SELECT presence.workspace_create('ws_roster');
SELECT presence.crew_create('ws_roster', 'crw_alpha');
SELECT presence.crew_create('ws_roster', 'crw_beta');

-- Written in an order that is neither byte order nor this database's order.
SET ROLE regress_writer;
SELECT count(*) AS written FROM (VALUES ('a', 'crw_alpha'), ('_', 'crw_beta'), ('B', 'crw_alpha'),
                                         ('0', NULL), ('-', 'crw_beta'), ('a.b', NULL),
                                         ('Z', 'crw_beta')) v(agent, crew),
    LATERAL presence.presence_upsert('ws_roster', v.agent, 'online', v.crew);

-- This database's collation sorts the ids one way ...
SELECT string_agg(id, ' ' ORDER BY id) AS database_order
    FROM unnest(ARRAY['a', '_', 'B', '0', '-', 'a.b', 'Z']) id;

-- ... and the roster gives byte order: - 0 B Z _ a a.b
SET ROLE regress_reader;
SELECT agent_id, crew_id, status, details FROM presence.presence_roster('ws_roster');
SELECT string_agg(agent_id, ' ') AS roster_order FROM presence.presence_roster('ws_roster');
SELECT array_agg(agent_id) = array_agg(agent_id ORDER BY agent_id COLLATE "C") AS byte_order,
       array_agg(agent_id) <> array_agg(agent_id ORDER BY agent_id) AS not_database_order
    FROM presence.presence_roster('ws_roster');

-- One crew's agents, in the same order.
SELECT agent_id, crew_id FROM presence.presence_roster('ws_roster', 'crw_alpha');
SELECT agent_id, crew_id FROM presence.presence_roster('ws_roster', 'crw_beta');

RESET ROLE;
\c contrib_regression
DROP DATABASE regression_presence_icu;

-- Filters and errors, in the database where the test helpers live.
SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
SET ROLE regress_admin;
SELECT presence.workspace_create('ws_roster');
SELECT presence.crew_create('ws_roster', 'crw_alpha');
SELECT presence.crew_create('ws_roster', 'crw_beta');
SELECT presence.crew_create('ws_roster', 'crw_empty');
SELECT presence.workspace_create('ws_roster_other');
SELECT presence.crew_create('ws_roster_other', 'crw_other');
SET ROLE regress_writer;
SELECT count(*) AS written FROM (VALUES ('a', 'crw_alpha'), ('B', 'crw_alpha'), ('_', 'crw_beta'),
                                         ('0', NULL)) v(agent, crew),
    LATERAL presence.presence_upsert('ws_roster', v.agent, 'online', v.crew);
SELECT count(*) AS written
    FROM presence.presence_upsert('ws_roster_other', 'a', 'busy', 'crw_other');

SET ROLE regress_reader;
SELECT agent_id, crew_id FROM presence.presence_roster(workspace_id => 'ws_roster',
                                                       crew_id => 'crw_alpha');
-- A crew with no agents is an empty roster, not an error.
SELECT count(*) AS agents FROM presence.presence_roster('ws_roster', 'crw_empty');
-- A NULL crew_id is no filter.
SELECT count(*) AS agents FROM presence.presence_roster('ws_roster', NULL);

-- The roster of a workspace holds only that workspace's agents.
SELECT agent_id, crew_id, status FROM presence.presence_roster('ws_roster_other');

-- since and details are the stored ones.
SET ROLE regress_writer;
SELECT agent_id FROM presence.presence_upsert('ws_roster', 'B', 'busy', NULL,
                                              '{"current_task_id": "T-42"}');
RESET ROLE;
UPDATE presence.agents SET since = '2026-04-17 10:23:41.5+00'
    WHERE workspace_id = 'ws_roster' AND agent_id = 'B';
SET ROLE regress_reader;
SELECT agent_id, crew_id, status, since, details FROM presence.presence_roster('ws_roster')
    WHERE agent_id = 'B';

-- Unknown workspace: PR404.
SELECT * FROM regress.error_of($$ SELECT * FROM presence.presence_roster('ws_roster_nowhere') $$);
SELECT * FROM regress.error_of($$
    SELECT * FROM presence.presence_roster('ws_roster_nowhere', 'crw_alpha') $$);

-- A crew of another workspace, and the same crew id once it exists nowhere: the same error.
RESET ROLE;
CREATE TEMP TABLE crew_errors (crew_case text, sqlstate text, message text, detail text,
                          hint text);
GRANT ALL ON crew_errors TO PUBLIC;
SET ROLE regress_admin;
SELECT presence.crew_create('ws_roster_other', 'crw_ghost');
SET ROLE regress_reader;
INSERT INTO crew_errors SELECT 'elsewhere', * FROM regress.error_of($$
    SELECT * FROM presence.presence_roster('ws_roster', 'crw_ghost') $$);
RESET ROLE;
DELETE FROM presence.crews WHERE crew_id = 'crw_ghost';
SET ROLE regress_reader;
INSERT INTO crew_errors SELECT 'nowhere', * FROM regress.error_of($$
    SELECT * FROM presence.presence_roster('ws_roster', 'crw_ghost') $$);
SELECT * FROM crew_errors ORDER BY crew_case;
SELECT e.sqlstate = n.sqlstate AND e.message = n.message
       AND e.detail IS NOT DISTINCT FROM n.detail AND e.hint IS NOT DISTINCT FROM n.hint
       AS same_error
    FROM crew_errors e, crew_errors n
    WHERE e.crew_case = 'elsewhere' AND n.crew_case = 'nowhere';
SELECT * FROM regress.error_of($$
    SELECT * FROM presence.presence_roster('ws_roster', 'crw_other') $$);

-- NULL workspace: PR400.
SELECT call, e.sqlstate, e.message
    FROM unnest(ARRAY[$$presence.presence_roster(NULL)$$,
                      $$presence.presence_roster(NULL, 'crw_alpha')$$,
                      $$presence.presence_roster(NULL, NULL)$$]) call,
         regress.error_of('SELECT * FROM ' || call) e;

RESET ROLE;
