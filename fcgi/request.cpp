#include "request.hpp"

#include <cstdint>

#include "ids.hpp"
#include "json_out.hpp"

#include <cstring>

namespace presence {

namespace {

// Stores `value` into `slot` the first time a name is seen and counts every occurrence.
void keep_first(std::optional<std::string> &slot, int &count, const char *value)
{
    if (count++ == 0) {
        slot = value;
    }
}

// The value of `entry` when it is "NAME=value" for exactly this name, else nullptr.
const char *value_of(const char *entry, std::string_view name)
{
    if (std::strncmp(entry, name.data(), name.size()) != 0 || entry[name.size()] != '=') {
        return nullptr;
    }
    return entry + name.size() + 1;
}

// The value of a hex digit, or -1 when `c` is not one.
int hex_value(char c)
{
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

// True for the characters a bearer token may hold (the base64url alphabet).
bool is_token_char(unsigned char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '-' || c == '_';
}

// `s` without leading and trailing spaces and tabs.
std::string_view trim_ows(std::string_view s)
{
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) {
        s.remove_prefix(1);
    }
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) {
        s.remove_suffix(1);
    }
    return s;
}

// True when `a` equals the lower-case ASCII word `lower`, ignoring ASCII case.
bool equals_ignore_case(std::string_view a, std::string_view lower)
{
    if (a.size() != lower.size()) {
        return false;
    }
    for (std::size_t i = 0; i < a.size(); ++i) {
        char c = a[i];
        if (c >= 'A' && c <= 'Z') {
            c = static_cast<char>(c - 'A' + 'a');
        }
        if (c != lower[i]) {
            return false;
        }
    }
    return true;
}

// The fixed text for a decoding failure.
const char *decode_error_text(DecodeError e)
{
    switch (e) {
    case DecodeError::kBadEscape:
        return malformed::kBadEscape;
    case DecodeError::kNul:
        return malformed::kNul;
    case DecodeError::kBadUtf8:
        return malformed::kBadUtf8;
    case DecodeError::kNone:
        break;
    }
    return nullptr;
}

}  // namespace

RequestParams collect_params(const char *const *envp)
{
    RequestParams p;
    std::optional<std::string> method, request_uri, document_uri, query, request_id;
    int method_n = 0, request_uri_n = 0, document_uri_n = 0, query_n = 0, request_id_n = 0;

    for (const char *const *e = envp; e != nullptr && *e != nullptr; ++e) {
        const char *v = nullptr;
        if ((v = value_of(*e, "REQUEST_METHOD")) != nullptr) {
            keep_first(method, method_n, v);
        } else if ((v = value_of(*e, "REQUEST_URI")) != nullptr) {
            keep_first(request_uri, request_uri_n, v);
        } else if ((v = value_of(*e, "DOCUMENT_URI")) != nullptr) {
            keep_first(document_uri, document_uri_n, v);
        } else if ((v = value_of(*e, "QUERY_STRING")) != nullptr) {
            keep_first(query, query_n, v);
        } else if ((v = value_of(*e, "HTTP_AUTHORIZATION")) != nullptr) {
            keep_first(p.authorization, p.authorization_count, v);
        } else if ((v = value_of(*e, "HTTP_X_WORKSPACE_ID")) != nullptr) {
            keep_first(p.workspace, p.workspace_count, v);
        } else if ((v = value_of(*e, "REQUEST_ID")) != nullptr) {
            keep_first(request_id, request_id_n, v);
        }
    }

    p.method = method.value_or("");
    if (request_uri) {
        p.path = request_uri->substr(0, request_uri->find('?'));
    } else if (document_uri) {
        p.path = *document_uri;
    }
    p.query = query.value_or("");
    p.request_id = request_id.value_or("");
    return p;
}

bool is_valid_id(std::string_view id)
{
    return presence::is_valid_id(id.data(), id.size());
}

bool is_valid_utf8(std::string_view bytes)
{
    const auto *s = reinterpret_cast<const unsigned char *>(bytes.data());
    std::size_t i = 0;
    while (i < bytes.size()) {
        std::uint32_t cp;
        std::size_t len = utf8_decode(s + i, bytes.size() - i, &cp);
        if (len == 0) {
            return false;
        }
        i += len;
    }
    return true;
}

