-- Scenario 1: Village create_user without password; every request a new email.
-- args: base per_thread pool key
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
function request()
  local i = next_index()
  local body = '{"user": "c' .. i .. '@bench.test", "status_change": "create_user"}'
  return wrk.format("POST", "/networks/default/user_status",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end
