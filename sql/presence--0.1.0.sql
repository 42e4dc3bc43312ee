-- presence 0.1.0: the live roster of an agent fleet's status.
\echo Use "CREATE EXTENSION presence" to load this file. \quit

-- Roles are cluster-wide and outlive the extension: create the ones that are missing.
-- presence_owner owns the tables and the SECURITY DEFINER functions; it is not a superuser,
-- so FORCE ROW LEVEL SECURITY binds it. presence_sweeper owns only the sweep, the one
-- function that works across every tenant by design, and bypasses row-level security.
-- Both hold real power, so an existing role of either name is adopted only when nobody
-- can log in as it or through it.
DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['presence_owner', 'presence_sweeper']
    LOOP
        IF EXISTS (SELECT 1 FROM pg_catalog.pg_roles o
                   WHERE o.rolname OPERATOR(pg_catalog.=) r
                     AND (o.rolcanlogin OR o.rolsuper OR EXISTS
                          (SELECT 1 FROM pg_catalog.pg_auth_members m
                           WHERE m.roleid OPERATOR(pg_catalog.=) o.oid))) THEN
            RAISE EXCEPTION 'role "%" exists and can be used by someone', r
                USING HINT = 'presence creates this role for itself; drop or rename it.';
        END IF;
    END LOOP;
    FOREACH r IN ARRAY ARRAY['presence_owner', 'presence_sweeper', 'presence_admin',
                             'presence_writer', 'presence_reader']
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles
                       WHERE rolname OPERATOR(pg_catalog.=) r) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN', r);
        END IF;
    END LOOP;
    ALTER ROLE presence_sweeper BYPASSRLS;
END
$roles$;

-- A plain CREATE SCHEMA: a schema someone made beforehand is an error, never adopted.
CREATE SCHEMA presence;
REVOKE ALL ON SCHEMA presence FROM PUBLIC;
GRANT USAGE ON SCHEMA presence
    TO presence_owner, presence_sweeper, presence_admin, presence_writer, presence_reader;

-- Ids are ASCII by rule, so the C collation costs nothing and makes the primary keys
-- give the roster's byte order whatever the database's locale.
CREATE TABLE presence.workspaces (
    workspace_id text COLLATE "C" PRIMARY KEY,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now()
);

-- Crew ids are unique across all workspaces; (workspace_id, crew_id) is what agents
-- reference, so an agent can only ever point at a crew of its own workspace.
CREATE TABLE presence.crews (
    crew_id      text COLLATE "C" PRIMARY KEY,
    workspace_id text COLLATE "C" NOT NULL REFERENCES presence.workspaces,
    created_at   timestamptz NOT NULL DEFAULT pg_catalog.now(),
    UNIQUE (workspace_id, crew_id)
);

CREATE TABLE presence.members (
    workspace_id text COLLATE "C" NOT NULL REFERENCES presence.workspaces,
    user_id      text COLLATE "C" NOT NULL,
    added_at     timestamptz NOT NULL DEFAULT pg_catalog.now(),
    PRIMARY KEY (workspace_id, user_id)
);

-- Only the SHA-256 digest of a token is kept; the token itself is shown once, at issue.
CREATE TABLE presence.tokens (
    digest       bytea PRIMARY KEY,
    user_id      text COLLATE "C" NOT NULL,
    workspace_id text COLLATE "C" REFERENCES presence.workspaces,
    issued_at    timestamptz NOT NULL DEFAULT pg_catalog.now(),
    expires_at   timestamptz NOT NULL,
    revoked_at   timestamptz
);

