-- wrk script: POST recorded Dash request bodies (one JSON per line, file in env BENCH_BODIES) in turn.
-- Each connection walks the list from its own offset; every body is self-contained (Dash sends full state).
local bodies = {}
local i = 0
local headers = {["Content-Type"] = "application/json", ["Accept-Encoding"] = "gzip"}

function init(args)
  for line in io.lines(os.getenv("BENCH_BODIES")) do
    if #line > 0 then bodies[#bodies + 1] = line end
  end
  i = math.random(#bodies)
end

function request()
  i = i % #bodies + 1
  return wrk.format("POST", "/_dash-update-component", headers, bodies[i])
end
-- errors: wrk itself counts non-2xx/3xx responses and socket errors (no response() hook: it would slow wrk)
