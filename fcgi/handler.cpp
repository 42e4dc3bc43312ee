#include "handler.hpp"

namespace presence {

int status_for_sqlstate(std::string_view sqlstate)
{
    if (sqlstate == "PR401") {
        return 401;
    }
    if (sqlstate == "PR400" || sqlstate == "PR428") {
        return 400;
    }
    if (sqlstate == "PR403") {
        return 403;
    }
    if (sqlstate == "PR404") {
        return 404;
    }
    if (sqlstate == "57014") {
        return 503;
    }
    return 500;
}

std::string redact(std::string message, std::string_view secret)
{
    if (secret.empty()) {
        return message;
    }
    constexpr std::string_view kMark = "[redacted]";
    std::size_t at = 0;
    while ((at = message.find(secret, at)) != std::string::npos) {
        message.replace(at, secret.size(), kMark);
        at += kMark.size();
    }
    return message;
}

namespace {

// A problem response together with its log reason.
Handled problem(ProblemWriter &w, int status, std::string_view text)
{
    Handled h;
    h.response = problem_response(w, status, text);
    h.reason = std::string(text);
    return h;
}

// A 405 with `Allow: GET, HEAD`, and its log reason.
Handled method_not_allowed(ProblemWriter &w)
{
    Handled h;
    h.response = method_not_allowed_response(w);
    h.reason = detail::kMethodNotAllowed;
    return h;
}

// The response for an error the database raised, by its SQLSTATE. An authenticated request
// with a method other than GET or HEAD comes back as PR400 and is answered 405.
Handled from_db_error(const DbResult &r, const std::optional<std::string> &malformed,
                      bool method_allowed, const std::string &token, ProblemWriter &w)
{
    Handled h;
    int status = status_for_sqlstate(r.sqlstate);
    if (status == 400 && r.sqlstate == "PR400" && !method_allowed) {
        h = method_not_allowed(w);
        h.sqlstate = r.sqlstate;
        return h;
    }
    switch (status) {
    case 401:
        h.response = unauthorized_response(w, true);
        h.reason = detail::kTokenInvalid;
        break;
    case 400:
        if (r.sqlstate == "PR428") {
            h = problem(w, 400, detail::kNoWorkspace);
        } else {
            h = problem(w, 400, malformed ? std::string_view(*malformed) : detail::kMalformed);
        }
        break;
    case 403:
        h = problem(w, 403, detail::kNotMember);
        break;
    case 404:
        // One fixed text whatever the database said: a crew of another workspace and a crew
        // that exists nowhere must not be told apart.
        h = problem(w, 404, detail::kNoSuchCrew);
        break;
    case 503:
        // statement_timeout cancelled the call: the worker is free again, and what held it
        // up (a lock, a load) is the database's to report.
        h.response = unavailable_response(w, detail::kTimedOut);
        h.reason = detail::kTimedOut;
        h.db_message = redact(r.message, token);
        break;
    default:
        h = problem(w, 500, detail::kInternal);
        h.db_message = redact(r.message, token);
        break;
    }
    h.sqlstate = r.sqlstate;
    return h;
}

}  // namespace

Handled handle_request(const RequestParams &p, RosterSource &db, ProblemWriter &problems)
{
    if (p.path != kRosterPath) {
        return problem(problems, 404, detail::kNoSuchResource);
    }

    // The contract's order: the token first, then the request (a method other than GET
    // and HEAD is answered 405 only once the token has been accepted).
    Credentials cred = parse_authorization(p.authorization, p.authorization_count);
    if (cred.kind != AuthKind::kBearer) {
        bool invalid = cred.kind == AuthKind::kInvalid;
        Handled h;
        h.response = unauthorized_response(problems, invalid);
        h.reason = invalid ? detail::kTokenInvalid : detail::kTokenRequired;
        return h;
    }

    bool method_allowed = p.method == "GET" || p.method == "HEAD";
    QueryResult q = parse_query(p.query);
    std::optional<std::string> malformed = q.malformed;
    if (!malformed) {
        malformed = check_workspace(p.workspace, p.workspace_count);
    }
    if (!method_allowed) {
        malformed = std::string(detail::kMethodNotAllowed);
    }

    // A malformed request still goes to the database, with nothing of the bad input: the
    // token is checked first there, and only then is the request called malformed.
    std::optional<std::string> workspace, crew;
    if (!malformed) {
        workspace = p.workspace;
        crew = q.crew_id;
    }
    DbResult r = db.call(cred.token, workspace, crew, malformed);

    switch (r.kind) {
    case DbResult::Kind::kBody: {
        if (malformed) {
            // The function should have raised PR400; never serve rows for a bad request.
            Handled h = method_allowed ? problem(problems, 400, *malformed)
                                       : method_not_allowed(problems);
            h.db_message = "the roster function answered a malformed request";
            return h;
        }
        Handled h;
        h.response = roster_response(r.body);
        return h;
    }
    case DbResult::Kind::kError:
        return from_db_error(r, malformed, method_allowed, cred.token, problems);
    case DbResult::Kind::kUnavailable:
        break;
    }

    Handled h;
    h.response = unavailable_response(problems);
    h.reason = detail::kUnavailable;
    h.db_message = redact(r.message, cred.token);
    return h;
}

}  // namespace presence
