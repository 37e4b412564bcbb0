-- The trajectory resampler as a workload: everything the runner needs to measure it, and nothing the
-- runner knows about it. The interface (every workload has these; workloads/init.lua documents it):
--   axes                         the point axes this workload reads (others are carried as extra)
--   config(point, def)           the workload's view of a sweep point, checked (errors name the axis)
--   label(config), bytes(config) a human label; the minimum bytes (inputs read once, output written once)
--   inputs(config, seed, def, reuse)        host inputs for (config, seed); reuse: a set to refill
--   to_device(inputs, device, reuse)        the same inputs on a device
--   reference(inputs, config, reuse)        the float64 reference output
--   output(config, inputs, device)          an output buffer; poison(out) fills it with a value no
--                                           correct backend writes (NaN here; fusion uses -inf)
--   run(backend, inputs, out, config, o)    one call of a backend into out (o: threads, pin)
--   compare(out, ref, config, inputs)       {ok, bad, count, max_abs_err, max_ulp_err, first_bad, ...}
--   time(backend, inputs, out, config, o)   the C timing loop: {samples_ms, sm_clock_mhz, threads}
--                                           (o: warmup, repeats, rotate, graph_batch, nvtx, threads, pin)
--   tensors(set)                            the tensors of an input set (closed by the runner)
--   backends (optional)                     {name = {device = "cpu"|"cuda"}}: backends only this
--                                           workload has, besides the registered ones (backends.lua)
--   verification (optional)                 compare()'s rule in one sentence, for the reports
--   reference_bytes(config) (optional)      host bytes of one reference (and what reference() makes with it),
--                                           when reference() refills the reuse buffer it is given: the runner
--                                           then keeps one for all input sets (run/measure.lua)
local rl_core = require "robolua.core"
local backends = require "robolua.backends"
local usage = require "robolua.usage"
local M = { name = "resample" }

-- compare()'s rule, as rl.compare applies it with its defaults and the operands (the reports quote it).
M.verification = "f32: |err| <= 1e-6 + 1e-6·|ref| + 8·2^-24·(|a| + |b|), a and b the two source samples the "
  .. "element interpolates between; bf16/f16: <= 1 ulp of the stored type + 1e-6 + the same operand term"

M.axes = { "shape", "batch", "source_len", "target_len", "dim", "dtype", "timing" }

-- A size must be a positive integer; one that came from the shape axis is that axis's error (so that
-- -a shape=0x250x128 is named as typed), saying which of its parts.
local function check_size(name, v, from_shape)
  if v ~= nil and (math.type(v) ~= "integer" or v < 1) then
    if from_shape then usage.axis("shape", string.format("%s (%s) expected a positive integer, got %s", from_shape, name, tostring(v))) end
    usage.axis(name, "expected a positive integer, got " .. tostring(v))
  end
  return v
end
local shape_part = { batch = "B", source_len = "S", dim = "D", target_len = "T" }

