dofile(os.getenv("BENCH_LUA") .. "/common.lua")
request = function() return award_request() end
