-- Each role can do only what its row of the contract says: presence_admin provisions and
-- sweeps, presence_writer writes, presence_reader reads. PUBLIC reaches nothing: no table
-- of the schema, no function. The tables have row-level security forced, as a second wall
-- behind the functions, and the SECURITY DEFINER functions pin search_path.

SET ROLE regress_admin;
SELECT presence.workspace_create('ws_roles');
SELECT presence.crew_create('ws_roles', 'crw_roles');
SELECT presence.member_add('ws_roles', 'usr_roles');
SELECT presence.token_issue('usr_roles', 'ws_roles') AS tok \gset
SELECT presence.workspace_create('ws_roles_other');
SET ROLE regress_writer;
SELECT agent_id, status FROM presence.presence_upsert('ws_roles', 'agt_roles', 'online');
SELECT agent_id, status FROM presence.presence_upsert('ws_roles_other', 'agt_roles', 'online');

-- Who may execute what. Every function of the schema, and each role's grant.
RESET ROLE;
SELECT p.oid::regprocedure AS function,
       has_function_privilege('presence_admin', p.oid, 'EXECUTE') AS admin,
       has_function_privilege('presence_writer', p.oid, 'EXECUTE') AS writer,
       has_function_privilege('presence_reader', p.oid, 'EXECUTE') AS reader,
       has_function_privilege('public', p.oid, 'EXECUTE') AS public
    FROM pg_proc p WHERE p.pronamespace = 'presence'::regnamespace
    ORDER BY p.proname COLLATE "C", 1::text;

-- Table privileges: none for anyone but the owner, except that an admin may read the
-- sweep guard's events, and presence_sweeper (which owns only the sweep) may flip agents
-- and record guard events.
SELECT c.relname AS table_name, r.rolname AS role, p.privilege
    FROM pg_class c
    CROSS JOIN (VALUES ('presence_admin'), ('presence_writer'), ('presence_reader'),
                       ('presence_sweeper'), ('public')) r(rolname)
    CROSS JOIN unnest(ARRAY['SELECT', 'INSERT', 'UPDATE', 'DELETE', 'TRUNCATE',
                            'REFERENCES', 'TRIGGER']) p(privilege)
    WHERE c.relnamespace = 'presence'::regnamespace AND c.relkind IN ('r', 'p', 'v', 'S')
      AND has_table_privilege(r.rolname, c.oid, p.privilege)
    ORDER BY 1, 2, 3;

-- What a reader sees when it tries to write, provision or sweep.
SET ROLE regress_reader;
SELECT count(*) AS agents FROM presence.presence_roster('ws_roles');
SELECT presence.http_roster(:'tok', NULL, NULL) ~ '"count":1}$' AS http_roster_reads;
SELECT call, e.sqlstate, e.message
    FROM unnest(ARRAY[$$presence.presence_upsert('ws_roles', 'agt_roles', 'busy')$$,
                      $$presence.presence_touch('ws_roles', 'agt_roles')$$,
                      $$presence.workspace_create('ws_roles_reader')$$,
                      $$presence.crew_create('ws_roles', 'crw_roles_reader')$$,
                      $$presence.member_add('ws_roles', 'usr_reader')$$,
                      $$presence.member_remove('ws_roles', 'usr_roles')$$,
                      $$presence.token_issue('usr_roles', 'ws_roles')$$,
                      $$presence.token_revoke('prs_' || repeat('A', 43))$$,
                      $$presence.presence_sweep_offline('1 second', true)$$,
                      $$presence.schedule_sweep()$$,
                      $$presence.unschedule_sweep()$$]) call,
         regress.error_of('SELECT ' || call) e;

-- A writer: writes, but cannot provision, read or sweep.
SET ROLE regress_writer;
SELECT agent_id, status FROM presence.presence_upsert('ws_roles', 'agt_roles', 'busy');
SELECT presence.presence_touch('ws_roles', 'agt_roles') AS touched;
SELECT call, e.sqlstate, e.message
    FROM unnest(ARRAY[$$presence.workspace_create('ws_roles_writer')$$,
                      $$presence.crew_create('ws_roles', 'crw_roles_writer')$$,
                      $$presence.member_add('ws_roles', 'usr_writer')$$,
                      $$presence.member_remove('ws_roles', 'usr_roles')$$,
                      $$presence.token_issue('usr_roles', 'ws_roles')$$,
                      $$presence.token_revoke('prs_' || repeat('A', 43))$$,
                      $$presence.presence_roster('ws_roles')$$,
                      $$presence.http_roster('prs_' || repeat('A', 43), NULL, NULL)$$,
                      $$presence.presence_sweep_offline('1 second', true)$$,
                      $$presence.schedule_sweep()$$,
                      $$presence.unschedule_sweep()$$]) call,
         regress.error_of('SELECT ' || call) e;

-- An admin: provisions and sweeps, but cannot read the roster or write.
SET ROLE regress_admin;
SELECT presence.workspace_create('ws_roles_admin');
SELECT presence.presence_sweep_offline('1 hour') >= 0 AS swept;
SELECT count(*) >= 0 AS reads_guard_events FROM presence.sweep_guard_events;
SELECT call, e.sqlstate, e.message
    FROM unnest(ARRAY[$$presence.presence_roster('ws_roles')$$,
                      $$presence.presence_roster('ws_roles', 'crw_roles')$$,
                      $$presence.http_roster('prs_' || repeat('A', 43), NULL, NULL)$$,
                      $$presence.presence_upsert('ws_roles', 'agt_roles', 'busy')$$,
                      $$presence.presence_touch('ws_roles', 'agt_roles')$$]) call,
         regress.error_of('SELECT ' || call) e;

