-- Any kernel as a workload: rl.workload{...} turns a few user functions into the interface the runner
-- drives (workloads/init.lua), so seeds, sweeps, verification on a poisoned output, the C timing loops,
-- gates and every report work for kernels that are not resamplers.
--   rl.workload {
--     name = "softmax",
--     axes = { "rows", "cols" },                          -- the point axes it reads (others: extra)
--     inputs = function(point, seed) return {x = tensor, ...} end,   -- host tensors (and plain values)
--     output = function(inputs, point) return shape, dtype end,      -- the output buffer to allocate
--     reference = function(inputs, point) return f64 host tensor end, -- in Lua or through a CPU backend
--     bytes = function(point) return minimum bytes end,
--     tolerance = { rtol =, atol =, ulps = },            -- for rl.compare (default: its dtype defaults)
--     backends = {
--       cuda = { device = "cuda", kernel = k,            -- rl.cuda.module{...}:kernel(name, sig), or a
--                                                        -- function returning it (compiled on first use)
--                launch = function(inputs, out, point) return {grid =, block =, shared =}, {args...} end },
--       lua = { device = "cpu", run = function(inputs, out, point) ... end },   -- timed with rl.bench.lua
--     },
--   }
-- A CUDA backend is launched with rl.cuda.launch (verification) and timed with rl.bench.launch (hot,
-- cold, graph; rotate); a CPU backend's run is a Lua function (or calls into C) timed by rl.bench.lua.
local core = require "robolua.core"
local M = {}

local function need(spec, key, ty)
  if type(spec[key]) ~= ty then error(string.format("workload.%s: expected a %s, got %s", key, ty, type(spec[key])), 3) end
end

