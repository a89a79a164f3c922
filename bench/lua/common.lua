-- Shared by the scenarios: per-thread ids, member tokens, and error counting that looks inside
-- 200 responses (a GraphQL error or a userError is a failure even with HTTP 200).
local threads = {}
local counter = 0
tokens = {}
members = tonumber(os.getenv("BENCH_MEMBERS") or "1000")
storefront = os.getenv("BENCH_STOREFRONT_TOKEN") or ""
-- The storefront's trusted award document (api/trusted/documents/), sent by id.
award_document = os.getenv("BENCH_AWARD_DOCUMENT") or ""
run = os.getenv("BENCH_RUN") or tostring(os.time())

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  app_errors = 0
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    table.insert(tokens, line)
  end
  math.randomseed(os.time() + (id or 0) * 7919)
end

function next_key()
  counter = counter + 1
  return run .. "-" .. (id or 0) .. "-" .. counter
end

function response(status, headers, body)
  if status == 200 and (body:find('"errors"', 1, true) or body:find('"userErrors":[{', 1, true)) then
    app_errors = app_errors + 1
    if os.getenv("BENCH_DEBUG") and app_errors <= 3 then io.write("BENCH_ERROR " .. body .. "\n") end
  end
end

function done(summary, latency, requests)
  local app = 0
  for _, thread in ipairs(threads) do
    app = app + (thread:get("app_errors") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "p50_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"http_errors": %d, "socket_errors": %d, "app_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(95),
    latency:percentile(99), e.status, e.connect + e.read + e.write + e.timeout, app))
end

function award_body()
  local member = math.random(1, members)
  local total = math.random(100, 20000) / 100
  return string.format(
    '{"documentId":"%s",' ..
    '"variables":{"input":{"idempotencyKey":"%s","externalId":"m%d","source":{"order":{"orderId":"%s","total":"%.2f","currency":"EUR",' ..
    '"lines":[{"sku":"sku-%d","category":"shoes","quantity":1,"unitPrice":"%.2f"}]}}}}}',
    award_document, next_key(), member, next_key(), total, member % 50, total)
end

-- The mobile app's status screen (bench/screen.py).
STATUS_QUERY = os.getenv("BENCH_STATUS_BODY")

function award_request()
  return wrk.format("POST", "/graphql", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. storefront}, award_body())
end

function status_request()
  local token = tokens[math.random(1, #tokens)]
  return wrk.format("POST", "/graphql", {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, STATUS_QUERY)
end
