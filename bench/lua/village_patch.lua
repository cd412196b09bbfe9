-- Scenario 3: Village PATCH of a random pre-seeded user (p<i>@bench.test) with a name that
-- differs on every request (so each one writes, bumps the version and appends an event).
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
local letters = "abcdefghijklmnopqrstuvwxyz"
local function name(k)
  local s = ""
  repeat
    local d = k % 26
    s = s .. string.sub(letters, d + 1, d + 1)
    k = math.floor(k / 26)
  until k == 0
  return "N" .. s
end
function request()
  n = n + 1
  local i = math.random(1, pool)
  local body = '{"first_name": "' .. name(n * 16 + tid) .. '"}'
  return wrk.format("PATCH", "/networks/default/users/p" .. i .. "%40bench.test",
    {["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json"}, body)
end
