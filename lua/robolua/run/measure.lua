-- Stage 3: measuring one configuration. For every seed and every control (identical data to the first
-- seed, measured as if it were another seed: the noise floor) the workload makes the inputs and the
-- float64 reference; every backend runs once on a poisoned output and is verified before it is ever
-- timed; then the C timing loop takes the samples.
-- Interleaving: when all seeds' inputs fit in memory ("fine"), every seed keeps its own buffers and
-- the samples are taken round robin, a few per seed per round, so drift of the machine falls equally
-- on every seed; otherwise ("coarse") one set of buffers is refilled seed after seed. The float64
-- reference is needed only while a set is verified, so all sets share one (on a 24 GB machine that is
-- what lets the DoD's 256x2000x512 CPU point run fine: coarse, a burst of load on one seed's turn read
-- as a seed effect).
local record = require "robolua.record"
local journal = require "robolua.run.journal"
local progress = require "robolua.run.progress"
local roofline = require "robolua.run.roofline"
local files = require "robolua.files"
local M = {}

local function interrupted_error() error("interrupted", 0) end

local function load_avg()
  local text = files.read("/proc/loadavg")
  return text and tonumber(text:match("^(%S+)")) or nil
end
M.load_avg = load_avg

-- CPU time in clock ticks, {busy, total, own}: of every CPU together (/proc/stat's "cpu" line: user nice
-- system idle iowait irq softirq steal) and of this process, every thread (/proc/self/stat's utime and
-- stime, fields 14 and 15); nil without /proc.
function M.cpu_ticks()
  local stat, self = files.read("/proc/stat"), files.read("/proc/self/stat")
  local line, after = stat and stat:match("^cpu%s+([^\n]*)"), self and self:match("%)%s+(.*)$")
  if not line or not after then return nil end
  local f, s = {}, {}
  for n in line:gmatch("%d+") do f[#f + 1] = tonumber(n) end
  for w in after:gmatch("%S+") do s[#s + 1] = w end -- (s[1] is field 3: the command name ends at ")")
  local total = 0
  for i = 1, 8 do total = total + (f[i] or 0) end
  return { busy = total - (f[4] or 0) - (f[5] or 0), total = total, own = (tonumber(s[12]) or 0) + (tonumber(s[13]) or 0) }
end

-- The CPUs other processes kept busy from reading a to reading b, this process's threads left out; nil
-- when the two are less than ~0.2 s of every CPU apart (at 100 ticks a second), too short to tell.
function M.others_busy(a, b, cpus)
  if not (a and b) or b.total - a.total < 20 * cpus then return nil end
  return math.max(0, (b.busy - a.busy) - (b.own - a.own)) / (b.total - a.total) * cpus
end

local function mem_available()
  local text = files.read("/proc/meminfo")
  local kb = text and tonumber(text:match("MemAvailable:%s+(%d+)"))
  return kb and kb * 1024 or nil
end

-- Host bytes that n_entries resident input sets of a configuration (bytes: its minimum byte count) need:
-- every set's inputs and output in their dtypes (= bytes), and the float64 reference: one shared by all
-- sets where the workload refills it (reference_bytes; it is only needed while a set is verified), else
-- one each (as a guess, twice the bytes).
function M.host_need(w, config, bytes, n_entries)
  local ref_bytes = w.reference_bytes and w.reference_bytes(config)
  return ref_bytes and n_entries * bytes + ref_bytes or n_entries * bytes * 3
end

-- "fine" (rounds, all sets resident) or "coarse" (sets refilled), with the reason.
local function interleaving(ctx, cfg, n_entries, has_cuda)
  local d = ctx.d
  local want = d.interleave
  if want == 1 then return "coarse", 1, "interleave = 1: seed after seed" end
  local rounds = want == "auto" and math.min(d.repeats, 10) or want
  local bytes = cfg.bytes
  if bytes then
    local host_need = M.host_need(d.workload, cfg.config, bytes, n_entries)
    local host_have = mem_available()
    if host_have and host_need > host_have * 2 / 3 then
      return "coarse", 1, string.format("the inputs of all %d seeds need %.1f GB of host memory, %.1f GB available",
        n_entries, host_need / 1e9, host_have / 1e9)
    end
    if has_cuda then
      local dev_need = n_entries * bytes
      local dev_have = ctx.run.env.cuda and ctx.run.env.cuda.global_mem_bytes
      if dev_have and dev_need > dev_have / 2 then
        return "coarse", 1, string.format("the inputs of all %d seeds need %.1f GB of GPU memory, %.1f GB on the card",
          n_entries, dev_need / 1e9, dev_have / 1e9)
      end
    end
  end
  return "fine", rounds, nil
end

-- A CUDA error that leaves the context unusable (a kernel faulted): every later CUDA point is lost.
local function context_lost(rl)
  if rl.cuda.context_status then
    local ok, why = rl.cuda.context_status()
    if not ok then return why or "the CUDA context is unusable" end
    return nil
  end
  return nil
end

local function fail_record(ctx, r, err)
  err = tostring(err)
  if err:find("interrupted", 1, true) and ctx.rl.core.interrupted() then interrupted_error() end
  record.set_status(r, "error", err)
  if r.device == "cuda" then
    local lost = context_lost(ctx.rl)
    if lost then ctx.cuda_lost = string.format("the CUDA context was lost after %s faulted at %s (%s)", r.backend, r.key, lost) end
  end
end

function M.config(ctx, cfg)
  local d, rl, w, run = ctx.d, ctx.rl, ctx.d.workload, ctx.run
  local c = cfg.config
  local active = {}
  for _, r in ipairs(cfg.records) do
    if r.status == "ok" then
      if r.device == "cuda" and ctx.cuda_lost then
        record.set_status(r, "not_run", "not run: " .. ctx.cuda_lost)
      else
        active[#active + 1] = r
      end
    end
  end
  if #active == 0 then return end

  local entries = {}
  for si, seed in ipairs(d.seeds) do entries[#entries + 1] = { si = si, seed = seed } end
  for k = 1, d.controls do entries[#entries + 1] = { si = #d.seeds + k, seed = d.seeds[1], control = k } end
  local devices = {}
  for _, r in ipairs(active) do
    devices[r.device] = true
    for _, e in ipairs(entries) do record.seed(r, e.si, e.seed, e.control and true or nil) end
    if r.device == "cuda" then r.rotate = roofline.rotation(run, d, r.bytes) end
  end
  local mode, rounds, why = interleaving(ctx, cfg, #entries, devices.cuda)
  for _, r in ipairs(active) do r.interleave = mode end
  if why and mode == "coarse" and d.interleave ~= 1 then
    run.warnings[#run.warnings + 1] = cfg.key .. ": coarse interleaving: " .. why
  end

  -- CPU hygiene: CPUs that other processes kept busy since the last reading (over the point before, or
  -- since the run began) get a warning and are left out. Not the load average: it trails the last
  -- minute (a build that just ended) and counts this process's own threads, so the points of one run
  -- cut each other's threads (back-to-back DoDs on an idle 16-vCPU host: 5-8 threads, load 8-11).
  local cpus = run.env.host.logical_cpus
  local before = load_avg() -- (recorded with each point)
  local threads = c.threads
  local now = M.cpu_ticks()
  local others = cpus and M.others_busy(ctx.cpu_ticks, now, cpus)
  if others then ctx.cpu_ticks = now end -- (a window too short to tell grows until the next point)
  if others and others > d.max_load * cpus then
    local msg = string.format("robolua: warning: other processes kept %.1f of %d CPUs busy before %s: CPU timings may be disturbed",
      others, cpus, cfg.key)
    run.warnings[#run.warnings + 1] = msg:gsub("^robolua: warning: ", "")
    progress.note(ctx.progress, msg)
    if not threads and devices.cpu then threads = math.max(1, cpus - math.floor(others + 0.5)) end
  end

  local opened = {}
  local function keep(t) opened[#opened + 1] = t; return t end
  local shared_ref -- the float64 reference: one buffer, refilled for each set as it is verified
  local function prepare(e, reuse)
    if rl.core.interrupted() then interrupted_error() end
    local set = reuse or { outs = {} }
    set.host = w.inputs(c, e.seed, d.def, reuse and reuse.host)
    if cfg.bytes == nil and not d.def.bytes then -- a custom case's sizes are known once it has run
      cfg.bytes, cfg.label = w.bytes(c), w.label(c)
      for _, r in ipairs(cfg.records) do r.bytes, r.label = cfg.bytes, cfg.label end
    end
    if not reuse then for _, t in ipairs(w.tensors(set.host)) do keep(t) end end
    local ref = w.reference(set.host, c, shared_ref)
    if ref ~= shared_ref then shared_ref = keep(ref) end -- (a workload may ignore reuse: each one is closed)
    set.inputs = { cpu = set.host }
    for dev in pairs(devices) do
      if dev ~= "cpu" then
        local had = set.dev and set.dev[dev]
        set.dev = set.dev or {}
        set.dev[dev] = w.to_device(set.host, dev, had)
        if not had then for _, t in ipairs(w.tensors(set.dev[dev])) do keep(t) end end
        set.inputs[dev] = set.dev[dev]
      end
      set.outs[dev] = set.outs[dev] or keep(w.output(c, set.host, dev))
    end
    for _, r in ipairs(active) do
      if r.status == "ok" then
        progress.show(ctx.progress, string.format("%s  %s  %s", cfg.key, r.backend,
          e.control and string.format("control %d (seed %s's data)", e.control, tostring(e.seed)) or ("seed " .. tostring(e.seed))))
        local out = set.outs[r.device]
        local ok, err = pcall(function()
          w.poison(out) -- an element the backend fails to write fails verification
          w.run(r.backend, set.inputs[r.device], out, c, { threads = threads, pin = d.pin })
          local cmp = w.compare(out, ref, c, set.host)
          r.seeds[e.si].verification = { ok = cmp.ok, bad = cmp.bad, max_abs_err = cmp.max_abs_err, max_ulp_err = cmp.max_ulp_err }
          if not cmp.ok then
            record.set_status(r, "failed_verification", string.format("seed %s%s: %d of %d elements wrong (first #%s: got %.9g, want %.9g)",
              tostring(e.seed), e.control and " (control)" or "", cmp.bad, cmp.count, tostring(cmp.first_bad),
              cmp.first_bad_got or 0 / 0, cmp.first_bad_want or 0 / 0))
          end
        end)
        if not ok then fail_record(ctx, r, err) end
      end
    end
    return set
  end

  local throttle_below
  if d.throttle.action == "remeasure" and run.env.cuda and (run.env.cuda.sm_clock_mhz_max or 0) > 0 then
    throttle_below = run.env.cuda.sm_clock_mhz_max * d.throttle.threshold_pct / 100
  end
  -- what a stopping rule's max_seconds counts: the seconds spent in timing calls (warmups included, making
  -- inputs not), for the point and per set
  local timing_s, set_timing_s = 0, {}
  local function time_chunk(r, e, set, warmup, repeats, round)
    if rl.core.interrupted() then interrupted_error() end
    local t0 = rl.clock()
    local nvtx = string.format("%s/%s/%s/%s=%s%s", run.scenario, r.key, r.backend, e.control and "control" or "seed",
      e.control and tostring(e.control) or tostring(e.seed), round and ("/round=" .. round) or "")
    local o = { warmup = warmup, repeats = repeats, rotate = r.rotate, graph_batch = d.graph_batch, nvtx = nvtx,
      threads = threads, pin = d.pin }
    local b = w.time(r.backend, set.inputs[r.device], set.outs[r.device], c, o)
    for _ = 1, 2 do -- re-take a chunk with throttled samples (throttle.action = "remeasure"), twice at most
      local low = false
      for _, v in ipairs(throttle_below and b.sm_clock_mhz or {}) do
        if v > 0 and v < throttle_below then low = true end
      end
      if not low then break end
      r.retaken_chunks = (r.retaken_chunks or 0) + 1
      b = w.time(r.backend, set.inputs[r.device], set.outs[r.device], c, o)
    end
    record.add_samples(r, e.si, b.samples_ms, b.sm_clock_mhz)
    r.threads = b.threads or r.threads
    journal.samples(ctx.journal, r, e.si, r.seeds[e.si], b.samples_ms, b.sm_clock_mhz)
    local dt = rl.clock() - t0
    timing_s, set_timing_s[e.si] = timing_s + dt, (set_timing_s[e.si] or 0) + dt
  end
  local function timed(r, fn)
    if r.status ~= "ok" then return end
    if r.device == "cuda" and ctx.cuda_lost then -- another backend's fault took the context: nothing to time
      record.set_status(r, "not_run", "not run: " .. ctx.cuda_lost)
      return
    end
    local ok, err = pcall(fn)
    if not ok then fail_record(ctx, r, err) end
  end
  -- why the stopping rule releases a set with samples xs after `spent` seconds of timing, or nil (a custom
  -- rule may never say so: max_repeats still ends it)
  local function released(xs, spent)
    local now = rl.clock()
    return d.stop.reason(xs, now - spent, now) or (#xs >= d.stop.max_repeats and "max_repeats") or nil
  end
  -- (coarse) one more chunk for a seed that the stopping rule has not released; false once it is done.
  -- Each set's time counts times the number of sets: its share of max_seconds, so the first set cannot
  -- take the whole budget from the ones refilled after it.
  local function extend(r, e, set, chunk)
    if not d.stop or r.status ~= "ok" then return false end
    local s = r.seeds[e.si]
    if s.stop then return false end
    local why = released(s.samples_ms, (set_timing_s[e.si] or 0) * #entries)
    if why then s.stop = why; return false end
    timed(r, function() time_chunk(r, e, set, math.min(d.warmup, 2), math.min(chunk, d.stop.max_repeats - #s.samples_ms), "extra") end)
    return r.status == "ok"
  end

  local ok, err = pcall(function()
    if mode == "coarse" then
      local set
      for _, e in ipairs(entries) do
        set = prepare(e, set)
        for _, r in ipairs(active) do
          timed(r, function() time_chunk(r, e, set, d.warmup, d.repeats, nil) end)
          while extend(r, e, set, d.repeats) do end -- before the next seed refills the buffers
        end
      end
      return
    end
    local sets = {}
    for k, e in ipairs(entries) do sets[k] = prepare(e, nil) end
    local n = #entries
    for round = 1, rounds do
      local chunk = d.repeats * round // rounds - d.repeats * (round - 1) // rounds
      if chunk > 0 then
        for k = 0, n - 1 do
          local idx = (k + round - 1) % n + 1
          for _, r in ipairs(active) do
            timed(r, function() time_chunk(r, entries[idx], sets[idx], round == 1 and d.warmup or math.min(d.warmup, 2), chunk, round) end)
          end
        end
      end
    end
    -- a record's seeds and controls are extended together, round robin (rotating like the rounds), until
    -- the rule releases every one of them: a seed released alone would keep only the quiet minutes of a
    -- machine that later slows down while the others go on, and the spread between them would be the
    -- machine's, not the data's
    local open = {}
    for _, r in ipairs(active) do open[r] = d.stop and true or nil end
    local xr = rounds
    while next(open) do
      if rl.core.interrupted() then interrupted_error() end
      for _, r in ipairs(active) do
        if open[r] then
          local why, all = {}, r.status == "ok"
          for k, e in ipairs(entries) do
            if not all then break end
            why[k] = released(r.seeds[e.si].samples_ms, timing_s)
            all = why[k] ~= nil
          end
          if all then
            for k, e in ipairs(entries) do r.seeds[e.si].stop = why[k] end
          end
          if all or r.status ~= "ok" then open[r] = nil end
        end
      end
      -- (every set of an open record has the same count below max_repeats: released() says so at it)
      local chunk = math.max(1, d.repeats // rounds)
      for k = 0, n - 1 do
        local idx = (k + xr) % n + 1
        for _, r in ipairs(active) do
          if open[r] then
            local left = d.stop.max_repeats - #r.seeds[entries[idx].si].samples_ms
            timed(r, function() time_chunk(r, entries[idx], sets[idx], math.min(d.warmup, 2), math.min(chunk, left), "extra") end)
          end
        end
      end
      xr = xr + 1
    end
  end)
  for _, t in ipairs(opened) do pcall(t.close, t) end
  for _, r in ipairs(active) do r.load_avg = { before, load_avg() } end
  if not ok then
    err = tostring(err)
    if err:find("interrupted", 1, true) and rl.core.interrupted() then
      for _, r in ipairs(active) do
        if r.status == "ok" then record.set_status(r, "interrupted", "interrupted while measuring") end
      end
      return "interrupted"
    end
    -- an error outside a backend (the workload's inputs, a user's case): a script error
    for _, r in ipairs(active) do
      if r.status == "ok" then record.set_status(r, "error", err) end
    end
    return "script_error", err
  end
  if d.same_size_copy then
    for _, r in ipairs(active) do
      if r.status == "ok" and r.device == "cuda" and not ctx.cuda_lost then
        local okc, cerr = pcall(roofline.same_size_copy, run, d, rl, r, ctx.copy_cache)
        if not okc and tostring(cerr):find("interrupted", 1, true) then return "interrupted" end
      end
    end
  end
end

return M
