// The boundary between PostgreSQL and the C++ of this extension: every SQL-callable entry
// point lives here, and each runs its body through guarded(), so no C++ exception ever
// reaches PostgreSQL. Nothing with a destructor is alive while PostgreSQL may raise: the
// bodies use palloc'd memory and plain structs only, and call the plain C++ (ids.hpp,
// json_out.hpp) for the rules and the JSON.

#include <cstdint>
#include <cstring>
#include <exception>
#include <new>

#include "ids.hpp"
#include "json_out.hpp"

extern "C" {
#include "postgres.h"

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "common/cryptohash.h"
#include "common/sha2.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/numeric.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"

PG_MODULE_MAGIC;

void _PG_init(void);
}

#include "entry.hpp"

namespace {

// SQLSTATEs of docs/errors.md.
const int kInvalidArgument = MAKE_SQLSTATE('P', 'R', '4', '0', '0');
const int kNotAuthenticated = MAKE_SQLSTATE('P', 'R', '4', '0', '1');
const int kNotAMember = MAKE_SQLSTATE('P', 'R', '4', '0', '3');
const int kNotFound = MAKE_SQLSTATE('P', 'R', '4', '0', '4');
const int kNoWorkspace = MAKE_SQLSTATE('P', 'R', '4', '2', '8');

const char kIdRule[] = "1 to 128 characters from A-Z a-z 0-9 . _ : -";
const char kIdleTimeoutDetails[] = "{\"reason\":\"idle_timeout\"}";

// Settings of the sweep guard (docs/sweep.md).
double guard_max_share = 0.5;
int guard_min_agents = 10;

// A Sink for json_out.hpp over a palloc'd StringInfo: trivially destructible.
struct StringInfoSink {
    StringInfo buf;

    void append(const char *s, std::size_t n) { appendBinaryStringInfo(buf, s, int(n)); }
    void push(char c) { appendStringInfoCharMacro(buf, c); }
};

// Text argument i as a NUL-free byte range; null when the argument is SQL NULL.
struct TextArg {
    const char *data;
    std::size_t len;

    bool is_null() const { return data == nullptr; }
};

TextArg text_arg(FunctionCallInfo fcinfo, int i)
{
    if (PG_ARGISNULL(i))
        return TextArg{nullptr, 0};
    text *t = PG_GETARG_TEXT_PP(i);
    return TextArg{VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)};
}

Datum text_datum(TextArg a)
{
    return PointerGetDatum(cstring_to_text_with_len(a.data, int(a.len)));
}

char *cstring_of(TextArg a)
{
    return pnstrdup(a.data, a.len);
}

// Raises PR400 unless a is a valid id; kind names the argument in the message.
void require_id(const char *kind, TextArg a)
{
    if (a.is_null())
        ereport(ERROR, (errcode(kInvalidArgument), errmsg("%s must not be null", kind)));
    if (!presence::is_valid_id(a.data, a.len))
        ereport(ERROR,
                (errcode(kInvalidArgument), errmsg("invalid %s", kind),
                 errdetail("An id is %s; this one is %zu bytes long%s.", kIdRule, a.len,
                           a.len == 0 || a.len > presence::kMaxIdLength
                               ? ""
                               : " and has a character outside that set")));
}

// Sets the tenant scope that the row-level security policies read (sql/, "second wall").
void set_scope(const char *scope)
{
    (void) set_config_option("presence.workspace", scope, PGC_USERSET, PGC_S_SESSION,
                             GUC_ACTION_LOCAL, true, 0, false);
}

// A saved plan, prepared on first use in this backend.
SPIPlanPtr saved_plan(SPIPlanPtr *slot, const char *sql, int nargs, Oid *types)
{
    if (*slot == nullptr) {
        SPIPlanPtr plan = SPI_prepare(sql, nargs, types);
        if (plan == nullptr)
            elog(ERROR, "presence: SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
        if (SPI_keepplan(plan) != 0)
            elog(ERROR, "presence: SPI_keepplan failed");
        *slot = plan;
    }
    return *slot;
}

void spi_connect()
{
    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "presence: SPI_connect failed");
}