-- One row per agent. since moves on status writes only; seen_at on every write and every
-- heartbeat. Neither is indexed: every write sets them, and an index on either would turn
-- every update into a non-HOT one (docs/sweep.md has the figures).
CREATE TABLE presence.agents (
    workspace_id text COLLATE "C" NOT NULL REFERENCES presence.workspaces,
    agent_id     text COLLATE "C" NOT NULL,
    crew_id      text COLLATE "C",
    -- One of online, busy, blocked, offline: checked by presence_upsert before any write
    -- (only presence_owner and presence_sweeper can write here). A CHECK constraint would
    -- have its expression read back from the catalog on every statement, a heartbeat too.
    status       text COLLATE "C" NOT NULL,
    since        timestamptz NOT NULL,
    seen_at      timestamptz NOT NULL,
    details      jsonb,
    PRIMARY KEY (workspace_id, agent_id),
    FOREIGN KEY (workspace_id, crew_id) REFERENCES presence.crews (workspace_id, crew_id)
) WITH (fillfactor = 80, autovacuum_vacuum_scale_factor = 0.02,
        autovacuum_vacuum_insert_scale_factor = 0.05);

CREATE INDEX agents_crew_roster ON presence.agents (workspace_id, crew_id, agent_id)
    WHERE crew_id IS NOT NULL;

-- Every time the sweep guard held a workspace back, for a DBA to query.
CREATE TABLE presence.sweep_guard_events (
    event_id     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT pg_catalog.now(),
    workspace_id text COLLATE "C" NOT NULL,
    live_agents  integer NOT NULL,
    stale_agents integer NOT NULL,
    threshold    interval NOT NULL,
    max_share    double precision NOT NULL
);

-- The second wall. Every function states the tenant it works for in the transaction-local
-- setting presence.workspace (a workspace id, or '*' for the two steps that span tenants by
-- nature: token look-up by digest and crew id uniqueness). The function's SET clause
-- restores the setting when it returns. Rows of any other tenant are invisible to the
-- functions' owner even if a query inside a function forgot a filter.
ALTER TABLE presence.workspaces ENABLE ROW LEVEL SECURITY;
ALTER TABLE presence.workspaces FORCE ROW LEVEL SECURITY;
ALTER TABLE presence.crews ENABLE ROW LEVEL SECURITY;
ALTER TABLE presence.crews FORCE ROW LEVEL SECURITY;
ALTER TABLE presence.members ENABLE ROW LEVEL SECURITY;
ALTER TABLE presence.members FORCE ROW LEVEL SECURITY;
ALTER TABLE presence.tokens ENABLE ROW LEVEL SECURITY;
ALTER TABLE presence.tokens FORCE ROW LEVEL SECURITY;
ALTER TABLE presence.agents ENABLE ROW LEVEL SECURITY;
ALTER TABLE presence.agents FORCE ROW LEVEL SECURITY;

-- The scope is read once per statement (an InitPlan), not once per row, straight from the
-- setting: a SQL function here would be parsed again on every statement. Only crews (for
-- the uniqueness check) and tokens (looked up by digest) ever answer to '*'.
CREATE POLICY tenant_scope ON presence.workspaces
    USING (workspace_id OPERATOR(pg_catalog.=)
           (SELECT pg_catalog.current_setting('presence.workspace', true)));
CREATE POLICY tenant_scope ON presence.crews
    USING ((SELECT pg_catalog.current_setting('presence.workspace', true))
               OPERATOR(pg_catalog.=) '*'
           OR workspace_id OPERATOR(pg_catalog.=)
              (SELECT pg_catalog.current_setting('presence.workspace', true)));
CREATE POLICY tenant_scope ON presence.members
    USING (workspace_id OPERATOR(pg_catalog.=)
           (SELECT pg_catalog.current_setting('presence.workspace', true)));
CREATE POLICY tenant_scope ON presence.agents
    USING (workspace_id OPERATOR(pg_catalog.=)
           (SELECT pg_catalog.current_setting('presence.workspace', true)));
-- Tokens are found by digest before any workspace is known: only the '*' scope sees them.
CREATE POLICY token_lookup ON presence.tokens
    USING ((SELECT pg_catalog.current_setting('presence.workspace', true))
           OPERATOR(pg_catalog.=) '*');

-- C++ entry points. Each is one guarded function in extension/entry.cpp.

CREATE FUNCTION presence.check_id(kind text, id text) RETURNS text
    LANGUAGE c IMMUTABLE
    AS 'MODULE_PATHNAME', 'presence_check_id';
COMMENT ON FUNCTION presence.check_id(text, text) IS
    'returns id when it is 1 to 128 characters of A-Z a-z 0-9 . _ : -, else raises PR400';

