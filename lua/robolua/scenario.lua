-- robolua.scenario{...}: runs the campaign a script defines, stage by stage:
--   definition (run/definition.lua) -> plan (run/plan.lua) -> rooflines (run/roofline.lua) ->
--   measure each configuration (run/measure.lua, samples journaled as they come) -> records
--   finalized (record.lua) -> gates, reports, verdict, exit code (run/finish.lua).
-- The runner knows the workload only through its interface (workloads/init.lua).
local definition = require "robolua.run.definition"
local planmod = require "robolua.run.plan"
local measure = require "robolua.run.measure"
local roofline = require "robolua.run.roofline"
local progress = require "robolua.run.progress"
local journal = require "robolua.run.journal"
local finish = require "robolua.run.finish"
local record = require "robolua.record"
local envmod = require "robolua.env"
local json = require "robolua.json"
local files = require "robolua.files"
local M = {}

M.SCHEMA = record.SCHEMA

local function utc_stamp()
  local t = require("robolua").clock()
  return os.date("!%Y%m%dT%H%M%S") .. string.format("%03dZ", math.floor((t % 1) * 1000))
end

-- The run object: settings, environment, results; what the reports and gates receive.
function M.new_run(d, plan, cli, rl)
  local env = envmod.capture(rl)
  return {
    scenario = d.name, description = d.description, workload = d.workload.name, definition_hash = plan.hash,
    verification = type(d.workload.verification) == "string" and d.workload.verification or nil,
    command = cli.command or env.command, script = cli.script, script_args = cli.script_args,
    seeds = d.seeds, warmup = d.warmup, repeats = d.repeats, graph_batch = d.graph_batch, rotate = d.rotate,
    interleave_setting = d.interleave, stop = d.stop, backends = plan.backends, speedup_base = d.speedup_base,
    settings = { seeds = d.seeds, controls = d.controls, warmup = d.warmup, repeats = d.repeats, graph_batch = d.graph_batch,
      interleave = d.interleave, rotate = d.rotate, stop = require("robolua.run.stop").settings(d.stop),
      throttle = d.throttle, backends = plan.backends, pin = d.pin or nil },
    results = {}, gates = {}, warnings = {}, env = env, roofline = {},
    quiet = cli.quiet, profile_mode = cli.profile, shard = plan.shard,
    started_utc = os.date("!%Y-%m-%dT%H:%M:%SZ"),
  }
end

