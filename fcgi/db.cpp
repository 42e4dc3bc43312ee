#include "db.hpp"

#include <cstdlib>
#include <vector>

#include <libpq-fe.h>

#include "log.hpp"

namespace presence {

namespace {

constexpr const char *kStatement = "presence_http_roster";
constexpr const char *kQuery = "SELECT presence.http_roster($1, $2, $3, $4)";
constexpr Oid kTextOid = 25;

// `s` on one line: libpq ends its messages with a newline and indents continuation lines;
// each line break with the blanks around it becomes one space.
std::string chomp(const char *s)
{
    std::string out;
    bool pending_space = false;
    for (const char *p = s != nullptr ? s : ""; *p != '\0'; ++p) {
        char c = *p;
        if (c == '\n' || c == '\r' || ((c == '\t' || c == ' ') && pending_space)) {
            pending_space = true;
            continue;
        }
        if (pending_space && !out.empty()) {
            out += ' ';
        }
        pending_space = false;
        out += c;
    }
    return out;
}

// The SQLSTATE of a failed result, or "" when there is none.
std::string sqlstate_of(const PGresult *res)
{
    const char *s = res != nullptr ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : nullptr;
    return s != nullptr ? s : "";
}

// The primary message of a failed result, else the connection's last error.
std::string message_of(const PGresult *res, const PGconn *conn)
{
    const char *m = res != nullptr ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    if (m != nullptr && *m != '\0') {
        return chomp(m);
    }
    return chomp(PQerrorMessage(conn));
}

// True when a failed call left the connection unusable.
bool is_lost(const PGconn *conn)
{
    return PQstatus(conn) == CONNECTION_BAD;
}

}  // namespace

PgRosterSource::PgRosterSource(std::string conninfo, int thread, int deadline_ms)
    : conninfo_(std::move(conninfo)), thread_(thread),
      options_("-c statement_timeout=" + std::to_string(deadline_ms))
{
}

PgRosterSource::~PgRosterSource()
{
    close();
}

void PgRosterSource::close()
{
    if (last_ != nullptr) {
        PQclear(last_);
        last_ = nullptr;
    }
    if (conn_ != nullptr) {
        PQfinish(conn_);
        conn_ = nullptr;
    }
    prepared_ = false;
}

void PgRosterSource::keep_result(PGresult *res)
{
    if (last_ != nullptr) {
        PQclear(last_);
    }
    last_ = res;
}

void PgRosterSource::log_connected(const char *event)
{
    const char *host = PQhost(conn_);
    const char *port = PQport(conn_);
    const char *db = PQdb(conn_);
    LogLine("info", event)
        .field("thread", thread_)
        .field("database", db != nullptr ? db : "")
        .field("host", host != nullptr ? host : "")
        .field("port", port != nullptr ? port : "")
        .field("server_version", PQserverVersion(conn_))
        .emit();
}

void PgRosterSource::log_down(const char *event, const std::string &why)
{
    // One line when the database goes out of reach, not one per request while it stays so.
    if (!down_logged_) {
        LogLine("error", event).field("thread", thread_).field("error", why).emit();
        down_logged_ = true;
    }
}

bool PgRosterSource::connect_or_reset(std::string &why)
{
    if (conn_ != nullptr && PQstatus(conn_) == CONNECTION_OK) {
        return true;
    }
    prepared_ = false;
    bool first = conn_ == nullptr;

    if (first) {
        // The connection string (when given) overrides the connect timeout default, the
        // deadline and the libpq environment; the application name is always ours.
        std::vector<const char *> keys, values;
        if (std::getenv("PGCONNECT_TIMEOUT") == nullptr) {
            keys.push_back("connect_timeout");
            values.push_back("5");
        }
        keys.push_back("options");
        values.push_back(options_.c_str());
        if (!conninfo_.empty()) {
            keys.push_back("dbname");
            values.push_back(conninfo_.c_str());
        }
        keys.push_back("application_name");
        values.push_back("presence-fcgi");
        keys.push_back(nullptr);
        values.push_back(nullptr);
        conn_ = PQconnectdbParams(keys.data(), values.data(), 1);
    } else {
        PQreset(conn_);
    }

    if (conn_ == nullptr) {
        why = "out of memory creating a libpq connection";
        log_down(ever_connected_ ? "reconnect_failed" : "connect_failed", why);
        return false;
    }
    if (PQstatus(conn_) != CONNECTION_OK) {
        why = chomp(PQerrorMessage(conn_));
        log_down(ever_connected_ ? "reconnect_failed" : "connect_failed", why);
        return false;
    }

    log_connected(ever_connected_ ? "reconnect" : "connect");
    ever_connected_ = true;
    down_logged_ = false;
    return true;
}

bool PgRosterSource::open()
{
    std::string why;
    if (!connect_or_reset(why)) {
        return false;
    }
    if (prepared_) {
        return true;
    }
    DbResult failed;
    if (prepare(failed) == Step::kDone) {
        return true;
    }
    LogLine("error", "prepare_failed")
        .field("thread", thread_)
        .field("sqlstate", failed.sqlstate)
        .field("error", failed.message)
        .emit();
    return false;
}

PgRosterSource::Step PgRosterSource::prepare(DbResult &out)
{
    const Oid types[4] = {kTextOid, kTextOid, kTextOid, kTextOid};
    PGresult *res = PQprepare(conn_, kStatement, kQuery, 4, types);

    if (res != nullptr && PQresultStatus(res) == PGRES_COMMAND_OK) {
        PQclear(res);
        prepared_ = true;
        return Step::kDone;
    }
    if (is_lost(conn_)) {
        PQclear(res);
        return Step::kLost;
    }

    std::string state = sqlstate_of(res);
    std::string message = message_of(res, conn_);
    PQclear(res);
    if (state == "42P05") {
        // duplicate_prepared_statement: the session has it already.
        prepared_ = true;
        return Step::kDone;
    }
    out.kind = DbResult::Kind::kError;
    out.sqlstate = state;
    out.message = "preparing the roster statement: " + message;
    return Step::kFailed;
}

PgRosterSource::Step PgRosterSource::execute(const char *const values[4], DbResult &out)
{
    PGresult *res = PQexecPrepared(conn_, kStatement, 4, values, nullptr, nullptr, 0);
    ExecStatusType status = res != nullptr ? PQresultStatus(res) : PGRES_FATAL_ERROR;

    if (status == PGRES_TUPLES_OK) {
        if (PQntuples(res) == 1 && PQnfields(res) == 1 && !PQgetisnull(res, 0, 0)) {
            out.kind = DbResult::Kind::kBody;
            out.body = std::string_view(PQgetvalue(res, 0, 0),
                                        static_cast<std::size_t>(PQgetlength(res, 0, 0)));
            keep_result(res);
            return Step::kDone;
        }
        out.kind = DbResult::Kind::kError;
        out.message = "presence.http_roster returned " + std::to_string(PQntuples(res)) +
                      " rows or a NULL instead of one body";
        PQclear(res);
        return Step::kDone;
    }
    if (is_lost(conn_)) {
        PQclear(res);
        return Step::kLost;
    }

    out.kind = DbResult::Kind::kError;
    out.sqlstate = sqlstate_of(res);
    out.message = message_of(res, conn_);
    PQclear(res);
    // invalid_sql_statement_name: the session lost the statement (DISCARD ALL, a pooler).
    return out.sqlstate == "26000" ? Step::kStale : Step::kDone;
}

PgRosterSource::Step PgRosterSource::attempt(const char *const values[4], DbResult &out)
{
    for (int round = 0; round < 2; ++round) {
        if (!prepared_) {
            Step s = prepare(out);
            if (s != Step::kDone) {
                return s;
            }
        }
        out = DbResult{};
        Step s = execute(values, out);
        if (s != Step::kStale) {
            return s;
        }
        prepared_ = false;
    }
    return Step::kDone;
}

DbResult PgRosterSource::call(const std::string &token, const std::optional<std::string> &workspace,
                              const std::optional<std::string> &crew_id,
                              const std::optional<std::string> &malformed)
{
    keep_result(nullptr);
    const char *const values[4] = {
        token.c_str(),
        workspace ? workspace->c_str() : nullptr,
        crew_id ? crew_id->c_str() : nullptr,
        malformed ? malformed->c_str() : nullptr,
    };

    DbResult out;
    std::string why;
    if (!connect_or_reset(why)) {
        out.kind = DbResult::Kind::kUnavailable;
        out.message = why;
        return out;
    }

    Step s = attempt(values, out);
    if (s == Step::kLost) {
        LogLine("warn", "connection_lost")
            .field("thread", thread_)
            .field("error", chomp(PQerrorMessage(conn_)))
            .emit();
        out = DbResult{};
        if (!connect_or_reset(why)) {
            out.kind = DbResult::Kind::kUnavailable;
            out.message = why;
            return out;
        }
        s = attempt(values, out);
        if (s == Step::kLost) {
            out = DbResult{};
            out.kind = DbResult::Kind::kUnavailable;
            out.message = chomp(PQerrorMessage(conn_));
        }
    }
    return out;
}

}  // namespace presence
