// The libpq side: one connection per worker thread with one prepared statement.
#pragma once

#include <string>

#include "handler.hpp"

struct pg_conn;
struct pg_result;

namespace presence {

// A RosterSource on its own PGconn. Not thread-safe: one instance per worker thread.
class PgRosterSource final : public RosterSource {
public:
    // `conninfo` may be empty (libpq's environment variables then decide); `thread` only
    // names the owner in log lines.
    // `deadline_ms` becomes the session's statement_timeout.
    PgRosterSource(std::string conninfo, int thread, int deadline_ms);
    ~PgRosterSource() override;
    PgRosterSource(const PgRosterSource &) = delete;
    PgRosterSource &operator=(const PgRosterSource &) = delete;

    // Connects and prepares if not yet done; true when the session is ready. Logs the
    // outcome. Never throws.
    bool open();

    // Runs presence.http_roster($1..$4). On a lost connection it resets the session,
    // prepares again and retries once; kUnavailable when the database stays out of reach.
    // The body in a kBody result stays valid until the next call or close().
    DbResult call(const std::string &token, const std::optional<std::string> &workspace,
                  const std::optional<std::string> &crew_id,
                  const std::optional<std::string> &malformed) override;

    // Ends the session, if any. Logs nothing.
    void close();

private:
    // How one step against the server ended: done (`out` holds the answer, or for prepare
    // nothing), connection lost, failed with an error in `out`, or the prepared statement
    // gone from the session.
    enum class Step { kDone, kLost, kFailed, kStale };

    // Makes the session usable: connects the first time, resets a broken one. Forgets the
    // prepared statement whenever the session is new. Logs a connect, a reconnect, and the
    // first failure of a row.
    bool connect_or_reset(std::string &why);

    // Prepares the one statement in the current session.
    Step prepare(DbResult &out);

    // Runs the prepared statement once.
    Step execute(const char *const values[4], DbResult &out);

    // Prepares when needed and runs, preparing once more if the session lost the statement.
    Step attempt(const char *const values[4], DbResult &out);

    // Keeps `res` (may be null) as the result the last body points into, freeing the old one.
    void keep_result(pg_result *res);

    // Logs where the session is connected (database, host, port, server version).
    void log_connected(const char *event);

    // Logs that the database is out of reach, once until it is reached again.
    void log_down(const char *event, const std::string &why);

    std::string conninfo_;
    int thread_;
    std::string options_;  // "-c statement_timeout=N"
    pg_conn *conn_ = nullptr;
    pg_result *last_ = nullptr;
    bool prepared_ = false;
    bool ever_connected_ = false;
    bool down_logged_ = false;
};

}  // namespace presence
