-- Scenario 2c: Village ban of distinct pre-seeded active users (w<i>@bench.test), with one
-- webhook endpoint subscribed to `banned`: each ban also enqueues a delivery in its
-- transaction, and roster's worker sends it to a receiver on loopback while the load runs.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
function request()
  local i = next_index()
  local body = '{"user": "w' .. i .. '@bench.test", "status_change": "ban"}'
  return wrk.format("POST", "/networks/default/user_status",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end
