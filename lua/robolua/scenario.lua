-- The scenario runner: robolua.scenario{...} runs the campaign a script defines.
--
-- For every configuration (a point of the sweep, backend aside) and every seed it generates the data
-- (values and timestamps), computes the float64 reference, then for every backend: runs it once on a
-- poisoned output, verifies it against the reference, and only then times it with the C timing loop.
-- A backend that fails verification is reported as such and never timed. After each (config, backend)
-- the run's JSON and CSV are rewritten, so an error or Ctrl-C later loses nothing measured before.
-- Finally gates are judged, every report is written, and the exit code says whether a gate failed.
local sweep = require "robolua.sweep"
local stats = require "robolua.stats"
local gates = require "robolua.gates"
local reports = require "robolua.reports"
local envmod = require "robolua.env"
local fmt = require "robolua.fmt"
local lfs = require "lfs"

local M = {}
M.SCHEMA = "robolua.run/1"

local engine_axes = { shape = true, batch = true, source_len = true, target_len = true, dim = true, dtype = true,
  timing = true, mode = true, threads = true, backend = true }

local function fail(msg, level) error("scenario: " .. msg, (level or 1) + 1) end

local function check_def(def)
  if type(def) ~= "table" then fail("expected a table {name=, axes=, ...}", 3) end
  if type(def.name) ~= "string" or not def.name:match("^[%w_%-%.]+$") then
    fail("name must be a string of letters, digits, '_', '-', '.'", 3)
  end
  if def.axes ~= nil and type(def.axes) ~= "table" then fail("axes must be a table", 3) end
  for _, k in ipairs { "seeds", "gates", "reports" } do
    if def[k] ~= nil and type(def[k]) ~= "table" then fail(k .. " must be a list", 3) end
  end
  for _, k in ipairs { "warmup", "repeats", "batch", "interleave" } do
    local v = def[k]
    if v ~= nil and (math.type(v) ~= "integer" or v < (k == "warmup" and 0 or 1)) then
      fail(k .. " must be a " .. (k == "warmup" and "non-negative" or "positive") .. " integer", 3)
    end
  end
  for _, k in ipairs { "case", "filter", "skip", "bytes" } do
    if def[k] ~= nil and type(def[k]) ~= "function" then fail(k .. " must be a function", 3) end
  end
  local r = def.rotate
  if r ~= nil and r ~= "auto" and not (math.type(r) == "integer" and r >= 1 and r <= 64) then
    fail("rotate must be an integer in [1, 64] or \"auto\"", 3)
  end
  local st = def.stop
  if st ~= nil then
    if type(st) ~= "table" then fail("stop must be a table {precision_pct=, max_repeats=, max_seconds=}", 3) end
    if type(st.precision_pct) ~= "number" or not (st.precision_pct > 0) then fail("stop.precision_pct must be a positive number", 3) end
    if st.max_repeats ~= nil and (math.type(st.max_repeats) ~= "integer" or st.max_repeats < (def.repeats or 50)) then
      fail("stop.max_repeats must be an integer >= repeats", 3)
    end
    if st.max_seconds ~= nil and (type(st.max_seconds) ~= "number" or not (st.max_seconds > 0)) then
      fail("stop.max_seconds must be a positive number", 3)
    end
  end
end

-- The noise-based stopping rule (def.stop): a seed of a point is done when the 95% CI half-width of
-- its mean is at most precision_pct % of the mean, or it has max_repeats samples, or the point has
-- been timed for max_seconds. Returns the reason, or nil to keep timing.
local function stop_reason(stop, samples, point_t0, now)
  local n = #samples
  if n >= 2 then
    local mean = stats.mean(samples)
    if mean > 0 and stats.mean_ci(samples).half / mean * 100 <= stop.precision_pct then return "precision" end
  end
  if n >= stop.max_repeats then return "max_repeats" end
  if now - point_t0 >= stop.max_seconds then return "max_seconds" end
  return nil
end