int spi_run(SPIPlanPtr plan, Datum *values, const char *nulls, bool read_only, int expect)
{
    int rc = SPI_execute_plan(plan, values, nulls, read_only, 0);
    if (rc != expect)
        elog(ERROR, "presence: query failed: %s", SPI_result_code_string(rc));
    return rc;
}

// Writes the jsonb document as compact JSON: no spaces, keys in jsonb's stored order.
void jsonb_to_compact(StringInfoSink &out, Jsonb *jb)
{
    presence::JsonWriter<StringInfoSink> json(out);
    JsonbIterator *it = JsonbIteratorInit(&jb->root);
    JsonbValue v;
    JsonbIteratorToken tok;
    int raw_scalar_depth = -1;
    int depth = 0;

    while ((tok = JsonbIteratorNext(&it, &v, false)) != WJB_DONE) {
        switch (tok) {
        case WJB_BEGIN_ARRAY:
            if (v.val.array.rawScalar)
                raw_scalar_depth = depth;
            else
                json.begin_array();
            depth++;
            break;
        case WJB_END_ARRAY:
            depth--;
            if (depth != raw_scalar_depth)
                json.end_array();
            break;
        case WJB_BEGIN_OBJECT:
            json.begin_object();
            depth++;
            break;
        case WJB_END_OBJECT:
            depth--;
            json.end_object();
            break;
        case WJB_KEY:
            json.key(v.val.string.val, std::size_t(v.val.string.len));
            break;
        case WJB_VALUE:
        case WJB_ELEM:
            switch (v.type) {
            case jbvNull:
                json.null();
                break;
            case jbvBool:
                json.boolean(v.val.boolean);
                break;
            case jbvString:
                json.string(v.val.string.val, std::size_t(v.val.string.len));
                break;
            case jbvNumeric: {
                char *num = DatumGetCString(
                    DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric)));
                json.raw(num, std::strlen(num));
                pfree(num);
                break;
            }
            default:
                elog(ERROR, "presence: unexpected jsonb value type %d", int(v.type));
            }
            break;
        case WJB_DONE:
            break;
        }
    }
}

// Checks details and returns it as stored: null for SQL NULL and for {}.
Datum normalise_details(FunctionCallInfo fcinfo, int i, bool *isnull)
{
    *isnull = true;
    if (PG_ARGISNULL(i))
        return (Datum) 0;

    Jsonb *jb = PG_GETARG_JSONB_P(i);
    if (!JB_ROOT_IS_OBJECT(jb) || JB_ROOT_IS_SCALAR(jb))
        ereport(ERROR, (errcode(kInvalidArgument), errmsg("details must be a JSON object"),
                        errdetail("The value given is a JSON %s.",
                                  JB_ROOT_IS_SCALAR(jb) ? "scalar" : "array")));
    if (JB_ROOT_COUNT(jb) == 0)
        return (Datum) 0;

    StringInfoData buf;
    initStringInfo(&buf);
    StringInfoSink sink{&buf};
    jsonb_to_compact(sink, jb);
    if (std::size_t(buf.len) > presence::kMaxDetailsBytes)
        ereport(ERROR, (errcode(kInvalidArgument), errmsg("details is too large"),
                        errdetail("details is %d bytes as compact JSON; the limit is %zu.",
                                  buf.len, presence::kMaxDetailsBytes)));
    pfree(buf.data);

    *isnull = false;
    return JsonbPGetDatum(jb);
}

Oid kText1[] = {TEXTOID};
Oid kText2[] = {TEXTOID, TEXTOID};
Oid kBytea1[] = {BYTEAOID};

SPIPlanPtr plan_workspace_exists;
SPIPlanPtr plan_crew_in_workspace;

