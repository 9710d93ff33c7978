-- The one wrk script every flow uses (bench/load.py writes its arguments).
--
--   wrk ... -s load.lua URL -- method=POST path=/x body=... h1="Name: value" pool=FILE mode=cycle threads=N
--
-- Templates (path, body, h1..h3) take {1}..{9} (tab-separated fields of the pool line the request
-- uses), {t} (the wrk thread), {n} (a per-thread request counter) and {r} (the run's name: with
-- {t} and {n}, unique across runs).
-- mode=cycle  each thread cycles through its share of the pool (any pool size works)
-- mode=once   each pool line is used once; a thread whose share runs out stops (its end time is kept)
-- mode=chain  a rotating token: each 2xx answer's first capture of `chain` (a Lua pattern) goes
--             back into the thread's queue for a later request; the pool seeds the queues
-- Prints one line "BENCHJSON {...}" with counts and latency percentiles (microseconds).

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function now_ns()
  local p = io.popen("date +%s%N")
  local t = tonumber(p:read("*l"))
  p:close()
  return t
end

-- "a{1}b{n}" -> {"a", 1, "b", "n"}: literal strings and slots
local function compile(template)
  local parts, pos = {}, 1
  while true do
    local s, e, slot = string.find(template, "{([%dntr])}", pos)
    if not s then break end
    if s > pos then table.insert(parts, string.sub(template, pos, s - 1)) end
    table.insert(parts, tonumber(slot) or slot)
    pos = e + 1
  end
  if pos <= #template then table.insert(parts, string.sub(template, pos)) end
  return parts
end

local function render(parts, fields)
  local out = {}
  for i, p in ipairs(parts) do
    if type(p) == "number" then out[i] = fields[p] or ""
    elseif p == "n" then out[i] = tostring(counter)
    elseif p == "t" then out[i] = tostring(tid)
    elseif p == "r" then out[i] = run_name
    else out[i] = p end
  end
  return table.concat(out)
end

local function split_tabs(line)
  local fields = {}
  for f in string.gmatch(line, "([^\t]*)\t?") do
    if #fields >= 9 then break end
    table.insert(fields, f)
  end
  return fields
end

function init(args)
  local opts = {}
  for _, a in ipairs(args) do
    local k, v = string.match(a, "^([%w_]+)=(.*)$")
    if k then opts[k] = v end
  end
  method = opts.method or "GET"
  run_name = opts.run or ""
  mode = opts.mode or "cycle"
  chain = opts.chain
  path_t = compile(opts.path or "/")
  body_t = opts.body and compile(opts.body) or nil
  header_t = {}
  for _, key in ipairs({"h1", "h2", "h3"}) do
    if opts[key] then
      local name, value = string.match(opts[key], "^([^:]+):%s*(.*)$")
      header_t[name] = compile(value)
    end
  end
  counter, non2xx, starved, done_at = 0, 0, 0, 0
  pool, head, tail = {}, 1, 0
  if opts.pool then
    local nthreads, i = tonumber(opts.threads or "1"), 0
    for line in io.lines(opts.pool) do
      if line ~= "" then
        if i % nthreads == tid then
          tail = tail + 1
          pool[tail] = split_tabs(line)
        end
        i = i + 1
      end
    end
  end
  started_at = now_ns()
end

local empty = {}

function request()
  local fields = empty
  if tail > 0 or mode ~= "cycle" then
    if head > tail then
      -- once: this thread's share is used up; chain: every token is in flight or lost
      if mode == "chain" then starved = starved + 1 end
      if done_at == 0 then done_at = now_ns() end
      wrk.thread:stop()
      return wrk.format("GET", "/health")
    end
    fields = pool[head]
    if mode == "cycle" then
      head = head % tail + 1
    else
      pool[head] = nil
      head = head + 1
    end
  end
  counter = counter + 1
  local headers = {}
  for name, parts in pairs(header_t) do headers[name] = render(parts, fields) end
  return wrk.format(method, render(path_t, fields), headers, body_t and render(body_t, fields) or nil)
end

-- Only when asked (BENCH_RESPONSES=1, read when wrk loads the script): a response callback makes
-- wrk hand every body to Lua, which costs the load generator time. wrk itself counts statuses
-- >= 400 (status_errors); this counts the other non-2xx (1xx, 3xx).
if os.getenv("BENCH_RESPONSES") == "1" then
  function response(status, headers, body)
    if status < 200 or status > 299 then
      if status < 400 then non2xx = non2xx + 1 end
      return
    end
    if mode == "chain" then
      local token = string.match(body, chain)
      if token then
        tail = tail + 1
        pool[tail] = {token}
      end
    end
  end
end

function done(summary, latency, requests)
  local non2, starve, longest, all_done = 0, 0, 0, true
  for _, t in ipairs(threads) do
    non2 = non2 + (t:get("non2xx") or 0)
    starve = starve + (t:get("starved") or 0)
    local d, s = t:get("done_at") or 0, t:get("started_at") or 0
    if d > 0 then
      if d - s > longest then longest = d - s end
    else
      all_done = false
    end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCHJSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,"read_errors":%d,' ..
    '"write_errors":%d,"status_errors":%d,"timeouts":%d,"non2xx":%d,"starved":%d,' ..
    '"stopped_early_us":%d,"p50_us":%d,"p90_us":%d,"p95_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status, e.timeout,
    non2, starve, all_done and math.floor(longest / 1000) or 0,
    latency:percentile(50), latency:percentile(90), latency:percentile(95), latency:percentile(99),
    latency.max, latency.mean))
end
