-- presence_touch: a heartbeat. True when the agent has a row, false when it has none; it
-- moves only the heartbeat time (seen_at), never since, status or details.

SET TimeZone = 'UTC';
SET DateStyle = 'ISO';

SET ROLE regress_admin;
SELECT presence.workspace_create('ws_touch');
SELECT presence.crew_create('ws_touch', 'crw_touch');
SELECT presence.workspace_create('ws_touch_other');

SET ROLE regress_writer;
SELECT agent_id, status FROM presence.presence_upsert('ws_touch', 'agt_busy', 'busy',
    'crw_touch', '{"current_task_id": "T-9"}');
SELECT agent_id, status FROM presence.presence_upsert('ws_touch', 'agt_offline', 'offline');

-- Put both agents' times at a known point in the past, as the superuser.
RESET ROLE;
UPDATE presence.agents SET since = '2026-04-17 10:23:41+00', seen_at = '2026-04-17 10:23:41+00'
    WHERE workspace_id = 'ws_touch';

SET ROLE regress_writer;
SELECT clock_timestamp() AS before_touch \gset
SELECT presence.presence_touch('ws_touch', 'agt_busy') AS touched;
SELECT presence.presence_touch('ws_touch', 'agt_offline') AS touched;

-- since, status, crew and details are as they were; the heartbeat is now.
RESET ROLE;
SELECT agent_id, crew_id, status, details, since,
       seen_at >= :'before_touch' AND seen_at <= clock_timestamp() AS heartbeat_is_now
    FROM presence.agents WHERE workspace_id = 'ws_touch' ORDER BY agent_id;
SET ROLE regress_reader;
SELECT agent_id, crew_id, status, details, since FROM presence.presence_roster('ws_touch');

-- Each touch moves the heartbeat again.
RESET ROLE;
SELECT seen_at AS first_seen FROM presence.agents
    WHERE workspace_id = 'ws_touch' AND agent_id = 'agt_busy' \gset
SET ROLE regress_writer;
SELECT presence.presence_touch('ws_touch', 'agt_busy') AS touched;
RESET ROLE;
SELECT seen_at > :'first_seen' AS heartbeat_moved, since = '2026-04-17 10:23:41+00' AS since_kept
    FROM presence.agents WHERE workspace_id = 'ws_touch' AND agent_id = 'agt_busy';

-- False when the agent has no row: an unknown agent, an agent of another workspace, an
-- unknown workspace. Nothing is created.
SET ROLE regress_writer;
SELECT presence.presence_touch('ws_touch', 'agt_nobody') AS touched;
SELECT presence.presence_touch('ws_touch_other', 'agt_busy') AS touched;
SELECT presence.presence_touch('ws_touch_nowhere', 'agt_busy') AS touched;
RESET ROLE;
SELECT count(*) AS agents FROM presence.agents
    WHERE agent_id = 'agt_nobody' OR workspace_id IN ('ws_touch_other', 'ws_touch_nowhere');

-- NULL in each argument is PR400.
SET ROLE regress_writer;
SELECT call, e.sqlstate, e.message
    FROM unnest(ARRAY[$$presence.presence_touch(NULL, 'agt_busy')$$,
                      $$presence.presence_touch('ws_touch', NULL)$$,
                      $$presence.presence_touch(NULL, NULL)$$]) call,
         regress.error_of('SELECT ' || call) e;
RESET ROLE;