bool workspace_exists(Datum ws)
{
    SPIPlanPtr plan = saved_plan(&plan_workspace_exists,
                                 "SELECT 1 FROM presence.workspaces WHERE workspace_id = $1",
                                 1, kText1);
    Datum values[1] = {ws};
    spi_run(plan, values, nullptr, true, SPI_OK_SELECT);
    return SPI_processed > 0;
}

bool crew_in_workspace(Datum ws, Datum crew)
{
    SPIPlanPtr plan = saved_plan(
        &plan_crew_in_workspace,
        "SELECT 1 FROM presence.crews WHERE crew_id = $2 AND workspace_id = $1", 2, kText2);
    Datum values[2] = {ws, crew};
    spi_run(plan, values, nullptr, true, SPI_OK_SELECT);
    return SPI_processed > 0;
}

// The one not-found error for a crew, whether it is in another workspace or nowhere.
void raise_crew_not_found(TextArg ws, TextArg crew)
{
    ereport(ERROR, (errcode(kNotFound),
                    errmsg("crew \"%s\" not found in workspace \"%s\"", cstring_of(crew),
                           cstring_of(ws))));
}

void raise_workspace_not_found(TextArg ws)
{
    ereport(ERROR,
            (errcode(kNotFound), errmsg("workspace \"%s\" not found", cstring_of(ws))));
}

// The roster query for one workspace or one crew, in agent_id byte order.
SPIPlanPtr plan_roster_workspace;
SPIPlanPtr plan_roster_crew;

Portal open_roster(Datum ws, TextArg crew)
{
    SPIPlanPtr plan;
    Datum values[2] = {ws, (Datum) 0};

    if (crew.is_null()) {
        plan = saved_plan(&plan_roster_workspace,
                          "SELECT agent_id, crew_id, status, since, details "
                          "FROM presence.agents WHERE workspace_id = $1 ORDER BY agent_id",
                          1, kText1);
    } else {
        plan = saved_plan(&plan_roster_crew,
                          "SELECT agent_id, crew_id, status, since, details "
                          "FROM presence.agents WHERE workspace_id = $1 AND crew_id = $2 "
                          "ORDER BY agent_id",
                          2, kText2);
        values[1] = text_datum(crew);
    }
    Portal portal = SPI_cursor_open(nullptr, plan, values, nullptr, true);
    if (portal == nullptr)
        elog(ERROR, "presence: could not open the roster cursor");
    return portal;
}

const long kRosterBatch = 1000;

// Checks the workspace and crew of a roster read; raises PR404 as the contract says.
void check_roster_target(TextArg ws, Datum ws_datum, TextArg crew)
{
    if (!workspace_exists(ws_datum))
        raise_workspace_not_found(ws);
    if (!crew.is_null() && !crew_in_workspace(ws_datum, text_datum(crew)))
        raise_crew_not_found(ws, crew);
}