-- Input sets a CUDA point cycles through while timed (rl.bench.resample's rotate). "auto": enough
-- copies that the rotation moves at least 4x the L2 per cycle, so a launch finds nothing of its own
-- inputs or output left in the L2 by the launches before; problems that fit the L2 many times over
-- are launch-bound anyway, and the count stops at 64.
local function rotation_for(run, def, res)
  local r = def.rotate or 1
  if r ~= "auto" then return r end
  local l2 = run.env.cuda and run.env.cuda.l2_bytes or 0
  if l2 <= 0 or not res.bytes or res.bytes <= 0 then return 1 end
  return math.max(1, math.min(64, math.ceil(4 * l2 / res.bytes)))
end

-- The engine's view of a point: sizes, dtype, timing, mode, threads; other axes go to extra.
local function config_of(point)
  local c = { extra = {} }
  local shape = point.shape
  if shape ~= nil then
    if type(shape) ~= "table" or #shape < 3 then fail("axis shape: expected {B, S, D} or {B, S, D, T}", 4) end
    c.batch, c.source_len, c.dim, c.target_len = shape[1], shape[2], shape[3], shape[4]
  end
  c.batch = point.batch or c.batch
  c.source_len = point.source_len or c.source_len
  c.dim = point.dim or c.dim
  c.target_len = point.target_len or c.target_len
  if not (c.batch and c.source_len and c.dim) then fail("a point needs shape or batch, source_len and dim", 4) end
  c.target_len = c.target_len or math.max(1, c.source_len // 2)
  c.dtype = point.dtype or "bf16"
  c.timing = point.timing or "jitter"
  c.mode = point.mode or "hot"
  c.threads = point.threads
  for k, v in pairs(point) do
    if not engine_axes[k] then c.extra[k] = v end
  end
  return c
end

local dtype_size = { f32 = 4, bf16 = 2, f16 = 2, f64 = 8 }

-- Minimum bytes: every input read once (values and both time arrays), the output written once.
local function min_bytes(c)
  local es = dtype_size[c.dtype] or 4
  return c.batch * c.source_len * c.dim * es + c.batch * c.source_len * 4 + c.batch * c.target_len * 4 +
      c.batch * c.target_len * c.dim * es
end

local function utc_stamp()
  return os.date("!%Y%m%dT%H%M%SZ")
end

local function mkdir_p(path)
  local acc = path:sub(1, 1) == "/" and "/" or ""
  for part in path:gmatch("[^/]+") do
    acc = acc .. part
    if lfs.attributes(acc, "mode") == nil then
      local ok, err = lfs.mkdir(acc)
      if not ok and lfs.attributes(acc, "mode") ~= "directory" then error("cannot create directory " .. acc .. ": " .. tostring(err)) end
    end
    acc = acc .. "/"
  end
end
M.mkdir_p = mkdir_p

local function write_file(path, content)
  local tmp = path .. ".tmp"
  local f, err = io.open(tmp, "wb")
  if not f then error("cannot write " .. path .. ": " .. tostring(err)) end
  f:write(content)
  f:close()
  local ok, rerr = os.rename(tmp, path)
  if not ok then error("cannot move " .. tmp .. " to " .. path .. ": " .. tostring(rerr)) end
end
M.write_file = write_file

local function is_tty()
  local rl = require "robolua"
  return rl.core.isatty and rl.core.isatty(2)
end

-- Progress on stderr: one updating line per point on a TTY, plain lines otherwise.
local function progress(run, state, text)
  if run.quiet then return end
  local elapsed = require("robolua").clock() - state.t0
  local eta = ""
  if state.done > 0 and state.done < state.total then
    eta = "  ETA " .. fmt.duration(elapsed / state.done * (state.total - state.done))
  end
  local line = string.format("[%d/%d] %s  elapsed %s%s", math.min(state.done + 1, state.total), state.total, text,
    fmt.duration(elapsed), eta)
  if state.tty then
    io.stderr:write("\r\27[K" .. line)
  else
    io.stderr:write(line .. "\n")
  end
  io.stderr:flush()
end

local function make_inputs(rl, def, c, seed)
  if def.case then
    local t = def.case(c, seed)
    if type(t) ~= "table" or not (t.src and t.src_times and t.tgt_times) then
      error("case(point, seed) must return {src=, src_times=, tgt_times=}")
    end
    return t
  end
  return rl.trajectories { batch = c.batch, source_len = c.source_len, target_len = c.target_len, dim = c.dim,
    dtype = c.dtype, seed = seed, timing = c.timing }
end

-- Device copies of a case's three inputs; keep(t) (optional) is told about each new tensor.
local function to_device(data, keep)
  keep = keep or function(t) return t end
  return { src = keep(data.src:to("cuda")), src_times = keep(data.src_times:to("cuda")),
    tgt_times = keep(data.tgt_times:to("cuda")) }
end

local function finalize(run, res)
  if res.status ~= "ok" then return end
  local all, medians = {}, {}
  for si, s in ipairs(res.samples) do
    for _, v in ipairs(s) do all[#all + 1] = v end
    medians[si] = stats.median(s)
  end
  res.stats = stats.summary(all)
  res.seed_medians = medians
  res.seed_spread_pct = stats.spread_pct(medians)
  res.gbps = res.bytes / (res.stats.median * 1e-3) / 1e9
  local roof = run.roofline[res.backend == "cuda" and "cuda" or "cpu"]
  if roof and roof.bytes_per_s then res.roofline_pct = 100 * res.gbps * 1e9 / roof.bytes_per_s end
  local same = res.copy_same
  if same and same.bytes_per_s then res.copy_same_pct = 100 * res.gbps * 1e9 / same.bytes_per_s end
  local mn, mx
  for _, per_seed in ipairs(res.sm_clock_mhz or {}) do
    for _, v in ipairs(per_seed) do
      if v > 0 then mn, mx = math.min(mn or v, v), math.max(mx or v, v) end
    end
  end
  res.sm_clock_min_mhz, res.sm_clock_max_mhz = mn, mx
end

-- Speedups relative to the base backend (cpu by default), filled in once everything is measured.
local function add_speedups(run)
  local base = {}
  for _, r in ipairs(run.results) do
    if r.status == "ok" and r.backend == run.speedup_base then base[r.key] = r end
  end
  for _, r in ipairs(run.results) do
    local b = base[r.key]
    if r.status == "ok" and b then r.speedup = b.stats.median / r.stats.median end
  end
end

local function save_partial(run)
  if not run.dir then return end
  write_file(run.dir .. "/results.json", reports.render("json", run))
  write_file(run.dir .. "/results.csv", reports.render("csv", run))
end

local function measure_rooflines(run, rl, def, backends)
  run.roofline = {}
  if def.roofline == false or run.profile_mode then return end
  local need = {}
  for _, b in ipairs(backends) do need[b] = true end
  if need.cpu then
    local bytes = def.cpu_copy_bytes or math.max(256 * 2 ^ 20, 4 * (run.env.host.llc_bytes or 0))
    local r = rl.bench.copy_bandwidth_cpu { bytes = math.floor(bytes), repeats = 10 }
    run.roofline.cpu = { bytes_per_s = r.bytes_per_s, bytes = r.bytes, threads = r.threads, median_ms = r.median_ms,
      what = "memcpy, all cores, bytes read + written" }
  end
  if need.cuda and rl.cuda.available() then
    local bytes = def.cuda_copy_bytes or math.max(256 * 2 ^ 20, 8 * (run.env.cuda.l2_bytes or 0))
    local r = rl.cuda.copy_bandwidth { bytes = math.floor(bytes), repeats = 20 }
    run.roofline.cuda = { bytes_per_s = r.bytes_per_s, bytes = r.bytes, median_ms = r.median_ms,
      what = "cudaMemcpy device-to-device, bytes read + written" }
  end
end

-- The copy roofline at a result's own size: cudaMemcpy moving the same bytes (half read, half
-- written), timed by the same loop in the same mode, cycling as many buffer pairs as the result
-- cycled input sets. Below a few hundred MB even a copy pays launch, ramp-up and drain costs that
-- the large-buffer rate hides; this says how much of that a kernel of this size could ever avoid.
-- One measurement per (bytes, mode, rotation), shared by the results that need it.
local function measure_same_size_copy(run, rl, res, cache)
  local half = (res.bytes + 1) // 2
  local rotate = res.rotate or 1
  local key = half .. "/" .. res.config.mode .. "/" .. rotate
  if cache[key] == nil then
    local ok, r = pcall(rl.cuda.copy_bandwidth, { bytes = math.max(half, 4096), mode = res.config.mode,
      warmup = math.min(run.warmup, 5), repeats = run.repeats, batch = run.graph_batch, rotate = rotate })
    cache[key] = ok and { bytes = r.bytes, mode = r.mode, rotate = rotate, median_ms = r.median_ms, bytes_per_s = r.bytes_per_s }
      or { error = tostring(r) }
    if not ok and tostring(r):find("interrupted", 1, true) then
      cache[key] = nil
      return true -- Ctrl-C while copying: the caller stops the run as after any interrupted point
    end
  end
  res.copy_same = cache[key]
end

-- Looks for this scenario's profile folder made at this commit (tools/profile.sh writes
-- results/<scenario>-<stamp>/profile/commit.txt); the newest wins.
local function find_profile(out_dir, scenario, commit)
  if commit == "unknown" or not lfs.attributes(out_dir, "mode") then return nil end
  local found
  for entry in lfs.dir(out_dir) do
    local p = out_dir .. "/" .. entry .. "/profile/commit.txt"
    if entry:sub(1, #scenario + 1) ~= scenario .. "-" then p = nil end
    local f = p and io.open(p, "r")
    if f then
      local c = f:read("l")
      f:close()
      if c == commit and (not found or entry > found) then found = entry end
    end
  end
  return found and (out_dir .. "/" .. found .. "/profile") or nil
end

local function run_profile_mode(run, rl, def, configs, backends)
  -- --profile: each (config, backend) verified once and launched three times inside NVTX ranges, no
  -- timing loops: what nsys and ncu should capture.
  for ci, c in ipairs(configs) do
    local data = make_inputs(rl, def, c, run.seeds[1])
    local ref = rl.resample(data.src, data.src_times, data.tgt_times, { backend = "reference" })
    for _, backend in ipairs(backends) do
      if backend ~= "cuda" or rl.cuda.available() then
        local inp = data
        if backend == "cuda" then
          inp = to_device(data)
        end
        local name = string.format("%s/%s/%s/profile", run.scenario, c.key, backend)
        local out
        rl.nvtx.range(name, function()
          for _ = 1, 3 do out = rl.resample(inp.src, inp.src_times, inp.tgt_times, { backend = backend, threads = c.threads }) end
        end)
        local cmp = rl.compare(backend == "cuda" and out:to("cpu") or out, ref)
        if not run.quiet then
          io.stderr:write(string.format("[%d/%d] profile %s %s: %s\n", ci, #configs, c.key, backend,
            cmp.ok and "verified" or "FAILED verification"))
        end
      end
    end
  end
  return run
end

function M.run(def)
  local rl = require "robolua"
  check_def(def)
  local cli = rl.cli or {}
  local axes = {}
  for k, v in pairs(def.axes or {}) do axes[k] = v end
  local backends = axes.backend or { "cpu" }
  if type(backends) ~= "table" then backends = { backends } end
  axes.backend = nil
  for _, group in ipairs(def.zip or {}) do
    for _, name in ipairs(group) do
      if name == "backend" then fail("backend can't be zipped: every point runs on every backend", 2) end
    end
  end
  local run = {
    schema = M.SCHEMA,
    scenario = def.name,
    description = def.description,
    seeds = def.seeds or { 0 },
    warmup = def.warmup or 10,
    repeats = def.repeats or 50,
    graph_batch = def.batch or 20,
    interleave = def.interleave or 1,
    rotate = def.rotate,
    stop = def.stop and { precision_pct = def.stop.precision_pct, max_repeats = def.stop.max_repeats or 20 * (def.repeats or 50),
      max_seconds = def.stop.max_seconds or 60 } or nil,
    backends = backends,
    speedup_base = def.speedup_base or "cpu",
    results = {},
    gates = {},
    quiet = cli.quiet,
    profile_mode = cli.profile,
    started_utc = os.date("!%Y-%m-%dT%H:%M:%SZ"),
  }
  run.env = envmod.capture(rl)
  run.command = run.env.command
  -- the run folder first, with the environment, before anything is measured
  if not cli.no_write and not cli.profile then
    run.dir = (cli.out or "results") .. "/" .. def.name .. "-" .. utc_stamp()
    mkdir_p(run.dir)
    write_file(run.dir .. "/env.json", reports.json_encode(run.env))
    write_file(run.dir .. "/env.txt", envmod.text(run.env))
  end

  local points = sweep.expand(axes, { zip = def.zip, filter = def.filter })
  local configs = {}
  for _, p in ipairs(points) do
    local c = config_of(p)
    c.key = sweep.key(p)
    c.point = p
    c.skip_reason = def.skip and def.skip(p) or nil
    configs[#configs + 1] = c
  end
  if #configs == 0 then fail("the sweep has no points (all filtered out?)", 2) end

  measure_rooflines(run, rl, def, backends)
  if cli.profile then return run_profile_mode(run, rl, def, configs, backends) end

  local cuda_ok, cuda_why = rl.cuda.available()
  local copy_cache = {}
  local state = { t0 = rl.clock(), done = 0, total = #configs * #backends, tty = is_tty() }
  local interrupted, script_error

  for _, c in ipairs(configs) do
    local per_backend = {}
    for _, backend in ipairs(backends) do
      local res = { key = c.key, config = c, backend = backend, status = "ok", samples = {}, sm_clock_mhz = {},
        verification = {}, bytes = def.bytes and def.bytes(c) or min_bytes(c) }
      if c.skip_reason then
        res.status, res.reason = "skipped", tostring(c.skip_reason)
      elseif backend == "cuda" and not cuda_ok then
        res.status, res.reason = "skipped", "cuda not available: " .. tostring(cuda_why)
      elseif backend ~= "cuda" and c.mode == "graph" then
        res.status, res.reason = "skipped", "graph mode is CUDA-only"
      elseif backend == "reference" then
        res.status, res.reason = "skipped", "the reference is the yardstick, not a timed backend"
      elseif backend ~= "cpu" and backend ~= "cuda" then
        res.status, res.reason = "error", "unknown backend '" .. tostring(backend) .. "'"
      end
      if res.status == "ok" and backend == "cuda" then res.rotate = rotation_for(run, def, res) end
      per_backend[#per_backend + 1] = res
    end

    -- Per seed: its inputs (host and, for cuda, device copies), the reference and one output per
    -- device. Without interleaving one set is refilled for every seed (same memory each time); with
    -- `interleave = R` every seed keeps its own set and the timing runs in R rounds, each round
    -- taking a chunk of every seed's repeats in rotated order, so a machine that drifts over time
    -- spreads that drift over all seeds instead of pinning it on whichever seed ran then.
    local rounds = def.interleave or 1
    local states, opened = {}, {}
    local function track(t) opened[#opened + 1] = t; return t end
    local function close_all()
      for _, t in ipairs(opened) do t:close() end
    end
    local function prepare(si, seed, st)
      st = st or { outs = {} }
      st.si, st.seed = si, seed
      if st.data and not def.case then
        rl.trajectories { batch = c.batch, source_len = c.source_len, target_len = c.target_len, dim = c.dim,
          dtype = c.dtype, seed = seed, timing = c.timing, into = st.data }
      else
        st.data = make_inputs(rl, def, c, seed)
        if not def.case then -- a user's case may keep its tensors
          track(st.data.src); track(st.data.src_times); track(st.data.tgt_times)
        end
      end
      local ref = rl.resample(st.data.src, st.data.src_times, st.data.tgt_times,
        { backend = "reference", out = st.ref })
      if not st.ref and rounds == 1 then st.ref = track(ref) end -- refilled by the next seed
      for _, res in ipairs(per_backend) do
        if res.status == "ok" then
          if state.tty or si == 1 then
            progress(run, state, string.format("%s  %s  seed %d/%d", c.key, res.backend, si, #run.seeds))
          end
          local dev = res.backend == "cuda" and "cuda" or "cpu"
          local inp = st.data
          if dev == "cuda" then
            if st.dev then
              st.dev.src:copy_from(st.data.src)
              st.dev.src_times:copy_from(st.data.src_times)
              st.dev.tgt_times:copy_from(st.data.tgt_times)
            else
              st.dev = to_device(st.data, track)
            end
            inp = st.dev
          end
          st.outs[dev] = st.outs[dev] or track(rl.empty({ c.batch, c.target_len, c.dim }, st.data.src.dtype, { device = dev }))
          local out = st.outs[dev]:fill(0 / 0) -- poisoned: an element the backend fails to write fails verification
          rl.resample(inp.src, inp.src_times, inp.tgt_times, { backend = res.backend, out = out, threads = c.threads })
          local cmp = rl.compare(dev == "cuda" and out:to("cpu") or out, ref)
          res.verification[si] = { seed = seed, ok = cmp.ok, bad = cmp.bad, max_abs_err = cmp.max_abs_err,
            max_ulp_err = cmp.max_ulp_err }
          if not cmp.ok then
            res.status = "failed_verification"
            res.reason = string.format("seed %s: %d of %d elements wrong (first #%d: got %.9g, want %.9g)",
              tostring(seed), cmp.bad, cmp.count, cmp.first_bad, cmp.first_bad_got, cmp.first_bad_want)
          end
        end
      end
      if ref ~= st.ref then ref:close() end
      return st
    end
    local function time_chunk(st, res, warmup, repeats, round)
      local dev = res.backend == "cuda" and "cuda" or "cpu"
      local inp = dev == "cuda" and st.dev or st.data
      local b = rl.bench.resample(inp.src, inp.src_times, inp.tgt_times, {
        backend = res.backend, warmup = warmup, repeats = repeats, mode = c.mode, rotate = res.rotate,
        batch = run.graph_batch, threads = c.threads, out = st.outs[dev],
        nvtx = string.format("%s/%s/%s/seed=%s%s", run.scenario, c.key, res.backend, tostring(st.seed),
          rounds > 1 and ("/round=" .. round) or "") })
      local samples = res.samples[st.si] or {}
      local clocks = res.sm_clock_mhz[st.si] or {}
      table.move(b.samples_ms, 1, #b.samples_ms, #samples + 1, samples)
      if b.sm_clock_mhz then table.move(b.sm_clock_mhz, 1, #b.sm_clock_mhz, #clocks + 1, clocks) end
      res.samples[st.si], res.sm_clock_mhz[st.si] = samples, clocks
      res.threads = b.threads
    end
    local stop, point_t0 = run.stop, rl.clock()
    -- One more chunk for a seed that the stopping rule has not released; false once it is done.
    local function extend(st, res, chunk)
      res.stop_reasons = res.stop_reasons or {}
      if res.stop_reasons[st.si] then return false end
      local samples = res.samples[st.si] or {}
      local why = stop_reason(stop, samples, point_t0, rl.clock())
      if why then res.stop_reasons[st.si] = why; return false end
      time_chunk(st, res, math.min(run.warmup, 2), math.min(chunk, stop.max_repeats - #samples), "extra")
      return true
    end
    local ok, err = pcall(function()
      if rounds == 1 then
        local st
        for si, seed in ipairs(run.seeds) do
          st = prepare(si, seed, st)
          for _, res in ipairs(per_backend) do
            if res.status == "ok" then
              time_chunk(st, res, run.warmup, run.repeats, 1)
              while stop and extend(st, res, run.repeats) do end -- before the next seed refills the buffers
            end
          end
        end
        return
      end
      for si, seed in ipairs(run.seeds) do states[si] = prepare(si, seed, nil) end
      local n = #run.seeds
      for r = 1, rounds do
        -- chunk sizes add up to repeats; warm up fully once, then briefly per chunk (new data in cache)
        local chunk = run.repeats * r // rounds - run.repeats * (r - 1) // rounds
        if chunk > 0 then
          for k = 0, n - 1 do
            local st = states[(k + r - 1) % n + 1]
            for _, res in ipairs(per_backend) do
              if res.status == "ok" then time_chunk(st, res, r == 1 and run.warmup or math.min(run.warmup, 2), chunk, r) end
            end
          end
        end
      end
      -- the stopping rule, still in rotation: one chunk per seed that needs more, until none does
      local pending = stop ~= nil
      while pending do
        pending = false
        for si = 1, n do
          for _, res in ipairs(per_backend) do
            if res.status == "ok" and extend(states[si], res, math.max(1, run.repeats // rounds)) then pending = true end
          end
        end
      end
    end)
    pcall(close_all)
    if not ok then
      err = tostring(err)
      for _, res in ipairs(per_backend) do
        if res.status == "ok" then res.status, res.reason = "error", err end
      end
      if err:find("interrupted", 1, true) then interrupted = true else script_error = err end
      if not run.quiet then io.stderr:write("\nrobolua: " .. c.key .. ": " .. err .. "\n") end
    end
    for _, res in ipairs(per_backend) do
      if res.status == "ok" and res.backend == "cuda" and def.same_size_copy ~= false and not interrupted then
        interrupted = measure_same_size_copy(run, rl, res, copy_cache) or nil
      end
      finalize(run, res)
      run.results[#run.results + 1] = res
      state.done = state.done + 1
    end
    collectgarbage()
    save_partial(run)
    if interrupted then break end
  end
  if state.tty and not run.quiet then io.stderr:write("\r\27[K") end
  add_speedups(run)
  run.finished_utc = os.date("!%Y-%m-%dT%H:%M:%SZ")
  run.interrupted = interrupted or nil
  run.profile_dir = find_profile(cli.out or "results", run.scenario, run.env.git.commit)

  -- gates: verification first, then the scenario's own
  local all_gates = { gates.verified() }
  local verified_name = all_gates[1].name
  for _, g in ipairs(def.gates or {}) do
    if not (type(g) == "table" and g.name == verified_name) then all_gates[#all_gates + 1] = g end
  end
  local failed = false
  for i, g in ipairs(all_gates) do
    local r = gates.evaluate(g, run, i)
    if r.status == "skip" and cli.strict then r.status, r.msg = "fail", "skipped, and --strict counts skips as failures: " .. r.msg end
    run.gates[#run.gates + 1] = r
    if r.status == "fail" then failed = true end
  end
  run.passed = not failed

  -- reports: every one is attempted even if another fails
  local report_error
  if run.dir then
    local list = def.reports or { "csv", "json", "markdown", "html" }
    run.report_files = {}
    for _, rep in ipairs(list) do
      local ok2, path = pcall(reports.write, run, rep, run.dir)
      if ok2 then run.report_files[#run.report_files + 1] = path
      else report_error = tostring(path); io.stderr:write("robolua: report failed: " .. report_error .. "\n") end
    end
    save_partial(run)
  end
  for _, f in ipairs(cli.report or {}) do io.write(reports.render(f, run)) end
  if not run.quiet then
    io.write(reports.render("markdown", run, { brief = true }))
    if run.dir then io.write("\nreports: " .. run.dir .. "/\n") end
    if run.profile_dir then
      io.write("Nsight traces for this commit: " .. run.profile_dir .. "/\n")
    else
      io.write("Nsight traces: none for this commit; regenerate with: tools/profile.sh " .. (cli.script or "SCENARIO") .. "\n")
    end
  end
  io.flush()
  if script_error or interrupted or report_error then
    rl.core.set_exit_code(2)
  elseif failed then
    rl.core.set_exit_code(1)
  end
  return run
end

return M
