-- wrk script for bench/soak.sh: a mix of roster requests that must answer 200, 401, 403 and
-- 404, chosen at random per request, and a count of every status seen.
--
--   ROSTER_PAIRS  a file of "crew_id workspace_id token" lines (required; at least two
--                 workspaces)
--   SOAK_MIX      weights of the kinds, default "200:70,401:10,403:10,404:10"
--
-- The kinds:
--   200  a crew with the token of its own workspace
--   401  a well-formed token nobody issued
--   403  a workspace's token with X-Workspace-Id naming another workspace
--   404  a workspace's token with a crew of another workspace
--
-- Requests are formatted once per thread. done() prints one "status CODE COUNT" line per
-- status seen, for the soak script to check against the mix.

local pairs_file = assert(os.getenv("ROSTER_PAIRS"), "ROSTER_PAIRS is not set")
local mix_spec = os.getenv("SOAK_MIX")
if mix_spec == nil or mix_spec == "" then
    mix_spec = "200:70,401:10,403:10,404:10"
end

local roster = "/api/v1/presence/roster"
local kinds, cumulative, total_weight = {}, {}, 0
local threads = {}
counts = {}

function setup(thread)
    table.insert(threads, thread)
    thread:set("thread_no", #threads)
end

local function random_token()
    local alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_"
    local t = {}
    for i = 1, 43 do
        local k = math.random(#alphabet)
        t[i] = alphabet:sub(k, k)
    end
    return "prs_" .. table.concat(t)
end

function init(args)
    math.randomseed(os.time() * 100 + (thread_no or 0))
    local lines = {}
    for line in io.lines(pairs_file) do
        local crew, ws, token = line:match("^(%S+) (%S+) (%S+)$")
        if crew then
            table.insert(lines, {crew = crew, ws = ws, token = token})
        end
    end
    assert(#lines > 1, "no crew_id workspace_id token lines in " .. pairs_file)

    -- A line of another workspace than line i's, found by stepping on from a random line.
    local function other(i)
        local j = math.random(#lines)
        while lines[j].ws == lines[i].ws do
            j = j % #lines + 1
        end
        return lines[j]
    end

    local made = {["200"] = {}, ["401"] = {}, ["403"] = {}, ["404"] = {}}
    for i, l in ipairs(lines) do
        local auth = "Bearer " .. l.token
        table.insert(made["200"], wrk.format("GET", roster .. "?crew_id=" .. l.crew,
            {Authorization = auth}))
        table.insert(made["403"], wrk.format("GET", roster .. "?crew_id=" .. l.crew,
            {Authorization = auth, ["X-Workspace-Id"] = other(i).ws}))
        table.insert(made["404"], wrk.format("GET", roster .. "?crew_id=" .. other(i).crew,
            {Authorization = auth}))
        table.insert(made["401"], wrk.format("GET", roster .. "?crew_id=" .. l.crew,
            {Authorization = "Bearer " .. random_token()}))
    end

    for part in mix_spec:gmatch("[^,]+") do
        local kind, weight = part:match("^(%d+):(%d+)$")
        assert(kind and made[kind], "SOAK_MIX: unknown kind in " .. part)
        weight = tonumber(weight)
        if weight > 0 then
            total_weight = total_weight + weight
            table.insert(kinds, made[kind])
            table.insert(cumulative, total_weight)
        end
    end
    assert(total_weight > 0, "SOAK_MIX has no weight")
end

function request()
    local r = math.random(total_weight)
    local k = 1
    while cumulative[k] < r do
        k = k + 1
    end
    local list = kinds[k]
    return list[math.random(#list)]
end

function response(status, headers, body)
    counts[status] = (counts[status] or 0) + 1
end

function done(summary, latency, requests)
    local all = {}
    for _, t in ipairs(threads) do
        local c = t:get("counts")
        for status, n in pairs(c or {}) do
            all[status] = (all[status] or 0) + n
        end
    end
    for status, n in pairs(all) do
        io.write(string.format("status %d %d\n", status, n))
    end
    local e = summary.errors
    io.write(string.format("errors connect %d read %d write %d timeout %d\n",
        e.connect, e.read, e.write, e.timeout))
    for _, p in ipairs({50, 90, 99, 99.9}) do
        io.write(string.format("latency p%s %.2f ms\n", p, latency:percentile(p) / 1000))
    end
    io.write(string.format("latency max %.2f ms\n", latency.max / 1000))
end
