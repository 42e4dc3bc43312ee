-- The scheduled sweep really runs: pg_cron (in background workers, see presence.conf)
-- flips a quiet agent to offline with nobody calling the sweep, and records a succeeded
-- run in cron.job_run_details.

-- The job's command spells the threshold in the session's IntervalStyle.
SET IntervalStyle = 'postgres';
SET TimeZone = 'UTC';
CREATE EXTENSION pg_cron;

SET ROLE regress_admin;
SELECT presence.workspace_create('ws_cron');
SET ROLE regress_writer;
SELECT agent_id, status FROM presence.presence_upsert('ws_cron', 'agt_cron', 'busy', NULL,
                                                      '{"current_task_id": "T-1"}');
SELECT agent_id, status FROM presence.presence_upsert('ws_cron', 'agt_cron_alive', 'online');

-- agt_cron was last seen a minute ago. agt_cron_alive is just as quiet, but a heartbeat of
-- its runtime is in flight for the whole wait below (that transaction holds its row).
RESET ROLE;
UPDATE presence.agents SET seen_at = now() - interval '1 minute'
    WHERE workspace_id = 'ws_cron';

-- Every minute, agents quiet for 2 seconds.
SELECT presence.schedule_sweep('* * * * *', '2 seconds') AS job \gset
SELECT command FROM cron.job WHERE jobid = :job;
SELECT set_config('regress.job', :'job', false) IS NOT NULL AS job_noted;

-- Wait, at most 90 seconds, until pg_cron's run has finished and agt_cron is offline;
-- meanwhile agt_cron_alive's heartbeat stays uncommitted. Nothing here calls the sweep.
DO $$
DECLARE
    waited int := 0;
BEGIN
    PERFORM presence.presence_touch('ws_cron', 'agt_cron_alive');
    LOOP
        EXIT WHEN EXISTS (SELECT 1 FROM presence.agents
                          WHERE workspace_id = 'ws_cron' AND agent_id = 'agt_cron'
                            AND status = 'offline')
              AND EXISTS (SELECT 1 FROM cron.job_run_details
                          WHERE jobid = current_setting('regress.job')::bigint
                            AND status IN ('succeeded', 'failed'));
        EXIT WHEN waited >= 90;
        PERFORM pg_sleep(1);
        waited := waited + 1;
    END LOOP;
END
$$;

-- agt_cron was flipped by the job; agt_cron_alive, whose heartbeat was in flight, was not.
SELECT agent_id, status, details, since > now() - interval '2 minutes' AS since_recent
    FROM presence.agents WHERE workspace_id = 'ws_cron' ORDER BY agent_id;
SELECT status, return_message, database, username = current_user AS ran_as_caller, command,
       start_time <= (SELECT since FROM presence.agents
                      WHERE workspace_id = 'ws_cron' AND agent_id = 'agt_cron') AS flipped_by_it
    FROM cron.job_run_details WHERE jobid = :job ORDER BY runid LIMIT 1;

SELECT presence.unschedule_sweep() AS unscheduled;
SELECT count(*) AS jobs FROM cron.job;
DROP EXTENSION pg_cron;
