// libFuzzer harness over the FastCGI program's request handling: any method, path, query
// string, Authorization and X-Workspace-Id (as nginx passes them: undecoded, repeated,
// with any bytes) and any database answer. The handler must never crash, must answer only
// the contract's statuses, must never ask the database for a client that sent no
// well-formed token, and a crew filter it passes on must be a valid id.

#include "handler.hpp"
#include "request.hpp"
#include "response.hpp"

#include <fuzzer/FuzzedDataProvider.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace {

[[noreturn]] void fail(const char *what)
{
    std::fprintf(stderr, "request_fuzz: %s\n", what);
    std::abort();
}

// Answers as the fuzzer says, and remembers what it was asked.
struct ScriptedSource : presence::RosterSource {
    FuzzedDataProvider *in = nullptr;
    int calls = 0;
    std::optional<std::string> crew_seen;
    std::string body = "{\"rows\":[],\"count\":0}";

    presence::DbResult call(const std::string &token, const std::optional<std::string> &,
                            const std::optional<std::string> &crew_id,
                            const std::optional<std::string> &) override
    {
        calls++;
        crew_seen = crew_id;
        if (token.empty())
            fail("the database was called without a token");
        presence::DbResult r;
        static const char *kStates[] = {"PR401", "PR400", "PR428", "PR403", "PR404",
                                        "57014", "XX000", ""};
        switch (in->ConsumeIntegralInRange(0, 2)) {
        case 0:
            r.kind = presence::DbResult::Kind::kBody;
            r.body = body;
            break;
        case 1:
            r.kind = presence::DbResult::Kind::kError;
            r.sqlstate = kStates[in->ConsumeIntegralInRange<std::size_t>(0, 7)];
            r.message = "error mentioning " + token;
            break;
        default:
            r.kind = presence::DbResult::Kind::kUnavailable;
            r.message = "down";
        }
        return r;
    }
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t *data, std::size_t size)
{
    FuzzedDataProvider in(data, size);
    static const char *kMethods[] = {"GET", "HEAD", "POST", "DELETE", "get", ""};
    static const char *kPaths[] = {"/api/v1/presence/roster", "/api/v1/presence/roster/",
                                   "/api/v1/presence", "/"};

    std::vector<std::string> env;
    env.push_back(std::string("REQUEST_METHOD=") + kMethods[in.ConsumeIntegralInRange(0, 5)]);
    std::string query = in.ConsumeRandomLengthString(5000);
    std::string path = kPaths[in.ConsumeIntegralInRange(0, 3)];
    env.push_back("REQUEST_URI=" + path + (query.empty() ? "" : "?" + query));
    env.push_back("QUERY_STRING=" + query);
    int auths = in.ConsumeIntegralInRange(0, 2);
    for (int i = 0; i < auths; i++)
        env.push_back("HTTP_AUTHORIZATION=" + in.ConsumeRandomLengthString(400));
    int workspaces = in.ConsumeIntegralInRange(0, 2);
    for (int i = 0; i < workspaces; i++)
        env.push_back("HTTP_X_WORKSPACE_ID=" + in.ConsumeRandomLengthString(200));
    env.push_back("REQUEST_ID=" + in.ConsumeRandomLengthString(40));

    std::vector<const char *> envp;
    for (const auto &e : env)
        envp.push_back(e.c_str());
    envp.push_back(nullptr);

    presence::RequestParams params = presence::collect_params(envp.data());
    ScriptedSource db;
    db.in = &in;
    presence::ProblemWriter problems;
    presence::Handled h = presence::handle_request(params, db, problems);

    switch (h.response.status) {
    case 200: case 400: case 401: case 403: case 404: case 405: case 500: case 503:
        break;
    default:
        fail("a status outside the contract");
    }
    presence::Credentials cred =
        presence::parse_authorization(params.authorization, params.authorization_count);
    if (cred.kind != presence::AuthKind::kBearer && db.calls != 0)
        fail("the database was asked about a request without a well-formed token");
    if (db.crew_seen && !presence::is_valid_id(*db.crew_seen))
        fail("an invalid crew id reached the database");
    if (h.reason.find(cred.token) != std::string::npos && !cred.token.empty())
        fail("the log reason quotes the token");
    if (h.db_message.find(cred.token) != std::string::npos && !cred.token.empty())
        fail("the logged database message quotes the token");

    std::string head = presence::response_head(h.response);
    if (head.find("Cache-Control: no-store\r\n") == std::string::npos)
        fail("a response without Cache-Control: no-store");
    if (head.find('\0') != std::string::npos)
        fail("a NUL in the response head");

    // Decoding is total: any bytes either decode or are refused, without a crash.
    std::string decoded;
    presence::percent_decode(query, decoded);
    return 0;
}
