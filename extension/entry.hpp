// The one guard every SQL-callable entry point runs through. Included by entry.cpp and
// cron_remote.cpp after the PostgreSQL headers.
#ifndef PRESENCE_ENTRY_HPP
#define PRESENCE_ENTRY_HPP

#include <exception>
#include <new>

namespace presence {

// Runs body(fcinfo) and returns its Datum. A C++ exception is caught here, its message
// copied into a fixed buffer, and raised as a PostgreSQL error only after the catch block
// has been left, so no exception ever crosses into PostgreSQL's C frames. PostgreSQL's own
// errors pass through untouched: nothing on this frame has a destructor to skip.
template <typename Body>
Datum guarded(const char *name, Body body, FunctionCallInfo fcinfo)
{
    char message[256];

    try {
        return body(fcinfo);
    } catch (const std::bad_alloc &) {
        strlcpy(message, "out of memory", sizeof(message));
    } catch (const std::exception &e) {
        strlcpy(message, e.what(), sizeof(message));
    } catch (...) {
        strlcpy(message, "unknown exception", sizeof(message));
    }
    ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                    errmsg("internal error in %s: %s", name, message)));
    pg_unreachable();
}

}  // namespace presence

// Declares the extern "C" function PostgreSQL looks up by name, and opens the body of its
// C++ implementation, which the guard runs.
#define PRESENCE_ENTRY(name)                                                                  \
    static Datum name##_body(FunctionCallInfo fcinfo);                                        \
    extern "C" {                                                                              \
    PG_FUNCTION_INFO_V1(name);                                                                \
    Datum name(PG_FUNCTION_ARGS) { return presence::guarded(#name, name##_body, fcinfo); }   \
    }                                                                                         \
    static Datum name##_body(FunctionCallInfo fcinfo)

#endif
