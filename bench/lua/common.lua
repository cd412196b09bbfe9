-- Shared by the bench scripts: per-thread ids, and counting non-2xx answers as errors.
-- Each wrk thread has its own Lua state; setup() (in the main state) numbers them.
local counter = 1
local threads = {}
function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end
function init(args)
  base = tonumber(args[1] or "0")       -- first index of this run's slice
  per_thread = tonumber(args[2] or "0") -- indexes each thread may use
  pool = tonumber(args[3] or "0")       -- size of a pool to pick at random from
  key = args[4] or ""
  n = 0
  errors = 0
  math.randomseed(os.time() * 1000 + tid)
end
function next_index()
  n = n + 1
  if per_thread > 0 and n > per_thread then n = 1 end
  return base + (tid - 1) * per_thread + n
end
function response(status, headers, body)
  if status < 200 or status > 299 then
    errors = errors + 1
    if errors <= 3 then io.stderr:write("non-2xx " .. status .. ": " .. string.sub(body or "", 1, 200) .. "\n") end
  end
end
function done(summary, latency, requests)
  local e = 0
  for _, t in ipairs(threads) do e = e + (t:get("errors") or 0) end
  local out = string.format('{"requests": %d, "duration_us": %d, "non2xx": %d, "socket_errors": %d, "timeouts": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d, "mean_us": %.1f}',
    summary.requests, summary.duration, e,
    summary.errors.connect + summary.errors.read + summary.errors.write, summary.errors.timeout,
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max, latency.mean)
  io.stdout:write("WRKJSON " .. out .. "\n")
end