DecodeError percent_decode(std::string_view in, std::string &out)
{
    out.clear();
    out.reserve(in.size());

    for (std::size_t i = 0; i < in.size(); ++i) {
        char c = in[i];
        if (c == '%') {
            if (in.size() - i < 3) {
                return DecodeError::kBadEscape;
            }
            int hi = hex_value(in[i + 1]);
            int lo = hex_value(in[i + 2]);
            if (hi < 0 || lo < 0) {
                return DecodeError::kBadEscape;
            }
            c = static_cast<char>(hi * 16 + lo);
            i += 2;
        }
        if (c == '\0') {
            return DecodeError::kNul;
        }
        out.push_back(c);
    }

    return is_valid_utf8(out) ? DecodeError::kNone : DecodeError::kBadUtf8;
}

QueryResult parse_query(std::string_view query)
{
    QueryResult result;
    if (query.size() > kMaxQueryBytes) {
        result.malformed = malformed::kQueryTooLong;
        return result;
    }

    bool crew_seen = false;
    std::string crew, name, value;
    std::size_t start = 0;

    while (start <= query.size()) {
        std::size_t end = query.find('&', start);
        if (end == std::string_view::npos) {
            end = query.size();
        }
        std::string_view pair = query.substr(start, end - start);
        start = end + 1;
        if (pair.empty()) {
            continue;
        }

        std::size_t eq = pair.find('=');
        std::string_view raw_name = pair.substr(0, eq);
        std::string_view raw_value =
            eq == std::string_view::npos ? std::string_view() : pair.substr(eq + 1);

        DecodeError e = percent_decode(raw_name, name);
        if (e == DecodeError::kNone) {
            e = percent_decode(raw_value, value);
        }
        if (e != DecodeError::kNone) {
            result.malformed = decode_error_text(e);
            return result;
        }

        if (name == "crew_id") {
            if (crew_seen) {
                result.malformed = malformed::kCrewRepeated;
                return result;
            }
            crew_seen = true;
            crew = value;
        }
    }

    if (!crew.empty()) {
        if (!is_valid_id(crew)) {
            result.malformed = malformed::kCrewInvalid;
            return result;
        }
        result.crew_id = crew;
    }
    return result;
}

std::optional<std::string> check_workspace(const std::optional<std::string> &header, int count)
{
    if (count > 1) {
        return std::string(malformed::kWorkspaceRepeated);
    }
    if (header && !is_valid_id(*header)) {
        return std::string(malformed::kWorkspaceInvalid);
    }
    return std::nullopt;
}

Credentials parse_authorization(const std::optional<std::string> &header, int count)
{
    Credentials cred;
    if (!header && count == 0) {
        return cred;
    }
    cred.kind = AuthKind::kInvalid;
    if (!header || count > 1) {
        return cred;
    }

    std::string_view v = trim_ows(*header);
    std::size_t sp = v.find(' ');
    std::string_view scheme = v.substr(0, sp);
    if (!equals_ignore_case(scheme, "bearer")) {
        // "Bearer\t<token>" has no space and is a garbled bearer header, not another scheme.
        bool garbled_bearer = v.size() > 6 && equals_ignore_case(v.substr(0, 6), "bearer");
        cred.kind = garbled_bearer ? AuthKind::kInvalid : AuthKind::kMissing;
        return cred;
    }
    std::string_view token = sp == std::string_view::npos ? std::string_view() : v.substr(sp);
    while (!token.empty() && token.front() == ' ') {
        token.remove_prefix(1);
    }

    if (token.empty()) {
        cred.kind = AuthKind::kMissing;
        return cred;
    }
    if (token.size() > kMaxTokenChars) {
        return cred;
    }
    for (unsigned char c : token) {
        if (!is_token_char(c)) {
            return cred;
        }
    }
    cred.kind = AuthKind::kBearer;
    cred.token = std::string(token);
    return cred;
}

}  // namespace presence