// Appends the roster of ws (or of one crew in it) to body as the contract's 200 body.
void write_roster_body(StringInfo body, Datum ws, TextArg crew)
{
    StringInfoSink sink{body};
    presence::RosterBody<StringInfoSink> roster(sink);
    StringInfoData details;
    initStringInfo(&details);
    StringInfoSink details_sink{&details};

    roster.begin();
    Portal portal = open_roster(ws, crew);
    for (;;) {
        SPI_cursor_fetch(portal, true, kRosterBatch);
        if (SPI_processed == 0)
            break;
        TupleDesc desc = SPI_tuptable->tupdesc;
        for (uint64 i = 0; i < SPI_processed; i++) {
            HeapTuple tup = SPI_tuptable->vals[i];
            bool isnull;
            presence::RosterRow row{};

            text *agent = DatumGetTextPP(heap_getattr(tup, 1, desc, &isnull));
            row.agent_id = VARDATA_ANY(agent);
            row.agent_id_len = VARSIZE_ANY_EXHDR(agent);

            Datum crew_datum = heap_getattr(tup, 2, desc, &isnull);
            if (!isnull) {
                text *c = DatumGetTextPP(crew_datum);
                row.crew_id = VARDATA_ANY(c);
                row.crew_id_len = VARSIZE_ANY_EXHDR(c);
            }

            text *status = DatumGetTextPP(heap_getattr(tup, 3, desc, &isnull));
            row.status = VARDATA_ANY(status);
            row.status_len = VARSIZE_ANY_EXHDR(status);

            row.since = DatumGetTimestampTz(heap_getattr(tup, 4, desc, &isnull));

            Datum details_datum = heap_getattr(tup, 5, desc, &isnull);
            if (!isnull) {
                resetStringInfo(&details);
                jsonb_to_compact(details_sink, DatumGetJsonbP(details_datum));
                row.details_json = details.data;
                row.details_json_len = std::size_t(details.len);
            }
            roster.row(row);
        }
        SPI_freetuptable(SPI_tuptable);
    }
    SPI_cursor_close(portal);
    roster.end();
    pfree(details.data);
}

}  // namespace

extern "C" void _PG_init(void)
{
    DefineCustomRealVariable(
        "presence.sweep_guard_share",
        "Largest share of a workspace's live agents one sweep may flip to offline.",
        "A sweep that would flip more than this share flips none of that workspace, "
        "logs a warning and records the event in presence.sweep_guard_events.",
        &guard_max_share, 0.5, 0.0, 1.0, PGC_SUSET, 0, nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "presence.sweep_guard_min_agents",
        "Workspaces with fewer live agents than this are swept without the guard.",
        nullptr, &guard_min_agents, 10, 1, INT_MAX, PGC_SUSET, 0, nullptr, nullptr,
        nullptr);
}

PRESENCE_ENTRY(presence_check_id)
{
    TextArg kind = text_arg(fcinfo, 0);
    TextArg id = text_arg(fcinfo, 1);
    const char *name = kind.is_null() ? "id" : cstring_of(kind);

    require_id(name, id);
    PG_RETURN_DATUM(PG_GETARG_DATUM(1));
}

PRESENCE_ENTRY(presence_token_generate)
{
    unsigned char random[presence::kTokenRandomBytes];
    char token[presence::kTokenLength + 1];
    const std::size_t prefix = sizeof(presence::kTokenPrefix) - 1;

    if (!pg_strong_random(random, sizeof(random)))
        ereport(ERROR, (errcode(ERRCODE_INTERNAL_ERROR),
                        errmsg("could not generate random bytes for a token")));
    std::memcpy(token, presence::kTokenPrefix, prefix);
    std::size_t n = presence::base64url_encode(random, sizeof(random), token + prefix);
    token[prefix + n] = '\0';
    PG_RETURN_TEXT_P(cstring_to_text(token));
}

namespace {

// The SHA-256 digest of the token's bytes, as bytea: what presence.tokens stores.
bytea *token_digest(TextArg token)
{
    bytea *out = (bytea *) palloc(VARHDRSZ + PG_SHA256_DIGEST_LENGTH);
    SET_VARSIZE(out, VARHDRSZ + PG_SHA256_DIGEST_LENGTH);

    pg_cryptohash_ctx *ctx = pg_cryptohash_create(PG_SHA256);
    if (pg_cryptohash_init(ctx) < 0 ||
        pg_cryptohash_update(ctx, reinterpret_cast<const uint8 *>(token.data), token.len) < 0 ||
        pg_cryptohash_final(ctx, reinterpret_cast<uint8 *>(VARDATA(out)),
                            PG_SHA256_DIGEST_LENGTH) < 0) {
        const char *why = pstrdup(pg_cryptohash_error(ctx));
        pg_cryptohash_free(ctx);
        elog(ERROR, "presence: could not compute a token digest: %s", why);
    }
    pg_cryptohash_free(ctx);
    return out;
}

}  // namespace