-- No role reads or writes a table directly, not even an admin.
SELECT t.stmt, e.sqlstate, e.message
    FROM unnest(ARRAY['SELECT * FROM presence.agents',
                      'SELECT * FROM presence.tokens',
                      $$INSERT INTO presence.workspaces (workspace_id) VALUES ('ws_sneak')$$,
                      $$UPDATE presence.agents SET status = 'offline'$$,
                      'DELETE FROM presence.members',
                      'DELETE FROM presence.sweep_guard_events']) t(stmt),
         regress.error_of(t.stmt) e;

-- A role that was granted nothing (PUBLIC) can use no table and no function of the schema.
-- regress.call_of(function) is a call of it with a value of the right type for every
-- argument (NULLs would let the planner fold a STRICT call away unexecuted).
RESET ROLE;
CREATE FUNCTION regress.call_of(fn oid) RETURNS text
    LANGUAGE sql STABLE AS $$
    SELECT format('SELECT %s(%s)', p.oid::regproc,
                  (SELECT string_agg(format('%L::%s',
                                            CASE WHEN t = 'interval'::regtype THEN '1 hour'
                                                 WHEN t = 'boolean'::regtype THEN 'false'
                                                 WHEN t = 'jsonb'::regtype THEN '{}'
                                                 ELSE 'x' END,
                                            t::regtype), ', ' ORDER BY n)
                   FROM unnest(p.proargtypes::oid[]) WITH ORDINALITY a(t, n)))
    FROM pg_proc p WHERE p.oid = fn
$$;
SELECT regress.call_of('presence.presence_upsert(text,text,text,text,jsonb)'::regprocedure);
SET ROLE regress_nobody;
SELECT c.relname AS table_name, e.sqlstate, e.message
    FROM pg_class c, regress.error_of(format('SELECT * FROM presence.%I', c.relname)) e
    WHERE c.relnamespace = 'presence'::regnamespace AND c.relkind = 'r'
    ORDER BY 1;
SELECT p.proname AS function, e.sqlstate, e.message
    FROM pg_proc p, regress.error_of(regress.call_of(p.oid)) e
    WHERE p.pronamespace = 'presence'::regnamespace
    ORDER BY 1;
-- Even with USAGE on the schema it could call nothing and read nothing.
RESET ROLE;
GRANT USAGE ON SCHEMA presence TO regress_nobody;
SET ROLE regress_nobody;
SELECT p.proname AS function, e.sqlstate, e.message
    FROM pg_proc p, regress.error_of(regress.call_of(p.oid)) e
    WHERE p.pronamespace = 'presence'::regnamespace
    ORDER BY 1;
SELECT c.relname AS table_name, e.sqlstate, e.message
    FROM pg_class c, regress.error_of(format('SELECT * FROM presence.%I', c.relname)) e
    WHERE c.relnamespace = 'presence'::regnamespace AND c.relkind = 'r'
    ORDER BY 1;
RESET ROLE;
REVOKE USAGE ON SCHEMA presence FROM regress_nobody;

-- Row-level security is enabled and forced on every tenant table. sweep_guard_events is
-- not one: it is the DBA's log across tenants, read directly by presence_admin and
-- written only by the sweep.
SELECT relname AS table_name, relrowsecurity AS rls, relforcerowsecurity AS forced,
       relowner::regrole AS owner
    FROM pg_class WHERE relnamespace = 'presence'::regnamespace AND relkind = 'r'
    ORDER BY 1;
-- The owner of the tables and of the SECURITY DEFINER functions is an ordinary role, so
-- the forced policies apply to it. Only presence_sweeper, which owns the sweep alone (it
-- spans every tenant by design), bypasses them.
SELECT rolname, rolsuper, rolbypassrls, rolcanlogin FROM pg_roles
    WHERE rolname IN ('presence_owner', 'presence_sweeper') ORDER BY rolname;

-- The second wall: as the owner, with no tenant scope, no row is visible; with a scope,
-- only that workspace's rows.
SET ROLE presence_owner;
SELECT count(*) AS agents_without_scope FROM presence.agents;
SELECT count(*) AS workspaces_without_scope FROM presence.workspaces;
SELECT count(*) AS tokens_without_scope FROM presence.tokens;
BEGIN;
SELECT set_config('presence.workspace', 'ws_roles', true) AS scope;
SELECT DISTINCT workspace_id FROM presence.agents;
SELECT count(*) AS tokens_in_a_workspace_scope FROM presence.tokens;
UPDATE presence.agents SET status = 'offline' WHERE workspace_id = 'ws_roles_other';
COMMIT;
RESET ROLE;
SELECT workspace_id, agent_id, status FROM presence.agents WHERE agent_id = 'agt_roles'
    ORDER BY 1;

-- SECURITY DEFINER functions pin search_path; none of them is left without it.
SELECT p.oid::regprocedure AS function, p.proowner::regrole AS owner, p.proconfig
    FROM pg_proc p WHERE p.pronamespace = 'presence'::regnamespace AND p.prosecdef
    ORDER BY p.proname COLLATE "C";
SELECT count(*) AS security_definer_without_search_path
    FROM pg_proc p WHERE p.pronamespace = 'presence'::regnamespace AND p.prosecdef
      AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search\_path=%');

-- The extension is not trusted: only a superuser can create it.
SELECT name, version, superuser, trusted FROM pg_available_extension_versions
    WHERE name = 'presence';