CREATE FUNCTION presence.token_generate() RETURNS text
    LANGUAGE c VOLATILE STRICT
    AS 'MODULE_PATHNAME', 'presence_token_generate';

CREATE FUNCTION presence.token_digest(token text) RETURNS bytea
    LANGUAGE c IMMUTABLE STRICT
    AS 'MODULE_PATHNAME', 'presence_token_digest';

CREATE FUNCTION presence.presence_upsert(
        workspace_id text, agent_id text, status text,
        crew_id text DEFAULT NULL, details jsonb DEFAULT NULL,
        OUT agent_id text, OUT crew_id text, OUT status text,
        OUT since timestamptz, OUT details jsonb)
    RETURNS record
    LANGUAGE c VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET presence.workspace = ''
    AS 'MODULE_PATHNAME', 'presence_upsert';

CREATE FUNCTION presence.presence_touch(workspace_id text, agent_id text) RETURNS boolean
    LANGUAGE c VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET presence.workspace = ''
    AS 'MODULE_PATHNAME', 'presence_touch';

CREATE FUNCTION presence.presence_roster(workspace_id text, crew_id text DEFAULT NULL)
    RETURNS TABLE (agent_id text, crew_id text, status text, since timestamptz,
                   details jsonb)
    LANGUAGE c STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET presence.workspace = ''
    AS 'MODULE_PATHNAME', 'presence_roster';

CREATE FUNCTION presence.http_roster(token text, workspace_id text, crew_id text,
                                     malformed text DEFAULT NULL)
    RETURNS text
    LANGUAGE c STABLE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET presence.workspace = ''
    AS 'MODULE_PATHNAME', 'presence_http_roster';
COMMENT ON FUNCTION presence.http_roster(text, text, text, text) IS
    'the HTTP front''s one call: checks token, request, workspace, membership and crew in '
    'that order and returns the finished 200 body';

CREATE FUNCTION presence.presence_sweep_offline(threshold interval DEFAULT '5 minutes',
                                                force boolean DEFAULT false)
    RETURNS integer
    LANGUAGE c VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    AS 'MODULE_PATHNAME', 'presence_sweep_offline';

-- Provisioning. Plain SQL around the C++ id check; each states its tenant scope first.