PRESENCE_ENTRY(presence_token_digest)
{
    PG_RETURN_BYTEA_P(token_digest(text_arg(fcinfo, 0)));
}

namespace {

// The blessed descriptor of the function's OUT row, built once per call site: building it
// reads pg_proc's argument arrays, which is not free on a path that runs for every write.
TupleDesc result_row_desc(FunctionCallInfo fcinfo)
{
    if (fcinfo->flinfo->fn_extra == nullptr) {
        TupleDesc desc;
        if (get_call_result_type(fcinfo, nullptr, &desc) != TYPEFUNC_COMPOSITE)
            elog(ERROR, "presence: the function must return a row");
        MemoryContext old = MemoryContextSwitchTo(fcinfo->flinfo->fn_mcxt);
        fcinfo->flinfo->fn_extra = BlessTupleDesc(CreateTupleDescCopy(desc));
        MemoryContextSwitchTo(old);
    }
    return static_cast<TupleDesc>(fcinfo->flinfo->fn_extra);
}

SPIPlanPtr plan_upsert_known;
SPIPlanPtr plan_upsert;
}

PRESENCE_ENTRY(presence_upsert)
{
    TextArg ws = text_arg(fcinfo, 0);
    TextArg agent = text_arg(fcinfo, 1);
    TextArg status = text_arg(fcinfo, 2);
    TextArg crew = text_arg(fcinfo, 3);
    presence::Status parsed;
    bool details_null;

    require_id("workspace_id", ws);
    require_id("agent_id", agent);
    if (status.is_null())
        ereport(ERROR, (errcode(kInvalidArgument), errmsg("status must not be null")));
    if (!presence::parse_status(status.data, status.len, &parsed))
        ereport(ERROR, (errcode(kInvalidArgument), errmsg("invalid status"),
                        errdetail("status is one of online, busy, blocked, offline.")));
    if (!crew.is_null())
        require_id("crew_id", crew);
    Datum details = normalise_details(fcinfo, 4, &details_null);

    TupleDesc result_desc = result_row_desc(fcinfo);

    set_scope(cstring_of(ws));
    spi_connect();

    static Oid types[] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, JSONBOID};
    Datum values[5] = {text_datum(ws), text_datum(agent),
                       PointerGetDatum(cstring_to_text(presence::status_name(parsed))),
                       crew.is_null() ? (Datum) 0 : text_datum(crew), details};
    char nulls[5] = {' ', ' ', ' ', crew.is_null() ? 'n' : ' ', details_null ? 'n' : ' '};

    // Most writes are a known agent staying in its crew: one update of its row, no other
    // look-up (its workspace exists, since the row references it). Anything else takes the
    // insert-or-update, which checks the workspace and the crew first.
    SPIPlanPtr plan = saved_plan(
        &plan_upsert_known,
        "UPDATE presence.agents "
        "SET status = $3, since = statement_timestamp(), seen_at = statement_timestamp(), "
        "    details = $5 "
        "WHERE workspace_id = $1 AND agent_id = $2 AND ($4 IS NULL OR crew_id = $4) "
        "RETURNING agent_id, crew_id, status, since, details",
        5, types);
    spi_run(plan, values, nulls, false, SPI_OK_UPDATE_RETURNING);
    if (SPI_processed == 0) {
        plan = saved_plan(
            &plan_upsert,
            "INSERT INTO presence.agents AS a "
            "    (workspace_id, agent_id, crew_id, status, since, seen_at, details) "
            "SELECT $1, $2, $4, $3, statement_timestamp(), statement_timestamp(), $5 "
            "WHERE EXISTS (SELECT 1 FROM presence.workspaces w WHERE w.workspace_id = $1) "
            "  AND ($4 IS NULL OR EXISTS (SELECT 1 FROM presence.crews c "
            "                             WHERE c.crew_id = $4 AND c.workspace_id = $1)) "
            "ON CONFLICT (workspace_id, agent_id) DO UPDATE "
            "SET crew_id = coalesce(EXCLUDED.crew_id, a.crew_id), status = EXCLUDED.status, "
            "    since = EXCLUDED.since, seen_at = EXCLUDED.seen_at, "
            "    details = EXCLUDED.details "
            "RETURNING a.agent_id, a.crew_id, a.status, a.since, a.details",
            5, types);
        spi_run(plan, values, nulls, false, SPI_OK_INSERT_RETURNING);
    }

    if (SPI_processed == 0) {
        if (!workspace_exists(values[0]))
            raise_workspace_not_found(ws);
        raise_crew_not_found(ws, crew);
    }

    // The RETURNING row has the OUT parameters' types: copy it out of SPI's memory.
    HeapTupleHeader result = SPI_returntuple(SPI_tuptable->vals[0], result_desc);
    SPI_finish();
    PG_RETURN_HEAPTUPLEHEADER(result);
}

