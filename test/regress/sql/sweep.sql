-- presence_sweep_offline(threshold): every agent that is not offline and has had neither a
-- status write nor a heartbeat within threshold becomes offline, with details
-- {"reason":"idle_timeout"} and since = now. It returns how many it flipped; a second run
-- right after flips nothing. (The guard has its own file, sweep_guard.sql.)

SET TimeZone = 'UTC';
SET DateStyle = 'ISO';

-- Agents that other files left live would be counted by the sweeps below: flip them first.
SELECT presence.presence_sweep_offline('1 microsecond', force => true) >= 0 AS settled;

SET ROLE regress_admin;
SELECT presence.workspace_create('ws_sweep');
SELECT presence.crew_create('ws_sweep', 'crw_sweep');

SET ROLE regress_writer;
SELECT count(*) AS written FROM (VALUES
        ('agt_idle_online', 'online', NULL),
        ('agt_idle_busy', 'busy', '{"current_task_id": "T-1"}'::jsonb),
        ('agt_idle_blocked', 'blocked', '{"blocked_reason": "awaiting_keeper"}'),
        ('agt_fresh', 'busy', '{"current_task_id": "T-2"}'),
        ('agt_beating', 'blocked', '{"blocked_reason": "awaiting_user_input"}'),
        ('agt_gone', 'offline', '{"reason": "shutdown"}')) v(agent, status, details),
    LATERAL presence.presence_upsert('ws_sweep', v.agent, v.status, 'crw_sweep', v.details);

-- Everyone but agt_fresh was last written and last seen ten minutes ago.
RESET ROLE;
UPDATE presence.agents SET since = '2026-04-17 10:00:00+00',
                           seen_at = now() - interval '10 minutes'
    WHERE workspace_id = 'ws_sweep' AND agent_id <> 'agt_fresh';
-- agt_beating's runtime sent a heartbeat just now: no status write, but alive.
SET ROLE regress_writer;
SELECT presence.presence_touch('ws_sweep', 'agt_beating') AS touched;

-- The sweep flips the three quiet agents that were not offline.
SET ROLE regress_admin;
SELECT clock_timestamp() AS before_sweep \gset
SELECT presence.presence_sweep_offline('5 minutes') AS flipped;
SELECT clock_timestamp() AS after_sweep \gset

RESET ROLE;
SELECT agent_id, status, details,
       CASE WHEN since = '2026-04-17 10:00:00+00' THEN 'unchanged'
            WHEN since BETWEEN :'before_sweep' AND :'after_sweep' THEN 'the sweep''s time'
            WHEN since BETWEEN now() - interval '1 hour' AND :'before_sweep'
                THEN 'its last status write'
            ELSE since::text END AS since
    FROM presence.agents WHERE workspace_id = 'ws_sweep' ORDER BY agent_id;
-- One statement, one time: every flipped agent has the same since, and its heartbeat
-- time stays as it was.
SELECT count(DISTINCT since) AS distinct_since,
       bool_and(seen_at < now() - interval '9 minutes') AS heartbeat_kept
    FROM presence.agents WHERE workspace_id = 'ws_sweep' AND details = '{"reason": "idle_timeout"}';

-- The roster shows it.
SET ROLE regress_reader;
SELECT agent_id, status, details FROM presence.presence_roster('ws_sweep');

-- A second run right after flips nothing.
SET ROLE regress_admin;
SELECT presence.presence_sweep_offline('5 minutes') AS flipped;
SELECT presence.presence_sweep_offline('5 minutes') AS flipped;

-- A status write brings a flipped agent back; a heartbeat alone does not change its status.
SET ROLE regress_writer;
SELECT agent_id, status, details
    FROM presence.presence_upsert('ws_sweep', 'agt_idle_online', 'online');
SELECT presence.presence_touch('ws_sweep', 'agt_idle_busy') AS touched;
SET ROLE regress_reader;
SELECT agent_id, status, details FROM presence.presence_roster('ws_sweep')
    WHERE agent_id IN ('agt_idle_online', 'agt_idle_busy');
SET ROLE regress_admin;
SELECT presence.presence_sweep_offline('5 minutes') AS flipped;

-- The threshold: agents last seen 2, 4, 6, 30 and 120 minutes ago.
SET ROLE regress_admin;
SELECT presence.workspace_create('ws_sweep_threshold');
SET ROLE regress_writer;
SELECT count(*) AS written FROM unnest(ARRAY[2, 4, 6, 30, 120]) m,
    LATERAL presence.presence_upsert('ws_sweep_threshold', format('agt_%s_min', m), 'online');
RESET ROLE;
UPDATE presence.agents
    SET seen_at = now() - make_interval(mins => substring(agent_id, 'agt_(\d+)_min')::int)
    WHERE workspace_id = 'ws_sweep_threshold';

SET ROLE regress_admin;
SELECT presence.presence_sweep_offline('1 hour') AS flipped_over_1_hour;
SELECT presence.presence_sweep_offline('10 minutes') AS flipped_over_10_minutes;
SELECT presence.presence_sweep_offline() AS flipped_over_the_default_5_minutes;
SELECT presence.presence_sweep_offline(threshold => '3 minutes') AS flipped_over_3_minutes;
SET ROLE regress_reader;
SELECT agent_id, status, details FROM presence.presence_roster('ws_sweep_threshold');

-- Bad arguments: a NULL, zero or negative threshold, or a NULL force, is PR400 and flips
-- nothing.
SET ROLE regress_admin;
SELECT call, e.sqlstate, e.message
    FROM unnest(ARRAY[$$presence.presence_sweep_offline(NULL)$$,
                      $$presence.presence_sweep_offline(NULL, true)$$,
                      $$presence.presence_sweep_offline(NULL, NULL)$$,
                      $$presence.presence_sweep_offline('0')$$,
                      $$presence.presence_sweep_offline('-5 minutes', true)$$,
                      $$presence.presence_sweep_offline('1 minute', NULL)$$]) call,
         regress.error_of('SELECT ' || call) e;
SELECT presence.presence_sweep_offline('1 minute', false) AS flipped;
SET ROLE regress_reader;
SELECT agent_id, status FROM presence.presence_roster('ws_sweep_threshold')
    WHERE status <> 'offline';
RESET ROLE;
