-- Scenario 5: POST /v1/sessions for one of the pool's users (l<i>@bench.test), right password.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
function request()
  local i = math.random(1, pool)
  local body = '{"email": "l' .. i .. '@bench.test", "password": "correct horse battery"}'
  return wrk.format("POST", "/v1/sessions",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end