namespace {
SPIPlanPtr plan_touch;
}

PRESENCE_ENTRY(presence_touch)
{
    TextArg ws = text_arg(fcinfo, 0);
    TextArg agent = text_arg(fcinfo, 1);

    require_id("workspace_id", ws);
    require_id("agent_id", agent);
    set_scope(cstring_of(ws));
    spi_connect();

    SPIPlanPtr plan = saved_plan(&plan_touch,
                                 "UPDATE presence.agents SET seen_at = statement_timestamp() "
                                 "WHERE workspace_id = $1 AND agent_id = $2",
                                 2, kText2);
    Datum values[2] = {text_datum(ws), text_datum(agent)};
    spi_run(plan, values, nullptr, false, SPI_OK_UPDATE);
    bool touched = SPI_processed > 0;
    SPI_finish();
    PG_RETURN_BOOL(touched);
}

PRESENCE_ENTRY(presence_roster)
{
    TextArg ws = text_arg(fcinfo, 0);
    TextArg crew = text_arg(fcinfo, 1);

    require_id("workspace_id", ws);
    if (!crew.is_null())
        require_id("crew_id", crew);

    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;

    set_scope(cstring_of(ws));
    spi_connect();
    Datum ws_datum = text_datum(ws);
    check_roster_target(ws, ws_datum, crew);

    Portal portal = open_roster(ws_datum, crew);
    for (;;) {
        SPI_cursor_fetch(portal, true, kRosterBatch);
        if (SPI_processed == 0)
            break;
        for (uint64 i = 0; i < SPI_processed; i++) {
            Datum values[5];
            bool nulls[5];
            for (int c = 0; c < 5; c++)
                values[c] = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, c + 1,
                                          &nulls[c]);
            tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
        }
        SPI_freetuptable(SPI_tuptable);
    }
    SPI_cursor_close(portal);
    SPI_finish();
    return (Datum) 0;
}

namespace {

SPIPlanPtr plan_token;
SPIPlanPtr plan_member;

void raise_not_authenticated()
{
    ereport(ERROR, (errcode(kNotAuthenticated), errmsg("invalid token"),
                    errdetail("The token is malformed, unknown, expired or revoked.")));
}

}  // namespace

