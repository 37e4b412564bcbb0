-- Stage 1: the scenario definition, checked before anything runs, with its defaults filled in.
-- Every problem is a usage error (exit 2) that names the key and points at the user's file and line;
-- an unknown key gets a did-you-mean.
local usage_error = require "robolua.usage"
local M = {}

M.MAX_NAME = 128 -- characters of a scenario's or a baseline's name (folder names built from them)

-- Every key a definition may have, with a one-line meaning (also the README's list).
M.keys = {
  name = "run folder and report name", description = "one line for the reports", workload = "what is measured",
  seeds = "data seeds", controls = "identical-data control seeds (noise floor)", warmup = "untimed calls first",
  repeats = "timed samples per seed", batch = "launches per CUDA graph (graph mode)",
  interleave = "rounds across seeds: \"auto\", 1 (seed after seed) or N", rotate = "CUDA input sets: N or \"auto\"",
  stop = "stopping rule", axes = "the sweep", zip = "axes that advance together", filter = "drop points",
  skip = "keep points, marked skipped", case = "custom inputs", bytes = "custom minimum bytes",
  gates = "pass/fail checks", reports = "report formats", same_size_copy = "time a copy of each CUDA result's bytes",
  roofline = "false: no copy-bandwidth probe", cpu_copy_bytes = "CPU memcpy probe size",
  cuda_copy_bytes = "CUDA copy probe size", speedup_base = "backend speedups are relative to",
  backends = "backends this scenario defines", throttle = "{threshold_pct =, action = \"flag\"|\"remeasure\"}",
  pin = "pin CPU threads to cores", max_load = "share of the CPUs busy with other processes above which a CPU point warns and leaves them out",
}

local did_you_mean = usage_error.did_you_mean
M.did_you_mean = did_you_mean

-- A usage error: a message prefixed with the user's file:line, raised so the CLI exits 2.
local function usage(where, msg)
  usage_error.raise((where and (where .. ": ") or "") .. "scenario: " .. msg)
end
M.usage = usage

local function where_defined(fn)
  local i = debug.getinfo(fn, "S")
  return i and (i.short_src .. ":" .. i.linedefined) or "?"
end
M.where_defined = where_defined

local function is_int(v, min) return math.type(v) == "integer" and v >= (min or -math.huge) end

-- Speedups are against the CPU unless the scenario says (plan.lua refuses a named base it lacks).
M.DEFAULT_SPEEDUP_BASE = "cpu"

-- def (the table given to rl.scenario) -> a checked copy with defaults; where: "file:line" of the call.
function M.check(def, where)
  if type(def) ~= "table" then usage(where, "expected a table {name=, axes=, ...}") end
  local names = {}
  for k in pairs(M.keys) do names[#names + 1] = k end
  table.sort(names)
  local unknown = usage_error.unknown_key(def, names)
  if unknown then usage(where, unknown) end
  if type(def.name) ~= "string" or not def.name:match("^[%w_%-%.]+$") then
    usage(where, "name must be a string of letters, digits, '_', '-', '.'")
  end
  if #def.name > M.MAX_NAME then -- (the run folder is NAME-<UTC stamp>: a file name has 255 bytes at most)
    usage(where, string.format("name is %d characters long, at most %d", #def.name, M.MAX_NAME))
  end
  if def.axes ~= nil and type(def.axes) ~= "table" then usage(where, "axes must be a table {axis = {values...}}") end
  for _, k in ipairs { "gates", "reports", "zip" } do
    if def[k] ~= nil and type(def[k]) ~= "table" then usage(where, k .. " must be a list") end
  end
  for _, k in ipairs { "gates", "reports", "zip", "seeds" } do
    local problem = type(def[k]) == "table" and usage_error.list_problem(def[k], k)
    if problem then usage(where, problem) end
  end
  for name, values in pairs(type(def.axes) == "table" and def.axes or {}) do
    local problem = type(values) == "table" and usage_error.list_problem(values, "axes." .. tostring(name))
    if problem then usage(where, problem) end
  end
  if def.seeds ~= nil then
    if type(def.seeds) ~= "table" or #def.seeds == 0 then usage(where, "seeds must be a non-empty list of integers") end
    local seen = {}
    for i, s in ipairs(def.seeds) do
      if math.type(s) ~= "integer" then usage(where, string.format("seeds[%d]: expected an integer, got %s", i, tostring(s))) end
      if seen[s] then usage(where, string.format("seeds[%d]: seed %d is listed twice", i, s)) end
      seen[s] = true
    end
  end
  for _, k in ipairs { "warmup", "repeats", "batch", "controls" } do
    local min = (k == "warmup" or k == "controls") and 0 or 1
    if def[k] ~= nil and not is_int(def[k], min) then
      usage(where, string.format("%s must be an integer >= %d, got %s", k, min, tostring(def[k])))
    end
  end
  local il = def.interleave
  if il ~= nil and il ~= "auto" and not is_int(il, 1) then usage(where, "interleave must be \"auto\" or an integer >= 1") end
  for _, k in ipairs { "case", "filter", "skip", "bytes" } do
    if def[k] ~= nil and type(def[k]) ~= "function" then usage(where, k .. " must be a function") end
  end
  local r = def.rotate
  if r ~= nil and r ~= "auto" and not (is_int(r, 1) and r <= 64) then usage(where, "rotate must be an integer in [1, 64] or \"auto\"") end
  local st = def.stop
  if st ~= nil then
    if type(st) ~= "table" then usage(where, "stop must be a table {precision_pct=, max_repeats=, max_seconds=} or a criterion") end
    local ok, err = pcall(require("robolua.run.stop").from_definition, st, def.repeats or 50)
    if not ok then usage(where, tostring(err)) end
  end
  local th = def.throttle
  if th ~= nil then
    if type(th) ~= "table" then usage(where, "throttle must be a table {threshold_pct =, action =}") end
    if th.threshold_pct ~= nil and not (type(th.threshold_pct) == "number" and th.threshold_pct > 0 and th.threshold_pct <= 100) then
      usage(where, "throttle.threshold_pct must be in (0, 100]")
    end
    if th.action ~= nil and th.action ~= "flag" and th.action ~= "remeasure" then
      usage(where, "throttle.action must be \"flag\" or \"remeasure\"")
    end
  end
  if def.reports then
    local formats = require("robolua.reports").formats
    for i, rep in ipairs(def.reports) do
      if type(rep) ~= "function" and not formats[rep] then
        local known = {}
        for k in pairs(formats) do known[#known + 1] = k end
        table.sort(known)
        local hint = type(rep) == "string" and did_you_mean(rep, known)
        usage(where, string.format("reports[%d]: unknown report '%s'%s (known: %s, or a function(run, dir))", i, tostring(rep),
          hint and (" (did you mean '" .. hint .. "'?)") or "", table.concat(known, ", ")))
      end
    end
  end
  if def.gates then
    for i, g in ipairs(def.gates) do
      if type(g) ~= "function" and not (type(g) == "table" and type(g.check) == "function") then
        usage(where, string.format("gates[%d]: expected a function or {name=, check=}, got %s", i, type(g)))
      end
    end
  end
  if def.backends ~= nil then
    if type(def.backends) ~= "table" then usage(where, "backends must be a table {name = backend}") end
    for name, b in pairs(def.backends) do
      local ok, err = pcall(require("robolua.backends").register, name, b)
      if not ok then usage(where, "backends." .. tostring(name) .. ": " .. tostring(err):gsub("^backends%.register: ", "")) end
    end
  end

  local seeds = def.seeds or { 0 }
  local repeats = def.repeats or 50
  return {
    def = def, where = where, name = def.name, description = def.description,
    workload = require("robolua.workloads").get(def.workload, where),
    seeds = seeds,
    controls = def.controls or (#seeds >= 2 and #seeds - 1 or 0),
    warmup = def.warmup or 10,
    repeats = repeats,
    graph_batch = def.batch or 20,
    interleave = def.interleave or "auto",
    rotate = def.rotate or 1,
    stop = require("robolua.run.stop").from_definition(def.stop, repeats),
    throttle = { threshold_pct = def.throttle and def.throttle.threshold_pct or 90,
      action = def.throttle and def.throttle.action or "flag" },
    pin = def.pin == true,
    max_load = def.max_load or 0.5,
    same_size_copy = def.same_size_copy ~= false,
    speedup_base = def.speedup_base or M.DEFAULT_SPEEDUP_BASE,
  }
end

return M
