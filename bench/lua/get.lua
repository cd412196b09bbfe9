-- GET a fixed path (lists, pages) with the API key, in both auth styles.
dofile(os.getenv("BENCH_LUA") .. "/common.lua")
function request()
  return wrk.format("GET", os.getenv("BENCH_PATH"),
    {["Authorization"] = "Bearer " .. key, ["X-User-Token"] = key})
end