-- Looks for this scenario's newest profile folder made at this commit (tools/profile.sh writes
-- <out>/<scenario>-<stamp>/profile/commit.txt).
local function find_profile(out_dir, scenario, commit)
  if commit == "unknown" or not files.is_dir(out_dir) then return nil end
  local found
  for _, entry in ipairs(files.list(out_dir)) do
    if entry:sub(1, #scenario + 1) == scenario .. "-" then
      local c = files.read(out_dir .. "/" .. entry .. "/profile/commit.txt")
      if c and c:match("^(%S+)") == commit and (not found or entry > found) then found = entry end
    end
  end
  return found and (out_dir .. "/" .. found .. "/profile") or nil
end

local function open_run_folder(run, plan, cli)
  if cli.no_write or cli.profile then return end
  run.dir = files.mkdir_unique((cli.out or "results") .. "/" .. run.scenario .. "-" .. utc_stamp())
  files.write(run.dir .. "/env.json", json.encode(run.env) .. "\n")
  files.write(run.dir .. "/env.txt", envmod.text(run.env))
  -- the plan as records: what recover rebuilds a crashed run from (with the journal)
  local skeleton = {}
  for k, v in pairs(run) do skeleton[k] = v end
  skeleton.results = {}
  for _, cfg in ipairs(planmod.mine(plan)) do
    for _, r in ipairs(cfg.records) do skeleton.results[#skeleton.results + 1] = r end
  end
  files.write(run.dir .. "/plan.json", record.encode(skeleton))
end

-- What the run's ending needs from -o, --save-baseline and --baseline, checked before anything is measured
-- (--dry-run included): a folder it could not create or a baseline it could not read is a usage error
-- now, not after the sweep.
local function check_outputs(cli, scenario)
  local cli_mod, usage = require "robolua.cli", require "robolua.usage"
  local out = cli.out or "results"
  local function creatable(path, key, fallback)
    local ok, why = files.can_create(path)
    if not ok then usage.raise(cli_mod.typed(cli, key, nil, fallback) .. ": " .. why) end
  end
  if not (cli.no_write or cli.profile) then creatable(out, "out", "-o " .. out) end
  if cli.save_baseline then
    creatable(out .. "/baselines/" .. cli.save_baseline, "save_baseline", "--save-baseline " .. cli.save_baseline)
  end
  if cli.baseline then finish.baseline_doc(cli, scenario) end
end

-- "file:line" of the user's rl.scenario call, for definition errors. `return rl.scenario {...}` is a
-- tail call: the script's frame is gone, so the script is named with the line of its scenario call.
local function call_site(cli)
  local me = debug.getinfo(2, "t")
  local info = not (me and me.istailcall) and debug.getinfo(3, "Sl")
  if info and info.what ~= "C" then return info.short_src .. ":" .. (info.currentline or 0) end
  local script = cli.script
  if not script or script == "-" then return nil end
  local n = 0
  for line in ((files.read(script) or "") .. "\n"):gmatch("(.-)\n") do
    n = n + 1
    if line:find("scenario%s*[{(]") then return script .. ":" .. n end
  end
  return script
end

function M.run(def)
  local rl = require "robolua"
  local cli = rl.cli
  local where = call_site(cli)
  if cli.definition_only then -- robolua merge / recover re-read a scenario for its gates and reports
    cli.captured_definition = def
    return def
  end
  local d = definition.check(def, where)
  local cuda_ok, cuda_why = rl.cuda.available()
  local plan = planmod.build(d, cli, { ok = cuda_ok, reason = cuda_why })
  if cli.list then io.write(planmod.listing(plan, d)); return plan end
  check_outputs(cli, d.name)
  if cli.devices and not cli.worker then return require("robolua.run.devices").coordinate(d, plan, cli, where) end
  local run = M.new_run(d, plan, cli, rl)
  local mine = planmod.mine(plan)
  if cli.dry_run then
    local n = 0
    for _, cfg in ipairs(mine) do for _, r in ipairs(cfg.records) do if r.status == "ok" then n = n + 1 end end end
    io.write(string.format("dry run of '%s': the definition and the plan are valid; %d of %d (configuration, backend) points would be measured\n",
      d.name, n, #mine * #plan.backends))
    return plan
  end
  local devices = {}
  for _, cfg in ipairs(mine) do
    for _, r in ipairs(cfg.records) do
      devices[r.device] = true
    end
  end
  if devices.cuda and not cuda_ok then
    io.stderr:write("robolua: no usable NVIDIA GPU (" .. tostring(cuda_why) .. "): every CUDA point is skipped\n")
  end
  -- from here on a signal only sets the interrupt request: the folder is completed, every point is then
  -- marked interrupted and the reports are written (a signal that stopped the Lua code at once here
  -- would leave a folder with env.* only)
  rl.core.set_interrupt_polling(true)
  local opened, open_err = pcall(open_run_folder, run, plan, cli)
  if not opened then -- nothing is measured yet: the reason alone, as check_outputs would have said it
    rl.core.set_interrupt_polling(false)
    require("robolua.usage").raise(require("robolua.cli").typed(cli, "out", nil, "-o " .. tostring(cli.out)) .. ": " .. tostring(open_err))
  end
  local ctx = { run = run, d = d, rl = rl, journal = journal.open(run.dir), copy_cache = {}, case_bytes = 0,
    cpu_ticks = measure.cpu_ticks(), -- other processes' CPU use is measured from here (CPU hygiene)
    progress = progress.new(#mine * #plan.backends, cli.quiet) }
  local stopped, script_error
  local ok, err = true, nil
  if rl.core.interrupted() then stopped = true else ok, err = pcall(roofline.measure, run, d, rl, devices) end
  if not ok then
    if tostring(err):find("interrupted", 1, true) then stopped = true else script_error = tostring(err) end
  end
  if cli.profile and not stopped then
    local code = require("robolua.run.profile_mode").run(ctx, mine)
    rl.core.set_interrupt_polling(false)
    rl.core.set_exit_code(code)
    return run
  end
  for _, cfg in ipairs(mine) do
    if stopped then
      for _, r in ipairs(cfg.records) do
        if r.status == "ok" then record.set_status(r, "interrupted", "not measured: the run was interrupted") end
      end
    else
      local why, msg = measure.config(ctx, cfg)
      if why == "interrupted" or rl.core.interrupted() then stopped = true end
      if why == "script_error" then
        script_error = script_error or msg
        progress.note(ctx.progress, "robolua: " .. (cfg.key ~= "" and cfg.key or "the point (the scenario has no axes)") .. ": " .. tostring(msg))
      end
    end
    local ctxf = { roofline = run.roofline, sm_clock_max_mhz = run.env.cuda and run.env.cuda.sm_clock_mhz_max,
      throttle_pct = d.throttle.threshold_pct }
    for _, r in ipairs(cfg.records) do
      record.finalize(r, ctxf)
      run.results[#run.results + 1] = r
      local jok, jerr = pcall(journal.record, ctx.journal, r)
      if not jok then -- nothing more could be kept: stop measuring, and say why
        if not script_error then progress.note(ctx.progress, "robolua: " .. tostring(jerr)) end
        script_error = script_error or tostring(jerr)
        stopped = true
      end
      ctx.progress.done = ctx.progress.done + 1
    end
    -- A user's case may keep its tensors (the runner never closes them); their host memory is invisible
    -- to Lua's collector, so a full collection runs after every 256 MB of them. (A collector step after
    -- every point made a sweep's cost grow with the square of its points.)
    if d.def.case then
      ctx.case_bytes = ctx.case_bytes + (cfg.bytes or 0) * (#d.seeds + d.controls)
      if ctx.case_bytes > 256 * 2 ^ 20 then collectgarbage(); ctx.case_bytes = 0 end
    end
  end
  progress.finish(ctx.progress)
  record.speedups(run.results, d.speedup_base)
  run.finished_utc = os.date("!%Y-%m-%dT%H:%M:%SZ")
  run.interrupted = stopped or rl.core.interrupted() ~= nil or nil
  run.profile_dir = find_profile(cli.out or "results", run.scenario, run.env.git.commit)
  if run.profile_dir then pcall(require("robolua.profile").attach, run, run.profile_dir) end
  if cli.defer_finish then -- the --devices coordinator judges and reports the whole run itself
    rl.core.set_interrupt_polling(false)
    return run
  end
  local code = finish.finish(run, cli, { def_gates = d.def.gates, reports = d.def.reports, script_error = script_error,
    script = cli.script })
  rl.core.set_interrupt_polling(false)
  if rl.core.interrupted() then code = 2 end
  rl.core.set_exit_code(code)
  return run
end

return M