-- The compare rule of a tolerance table (or of rl.compare's defaults), in one sentence for the reports.
local function verification_rule(t)
  if type(t) ~= "table" or next(t) == nil then
    return "rl.compare's defaults: f32 |err| <= 1e-6 + 1e-6·|ref|; bf16/f16 <= 1 ulp of the stored type + 1e-6; "
      .. "f64 <= 1e-12 + 1e-12·|ref|"
  end
  local parts = {}
  for _, k in ipairs { "atol", "rtol", "ulps" } do
    if t[k] ~= nil then parts[#parts + 1] = k .. " = " .. tostring(t[k]) end
  end
  return "|err| <= atol + rtol·|ref| + ulps·ulp, the workload's tolerance (" .. table.concat(parts, ", ")
    .. "; the others at rl.compare's dtype defaults)"
end

local keys = { "axes", "backends", "bytes", "inputs", "name", "output", "reference", "tolerance" }

function M.new(spec)
  if type(spec) ~= "table" then error("rl.workload: expected a table {name=, inputs=, output=, reference=, backends=}", 2) end
  require("robolua.usage").check_keys("rl.workload", spec, keys, 2) -- (toleranse = ... must not be ignored)
  need(spec, "name", "string")
  for _, k in ipairs { "inputs", "output", "reference" } do need(spec, k, "function") end
  need(spec, "backends", "table")
  local usage = require "robolua.usage"
  if spec.axes ~= nil then
    need(spec, "axes", "table")
    local problem = usage.list_problem(spec.axes, "workload.axes")
    if problem then error(problem, 2) end
    for i, a in ipairs(spec.axes) do
      if type(a) ~= "string" then error(string.format("workload.axes[%d]: expected an axis name (a string), got %s", i, type(a)), 2) end
    end
  end
  -- the tolerance is rl.compare's: checked here, before anything is measured, so that a misspelt or
  -- negative one is the scenario's error (exit 2), not every point's verification failing as if the
  -- kernel were wrong
  if spec.tolerance ~= nil then
    need(spec, "tolerance", "table")
    -- rl.compare itself judges the table (its keys and ranges are defined once, in C), on a one-element pair
    local ok, err = pcall(core.compare, core.tensor({ 0 }, { 1 }, "f32"), core.tensor({ 0 }, { 1 }, "f64"), spec.tolerance)
    if not ok then error("workload.tolerance: " .. tostring(err):gsub("^compare: ", ""), 2) end
  end
  for name, b in pairs(spec.backends) do
    local where = "workload.backends." .. tostring(name)
    if type(b) ~= "table" or (b.device ~= "cpu" and b.device ~= "cuda") then error(where .. ": expected {device = \"cpu\"|\"cuda\", ...}", 2) end
    usage.check_keys(where, b, b.device == "cuda" and { "device", "kernel", "launch" } or { "device", "run" }, 2)
    if b.device == "cuda" and (type(b.launch) ~= "function" or b.kernel == nil) then
      error(where .. ": a CUDA backend needs kernel = (from rl.cuda.module{...}:kernel, or a function returning one: compiled on first use) and launch = function(inputs, out, point)", 2)
    end
    if b.device == "cpu" and type(b.run) ~= "function" then error(where .. ": a CPU backend needs run = function(inputs, out, point)", 2) end
  end
  if spec.bytes ~= nil then need(spec, "bytes", "function") end
  local w = { name = spec.name, axes = spec.axes or {}, backends = spec.backends, verification = verification_rule(spec.tolerance) }

  function w.config(point) -- the point itself is the configuration: the user's functions read its axes
    local c = {}
    for k, v in pairs(point) do c[k] = v end
    return c
  end
  function w.label(c)
    local parts = {}
    for _, a in ipairs(w.axes) do
      if c[a] ~= nil then parts[#parts + 1] = a .. "=" .. (type(c[a]) == "table" and table.concat(c[a], "x") or tostring(c[a])) end
    end
    return #parts > 0 and table.concat(parts, " ") or spec.name
  end
  function w.bytes(c) return spec.bytes and spec.bytes(c) or nil end
  function w.inputs(c, seed)
    local t = spec.inputs(c, seed)
    if type(t) ~= "table" then error("workload.inputs(point, seed) must return a table of tensors and values", 0) end
    t.owned = t.keep ~= true -- the runner closes them after the configuration unless keep = true
    t.keep = nil
    return t
  end
  function w.to_device(inputs, device, reuse)
    if device == "cpu" then return inputs end
    local out = reuse or {}
    for k, v in pairs(inputs) do
      if k == "owned" then -- host bookkeeping, not an input
      elseif type(v) == "userdata" and v.device == "cpu" then
        if reuse and reuse[k] then reuse[k]:copy_from(v) else out[k] = v:to(device) end
      elseif not reuse then
        out[k] = v
      end
    end
    out.on_device = true
    return out
  end
  function w.tensors(set)
    local out = {}
    for _, v in pairs(set) do
      if type(v) == "userdata" and (set.on_device or set.owned) then out[#out + 1] = v end
    end
    return out
  end
  function w.reference(inputs, c)
    local ref = spec.reference(inputs, c)
    if type(ref) ~= "userdata" or ref.dtype ~= "f64" or ref.device ~= "cpu" then
      error("workload.reference(inputs, point) must return a host f64 tensor", 0)
    end
    return ref
  end
  function w.output(c, inputs, device)
    local shape, dtype = spec.output(inputs, c)
    return core.empty(shape, dtype or "f32", { device = device })
  end
  function w.poison(out) return out:fill(0 / 0) end
  local function backend(name)
    local b = spec.backends[name]
    if not b then error("workload " .. spec.name .. " has no backend '" .. tostring(name) .. "'", 0) end
    if type(b.kernel) == "function" then b.kernel = b.kernel() end -- compiled where it is first needed
    return b
  end
  function w.run(name, inputs, out, c)
    local b = backend(name)
    if b.device == "cuda" then
      local cfg, args = b.launch(inputs, out, c)
      require("robolua").cuda.launch(b.kernel, cfg, args)
      return out
    end
    b.run(inputs, out, c)
    return out
  end
  function w.compare(out, ref)
    local host = out.device == "cpu" and out or out:to("cpu")
    local r = core.compare(host, ref, spec.tolerance)
    if host ~= out then host:close() end
    return r
  end
  function w.time(name, inputs, out, c, o)
    local b = backend(name)
    if b.device == "cuda" then
      local cfg, args = b.launch(inputs, out, c)
      if o.nvtx then core.nvtx.push(o.nvtx) end
      local ok, r = pcall(require("robolua").bench.launch, b.kernel, cfg, args, { warmup = o.warmup, repeats = o.repeats,
        mode = c.mode, rotate = o.rotate, batch = o.graph_batch })
      if o.nvtx then core.nvtx.pop() end
      if not ok then error(r, 0) end
      return r
    end
    if c.mode ~= "hot" then error("a Lua CPU backend is timed hot only", 0) end
    return core.bench.lua(function() b.run(inputs, out, c) end, { warmup = o.warmup, repeats = o.repeats })
  end
  return require("robolua.workloads").check(w, "rl.workload " .. spec.name)
end

return M
