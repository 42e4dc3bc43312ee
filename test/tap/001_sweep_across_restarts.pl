# The scheduled sweep across restarts: after the database restarts, and after pg_cron's
# launcher crashes and comes back, the next scheduled sweep runs by itself and flips the
# stale agent, while an agent that keeps its heartbeat is never flipped and no minute gets
# two sweep runs.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('cron');
$node->init;
$node->append_conf('postgresql.conf', q{
shared_preload_libraries = 'pg_cron'
cron.database_name = 'postgres'
cron.use_background_workers = on
max_worker_processes = 20
timezone = 'UTC'
restart_after_crash = on
});
$node->start;

$node->safe_psql('postgres', q{
CREATE EXTENSION pg_cron;
CREATE EXTENSION presence;
SELECT presence.workspace_create('ws_restart');
SELECT presence.presence_upsert('ws_restart', 'agt_live', 'busy');
SELECT presence.presence_upsert('ws_restart', 'agt_stale_1', 'online');
SELECT presence.presence_upsert('ws_restart', 'agt_stale_2', 'online');
UPDATE presence.agents SET seen_at = now() - interval '10 minutes'
    WHERE agent_id = 'agt_stale_1';
});
my $job = $node->safe_psql('postgres',
    q{SELECT presence.schedule_sweep('* * * * *', '40 seconds')});
like($job, qr/^\d+$/, 'the sweep is scheduled');

sub status_of
{
    my ($agent) = @_;
    return $node->safe_psql('postgres',
        "SELECT status FROM presence.agents WHERE agent_id = '$agent'");
}

# Waits up to $limit seconds for $agent to go offline, keeping agt_live's heartbeat going
# every 2 s the way a runtime would. Returns whether it went offline.
sub wait_offline_keeping_heartbeat
{
    my ($agent, $limit) = @_;
    for (my $waited = 0; $waited < $limit; $waited += 2)
    {
        $node->safe_psql('postgres',
            q{SELECT presence.presence_touch('ws_restart', 'agt_live')});
        return 1 if status_of($agent) eq 'offline';
        sleep 2;
    }
    return 0;
}

# 1. The database restarts between sweeps.
my $restarted_at = $node->safe_psql('postgres', 'SELECT now()');
$node->restart;
$node->safe_psql('postgres', q{SELECT presence.presence_touch('ws_restart', 'agt_live')});
ok(wait_offline_keeping_heartbeat('agt_stale_1', 150),
    'after a database restart the next scheduled sweep flips the stale agent');
is( $node->safe_psql('postgres', qq{
        SELECT count(*) > 0 FROM cron.job_run_details
        WHERE jobid = $job AND status = 'succeeded' AND start_time > '$restarted_at'}),
    't', 'cron.job_run_details shows a succeeded sweep run after the restart');

# 2. pg_cron's launcher crashes (SIGKILL): the postmaster resets every backend and starts
#    the launcher again. (A launcher stopped with SIGTERM exits cleanly and is not
#    restarted, so a crash is the way pg_cron restarts without the whole server.)
$node->safe_psql('postgres', q{
UPDATE presence.agents SET seen_at = now() - interval '10 minutes'
    WHERE agent_id = 'agt_stale_2';
});
my $launcher = $node->safe_psql('postgres', q{
SELECT pid FROM pg_stat_activity WHERE backend_type = 'pg_cron launcher'});
like($launcher, qr/^\d+$/, "pg_cron's launcher is running");
kill 'KILL', $launcher;
$node->poll_query_until('postgres', q{
SELECT count(*) = 1 FROM pg_stat_activity
    WHERE backend_type = 'pg_cron launcher' AND pid <> } . $launcher)
  or die "pg_cron's launcher did not come back";
pass("pg_cron's launcher came back after the crash");
ok(wait_offline_keeping_heartbeat('agt_stale_2', 150),
    'after the launcher comes back the next scheduled sweep flips the new stale agent');

# 3. What must never happen.
is(status_of('agt_live'), 'busy', 'the agent that kept its heartbeat was never flipped');
is( $node->safe_psql('postgres', qq{
        SELECT count(*) FROM (
            SELECT date_trunc('minute', start_time) FROM cron.job_run_details
            WHERE jobid = $job GROUP BY 1 HAVING count(*) > 1) twice}),
    '0', 'no minute had two sweep runs');
is( $node->safe_psql('postgres', q{
        SELECT details FROM presence.agents WHERE agent_id = 'agt_stale_2'}),
    '{"reason": "idle_timeout"}', 'the flipped agent says why');

$node->stop;
done_testing();
