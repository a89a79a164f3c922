dofile(os.getenv("BENCH_LUA") .. "/common.lua")
-- 90 % member status reads, 10 % storefront awards.
request = function()
  if math.random(1, 10) == 1 then return award_request() end
  return status_request()
end
