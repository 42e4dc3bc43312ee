-- schedule_sweep(schedule, threshold) schedules the sweep with pg_cron and returns the job
-- id; calling it again replaces the schedule. unschedule_sweep() is true when there was a
-- sweep job to remove. Without pg_cron, both raise 55000; the rest of the extension works.
-- Here pg_cron serves this database (cron.database_name); schedule_remote.sql has the
-- case where it serves another one.

-- The job's command spells the threshold in the session's IntervalStyle.
SET IntervalStyle = 'postgres';

SELECT current_setting('cron.database_name') = current_database() AS pg_cron_serves_this_database;

-- pg_cron is preloaded but its extension is not created here yet.
SELECT count(*) AS pg_cron_extensions FROM pg_extension WHERE extname = 'pg_cron';
SELECT * FROM regress.error_of('SELECT presence.schedule_sweep()');
SELECT * FROM regress.error_of($$ SELECT presence.schedule_sweep('*/5 * * * *', '10 minutes') $$);
SELECT * FROM regress.error_of('SELECT presence.unschedule_sweep()');
-- Everything else works without it.
SELECT presence.presence_sweep_offline('1 hour') >= 0 AS sweeps_without_pg_cron;

CREATE EXTENSION pg_cron;
SELECT extname FROM pg_extension WHERE extname = 'pg_cron';

-- The defaults: every minute, agents quiet for 5 minutes. Two jobs: the sweep, and the
-- hourly purge of the sweep's own run history (docs/sweep.md).
SELECT presence.schedule_sweep() AS job \gset
SELECT :job > 0 AS returned_a_job_id;
SELECT jobid = :job AS is_the_returned_job, jobname, schedule, command, database,
       username = current_user AS runs_as_caller, active
    FROM cron.job ORDER BY jobname;

-- Calling it again replaces the schedule: still one sweep job, with the new schedule and
-- threshold, under the same id.
SELECT presence.schedule_sweep('*/10 * * * *', '10 minutes') AS job_again \gset
SELECT :job_again = :job AS same_job;
SELECT jobid = :job AS is_the_returned_job, jobname, schedule, command
    FROM cron.job ORDER BY jobname;
SELECT jobname, count(*) AS jobs FROM cron.job GROUP BY 1 ORDER BY 1;

-- Bad arguments are PR400 and leave the job as it was; a schedule pg_cron rejects is
-- pg_cron's own error.
SELECT call, e.sqlstate, e.message
    FROM unnest(ARRAY[$$presence.schedule_sweep(NULL)$$,
                      $$presence.schedule_sweep('* * * * *', NULL)$$,
                      $$presence.schedule_sweep(NULL, NULL)$$,
                      $$presence.schedule_sweep('* * * * *', '0')$$,
                      $$presence.schedule_sweep('* * * * *', '-1 minute')$$,
                      $$presence.schedule_sweep('every minute')$$]) call,
         regress.error_of('SELECT ' || call) e;
SELECT jobname, schedule, command FROM cron.job ORDER BY jobname;

-- unschedule_sweep: true, then false; both jobs are gone.
SELECT presence.unschedule_sweep() AS unscheduled;
SELECT presence.unschedule_sweep() AS unscheduled;
SELECT count(*) AS jobs FROM cron.job;

-- A new schedule after that is a new job.
SELECT presence.schedule_sweep('0 3 * * *') AS job_new \gset
SELECT :job_new <> :job AS new_job, (SELECT schedule FROM cron.job WHERE jobid = :job_new);
SELECT presence.unschedule_sweep() AS unscheduled;
SELECT count(*) AS jobs FROM cron.job;

DROP EXTENSION pg_cron;