function M.config(point, def)
  local c = {}
  local shape = point.shape
  if shape ~= nil then
    if type(shape) ~= "table" or #shape < 3 or #shape > 4 then usage.axis("shape", "expected {B, S, D} or {B, S, D, T}") end
    c.batch, c.source_len, c.dim, c.target_len = shape[1], shape[2], shape[3], shape[4]
  end
  for _, k in ipairs { "batch", "source_len", "dim", "target_len" } do
    if point[k] ~= nil then c[k] = point[k] end
    check_size(k, c[k], point[k] == nil and shape ~= nil and shape_part[k])
  end
  local custom = def and def.case
  if not custom then
    if not (c.batch and c.source_len and c.dim) then
      error("a point needs shape = {B, S, D} or the axes batch, source_len and dim (or a case function)", 0)
    end
    c.target_len = c.target_len or math.max(1, c.source_len // 2)
  end
  c.dtype = point.dtype or (not custom and "bf16" or nil) -- a custom case's tensors say it
  if c.dtype ~= nil and (type(c.dtype) ~= "string" or not rl_core.dtypes[c.dtype] or c.dtype == "f64" or c.dtype == "i64") then
    usage.axis("dtype", string.format("unknown or unsupported dtype '%s' (f32, bf16, f16)", tostring(c.dtype)))
  end
  c.timing = point.timing or "jitter"
  if c.timing ~= "jitter" and c.timing ~= "uniform" then
    usage.axis("timing", string.format("expected \"jitter\" or \"uniform\", got '%s'", tostring(c.timing)))
  end
  return c
end

-- Sizes a custom case left open come from the tensors it returned.
local function complete_from(c, inputs)
  local s, t = inputs.src.shape, inputs.tgt_times.shape
  local got = { batch = s[1], source_len = s[2], dim = s[3], target_len = t[2] }
  for k, v in pairs(got) do
    if c[k] == nil then
      c[k] = v
    elseif c[k] ~= v then
      error(string.format("case(point, seed): returned %s = %d, but the point says %d", k, v, c[k]), 0)
    end
  end
  if c.dtype == nil then c.dtype = inputs.src.dtype end
  if inputs.src.dtype ~= c.dtype then
    error(string.format("case(point, seed): returned src of dtype %s for a %s point", inputs.src.dtype, c.dtype), 0)
  end
end

function M.label(c)
  if not (c.batch and c.source_len and c.dim and c.target_len and c.dtype) then
    return (c.dtype or "") .. " (custom case)"
  end
  local parts = { string.format("%dx%dx%d T=%d", c.batch, c.source_len, c.dim, c.target_len), c.dtype }
  if c.timing ~= "jitter" then parts[#parts + 1] = c.timing end
  return table.concat(parts, " ")
end

-- Minimum bytes: src and both time arrays read once, the output written once.
function M.bytes(c)
  if not (c.batch and c.source_len and c.dim and c.target_len and c.dtype) then return nil end
  local es, ts = rl_core.dtypes[c.dtype].size, rl_core.dtypes.f32.size
  return c.batch * c.source_len * c.dim * es + c.batch * c.source_len * ts + c.batch * c.target_len * ts +
      c.batch * c.target_len * c.dim * es
end

-- One float64 output.
function M.reference_bytes(c)
  if not (c.batch and c.target_len and c.dim) then return nil end
  return c.batch * c.target_len * c.dim * rl_core.dtypes.f64.size
end

function M.inputs(c, seed, def, reuse)
  if def and def.case then
    local t = def.case(c, seed)
    if type(t) ~= "table" or not (t.src and t.src_times and t.tgt_times) then
      error("case(point, seed) must return {src=, src_times=, tgt_times=} (host tensors)", 0)
    end
    for _, k in ipairs { "src", "src_times", "tgt_times" } do
      if type(t[k]) ~= "userdata" or t[k].device ~= "cpu" then error("case(point, seed): " .. k .. " must be a host tensor", 0) end
    end
    complete_from(c, t)
    t.user_owned = true -- a user's case may keep its tensors: the runner never closes them
    return t
  end
  local opts = { batch = c.batch, source_len = c.source_len, target_len = c.target_len, dim = c.dim, dtype = c.dtype,
    seed = seed, timing = c.timing }
  if reuse then
    opts.into = reuse
    rl_core.trajectories(opts)
    return reuse
  end
  return rl_core.trajectories(opts)
end

function M.to_device(inputs, device, reuse)
  if device == "cpu" then return inputs end
  if reuse then
    reuse.src:copy_from(inputs.src)
    reuse.src_times:copy_from(inputs.src_times)
    reuse.tgt_times:copy_from(inputs.tgt_times)
    return reuse
  end
  return { src = inputs.src:to(device), src_times = inputs.src_times:to(device), tgt_times = inputs.tgt_times:to(device) }
end

function M.tensors(set)
  if set.user_owned then return {} end
  return { set.src, set.src_times, set.tgt_times }
end

function M.reference(inputs, c, reuse)
  return rl_core.resample(inputs.src, inputs.src_times, inputs.tgt_times, { backend = "reference", out = reuse })
end

function M.output(c, inputs, device)
  return rl_core.empty({ inputs.src.shape[1], inputs.tgt_times.shape[2], inputs.src.shape[3] }, inputs.src.dtype, { device = device })
end

function M.poison(out) return out:fill(0 / 0) end

function M.run(backend, inputs, out, c, o)
  return backends.resample(backend, inputs.src, inputs.src_times, inputs.tgt_times,
    { out = out, threads = o and o.threads or c.threads, pin = o and o.pin or nil })
end

-- The fp32 lerp's error is relative to its operands, not to its result: the bound follows the source
-- values each element interpolates between (rl.compare's operands; f32 times, as the generator makes).
function M.compare(out, ref, c, inputs)
  local host = out.device == "cpu" and out or out:to("cpu")
  local operands = inputs and inputs.src_times.dtype == "f32" and inputs.tgt_times.dtype == "f32" and inputs or nil
  local r = rl_core.compare(host, ref, { operands = operands })
  if host ~= out then host:close() end
  return r
end

function M.time(backend, inputs, out, c, o)
  return backends.bench(backend, inputs.src, inputs.src_times, inputs.tgt_times, {
    warmup = o.warmup, repeats = o.repeats, mode = c.mode, rotate = o.rotate, batch = o.graph_batch,
    threads = o.threads or c.threads, pin = o.pin, out = out, nvtx = o.nvtx })
end

return M
