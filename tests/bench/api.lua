-- wrk's request generator for tests/bench/api.py (the API phase of `make bench`).
--
--   wrk -s api.lua <base url> -- <mode> <data file> <run name>
--
-- mode "health": GET /health (no data file needed);
-- mode "get":   GET /v1/children/{id}, rotating over the children;
-- mode "visit": POST /v1/children/{id}/visits, rotating over the children,
--               each with a fresh Idempotency-Key and If-Match set to the
--               child's current ETag (learnt from the previous answer).
-- The data file's first line is the bearer token, the second the visit date
-- (YYYY-MM-DD), then one line a child: "<child id> <ETag>".
-- done() prints one line, "BENCH {json}", that api.py reads.

local threads = {}
local thread_count = 0

function setup(thread)
   thread_count = thread_count + 1
   thread:set("number", thread_count)
   table.insert(threads, thread)
end

local mode
local children = {}
local etags = {}
local requests = {}
local auth
local visit_date
local key_prefix
local position = 0
local counter = 0
local last_child
non2xx = 0

local function visit_response(status, headers, body)
   if status < 200 or status > 299 then
      non2xx = non2xx + 1
   end
   local child = body and body:match('"child_id"%s*:%s*"([^"]+)"') or last_child
   local etag = headers["etag"] or headers["ETag"] or headers["Etag"]
   if child and etag then
      etags[child] = etag
   end
end

function init(args)
   mode = args[1]
   if mode == "health" then
      children[1] = "health"
      requests[1] = wrk.format("GET", "/health")
      return
   end
   local file = assert(io.open(args[2], "r"))
   auth = "Bearer " .. file:read("*l")
   visit_date = file:read("*l")
   for line in file:lines() do
      local id, etag = line:match("^(%S+)%s+(%S+)$")
      if id then
         children[#children + 1] = id
         etags[id] = etag
      end
   end
   file:close()
   -- Threads start at different children; keys differ between runs and threads.
   position = ((number - 1) * 17) % #children
   math.randomseed(os.time() + number * 7919)
   key_prefix = string.format("%s-%d-%d-", args[3] or "bench", number, math.random(1, 1e9))
   if mode == "get" then
      for i, id in ipairs(children) do
         requests[i] = wrk.format("GET", "/v1/children/" .. id, { ["Authorization"] = auth })
      end
   elseif mode == "visit" then
      response = visit_response
   else
      error("mode must be get or visit, not " .. tostring(mode))
   end
end

function request()
   position = position % #children + 1
   if mode ~= "visit" then
      return requests[position]
   end
   local id = children[position]
   counter = counter + 1
   last_child = id
   local headers = {
      ["Authorization"] = auth,
      ["Content-Type"] = "application/json",
      ["Idempotency-Key"] = key_prefix .. counter,
      ["If-Match"] = etags[id],
   }
   local body = string.format('{"visit_date":"%s","seen_alone":true}', visit_date)
   return wrk.format("POST", "/v1/children/" .. id .. "/visits", headers, body)
end

function done(summary, latency, requests)
   local counted = 0
   for _, thread in ipairs(threads) do
      counted = counted + (tonumber(thread:get("non2xx")) or 0)
   end
   local e = summary.errors
   -- Without a response() (mode get) wrk counts statuses over 399 itself.
   local non_2xx = math.max(counted, e.status)
   io.write(string.format(
      'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,'
         .. '"max_us":%d,"mean_us":%.1f,"non2xx":%d,"connect":%d,"read":%d,"write":%d,'
         .. '"timeout":%d}\n',
      summary.requests, summary.duration,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, latency.mean, non_2xx,
      e.connect, e.read, e.write, e.timeout))
end
