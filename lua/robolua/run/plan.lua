-- Stage 2: the plan. The sweep (with command-line axis overrides) becomes configurations, each with a
-- record per backend, skip reasons decided here once (so measurement and --profile see the same
-- plan), a shard, and an estimated cost. Every problem found here is a usage error (exit 2) raised
-- before anything is measured.
local sweep = require "robolua.sweep"
local json = require "robolua.json"
local record = require "robolua.record"
local backends = require "robolua.backends"
local shard = require "robolua.run.shard"
local definition = require "robolua.run.definition"
local usage = require "robolua.usage"
local M = {}

M.modes = {}
for _, m in ipairs(require("robolua.core").timing_modes) do M.modes[m] = true end

-- Axes the runner itself reads (the workload reads its own); the rest are carried as extra.
M.runner_axes = { mode = true, threads = true, backend = true }

local function as_list(v) return type(v) == "table" and v or { v } end

-- A scenario without a backend axis runs on the CPU.
local DEFAULT_BACKENDS = { "cpu" }

local function value_text(v) return type(v) == "table" and table.concat(v, "x") or tostring(v) end

-- A command-line option naming something the run has not: a usage error naming the option as typed,
-- the nearest name and the names there are.
local function refuse_option(cli, key, name, fallback, lacks, names)
  local hint = definition.did_you_mean(name, names)
  usage.raise(string.format("%s: %s '%s' (%sit has: %s)", require("robolua.cli").typed(cli, key, name, fallback), lacks,
    name, hint and ("did you mean '" .. hint .. "'? ") or "", table.concat(names, ", ")))
end

-- A problem with axis name's values: named as typed on the command line when -a gave them (the
-- scenario's line is not where the mistake is), else as the scenario's axes.NAME.
local function axis_usage(d, cli, name, msg)
  if cli.axis and cli.axis[name] then usage.raise(require("robolua.cli").typed(cli, "axis", name, "-a " .. name) .. ": " .. msg) end
  definition.usage(d.where, "axes." .. name .. ": " .. msg)
end

