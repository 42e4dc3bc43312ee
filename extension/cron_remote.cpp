// schedule_sweep's way into pg_cron when pg_cron serves another database of this cluster:
// a libpq connection, as the calling role, to that database over this server's own unix
// socket, where cron.schedule_in_database() and cron.unschedule() are called.

#include "libpq-fe.h"

extern "C" {
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
}

#include "entry.hpp"

namespace {

const int kCronRemoteFailed = ERRCODE_CONNECTION_FAILURE;

// Copies the first entry of unix_socket_directories, or "" when there is none.
void first_socket_directory(char *out, std::size_t size)
{
    const char *dirs = GetConfigOption("unix_socket_directories", true, false);
    std::size_t n = 0;

    out[0] = '\0';
    if (dirs == nullptr)
        return;
    while (*dirs == ' ')
        dirs++;
    while (dirs[n] != '\0' && dirs[n] != ',' && n + 1 < size) {
        out[n] = dirs[n];
        n++;
    }
    while (n > 0 && out[n - 1] == ' ')
        n--;
    out[n] = '\0';
}

// Runs sql with params in cron_db as the current role; returns the first value of the
// first row in palloc'd memory, or raises an error that says what failed.
char *run_in_cron_database(const char *cron_db, const char *sql, int nparams,
                           const char *const *params)
{
    char host[MAXPGPATH];
    first_socket_directory(host, sizeof(host));
    const char *port = GetConfigOption("port", false, false);
    const char *user = GetUserNameFromId(GetUserId(), false);

    const char *keys[] = {host[0] != '\0' ? "host" : "hostaddr", "port", "dbname", "user",
                          "fallback_application_name", nullptr};
    const char *values[] = {host[0] != '\0' ? host : "127.0.0.1", port, cron_db, user,
                            "presence schedule_sweep", nullptr};

    PGconn *conn = PQconnectdbParams(keys, values, 0);
    if (PQstatus(conn) != CONNECTION_OK) {
        char *why = pstrdup(PQerrorMessage(conn));
        PQfinish(conn);
        ereport(ERROR, (errcode(kCronRemoteFailed),
                        errmsg("could not connect to pg_cron's database \"%s\"", cron_db),
                        errdetail_internal("%s", why),
                        errhint("The role \"%s\" must be able to connect to \"%s\" over "
                                "this server's unix socket without a password prompt "
                                "(pg_hba.conf).",
                                user, cron_db)));
    }

    // Without pg_cron there, the call below fails on a missing schema, which says nothing of
    // the cause: answer as schedule_sweep does when pg_cron serves this database (55000).
    PGresult *ext =
        PQexec(conn, "SELECT 1 FROM pg_catalog.pg_extension WHERE extname = 'pg_cron'");
    bool missing = PQresultStatus(ext) == PGRES_TUPLES_OK && PQntuples(ext) == 0;
    PQclear(ext);
    if (missing) {
        PQfinish(conn);
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("pg_cron is not installed"),
                        errdetail("pg_cron serves the database \"%s\" (cron.database_name), "
                                  "and the extension does not exist there.",
                                  cron_db),
                        errhint("Run CREATE EXTENSION pg_cron in the database \"%s\".",
                                cron_db)));
    }

    PGresult *res = PQexecParams(conn, sql, nparams, nullptr, params, nullptr, nullptr, 0);
    if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
        char *why = pstrdup(PQresultErrorMessage(res));
        PQclear(res);
        PQfinish(conn);
        ereport(ERROR, (errcode(kCronRemoteFailed),
                        errmsg("pg_cron in database \"%s\" refused the request", cron_db),
                        errdetail_internal("%s", why)));
    }
    char *value = pstrdup(PQgetvalue(res, 0, 0));
    PQclear(res);
    PQfinish(conn);
    return value;
}

}  // namespace

// cron_remote_schedule(cron_database, job_name, schedule, command, database) → bigint: the
// id of the job that now runs command in database as the calling role.
PRESENCE_ENTRY(presence_cron_remote_schedule)
{
    char *cron_db = text_to_cstring(PG_GETARG_TEXT_PP(0));
    const char *params[] = {text_to_cstring(PG_GETARG_TEXT_PP(1)),
                            text_to_cstring(PG_GETARG_TEXT_PP(2)),
                            text_to_cstring(PG_GETARG_TEXT_PP(3)),
                            text_to_cstring(PG_GETARG_TEXT_PP(4))};

    char *job = run_in_cron_database(
        cron_db, "SELECT cron.schedule_in_database($1, $2, $3, $4)", 4, params);
    PG_RETURN_INT64(pg_strtoint64(job));
}

// cron_remote_unschedule(cron_database, job_name) → boolean: true when a job was removed.
PRESENCE_ENTRY(presence_cron_remote_unschedule)
{
    char *cron_db = text_to_cstring(PG_GETARG_TEXT_PP(0));
    const char *params[] = {text_to_cstring(PG_GETARG_TEXT_PP(1))};

    char *removed = run_in_cron_database(
        cron_db,
        "SELECT CASE WHEN EXISTS (SELECT 1 FROM cron.job WHERE jobname = $1 "
        "AND username = current_user) THEN cron.unschedule($1) ELSE false END",
        1, params);
    PG_RETURN_BOOL(removed[0] == 't');
}
