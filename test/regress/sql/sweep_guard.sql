-- The sweep guard: when one sweep would flip more than presence.sweep_guard_share (default
-- one half) of a workspace's live agents, in a workspace of at least
-- presence.sweep_guard_min_agents (default 10) agents, it flips none of that
-- workspace, logs a WARNING and records the event in presence.sweep_guard_events. Other
-- workspaces in the same run are swept normally; force => true overrides the guard.

SET TimeZone = 'UTC';
SET DateStyle = 'ISO';
SET IntervalStyle = 'postgres';

-- Agents that other files left live would be counted by the sweeps below: flip them first.
SELECT presence.presence_sweep_offline('1 microsecond', force => true) >= 0 AS settled;

-- pg_temp.fleet(ws, agents, stale): a workspace of online agents agt_01, agt_02, ...; the
-- first `stale` of them were last seen ten minutes ago. Written through the extension's
-- functions; only the heartbeat time is set back directly.
CREATE FUNCTION pg_temp.fleet(ws text, agents int, stale int) RETURNS text
    LANGUAGE plpgsql AS $$
BEGIN
    PERFORM presence.workspace_create(ws);
    PERFORM presence.presence_upsert(ws, format('agt_%s', lpad(i::text, 2, '0')), 'online')
        FROM generate_series(1, agents) i;
    UPDATE presence.agents a SET seen_at = now() - interval '10 minutes'
        WHERE a.workspace_id = ws
          AND a.agent_id <= format('agt_%s', lpad(stale::text, 2, '0'));
    RETURN format('%s: %s agents, %s stale', ws, agents, stale);
END
$$;

-- Live and offline agents per workspace of this file.
CREATE VIEW pg_temp.guard_state AS
    SELECT workspace_id, count(*) FILTER (WHERE status <> 'offline') AS live,
           count(*) FILTER (WHERE status = 'offline') AS offline
    FROM presence.agents WHERE workspace_id LIKE 'ws\_guard%'
    GROUP BY 1 ORDER BY 1;

SELECT pg_temp.fleet('ws_guard_big', 10, 6);
SELECT pg_temp.fleet('ws_guard_half', 10, 5);
SELECT pg_temp.fleet('ws_guard_nine', 9, 9);
SELECT pg_temp.fleet('ws_guard_small', 3, 3);

-- One run: ws_guard_big would lose 6 of its 10 live agents and is held back; ws_guard_half
-- loses exactly half (not more), ws_guard_nine has fewer than 10 agents, and
-- ws_guard_small is small: those three are swept (5 + 9 + 3).
SET ROLE regress_admin;
SELECT clock_timestamp() AS before_sweep \gset
SELECT presence.presence_sweep_offline('5 minutes') AS flipped;
RESET ROLE;
SELECT * FROM pg_temp.guard_state;
-- The held agents are untouched.
SELECT count(*) AS held_agents_still_online FROM presence.agents
    WHERE workspace_id = 'ws_guard_big' AND status = 'online' AND details IS NULL
      AND since < :'before_sweep';

-- The event, for a DBA (presence_admin may read it).
SET ROLE regress_admin;
SELECT workspace_id, live_agents, stale_agents, threshold, max_share,
       occurred_at >= :'before_sweep' AS occurred_in_this_run
    FROM presence.sweep_guard_events ORDER BY event_id;

-- The guard is checked again on every run: held again, recorded again, nothing flipped.
SELECT presence.presence_sweep_offline('5 minutes') AS flipped;
SELECT workspace_id, live_agents, stale_agents FROM presence.sweep_guard_events
    ORDER BY event_id;

-- Agents resume heartbeats: with 4 of 10 stale the workspace is swept again.
SET ROLE regress_writer;
SELECT presence.presence_touch('ws_guard_big', agent) AS touched
    FROM unnest(ARRAY['agt_01', 'agt_02']) agent;
SET ROLE regress_admin;
SELECT presence.presence_sweep_offline('5 minutes') AS flipped;
RESET ROLE;
SELECT * FROM pg_temp.guard_state WHERE workspace_id = 'ws_guard_big';
SELECT agent_id, status, details FROM presence.agents
    WHERE workspace_id = 'ws_guard_big' AND status = 'offline' ORDER BY agent_id;

-- force => true overrides the guard and records nothing.
SELECT pg_temp.fleet('ws_guard_force', 10, 10);
SET ROLE regress_admin;
SELECT presence.presence_sweep_offline('5 minutes') AS flipped;
SELECT presence.presence_sweep_offline('5 minutes', force => true) AS flipped;
SELECT presence.presence_sweep_offline('5 minutes', true) AS flipped;
SELECT workspace_id, count(*) AS events FROM presence.sweep_guard_events
    GROUP BY 1 ORDER BY 1;