-- The axes after command-line overrides (-a NAME=...): values replace the scenario's.
local function final_axes(d, cli)
  local axes, names = {}, {}
  for k, v in pairs(d.def.axes or {}) do axes[k] = v; names[#names + 1] = k end
  table.sort(names)
  -- -a replaces an axis's values: a name the scenario lacks is a typo (-a dtpye=bf16), never a new axis
  for name in pairs(cli.axis or {}) do
    if axes[name] == nil then refuse_option(cli, "axis", name, "-a " .. name, "the scenario has no axis", names) end
  end
  for name, values in pairs(cli.axis or {}) do axes[name] = values end
  for name, values in pairs(axes) do
    local seen = {}
    for _, v in ipairs(as_list(values)) do
      local t = value_text(v)
      if seen[t] then axis_usage(d, cli, name, string.format("the value %s is listed twice", t)) end
      seen[t] = true
    end
  end
  return axes
end

-- A backend of this workload: its own (w.backends, e.g. fusion's per-stream launches) or a registered one.
local function backend_of(w, name)
  return type(name) == "string" and (w.backends and w.backends[name] or backends.get(name)) or nil
end
M.backend_of = backend_of

local function backend_list(d, axes, cli)
  local list = as_list(axes.backend or DEFAULT_BACKENDS)
  for _, b in ipairs(list) do
    if not backend_of(d.workload, b) then
      local known = backends.names()
      for k in pairs(d.workload.backends or {}) do known[#known + 1] = k end
      local hint = type(b) == "string" and definition.did_you_mean(b, known)
      local msg = string.format("unknown backend '%s'%s (known: %s)", tostring(b), hint and (" (did you mean '" .. hint .. "'?)") or "",
        table.concat(known, ", "))
      axis_usage(d, cli, "backend", msg)
    end
  end
  if cli.backend then
    local keep, present = {}, {}
    for _, b in ipairs(list) do present[b] = true end
    for _, b in ipairs(cli.backend) do
      if not present[b] then
        definition.usage(nil, string.format("--backend %s: the scenario has no backend '%s' (it has: %s)", b, b, table.concat(list, ", ")))
      end
      keep[b] = true
    end
    local out = {}
    for _, b in ipairs(list) do if keep[b] then out[#out + 1] = b end end
    list = out
  end
  -- a gate or speedup_base naming a backend the scenario has not (a typo, "gpu" for "cuda") would only
  -- ever be SKIPPED, and the run pass without it: refused against the scenario's own backend list (a
  -- backend that -a or --backend leaves out is skipped by the gate, as the user asked)
  local declared, names = {}, as_list(d.def.axes and d.def.axes.backend or DEFAULT_BACKENDS)
  for _, b in ipairs(names) do declared[b] = true end
  local function named(what, b)
    if not declared[b] then
      local hint = definition.did_you_mean(b, names)
      definition.usage(d.where, string.format("%s: the scenario has no backend '%s'%s (axes.backend: %s)", what, b,
        hint and (" (did you mean '" .. hint .. "'?)") or "", table.concat(names, ", ")))
    end
  end
  -- (the default written out is the default: no speedup is computed when the run has no such backend)
  if d.def.speedup_base ~= nil and d.def.speedup_base ~= definition.DEFAULT_SPEEDUP_BASE then named("speedup_base", tostring(d.def.speedup_base)) end
  for i, g in ipairs(d.def.gates or {}) do
    for _, b in ipairs(type(g) == "table" and type(g.backends) == "table" and g.backends or {}) do
      named(string.format("gates[%d] (%s): %s", i, tostring(g.name), b.key), b.name)
    end
  end
  -- --require of a backend the run has not: it could only fail, after measuring everything else
  for _, b in ipairs(cli.require or {}) do
    local present = false
    for _, x in ipairs(list) do present = present or x == b end
    if not present then refuse_option(cli, "require", b, "--require " .. b, "the run has no backend", list) end
  end
  return list
end

-- FNV-1a, 64 bits (Lua integers wrap), as 16 hex digits.
local function fnv1a(s)
  local h = -3750763034362895579 -- 0xcbf29ce484222325
  for i = 1, #s do
    h = h ~ s:byte(i)
    h = h * 1099511628211
  end
  return string.format("%016x", h)
end
M.hash = fnv1a

-- A point's error (a message, or usage.axis's error naming the axis it refuses). One about an axis whose
-- values came from the command line (-a dtype=bf17) names what was typed there, not the scenario's line,
-- which is not where the mistake is.
local function point_error(d, cli, key, err)
  local structured = type(err) == "table" and err.message ~= nil
  local name, msg = structured and err.axis, structured and tostring(err.message) or tostring(err)
  if name and cli.axis and cli.axis[name] then
    usage.raise(string.format("%s: point %s: %s", require("robolua.cli").typed(cli, "axis", name, "-a " .. name), key, msg))
  end
  definition.usage(d.where, "point " .. key .. ": " .. msg)
end

-- d: checked definition; cli: rl.cli; cuda: {ok =, reason =}. -> plan
function M.build(d, cli, cuda)
  local w = d.workload
  local axes = final_axes(d, cli)
  local list = backend_list(d, axes, cli)
  axes.backend = nil
  for _, group in ipairs(d.def.zip or {}) do
    for _, name in ipairs(group) do
      if name == "backend" then definition.usage(d.where, "zip: backend can't be zipped: every point runs on every backend") end
    end
  end
  local ok, points = pcall(sweep.expand, axes, { zip = d.def.zip, filter = d.def.filter })
  if not ok then definition.usage(d.where, tostring(points)) end
  if #points == 0 then definition.usage(d.where, "the sweep has no points (all filtered out?)") end
  local configs, costs = {}, {}
  local entries = #d.seeds + d.controls
  for pi, p in ipairs(points) do
    local key = sweep.key(p)
    local okc, c = pcall(w.config, p, d.def)
    if not okc then point_error(d, cli, key, c) end
    c.mode = p.mode or "hot"
    if type(c.mode) ~= "string" or not M.modes[c.mode] then
      point_error(d, cli, key, { axis = "mode", message = "axis mode: unknown mode '" .. tostring(c.mode) .. "' (hot, cold, graph)" })
    end
    c.threads = p.threads
    if c.threads ~= nil and (math.type(c.threads) ~= "integer" or c.threads < 1 or c.threads > 4096) then
      point_error(d, cli, key, { axis = "threads", message = "axis threads: expected an integer in [1, 4096]" })
    end
    c.extra = {}
    local known = {}
    for _, a in ipairs(w.axes) do known[a] = true end
    for k, v in pairs(p) do
      if not known[k] and not M.runner_axes[k] then c.extra[k] = v end
    end
    local skip_reason
    if d.def.skip then
      local oks, why = pcall(d.def.skip, p)
      -- (as a raising filter is: the scenario's error naming the point, before anything is measured)
      if not oks then definition.usage(d.where, string.format("point %s: skip(point) raised: %s", key, tostring(why))) end
      skip_reason = why
    end
    local bytes = d.def.bytes and d.def.bytes(c) or w.bytes(c)
    if bytes ~= nil and (type(bytes) ~= "number" or bytes < 0 or bytes ~= bytes) then
      definition.usage(d.where, string.format("point %s: bytes() (defined at %s) returned %s, expected a number >= 0", key,
        d.def.bytes and definition.where_defined(d.def.bytes) or "the workload", tostring(bytes)))
    end
    local cfg = { index = pi, key = key, point = p, config = c, label = w.label(c), bytes = bytes, records = {} }
    for _, b in ipairs(list) do
      local desc = backend_of(w, b)
      local r = record.new { key = key, backend = b, workload = w.name, device = desc.device, point = p, config = c,
        label = cfg.label, bytes = bytes, index = pi }
      if skip_reason then
        record.set_status(r, "skipped", skip_reason)
      elseif desc.reference then
        record.set_status(r, "skipped", "the reference is the yardstick, not a timed backend")
      elseif desc.device == "cuda" and not cuda.ok then
        record.set_status(r, "skipped", "no usable GPU")
      elseif desc.device ~= "cuda" and c.mode == "graph" then
        record.set_status(r, "skipped", "graph mode is CUDA-only")
      end
      cfg.records[#cfg.records + 1] = r
    end
    configs[pi] = cfg
    local active = 0
    for _, r in ipairs(cfg.records) do if r.status == "ok" then active = active + 1 end end
    costs[pi] = (bytes or 1e6) * entries * d.repeats * math.max(active, 0.01)
  end
  local n = cli.shard and cli.shard.count or 1
  local assigned = shard.assign(costs, n)
  for k, cfg in ipairs(configs) do cfg.shard, cfg.cost = assigned[k], costs[k] end

  local plan = { configs = configs, backends = list, axes = axes, shard = cli.shard, cuda = cuda }
  -- what the definition resolves to: anything that changes what is measured changes this hash
  local shape = { name = d.name, workload = w.name, seeds = d.seeds, controls = d.controls, warmup = d.warmup,
    repeats = d.repeats, graph_batch = d.graph_batch, interleave = d.interleave, rotate = d.rotate,
    stop = require("robolua.run.stop").settings(d.stop), throttle = d.throttle, backends = list, points = {} }
  for _, cfg in ipairs(configs) do
    local skips = {}
    for _, r in ipairs(cfg.records) do skips[#skips + 1] = r.status == "skipped" and r.reason or "" end
    shape.points[#shape.points + 1] = { key = cfg.key, config = json.sanitize(cfg.config), skips = skips }
  end
  plan.hash = fnv1a(json.encode(shape))
  return plan
end

-- The configurations this process measures (its shard's).
function M.mine(plan)
  local out = {}
  for _, cfg in ipairs(plan.configs) do
    if not plan.shard or cfg.shard == plan.shard.index then out[#out + 1] = cfg end
  end
  return out
end

-- --list: one line per (configuration, backend) with its shard and status.
function M.listing(plan, d)
  local lines = { string.format("plan of '%s': %d configurations x %d backends, %d seeds + %d controls, %d repeats%s",
    d.name, #plan.configs, #plan.backends, #d.seeds, d.controls, d.repeats,
    plan.shard and string.format("; shards: %d (this is %d)", plan.shard.count, plan.shard.index) or "") }
  for _, cfg in ipairs(plan.configs) do
    for _, r in ipairs(cfg.records) do
      lines[#lines + 1] = string.format("  [%d] shard %d  %-10s %s  %s%s", cfg.index, cfg.shard, r.backend, cfg.key,
        r.status == "ok" and "run" or ("skipped: " .. tostring(r.reason)),
        cfg.bytes and string.format("  (%s)", require("robolua.fmt").bytes(cfg.bytes)) or "")
    end
  end
  return table.concat(lines, "\n") .. "\n"
end

return M
