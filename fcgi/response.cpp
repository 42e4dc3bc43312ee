#include "response.hpp"

#include <json/json.h>

namespace presence {

namespace {

constexpr const char *kProblemType = "application/problem+json";
constexpr const char *kJsonType = "application/json";

}  // namespace

const char *reason_phrase(int status)
{
    switch (status) {
    case 200:
        return "OK";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    default:
        return "Error";
    }
}

ProblemWriter::ProblemWriter()
{
    Json::StreamWriterBuilder builder;
    builder["indentation"] = "";
    builder["commentStyle"] = "None";
    builder["emitUTF8"] = true;
    writer_.reset(builder.newStreamWriter());
}

ProblemWriter::~ProblemWriter() = default;

void ProblemWriter::put_string(std::string_view s)
{
    writer_->write(Json::Value(s.data(), s.data() + s.size()), &out_);
}

std::string ProblemWriter::body(int status, std::string_view detail)
{
    // jsoncpp keeps object members sorted by name; the members are written one by one so
    // that the body reads in the order of the contract's example.
    out_.str(std::string());
    out_.clear();
    out_ << "{\"type\":";
    put_string("about:blank");
    out_ << ",\"title\":";
    put_string(reason_phrase(status));
    out_ << ",\"status\":" << status << ",\"detail\":";
    put_string(detail);
    out_ << '}';
    return out_.str();
}

Response roster_response(std::string_view body)
{
    Response r;
    r.status = 200;
    r.content_type = kJsonType;
    r.borrowed_body = body;
    r.borrows = true;
    return r;
}

Response problem_response(ProblemWriter &w, int status, std::string_view detail)
{
    Response r;
    r.status = status;
    r.content_type = kProblemType;
    r.owned_body = w.body(status, detail);
    return r;
}

Response unauthorized_response(ProblemWriter &w, bool invalid_token)
{
    Response r = problem_response(w, 401, invalid_token ? detail::kTokenInvalid
                                                        : detail::kTokenRequired);
    r.extra_headers.emplace_back(
        "WWW-Authenticate", invalid_token ? "Bearer realm=\"presence\", error=\"invalid_token\""
                                          : "Bearer realm=\"presence\"");
    return r;
}

Response method_not_allowed_response(ProblemWriter &w)
{
    Response r = problem_response(w, 405, detail::kMethodNotAllowed);
    r.extra_headers.emplace_back("Allow", "GET, HEAD");
    return r;
}

Response unavailable_response(ProblemWriter &w, std::string_view detail)
{
    Response r = problem_response(w, 503, detail);
    r.extra_headers.emplace_back("Retry-After", "2");
    return r;
}

std::string response_head(const Response &r)
{
    std::string h;
    h.reserve(160);
    h += "Status: ";
    h += std::to_string(r.status);
    h += ' ';
    h += reason_phrase(r.status);
    h += "\r\nContent-Type: ";
    h += r.content_type;
    h += "\r\nContent-Length: ";
    h += std::to_string(r.body().size());
    h += "\r\nCache-Control: no-store\r\n";
    for (const auto &[name, value] : r.extra_headers) {
        h += name;
        h += ": ";
        h += value;
        h += "\r\n";
    }
    h += "\r\n";
    return h;
}

}  // namespace presence