PRESENCE_ENTRY(presence_http_roster)
{
    TextArg token = text_arg(fcinfo, 0);
    TextArg header_ws = text_arg(fcinfo, 1);
    TextArg crew = text_arg(fcinfo, 2);
    TextArg malformed = text_arg(fcinfo, 3);

    // 1. Authenticated: a token of the right shape whose digest is live.
    if (token.is_null() || !presence::is_token_shaped(token.data, token.len))
        raise_not_authenticated();
    MemoryContext caller_context = CurrentMemoryContext;
    set_scope("*");
    spi_connect();
    SPIPlanPtr plan = saved_plan(
        &plan_token,
        "SELECT user_id, workspace_id FROM presence.tokens WHERE digest = $1 "
        "AND revoked_at IS NULL AND expires_at > statement_timestamp()",
        1, kBytea1);
    Datum digest = PointerGetDatum(token_digest(token));
    spi_run(plan, &digest, nullptr, true, SPI_OK_SELECT);
    if (SPI_processed == 0)
        raise_not_authenticated();
    bool user_null;
    bool token_ws_null;
    Datum user = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &user_null);
    Datum token_ws =
        SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &token_ws_null);

    // 2. A well-formed request that resolves a workspace.
    if (!malformed.is_null())
        ereport(ERROR, (errcode(kInvalidArgument), errmsg("malformed request"),
                        errdetail("%s", cstring_of(malformed))));
    TextArg ws = header_ws;
    if (ws.is_null()) {
        if (token_ws_null)
            ereport(ERROR, (errcode(kNoWorkspace), errmsg("no workspace resolved"),
                            errhint("Send X-Workspace-Id, or use a token issued for a "
                                    "workspace.")));
        text *t = DatumGetTextPP(token_ws);
        ws = TextArg{VARDATA_ANY(t), VARSIZE_ANY_EXHDR(t)};
    }
    require_id("workspace_id", ws);
    if (!crew.is_null())
        require_id("crew_id", crew);

    // 3. A member of that workspace; a workspace that does not exist has no members.
    set_scope(cstring_of(ws));
    Datum ws_datum = text_datum(ws);
    plan = saved_plan(&plan_member,
                      "SELECT 1 FROM presence.members WHERE workspace_id = $1 AND user_id = $2",
                      2, kText2);
    Datum member_args[2] = {ws_datum, user};
    spi_run(plan, member_args, nullptr, true, SPI_OK_SELECT);
    if (SPI_processed == 0)
        ereport(ERROR, (errcode(kNotAMember), errmsg("not a member of this workspace")));

    // 4. The crew, when one is named, is a crew of this workspace.
    if (!crew.is_null() && !crew_in_workspace(ws_datum, text_datum(crew)))
        raise_crew_not_found(ws, crew);

    // The body is built in the caller's memory so that it outlives SPI_finish.
    MemoryContext spi_context = MemoryContextSwitchTo(caller_context);
    StringInfo body = makeStringInfo();
    MemoryContextSwitchTo(spi_context);

    // Room for the varlena header first, so the buffer itself becomes the text result.
    appendStringInfoSpaces(body, VARHDRSZ);
    write_roster_body(body, ws_datum, crew);
    SPI_finish();

    SET_VARSIZE(body->data, body->len);
    PG_RETURN_TEXT_P(reinterpret_cast<text *>(body->data));
}

namespace {
SPIPlanPtr plan_sweep;
}

