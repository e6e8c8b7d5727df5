-- wrk script: replays pre-signed requests (benches/serve/presign.py) in turn, on keep-alive
-- connections, and prints one machine-readable line at the end for run.sh.
--
--   wrk -t T -c C -d Ds -s replay.lua http://127.0.0.1:PORT -- REQUESTS_FILE
--
-- REQUESTS_FILE holds records of: the request's length in bytes, a newline, the request's
-- bytes (complete HTTP/1.1 requests, headers and body, sent as they are).

local requests = {}
local next_index = 0

function init(args)
  local path = args[1]
  if path == nil then
    error("usage: wrk ... -s replay.lua URL -- REQUESTS_FILE")
  end
  local f = assert(io.open(path, "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  while pos <= #data do
    local newline = data:find("\n", pos, true)
    if newline == nil then
      error("truncated requests file " .. path)
    end
    local length = tonumber(data:sub(pos, newline - 1))
    if length == nil or newline + length > #data then
      error("malformed requests file " .. path)
    end
    requests[#requests + 1] = data:sub(newline + 1, newline + length)
    pos = newline + length + 1
  end
  if #requests == 0 then
    error("no request in " .. path)
  end
  -- Each thread starts at its own place in the list, so threads do not send the same
  -- request at the same moment.
  next_index = math.random(#requests) - 1
end

function request()
  next_index = next_index % #requests + 1
  return requests[next_index]
end

function done(summary, latency, _)
  local e = summary.errors
  -- RESULT requests duration_us p50_us p99_us max_us errors(connect read write status timeout)
  io.write(string.format("RESULT %d %d %d %d %d %d %d %d %d %d\n",
    summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.status, e.timeout))
end