CREATE FUNCTION presence.workspace_create(workspace_id text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET presence.workspace = ''
    AS $$
BEGIN
    PERFORM pg_catalog.set_config('presence.workspace',
                                  presence.check_id('workspace_id', workspace_id), true);
    INSERT INTO presence.workspaces AS w (workspace_id)
        VALUES (workspace_create.workspace_id)
        ON CONFLICT DO NOTHING;
END
$$;

CREATE FUNCTION presence.crew_create(workspace_id text, crew_id text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET presence.workspace = ''
    AS $$
DECLARE
    owner_ws text;
BEGIN
    PERFORM presence.check_id('workspace_id', workspace_id);
    PERFORM presence.check_id('crew_id', crew_id);

    -- Crew ids span tenants, so the uniqueness check is the one place that looks across.
    PERFORM pg_catalog.set_config('presence.workspace', '*', true);
    PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('presence.crew:' || crew_id));
    SELECT c.workspace_id INTO owner_ws FROM presence.crews c
        WHERE c.crew_id OPERATOR(pg_catalog.=) crew_create.crew_id;
    IF FOUND THEN
        IF owner_ws OPERATOR(pg_catalog.=) crew_create.workspace_id THEN
            RETURN;
        END IF;
        RAISE EXCEPTION 'crew id "%" is already taken', crew_id USING ERRCODE = 'PR409';
    END IF;

    PERFORM pg_catalog.set_config('presence.workspace', workspace_id, true);
    IF NOT EXISTS (SELECT 1 FROM presence.workspaces w
                   WHERE w.workspace_id OPERATOR(pg_catalog.=) crew_create.workspace_id) THEN
        RAISE EXCEPTION 'workspace "%" not found', workspace_id USING ERRCODE = 'PR404';
    END IF;
    INSERT INTO presence.crews (crew_id, workspace_id)
        VALUES (crew_create.crew_id, crew_create.workspace_id);
END
$$;

CREATE FUNCTION presence.member_add(workspace_id text, user_id text) RETURNS void
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET presence.workspace = ''
    AS $$
BEGIN
    PERFORM pg_catalog.set_config('presence.workspace',
                                  presence.check_id('workspace_id', workspace_id), true);
    PERFORM presence.check_id('user_id', user_id);
    IF NOT EXISTS (SELECT 1 FROM presence.workspaces w
                   WHERE w.workspace_id OPERATOR(pg_catalog.=) member_add.workspace_id) THEN
        RAISE EXCEPTION 'workspace "%" not found', workspace_id USING ERRCODE = 'PR404';
    END IF;
    INSERT INTO presence.members (workspace_id, user_id)
        VALUES (member_add.workspace_id, member_add.user_id)
        ON CONFLICT DO NOTHING;
END
$$;

CREATE FUNCTION presence.member_remove(workspace_id text, user_id text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET presence.workspace = ''
    AS $$
BEGIN
    PERFORM pg_catalog.set_config('presence.workspace',
                                  presence.check_id('workspace_id', workspace_id), true);
    PERFORM presence.check_id('user_id', user_id);
    DELETE FROM presence.members m
        WHERE m.workspace_id OPERATOR(pg_catalog.=) member_remove.workspace_id
          AND m.user_id OPERATOR(pg_catalog.=) member_remove.user_id;
    RETURN FOUND;
END
$$;

CREATE FUNCTION presence.token_issue(user_id text, workspace_id text DEFAULT NULL,
                                     ttl interval DEFAULT '30 days')
    RETURNS text
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET presence.workspace = ''
    AS $$
DECLARE
    token text;
BEGIN
    PERFORM presence.check_id('user_id', user_id);
    IF ttl IS NULL OR ttl OPERATOR(pg_catalog.<=) interval '0' THEN
        RAISE EXCEPTION 'ttl must be a positive interval' USING ERRCODE = 'PR400';
    END IF;
    IF workspace_id IS NOT NULL THEN
        PERFORM pg_catalog.set_config('presence.workspace',
                                      presence.check_id('workspace_id', workspace_id), true);
        IF NOT EXISTS (SELECT 1 FROM presence.workspaces w
                       WHERE w.workspace_id OPERATOR(pg_catalog.=)
                             token_issue.workspace_id) THEN
            RAISE EXCEPTION 'workspace "%" not found', workspace_id USING ERRCODE = 'PR404';
        END IF;
    END IF;

    token := presence.token_generate();
    PERFORM pg_catalog.set_config('presence.workspace', '*', true);
    INSERT INTO presence.tokens (digest, user_id, workspace_id, expires_at)
        VALUES (presence.token_digest(token), token_issue.user_id, token_issue.workspace_id,
                pg_catalog.now() OPERATOR(pg_catalog.+) ttl);
    RETURN token;
END
$$;

CREATE FUNCTION presence.token_revoke(token text) RETURNS boolean
    LANGUAGE plpgsql VOLATILE SECURITY DEFINER
    SET search_path = pg_catalog, pg_temp
    SET presence.workspace = ''
    AS $$
BEGIN
    IF token IS NULL THEN
        RAISE EXCEPTION 'token must not be null' USING ERRCODE = 'PR400';
    END IF;
    PERFORM pg_catalog.set_config('presence.workspace', '*', true);
    UPDATE presence.tokens t SET revoked_at = pg_catalog.now()
        WHERE t.digest OPERATOR(pg_catalog.=) presence.token_digest(token_revoke.token)
          AND t.revoked_at IS NULL
          AND t.expires_at OPERATOR(pg_catalog.>) pg_catalog.now();
    RETURN FOUND;
END
$$;

-- Scheduling with pg_cron. SECURITY INVOKER on purpose: pg_cron runs a job as the role
-- that scheduled it, and that must be a role that can log in, not presence_owner.
-- Two jobs per database: the sweep, and an hourly purge of both jobs' rows in
-- cron.job_run_details older than seven days, which pg_cron never prunes by itself.
CREATE FUNCTION presence.sweep_job_name(purge boolean DEFAULT false) RETURNS text
    LANGUAGE sql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
SELECT CASE WHEN purge THEN 'presence-sweep-purge:' ELSE 'presence-sweep:' END
       OPERATOR(pg_catalog.||) pg_catalog.current_database()
$$;

-- When pg_cron serves another database of this cluster: a libpq connection there, as the
-- calling role, over this server's unix socket (extension/cron_remote.cpp).
CREATE FUNCTION presence.cron_remote_schedule(cron_database text, job_name text,
                                              schedule text, command text, database text)
    RETURNS bigint
    LANGUAGE c VOLATILE STRICT
    AS 'MODULE_PATHNAME', 'presence_cron_remote_schedule';

CREATE FUNCTION presence.cron_remote_unschedule(cron_database text, job_name text)
    RETURNS boolean
    LANGUAGE c VOLATILE STRICT
    AS 'MODULE_PATHNAME', 'presence_cron_remote_unschedule';

-- Raises 55000 unless pg_cron can take jobs from here; returns pg_cron's database.
CREATE FUNCTION presence.cron_database() RETURNS text
    LANGUAGE plpgsql STABLE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cron_db text := pg_catalog.current_setting('cron.database_name', true);
BEGIN
    IF cron_db IS NULL THEN
        RAISE EXCEPTION 'pg_cron is not installed'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Add pg_cron to shared_preload_libraries, restart, and run '
                         'CREATE EXTENSION pg_cron in the database named by '
                         'cron.database_name.';
    END IF;
    IF cron_db OPERATOR(pg_catalog.=) pg_catalog.current_database()
       AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_extension
                       WHERE extname OPERATOR(pg_catalog.=) 'pg_cron') THEN
        RAISE EXCEPTION 'pg_cron is not installed'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Run CREATE EXTENSION pg_cron in this database.';
    END IF;
    RETURN cron_db;
END
$$;

CREATE FUNCTION presence.schedule_sweep(schedule text DEFAULT '* * * * *',
                                        threshold interval DEFAULT '5 minutes')
    RETURNS bigint
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cron_db text;
    sweep text;
    purge text;
    job bigint;
BEGIN
    IF schedule IS NULL OR threshold IS NULL THEN
        RAISE EXCEPTION 'schedule and threshold must not be null' USING ERRCODE = 'PR400';
    END IF;
    IF threshold OPERATOR(pg_catalog.<=) interval '0' THEN
        RAISE EXCEPTION 'threshold must be a positive interval' USING ERRCODE = 'PR400';
    END IF;
    cron_db := presence.cron_database();

    sweep := pg_catalog.format('SELECT presence.presence_sweep_offline(%L::interval)',
                               threshold);
    purge := pg_catalog.format(
        'DELETE FROM cron.job_run_details '
        'WHERE COALESCE(end_time, start_time) < now() - interval ''7 days'' '
        'AND jobid IN (SELECT jobid FROM cron.job WHERE jobname IN (%L, %L))',
        presence.sweep_job_name(), presence.sweep_job_name(true));
    IF cron_db OPERATOR(pg_catalog.=) pg_catalog.current_database() THEN
        EXECUTE 'SELECT cron.schedule($1, $2, $3)'
            INTO job USING presence.sweep_job_name(), schedule, sweep;
        EXECUTE 'SELECT cron.schedule($1, $2, $3)'
            USING presence.sweep_job_name(true), '17 * * * *', purge;
    ELSE
        job := presence.cron_remote_schedule(cron_db, presence.sweep_job_name(), schedule,
                                             sweep, pg_catalog.current_database());
        PERFORM presence.cron_remote_schedule(cron_db, presence.sweep_job_name(true),
                                              '17 * * * *', purge, cron_db);
    END IF;
    RETURN job;
END
$$;

CREATE FUNCTION presence.unschedule_sweep() RETURNS boolean
    LANGUAGE plpgsql VOLATILE
    SET search_path = pg_catalog, pg_temp
    AS $$
DECLARE
    cron_db text := presence.cron_database();
    job text;
    removed boolean := false;
    found_job boolean;
BEGIN
    FOREACH job IN ARRAY ARRAY[presence.sweep_job_name(), presence.sweep_job_name(true)]
    LOOP
        IF cron_db OPERATOR(pg_catalog.=) pg_catalog.current_database() THEN
            EXECUTE 'SELECT EXISTS (SELECT 1 FROM cron.job WHERE jobname = $1 '
                    'AND username = current_user)'
                INTO found_job USING job;
            IF found_job THEN
                EXECUTE 'SELECT cron.unschedule($1)' USING job;
            END IF;
        ELSE
            found_job := presence.cron_remote_unschedule(cron_db, job);
        END IF;
        -- The answer is about the sweep itself, the first job.
        IF job OPERATOR(pg_catalog.=) presence.sweep_job_name() THEN
            removed := found_job;
        END IF;
    END LOOP;
    RETURN removed;
END
$$;

-- Ownership: presence_owner owns the data and the SECURITY DEFINER functions.
ALTER TABLE presence.workspaces OWNER TO presence_owner;
ALTER TABLE presence.crews OWNER TO presence_owner;
ALTER TABLE presence.members OWNER TO presence_owner;
ALTER TABLE presence.tokens OWNER TO presence_owner;
ALTER TABLE presence.agents OWNER TO presence_owner;
ALTER TABLE presence.sweep_guard_events OWNER TO presence_owner;
ALTER FUNCTION presence.presence_upsert(text, text, text, text, jsonb) OWNER TO presence_owner;
ALTER FUNCTION presence.presence_touch(text, text) OWNER TO presence_owner;
ALTER FUNCTION presence.presence_roster(text, text) OWNER TO presence_owner;
ALTER FUNCTION presence.http_roster(text, text, text, text) OWNER TO presence_owner;
ALTER FUNCTION presence.presence_sweep_offline(interval, boolean) OWNER TO presence_sweeper;
ALTER FUNCTION presence.workspace_create(text) OWNER TO presence_owner;
ALTER FUNCTION presence.crew_create(text, text) OWNER TO presence_owner;
ALTER FUNCTION presence.member_add(text, text) OWNER TO presence_owner;
ALTER FUNCTION presence.member_remove(text, text) OWNER TO presence_owner;
ALTER FUNCTION presence.token_issue(text, text, interval) OWNER TO presence_owner;
ALTER FUNCTION presence.token_revoke(text) OWNER TO presence_owner;

-- Privileges: PUBLIC reaches nothing; each role gets exactly its row of the contract.
REVOKE ALL ON ALL TABLES IN SCHEMA presence FROM PUBLIC;
REVOKE ALL ON ALL FUNCTIONS IN SCHEMA presence FROM PUBLIC;
GRANT EXECUTE ON FUNCTION presence.check_id(text, text),
    presence.token_generate(), presence.token_digest(text) TO presence_owner;

GRANT EXECUTE ON FUNCTION
    presence.workspace_create(text), presence.crew_create(text, text),
    presence.member_add(text, text), presence.member_remove(text, text),
    presence.token_issue(text, text, interval), presence.token_revoke(text),
    presence.presence_sweep_offline(interval, boolean),
    presence.schedule_sweep(text, interval), presence.unschedule_sweep(),
    presence.sweep_job_name(boolean), presence.cron_database(),
    presence.cron_remote_schedule(text, text, text, text, text),
    presence.cron_remote_unschedule(text, text)
    TO presence_admin;
GRANT SELECT ON presence.sweep_guard_events TO presence_admin;
GRANT SELECT, UPDATE ON presence.agents TO presence_sweeper;
GRANT SELECT, INSERT ON presence.sweep_guard_events TO presence_sweeper;

GRANT EXECUTE ON FUNCTION
    presence.presence_upsert(text, text, text, text, jsonb),
    presence.presence_touch(text, text)
    TO presence_writer;

GRANT EXECUTE ON FUNCTION
    presence.presence_roster(text, text),
    presence.http_roster(text, text, text, text)
    TO presence_reader;
