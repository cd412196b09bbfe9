-- Scenario 2a: Village ban of distinct pre-seeded active users (b<i>@bench.test).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
function request()
  local i = next_index()
  local body = '{"user": "b' .. i .. '@bench.test", "status_change": "ban"}'
  return wrk.format("POST", "/networks/default/user_status",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end
