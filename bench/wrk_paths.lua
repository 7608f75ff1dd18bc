-- wrk script for bench/serve_bench.py: each connection cycles through the request targets in
-- the file named by $ARTIDX_WRK_PATHS (one per line), starting at its own offset; with
-- $ARTIDX_WRK_DELAY_MS, each connection waits that long before each request (a paced load).
local paths = {}
local counter = 0

function setup(thread)
  thread:set("id", counter)
  counter = counter + 1
end

function init(args)
  for line in io.lines(os.getenv("ARTIDX_WRK_PATHS")) do
    paths[#paths + 1] = line
  end
  next_index = (id * 7919) % #paths
  pause = tonumber(os.getenv("ARTIDX_WRK_DELAY_MS") or "0")
end

function request()
  next_index = next_index % #paths + 1
  return wrk.format("GET", paths[next_index])
end

function delay()
  return pause
end
