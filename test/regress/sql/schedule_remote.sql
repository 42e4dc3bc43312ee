-- schedule_sweep when pg_cron serves ANOTHER database of the cluster: called in a
-- database that has presence, it connects over libpq to pg_cron's database
-- (cron.database_name, here contrib_regression) and schedules the job there with
-- cron.schedule_in_database, to run in the calling database. Without pg_cron in its
-- database, the same 55000 as when pg_cron would serve this one.

-- This file's other database has no test helpers: errors are shown by psql, with the
-- SQLSTATE echoed after each one.
\set SHOW_CONTEXT never

CREATE DATABASE regression_presence_remote;
\c regression_presence_remote
CREATE EXTENSION presence;
SELECT current_database(), current_setting('cron.database_name') AS cron_database_name;

-- pg_cron is not installed in contrib_regression yet.
SELECT presence.schedule_sweep('0 0 1 1 *');
\echo SQLSTATE :SQLSTATE
SELECT presence.unschedule_sweep();
\echo SQLSTATE :SQLSTATE

\c contrib_regression
CREATE EXTENSION pg_cron;
SELECT count(*) AS jobs FROM cron.job;

\c regression_presence_remote
-- The job's command spells the threshold in the session's IntervalStyle.
SET IntervalStyle = 'postgres';
-- A schedule that will not fire during the test.
SELECT presence.schedule_sweep('0 0 1 1 *', '10 minutes') AS job \gset
SELECT :job > 0 AS returned_a_job_id;
-- Again: replaced, same job.
SELECT presence.schedule_sweep('0 0 1 1 *', '15 minutes') AS job_again \gset
SELECT :job_again = :job AS same_job;

-- Seen from pg_cron's database: the sweep runs in regression_presence_remote, the purge of
-- its run history in pg_cron's own database, where that history lives.
\c contrib_regression
SELECT jobid = :job AS is_the_returned_job, jobname, schedule, command, database,
       username = current_user AS runs_as_caller, active
    FROM cron.job ORDER BY jobname;

\c regression_presence_remote
SELECT presence.unschedule_sweep() AS unscheduled;
SELECT presence.unschedule_sweep() AS unscheduled;

\c contrib_regression
SELECT count(*) AS jobs FROM cron.job;
DROP EXTENSION pg_cron;
DROP DATABASE regression_presence_remote;