RESET ROLE;
SELECT * FROM pg_temp.guard_state WHERE workspace_id = 'ws_guard_force';

-- presence.sweep_guard_share: with 0.8, 7 of 10 may go, 9 of 10 may not.
SELECT pg_temp.fleet('ws_guard_share_7', 10, 7);
SELECT pg_temp.fleet('ws_guard_share_9', 10, 9);
SET presence.sweep_guard_share = 0.8;
SET ROLE regress_admin;
SELECT presence.presence_sweep_offline('5 minutes') AS flipped;
SELECT workspace_id, live_agents, stale_agents, max_share FROM presence.sweep_guard_events
    WHERE workspace_id LIKE 'ws\_guard\_share%' ORDER BY event_id;
-- A share of 1 turns the guard off.
RESET ROLE;
SET presence.sweep_guard_share = 1;
SET ROLE regress_admin;
SELECT presence.presence_sweep_offline('5 minutes') AS flipped;
RESET ROLE;
RESET presence.sweep_guard_share;
SELECT * FROM pg_temp.guard_state WHERE workspace_id LIKE 'ws\_guard\_share%';

-- presence.sweep_guard_min_agents: with 20, a workspace of 10 is swept without the guard;
-- with 3, a workspace of 4 with 3 stale is held.
SELECT pg_temp.fleet('ws_guard_min_10', 10, 10);
SET presence.sweep_guard_min_agents = 20;
SET ROLE regress_admin;
SELECT presence.presence_sweep_offline('5 minutes') AS flipped;
RESET ROLE;
SELECT pg_temp.fleet('ws_guard_min_4', 4, 3);
SET presence.sweep_guard_min_agents = 3;
SET ROLE regress_admin;
SELECT presence.presence_sweep_offline('5 minutes') AS flipped;
SELECT workspace_id, live_agents, stale_agents FROM presence.sweep_guard_events
    WHERE workspace_id LIKE 'ws\_guard\_min%' ORDER BY event_id;
RESET ROLE;
RESET presence.sweep_guard_min_agents;
SELECT * FROM pg_temp.guard_state WHERE workspace_id LIKE 'ws\_guard\_min%';

-- The minimum counts every agent of the workspace, offline ones too ("workspaces of at
-- least 10 agents"); the share counts live agents. ws_guard_quiet has 12 agents, 8 of them
-- offline: 3 of its 4 live agents going stale is more than half, so it is held.
SELECT presence.presence_sweep_offline('5 minutes', force => true) >= 0 AS others_settled;
SELECT pg_temp.fleet('ws_guard_quiet', 12, 3);
UPDATE presence.agents SET status = 'offline'
    WHERE workspace_id = 'ws_guard_quiet' AND agent_id > 'agt_04';
SET ROLE regress_admin;
SELECT presence.presence_sweep_offline('5 minutes') AS flipped;
SELECT workspace_id, live_agents, stale_agents FROM presence.sweep_guard_events
    WHERE workspace_id = 'ws_guard_quiet' ORDER BY event_id;
SELECT presence.presence_sweep_offline('5 minutes', force => true) AS flipped_by_force;
RESET ROLE;
SELECT * FROM pg_temp.guard_state WHERE workspace_id = 'ws_guard_quiet';

-- The settings: their defaults, their ranges, and only a superuser may change them.
SELECT name, setting, min_val, max_val, context FROM pg_settings
    WHERE name LIKE 'presence.sweep\_guard%' ORDER BY name;
SELECT stmt, e.sqlstate, e.message
    FROM unnest(ARRAY['SET presence.sweep_guard_share = 1.5',
                      'SET presence.sweep_guard_share = -0.1',
                      'SET presence.sweep_guard_min_agents = 0']) stmt,
         regress.error_of(stmt) e;
SET ROLE regress_admin;
SELECT stmt, e.sqlstate, e.message
    FROM unnest(ARRAY['SET presence.sweep_guard_share = 1',
                      'SET presence.sweep_guard_min_agents = 1000']) stmt,
         regress.error_of(stmt) e;

-- Only presence_admin reads the events.
SET ROLE regress_writer;
SELECT * FROM regress.error_of('SELECT * FROM presence.sweep_guard_events');
SET ROLE regress_reader;
SELECT * FROM regress.error_of('SELECT * FROM presence.sweep_guard_events');
RESET ROLE;

-- Leave no stale live agents behind for the files after this one.
SELECT presence.presence_sweep_offline('5 minutes', force => true) AS flipped;
