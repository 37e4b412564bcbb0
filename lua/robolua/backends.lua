-- Backends: the names a `backend` axis (and rl.resample's opts.backend) accepts. Built in: cpu, cuda and
-- reference (the float64 yardstick, never timed). Registered: a user's CUDA kernel or CPU library
-- (rl.cuda.kernel, rl.cpu.library), first-class everywhere a built-in is: verified, timed by the same C
-- loops, NVTX-named, profiled, gated, reported.
local core = require "robolua.core"
local M = {}

M.builtin = {
  cpu = { name = "cpu", device = "cpu", builtin = true },
  cuda = { name = "cuda", device = "cuda", builtin = true },
  reference = { name = "reference", device = "cpu", builtin = true, reference = true },
}
M.registered = {}

-- A backend object has: device ("cpu" | "cuda"), resample(src, st, tt, opts) -> out and
-- bench(src, st, tt, opts) -> {samples_ms, sm_clock_mhz, threads}; optionally describe() -> string.
function M.register(name, obj)
  if type(name) ~= "string" or not name:match("^[%a_][%w_%-]*$") then
    error("backends.register: name must be letters, digits, '_' or '-' (starting with a letter), got " .. tostring(name), 2)
  end
  if M.builtin[name] then error("backends.register: '" .. name .. "' is a built-in backend", 2) end
  if type(obj) ~= "table" or (obj.device ~= "cpu" and obj.device ~= "cuda") or type(obj.resample) ~= "function"
      or type(obj.bench) ~= "function" then
    error("backends.register: expected a backend (rl.cuda.kernel{...} or rl.cpu.library{...}), got " .. type(obj), 2)
  end
  obj.name = name
  M.registered[name] = obj
  return obj
end

function M.get(name) return M.builtin[name] or M.registered[name] end

function M.names()
  local out = { "cpu", "cuda", "reference" }
  local extra = {}
  for k in pairs(M.registered) do extra[#extra + 1] = k end
  table.sort(extra)
  table.move(extra, 1, #extra, 4, out)
  return out
end

local function unknown(name)
  error(string.format("opts.backend: unknown backend '%s' (known: %s)", tostring(name), table.concat(M.names(), ", ")), 3)
end

-- rl.resample through any backend.
function M.resample(name, src, st, tt, opts)
  if opts ~= nil and type(opts) ~= "table" then return core.resample(src, st, tt, opts) end -- the core names the error
  local b = M.get(name)
  if not b then unknown(name) end
  if b.builtin then
    local o = {}
    for k, v in pairs(opts or {}) do o[k] = v end
    o.backend = name
    return core.resample(src, st, tt, o)
  end
  return b:resample(src, st, tt, opts or {})
end

-- rl.bench.resample through any backend.
function M.bench(name, src, st, tt, opts)
  if opts ~= nil and type(opts) ~= "table" then return core.bench.resample(src, st, tt, opts) end
  local b = M.get(name)
  if not b then unknown(name) end
  if b.builtin then
    local o = {}
    for k, v in pairs(opts or {}) do o[k] = v end
    o.backend = name
    return core.bench.resample(src, st, tt, o)
  end
  return b:bench(src, st, tt, opts or {})
end

return M
