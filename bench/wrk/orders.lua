-- wrk script: POST /api/orders cycling through a file of JSON order bodies, one per line
-- (bench/e2e-rest.ts writes it from its seeded generator; `node dist/bench/e2e-rest.js
-- --write-bodies FILE` writes the same file by hand).
--
--   wrk -t1 -c64 -d5s -s bench/wrk/orders.lua http://127.0.0.1:18102 -- /tmp/bodies.txt
--
-- Cost: every request is formatted once in init() (wrk.format), so request() is a table
-- index; per-thread state only (each wrk thread has its own Lua state). Thread k starts at
-- offset k * 997 of the cycle so threads do not send the same sequence in lockstep.
-- No pipelining: uWS 20.x aborts pipelined HTTP requests (wrk pipelines only if a script
-- returns several requests from request(), which this one never does).
-- done() prints one line `WRK_JSON {...}` to stdout: counts, and latency in microseconds.

local reqs = {}
local n = 0
local pos = 0
local threads = {}
local next_ix = 0

function setup(thread)
  thread:set("wrk_ix", next_ix)
  next_ix = next_ix + 1
  table.insert(threads, thread)
end

function init(args)
  local path = args[1]
  if path == nil then
    io.stderr:write("orders.lua: give the bodies file after --\n")
    os.exit(2)
  end
  local f = assert(io.open(path, "r"))
  local headers = { ["Content-Type"] = "application/json" }
  for line in f:lines() do
    if #line > 0 then
      n = n + 1
      reqs[n] = wrk.format("POST", "/api/orders", headers, line)
    end
  end
  f:close()
  if n == 0 then
    io.stderr:write("orders.lua: no bodies in " .. path .. "\n")
    os.exit(2)
  end
  pos = ((tonumber(wrk_ix) or 0) * 997) % n
  statuses = {}
end

function request()
  pos = pos + 1
  if pos > n then pos = 1 end
  return reqs[pos]
end

function response(status, headers, body)
  statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
  -- Per-status counts live in each thread's Lua state: fetch them through thread:get.
  local by = {}
  for _, t in ipairs(threads) do
    local s = t:get("statuses")
    if s then
      for k, v in pairs(s) do by[tostring(k)] = (by[tostring(k)] or 0) + v end
    end
  end
  local parts = {}
  for k, v in pairs(by) do table.insert(parts, string.format("\"%s\":%d", k, v)) end
  local e = summary.errors
  io.write(string.format(
    "WRK_JSON {\"duration_us\":%d,\"requests\":%d,\"bytes\":%d," ..
    "\"errors\":{\"connect\":%d,\"read\":%d,\"write\":%d,\"status\":%d,\"timeout\":%d}," ..
    "\"statuses\":{%s}," ..
    "\"latency_us\":{\"min\":%d,\"mean\":%.1f,\"max\":%d,\"p50\":%d,\"p90\":%d,\"p99\":%d,\"p999\":%d}}\n",
    summary.duration, summary.requests, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout,
    table.concat(parts, ","),
    latency.min, latency.mean, latency.max,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9)))
end
