-- wrk script for bench/roster_http.sh: every request reads the roster of a random crew with
-- the token of that crew's workspace.
--
--   ROSTER_PAIRS  a file of "crew_id workspace_id token" lines (required)
--   ROSTER_PATH   when set, every request goes to this path instead, with the same headers
--                 (the static-file ceiling)
--
-- The requests are formatted once per thread, so a request costs wrk a random number and a
-- table look-up. Tokens are read from the file, never from the command line.

local pairs_file = assert(os.getenv("ROSTER_PAIRS"), "ROSTER_PAIRS is not set")
local fixed_path = os.getenv("ROSTER_PATH")
if fixed_path == "" then
    fixed_path = nil
end
local requests = {}
local count = 0
local threads = 0

function setup(thread)
    threads = threads + 1
    thread:set("thread_no", threads)
end

function init(args)
    for line in io.lines(pairs_file) do
        local crew, token = line:match("^(%S+) %S+ (%S+)$")
        if crew then
            count = count + 1
            local path = fixed_path or ("/api/v1/presence/roster?crew_id=" .. crew)
            requests[count] = wrk.format("GET", path, {Authorization = "Bearer " .. token})
        end
    end
    assert(count > 0, "no crew_id workspace_id token lines in " .. pairs_file)
    math.randomseed(os.time() * 100 + (thread_no or 0))
end

function request()
    return requests[math.random(count)]
end
