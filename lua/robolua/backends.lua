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

-- The core's argument errors carry the position of its caller; called from here that would be this file
-- (lua/robolua/backends.lua:55: tgt_times: ...). Called through pcall they carry none, and are raised
-- again at the line of the user's rl.resample / rl.bench.resample.
local function core_call(f, ...)
  local r = table.pack(pcall(f, ...))
  if r[1] then return r end
  error(r[2], type(r[2]) == "string" and 3 or 0) -- 1 here, 2 through, 3 the user's line
end

-- rl.resample (timed false) or rl.bench.resample (timed true) through any backend. M.resample and M.bench
-- call it in tail position, so its error levels count from the user's line.
local function through(timed, name, src, st, tt, opts)
  local b = M.get(name)
  if not b then unknown(name) end
  if not b.builtin then -- a registered backend takes the built-in ones' options: a misspelt one is an error
    core_call(core.check_resample_opts, opts, timed, timed and "bench.resample" or "resample")
    if timed then return b:bench(src, st, tt, opts or {}) end
    return b:resample(src, st, tt, opts or {})
  end
  local o = opts -- (not a table: the core names the error)
  if type(opts) == "table" then
    o = {}
    for k, v in pairs(opts) do o[k] = v end
    o.backend = name
  end
  local r = core_call(timed and core.bench.resample or core.resample, src, st, tt, o)
  return table.unpack(r, 2, r.n)
end

function M.resample(name, src, st, tt, opts) return through(false, name, src, st, tt, opts) end
function M.bench(name, src, st, tt, opts) return through(true, name, src, st, tt, opts) end

return M
