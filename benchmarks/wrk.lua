-- wrk script of the benchmarks (run.py starts wrk with one thread).
-- GET mode: the URL and headers come from the command line.
-- POST mode (BENCH_WRK_POSTS names a file): each line is one prepared one-tap log,
-- "path<TAB>cookie<TAB>csrf token<TAB>body", for a slot nothing is logged for yet; each
-- is sent once, and the run stops when they are used up.
-- Either way done() writes a JSON summary to BENCH_WRK_OUT.

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

posts = nil
index = 0
not_ok = 0

function init(args)
  local file = os.getenv("BENCH_WRK_POSTS")
  if file == nil or file == "" then
    return
  end
  posts = {}
  for line in io.lines(file) do
    local path, cookie, token, body = line:match("^([^\t]*)\t([^\t]*)\t([^\t]*)\t(.*)$")
    table.insert(posts, wrk.format("POST", path, {
      ["Cookie"] = cookie,
      ["X-CSRFToken"] = token,
      ["HX-Request"] = "true",
      ["Content-Type"] = "application/x-www-form-urlencoded",
    }, body))
  end
end

function request()
  if posts == nil then
    return wrk.request()
  end
  index = index + 1
  if index >= #posts then
    -- The last one may go out once per connection: run.py counts the rows it made.
    wrk.thread:stop()
    index = #posts
  end
  return posts[index]
end

function response(status, headers, body)
  if status ~= 200 then
    not_ok = not_ok + 1
  end
end

function done(summary, latency, requests)
  local failed = 0
  for _, thread in ipairs(threads) do
    failed = failed + (thread:get("not_ok") or 0)
  end
  local errors = summary.errors
  local out = assert(io.open(os.getenv("BENCH_WRK_OUT"), "w"))
  out:write(string.format(
    '{"requests": %d, "duration_us": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, ' ..
    '"mean_us": %.1f, "max_us": %d, "not_200": %d, "socket_errors": %d}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.mean, latency.max, failed,
    errors.connect + errors.read + errors.write + errors.timeout))
  out:close()
end
