-- SCIM's lookup as Okta runs it before a create: GET /Users?filter=userName eq "s<i>" of a
-- random seeded user of the scaling pool (usernames s1..s<pool>), in the default tenant.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
function request()
  local i = math.random(1, pool)
  return wrk.format("GET", string.format("/t/default/scim/v2/Users?filter=userName%%20eq%%20%%22s%d%%22", i),
    {["Authorization"] = "Bearer " .. key})
end
