-- Scenario 2b: native deactivate of distinct pre-seeded active users, by id
-- (ids dddddddd-0000-4000-8000-<i, 12 digits>).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
function request()
  local i = next_index()
  local id = string.format("dddddddd-0000-4000-8000-%012d", i)
  return wrk.format("POST", "/v1/users/" .. id .. "/deactivate",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, "{}")
end
