-- Multi-stream fusion (rl.fuse, doc/robot.md) as a workload: several sensor streams, each at its own
-- rate, resampled onto one policy timeline in one pass, with interpolation modes per channel range,
-- exact clocks and ragged episodes. The interface is resample.lua's (documented there and in
-- workloads/init.lua); this file only says what is particular to fusion.
--
-- Axes (a point's view, checked by config; errors name the axis):
--   batch        episodes per call (required)
--   duration_s   padded episode length in seconds (default 10)
--   policy_hz    the target clock (default 50): T = floor(duration_s * policy_hz) targets per row
--   streams      a stream-set preset (M.presets; default "robot4": camera 30 Hz x 64, events 100 Hz x 2
--                held, joints 500 Hz x 14, imu 1000 Hz x 10 with a quaternion (slerp) in channels [0, 4))
--   dtype        the sources' value dtype: f32 (default), bf16, f16
--   out_dtype    the output's dtype: f32 (default, the engine's), bf16, f16
--   ragged       false (default): every row full; true: episodes of half to all of duration_s, padded
--   clock        "relative" (f32 seconds, default), "epoch_f64" (f64 epoch seconds), "epoch_i64" (i64 ns)
-- Inputs: rl.robot_episodes with these parameters and the seed (deterministic on every machine), or the
-- scenario's case(config, seed) -> a fuse spec {streams = {{src=, src_times=, src_len=, modes=, name=}, ...},
-- tgt_times=, tgt_len=} of host tensors: your own recorded streams. With a case, sizes, dtypes and the
-- byte count come from the tensors it returns (the first seed's), the generator's axes are refused, and
-- out_dtype is the one axis of this workload that still applies; your own axes are in config.extra.
-- Backends: cpu (the fused CPU pass), cuda (the fused kernel: one launch), cuda_per_stream (the same
-- kernel launched once per stream: the baseline one launch per stream costs); a registered backend
-- runs if it has fuse(self, spec, opts) and bench_fuse(self, spec, opts) methods.
-- Verification (compare): the output against rl.fuse's float64 reference, every element, with the
-- resampler's rule (workloads/resample.lua, doc/reliability.md item 9): the fp32 lerp a + w (b - a) errs
-- relative to its operands, not to its result, so a linear channel's element may also differ by
-- 8 * 2^-24 * (|a| + |b|), a and b the two source samples its lerp used (the reference pass reports them:
-- rl.fuse's operands, rl.compare's operand_sums). Near a zero crossing between large samples the result
-- is tiny and the rounding error is not: an output-relative bound rejects correct output there.
--   f32 output: |got - want| <= 1e-6 + 1e-6 |want| + that operand term;
--   bf16/f16 output: |got - want| <= 1e-6 + 1 ulp of the output dtype (the f32 result rounded once) + the
--     operand term;
--   hold and nearest copy a sample (no operand term), so a wrong choice is off by a whole sample step and
--     fails; slerp's output is a unit quaternion, within the 1e-6 (no operand term either);
--   padded targets (t >= tgt_len[b]) must hold the fill value, NaN: the reference writes NaN there and
--   rl.compare passes NaN only against NaN. poison() therefore fills with -inf, not NaN, so a backend
--   that leaves padding unwritten fails too.
local rl = require "robolua.core"
local backends = require "robolua.backends"
local usage = require "robolua.usage"
local fuse_bytes = require "robolua.workloads.fuse_bytes"
local M = { name = "fuse" }

M.axes = { "batch", "duration_s", "policy_hz", "streams", "dtype", "out_dtype", "ragged", "clock" }
M.backends = { cuda_per_stream = { device = "cuda" } }

-- Stream-set presets: rl.robot_episodes stream tables. Add one with require("robolua.workloads.fuse").presets.
M.presets = {
  robot4 = {
    { name = "camera", rate = 30, dim = 64 },                              -- image features: linear
    { name = "joints", rate = 500, dim = 14 },                             -- joint positions: linear
    { name = "imu", rate = 1000, dim = 10, quat = { from = 0, to = 4 } },  -- orientation (slerp) + rates
    { name = "events", rate = 100, dim = 2, discrete = true },             -- gripper/contact states: hold
  },
}

-- How the minimum bytes are counted (bytes() and min_bytes(); the reports quote it): fuse_bytes.lua.
M.bytes_rule = fuse_bytes.rule

-- The robot_fusion report's note on the DRAM floor under the same-size copy gate. The figures were
-- measured on an H100 (kernels/NOTES.md, "What bounds it"); card (the run's CUDA device name, or nil):
-- on another card the note says they are not this card's.
function M.dram_floor_note(card)
  local note = "The same-size copy gate against this workload's DRAM floor: the 500 Hz and 1 kHz streams are read "
    .. "two rows per target, and the DRAM moves 64-byte units, 1.4-1.6x those rows' bytes, so more bytes move "
    .. "through DRAM than the count above. Measured with ncu on an H100 (kernels/NOTES.md): 1.14x at B=256, which at "
    .. "a copy's efficiency caps the fused call near 88-89% of a same-size copy there; a kernel that finds the "
    .. "intervals for free on uniform clocks (tools/fuse_floor.cu) reaches 82.6% at B=256 and 98.4% at B=64."
  if card and card:find("H100", 1, true) then return note end
  return note .. string.format(" These figures are an H100's, not this run's card's (%s); ncu of tools/fuse_once.lua "
    .. "on this card gives its own.", card and tostring(card) or "no CUDA card")
end

local engines = {
  cpu = { backend = "cpu", launch = "fused" },
  cuda = { backend = "cuda", launch = "fused" },
  cuda_per_stream = { backend = "cuda", launch = "per_stream" },
}
M.clocks = { relative = true, epoch_f64 = true, epoch_i64 = true } -- (the tools check their clock= with it)
local value_dtypes = { f32 = true, bf16 = true, f16 = true }
-- the resampler's axes, which mean nothing here: a clear error instead of a silently carried extra axis
local resample_axes = { shape = true, source_len = true, target_len = true, dim = true, timing = true }

local function names_of(t)
  local out = {}
  for k in pairs(t) do out[#out + 1] = k end
  table.sort(out)
  return table.concat(out, ", ")
end

local function positive(name, v, integer)
  if type(v) ~= "number" or v ~= v or v <= 0 or v == math.huge or (integer and math.type(v) ~= "integer") then
    usage.axis(name, string.format("expected a positive %s, got %s", integer and "integer" or "number", tostring(v)))
  end
  return v
end

local function choice(name, v, allowed, default)
  if v == nil then return default end
  if type(v) ~= "string" or not allowed[v] then
    usage.axis(name, string.format("unknown value '%s' (expected %s)", tostring(v), names_of(allowed)))
  end
  return v
end

-- The minimum bytes of one concrete fuse spec (e.g. rl.robot_episodes' result; tools/fuse_quick.lua).
M.min_bytes = fuse_bytes.min_bytes
local describe, count = fuse_bytes.describe, fuse_bytes.count

local function episodes_opts(c, seed, batch, streams)
  return { batch = batch, duration_s = c.duration_s, policy_hz = c.policy_hz, seed = seed, clock = c.clock,
    ragged = c.ragged, dtype = c.dtype, streams = streams }
end

-- Row sums of ragged lengths per (sizes, seed): the lengths depend only on the seed, the rows, the
-- duration and the rates (robot_episodes.c), so one-channel streams of the same rates give them cheaply.
local row_cache = {}
local function ragged_rows(c, seed)
  local rates = {}
  for k, s in ipairs(M.presets[c.streams]) do rates[k] = { name = s.name, rate = s.rate, dim = 1 } end
  local key = table.concat({ c.batch, c.duration_s, c.policy_hz, c.streams, c.clock, seed }, "|")
  if not row_cache[key] then
    local e = rl.robot_episodes(episodes_opts(c, seed, c.batch, rates))
    row_cache[key] = describe(e)
    for _, t in ipairs(M.tensors(e)) do t:close() end
  end
  return row_cache[key]
end

function M.config(point, def)
  for k in pairs(resample_axes) do
    if point[k] ~= nil then
      usage.axis(k, string.format("the fuse workload has no %s axis; its sizes come from batch, duration_s, "
        .. "policy_hz and streams", k))
    end
  end
  if def and def.case then -- your own streams: every size comes from them
    for _, k in ipairs(M.axes) do
      if k ~= "out_dtype" and point[k] ~= nil then
        usage.axis(k, "a scenario with a case makes its own streams: only out_dtype (and your own axes) apply")
      end
    end
    return { case = true, out_dtype = choice("out_dtype", point.out_dtype, value_dtypes, "f32") }
  end
  if point.batch == nil then error("a point of the fuse workload needs the axis batch", 0) end
  local c = {
    batch = positive("batch", point.batch, true),
    duration_s = point.duration_s == nil and 10 or positive("duration_s", point.duration_s),
    policy_hz = point.policy_hz == nil and 50 or positive("policy_hz", point.policy_hz),
    streams = choice("streams", point.streams, M.presets, "robot4"),
    dtype = choice("dtype", point.dtype, value_dtypes, "f32"),
    out_dtype = choice("out_dtype", point.out_dtype, value_dtypes, "f32"),
    clock = choice("clock", point.clock, M.clocks, "relative"),
    ragged = point.ragged,
  }
  if c.ragged == nil then c.ragged = false end
  if type(c.ragged) ~= "boolean" then usage.axis("ragged", "expected true or false, got " .. tostring(c.ragged)) end
  c.lengths = c.ragged -- (ragged episodes carry length arrays: the count reads them)
  -- one full row: the sizes, dtypes and modes, and any error the engine would raise (an f32 clock
  -- that cannot resolve these times, too many samples) now, at plan time, rather than while measuring
  local probe = rl.robot_episodes(episodes_opts(c, 0, 1, M.presets[c.streams]))
  local ok, err = pcall(rl.fuse, { streams = probe.streams, tgt_times = probe.tgt_times, tgt_len = probe.tgt_len,
    dtype = c.out_dtype })
  local d = describe(probe)
  for _, t in ipairs(M.tensors(probe)) do t:close() end
  if not ok then error(string.format("streams %s at these sizes: %s", c.streams, tostring(err)), 0) end
  c.target_len, c.dim, c.time_dtype = d.target_len, d.dim, d.time_dtype
  -- the row sums over all B rows: exact for dense rows; for ragged ones the mean over the seeds
  local seeds = def and def.seeds or { 0 } -- the runner's default seeds (run/definition.lua)
  local per = {}
  for name, s in pairs(d.per_stream) do
    per[name] = { source_len = s.source_len, dim = s.dim, dtype = s.dtype, pair_channels = s.pair_channels,
      single_channels = s.single_channels, valid_times = 0, pair_rows = 0, single_rows = 0 }
  end
  c.valid_targets = 0
  local sets = c.ragged and #seeds or 1
  for i = 1, sets do
    local rows = c.ragged and ragged_rows(c, seeds[i]) or d
    local scale = c.ragged and 1 / sets or c.batch -- a dense row is every row
    c.valid_targets = c.valid_targets + rows.valid_targets * scale
    for name, s in pairs(rows.per_stream) do
      for _, f in ipairs { "valid_times", "pair_rows", "single_rows" } do per[name][f] = per[name][f] + s[f] * scale end
    end
  end
  c.per_stream = per
  return c
end

function M.label(c)
  if c.case then
    if not c.dim then return "(custom case)" end
    return string.format("B=%d T=%d D=%d %s%s %s times (custom case)", c.batch, c.target_len, c.dim, c.dtype,
      c.dtype == c.out_dtype and "" or ("->" .. c.out_dtype), c.time_dtype)
  end
  local parts = { string.format("B=%d %s %gs@%gHz T=%d D=%d", c.batch, c.streams, c.duration_s, c.policy_hz, c.target_len, c.dim),
    c.dtype == c.out_dtype and c.dtype or (c.dtype .. "->" .. c.out_dtype), c.clock }
  if c.ragged then parts[#parts + 1] = "ragged" end
  return table.concat(parts, " ")
end

-- A name for the configuration's data (no mode, no backend): tools/export_fuse_cases.lua's folders and
-- the PyTorch peer's JSON use it, so a scenario's report can match the peer's cases to its results.
function M.case_name(c)
  if c.case then error("a scenario with a case: its data are its own (tools/export_fuse_cases.lua exports the generator's)", 0) end
  local name = string.format("%s_b%d_%gs_%ghz_%s_%s_%s", c.streams, c.batch, c.duration_s, c.policy_hz, c.dtype,
    c.clock, c.ragged and "ragged" or "dense")
  if c.out_dtype ~= "f32" then name = name .. "_out" .. c.out_dtype end
  return (name:gsub("%.", "p"))
end

-- (c carries what the count reads: the sizes, valid_targets, per_stream and lengths, set by config or,
-- for a case, by its first inputs)
function M.bytes(c)
  if not c.dim then return nil end -- (a case's: known once it has run; the runner asks again)
  return count(c, c.out_dtype)
end

-- The tensors of an input set, on any device: every stream's values, times and lengths, the targets.
local function all_tensors(set)
  local out = {}
  for _, s in ipairs(set.streams) do
    out[#out + 1] = s.src
    out[#out + 1] = s.src_times
    out[#out + 1] = s.src_len
  end
  out[#out + 1] = set.tgt_times
  out[#out + 1] = set.tgt_len
  return out
end
-- ... those the runner closes after the configuration: none of a case's (the user's to keep)
function M.tensors(set)
  if set.user_owned then return {} end
  return all_tensors(set)
end

-- Copies every tensor of set `from` into the same place of `into` (same shapes), on any devices.
local function copy_set(into, from)
  local a, b = all_tensors(into), all_tensors(from)
  for i, t in ipairs(a) do t:copy_from(b[i]) end
  return into
end

-- A case's spec, checked, its facts in c (the first seed's; a later seed must keep the sizes).
local function case_inputs(c, seed, def)
  local t = def.case(c, seed)
  local what = "case(config, seed)"
  if type(t) ~= "table" or type(t.streams) ~= "table" or t.tgt_times == nil then
    error(what .. " must return a fuse spec {streams = {{src=, src_times=, ...}, ...}, tgt_times=[, tgt_len=]} (host tensors)", 0)
  end
  for _, k in ipairs { "streams", "tgt_times", "tgt_len" } do
    if k ~= "streams" and t[k] ~= nil and (type(t[k]) ~= "userdata" or t[k].device ~= "cpu") then
      error(what .. ": " .. k .. " must be a host tensor", 0)
    end
  end
  for i, st in ipairs(t.streams) do
    for _, k in ipairs { "src", "src_times", "src_len" } do
      if (k ~= "src_len" or st[k] ~= nil) and (type(st[k]) ~= "userdata" or st[k].device ~= "cpu") then
        error(string.format("%s: streams[%d].%s must be a host tensor", what, i, k), 0)
      end
    end
  end
  local d = describe(t)
  if c.dim and (d.batch ~= c.batch or d.target_len ~= c.target_len or d.dim ~= c.dim or d.time_dtype ~= c.time_dtype) then
    error(string.format("%s: seed %s returned [%d, %d, %d] %s times, another seed [%d, %d, %d] %s (every seed of a "
      .. "configuration has the same sizes)", what, tostring(seed), d.batch, d.target_len, d.dim, d.time_dtype, c.batch,
      c.target_len, c.dim, c.time_dtype), 0)
  end
  if not c.dim then
    c.batch, c.target_len, c.dim, c.time_dtype = d.batch, d.target_len, d.dim, d.time_dtype
    c.valid_targets, c.per_stream, c.lengths = d.valid_targets, d.per_stream, d.lengths
    c.dtype = t.streams[1] and t.streams[1].src.dtype
  end
  t.user_owned = true -- a user's case may keep its tensors: the runner never closes them
  return t
end

function M.inputs(c, seed, def, reuse)
  if c.case then return case_inputs(c, seed, def) end
  local e = rl.robot_episodes(episodes_opts(c, seed, c.batch, M.presets[c.streams]))
  if not reuse then return e end
  copy_set(reuse, e)
  for _, t in ipairs(M.tensors(e)) do t:close() end
  return reuse
end

function M.to_device(inputs, device, reuse)
  if device == "cpu" then return inputs end
  if reuse then return copy_set(reuse, inputs) end
  local set = { streams = {}, tgt_times = inputs.tgt_times:to(device), tgt_len = inputs.tgt_len and inputs.tgt_len:to(device) }
  for k, s in ipairs(inputs.streams) do
    set.streams[k] = { name = s.name, modes = s.modes, src = s.src:to(device), src_times = s.src_times:to(device),
      src_len = s.src_len and s.src_len:to(device) }
  end
  return set
end

-- The fuse spec of a call: the input set's streams and targets, writing into out.
local function spec_of(inputs, out, extra)
  local s = { streams = inputs.streams, tgt_times = inputs.tgt_times, tgt_len = inputs.tgt_len, out = out,
    dtype = out and out.dtype or nil }
  for k, v in pairs(extra or {}) do s[k] = v end
  return s
end

-- compare()'s rule (see the top of this file), for the reports.
M.verification = "f32: |err| <= 1e-6 + 1e-6·|ref| + 8·2^-24·(|a| + |b|) on linear channels, a and b the two "
  .. "source samples of the element's lerp (hold, nearest and slerp channels: no operand term); bf16/f16: "
  .. "<= 1 ulp of the stored type + 1e-6 + the same operand term; padded targets hold the fill value"

-- One float64 output and its operand sums (below), both refilled for each set.
function M.reference_bytes(c)
  if not c.dim then return nil end
  return 2 * c.batch * c.target_len * c.dim * rl.dtypes.f64.size
end

-- Each reference's operand sums (the bound's |a| + |b| per element), written by the same reference pass.
-- Keyed by the reference tensor: the runner hands a reference back as reuse for the next seed, and
-- reference() rewrites both. Weak, so a dropped reference takes its sums with it.
local operand_sums = setmetatable({}, { __mode = "k" })

-- (no dtype: the reference always writes f64; reuse is the previous seed's reference)
function M.reference(inputs, c, reuse)
  local sums = reuse and operand_sums[reuse]
  if not sums then
    local dim = 0
    for _, s in ipairs(inputs.streams) do dim = dim + s.src.shape[3] end
    sums = rl.empty({ inputs.tgt_times.shape[1], inputs.tgt_times.shape[2], dim }, "f64")
  end
  local ref = rl.fuse { streams = inputs.streams, tgt_times = inputs.tgt_times, tgt_len = inputs.tgt_len, out = reuse,
    backend = "reference", operands = sums }
  operand_sums[ref] = sums
  return ref
end

function M.output(c, inputs, device)
  return rl.empty({ c.batch, c.target_len, c.dim }, c.out_dtype, { device = device })
end

-- -inf, not NaN: NaN is what padded targets must hold, so an unwritten padded element would pass.
function M.poison(out) return out:fill(-math.huge) end

-- A registered backend that can fuse, or an error that says what it lacks.
local function user_backend(name, method)
  local b = backends.get(name)
  if name == "reference" then error("backend reference: the float64 reference is the yardstick, not a backend to run", 0) end
  if not b or type(b[method]) ~= "function" then
    error(string.format("backend %s: the fuse workload runs cpu, cuda and cuda_per_stream, or a registered backend "
      .. "with fuse(self, spec, opts) and bench_fuse(self, spec, opts) methods; %s has no %s (rl.cuda.kernel and "
      .. "rl.cpu.library backends implement the resampler's contract, not fusion)", name, name, method), 0)
  end
  return b
end

-- pin (a scenario's pin = true) has no fused counterpart: the fused CPU pass runs on its own pool.
function M.run(backend, inputs, out, c, o)
  local threads = o and o.threads or c.threads
  local e = engines[backend]
  if e then
    return rl.fuse(spec_of(inputs, out, { backend = e.backend, launch = e.launch, threads = threads }))
  end
  local b = user_backend(backend, "fuse")
  b:fuse(spec_of(inputs, out), { threads = threads })
  return out
end

-- (a reference that reference() did not make has no operand sums: the output-relative part alone)
function M.compare(out, ref, c)
  local host = out.device == "cpu" and out or out:to("cpu")
  local low = c.out_dtype ~= "f32"
  local r = rl.compare(host, ref, { rtol = low and 0 or 1e-6, atol = 1e-6, ulps = low and 1 or 0,
    operand_sums = operand_sums[ref] })
  if host ~= out then host:close() end
  return r
end

-- Times the call with rl.bench.fuse; the inputs were validated when run() verified them, so the timed
-- call skips the time checks (lengths are checked on every call regardless).
function M.time(backend, inputs, out, c, o)
  local e = engines[backend]
  local opts = { warmup = o.warmup, repeats = o.repeats, mode = c.mode, batch = o.graph_batch, threads = o.threads or c.threads,
    nvtx = o.nvtx }
  local device = e and (e.backend == "cuda" and "cuda" or "cpu") or user_backend(backend, "bench_fuse").device
  if device == "cuda" then opts.rotate = o.rotate end
  local spec = spec_of(inputs, out, { validate = false })
  if e then
    opts.backend, opts.launch = e.backend, e.launch
    return rl.bench.fuse(spec, opts)
  end
  return user_backend(backend, "bench_fuse"):bench_fuse(spec, opts)
end

return M
