dofile(os.getenv("BENCH_LUA") .. "/common.lua")
request = function() return status_request() end