PRESENCE_ENTRY(presence_sweep_offline)
{
    if (PG_ARGISNULL(0))
        ereport(ERROR, (errcode(kInvalidArgument), errmsg("threshold must not be null")));
    if (PG_ARGISNULL(1))
        ereport(ERROR, (errcode(kInvalidArgument), errmsg("force must not be null")));
    Interval *threshold = PG_GETARG_INTERVAL_P(0);
    bool force = PG_GETARG_BOOL(1);
    Interval zero{};
    if (DatumGetBool(DirectFunctionCall2(interval_le, IntervalPGetDatum(threshold),
                                         IntervalPGetDatum(&zero))))
        ereport(ERROR, (errcode(kInvalidArgument),
                        errmsg("threshold must be a positive interval")));

    // The sweep's owner, presence_sweeper, bypasses row-level security: it is the one
    // function that spans every tenant by design.
    spi_connect();

    // One statement: lock the stale rows no writer holds, count what each workspace would
    // lose, hold back the workspaces past the guard, flip the rest, record the held ones.
    // The guard holds a workspace of at least min_agents agents (offline ones included)
    // when more than share of its live agents are stale; only workspaces with stale agents
    // are counted.
    static Oid types[] = {TIMESTAMPTZOID, BOOLOID, FLOAT8OID, INT4OID, INTERVALOID,
                          TIMESTAMPTZOID};
    SPIPlanPtr plan = saved_plan(
        &plan_sweep,
        "WITH stale AS ("
        "  SELECT a.workspace_id, a.agent_id FROM presence.agents a"
        "  WHERE a.status <> 'offline' AND a.seen_at < $1"
        "  FOR UPDATE SKIP LOCKED"
        "), stale_count AS ("
        "  SELECT workspace_id, count(*) AS stale FROM stale GROUP BY workspace_id"
        "), counted AS ("
        "  SELECT a.workspace_id, count(*) AS agents,"
        "         count(*) FILTER (WHERE a.status <> 'offline') AS live"
        "  FROM presence.agents a"
        "  WHERE NOT $2 AND a.workspace_id IN (SELECT workspace_id FROM stale_count)"
        "  GROUP BY a.workspace_id"
        "), held AS ("
        "  SELECT s.workspace_id, c.live, s.stale"
        "  FROM stale_count s JOIN counted c USING (workspace_id)"
        "  WHERE c.agents >= $4 AND s.stale > $3 * c.live"
        "), flipped AS ("
        "  UPDATE presence.agents a"
        "  SET status = 'offline', details = '{\"reason\":\"idle_timeout\"}'::jsonb,"
        "      since = $6"
        "  FROM stale s"
        "  WHERE a.workspace_id = s.workspace_id AND a.agent_id = s.agent_id"
        "    AND NOT EXISTS (SELECT 1 FROM held h WHERE h.workspace_id = s.workspace_id)"
        "  RETURNING 1"
        "), logged AS ("
        "  INSERT INTO presence.sweep_guard_events"
        "      (occurred_at, workspace_id, live_agents, stale_agents, threshold, max_share)"
        "  SELECT $6, workspace_id, live, stale, $5, $3 FROM held"
        "  RETURNING workspace_id, live_agents, stale_agents"
        ")"
        "SELECT f.n, g.workspace_id, g.live_agents, g.stale_agents"
        "  FROM (SELECT count(*)::integer AS n FROM flipped) f"
        "  LEFT JOIN logged g ON true ORDER BY g.workspace_id",
        6, types);
    TimestampTz now = GetCurrentStatementStartTimestamp();
    Datum cutoff = DirectFunctionCall2(timestamptz_mi_interval, TimestampTzGetDatum(now),
                                       IntervalPGetDatum(threshold));
    Datum values[6] = {cutoff,
                       BoolGetDatum(force),
                       Float8GetDatum(guard_max_share),
                       Int32GetDatum(guard_min_agents),
                       IntervalPGetDatum(threshold),
                       TimestampTzGetDatum(now)};
    spi_run(plan, values, nullptr, false, SPI_OK_SELECT);

    bool isnull;
    int32 flipped = DatumGetInt32(
        SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
    for (uint64 i = 0; i < SPI_processed; i++) {
        HeapTuple tup = SPI_tuptable->vals[i];
        TupleDesc desc = SPI_tuptable->tupdesc;
        char *ws = SPI_getvalue(tup, desc, 2);
        if (ws == nullptr)
            continue;
        ereport(WARNING,
                (errmsg("sweep held back for workspace \"%s\": %s of its %s live agents "
                        "are stale",
                        ws, SPI_getvalue(tup, desc, 4), SPI_getvalue(tup, desc, 3)),
                 errdetail("Flipping more than %g of a workspace's live agents at once "
                           "looks like a broken heartbeat path, not idle agents.",
                           guard_max_share),
                 errhint("Recorded in presence.sweep_guard_events. Call "
                         "presence.presence_sweep_offline(threshold, force => true) to "
                         "sweep it anyway.")));
    }
    SPI_finish();
    PG_RETURN_INT32(flipped);
}
