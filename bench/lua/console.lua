-- GET a console page (BENCH_PATH) as a signed-in admin: the session cookie is BENCH_COOKIE.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
function request()
  return wrk.format("GET", os.getenv("BENCH_PATH"), {["Cookie"] = os.getenv("BENCH_COOKIE")})
end
