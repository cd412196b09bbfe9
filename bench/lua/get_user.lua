-- GET /v1/users/{id} of a random seeded user (ids 5caled00-0000-4000-8000-<i>).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
function request()
  local i = math.random(1, pool)
  return wrk.format("GET", string.format("/v1/users/5ca1ed00-0000-4000-8000-%012d", i),
    {["Authorization"] = "Bearer " .. key})
end
