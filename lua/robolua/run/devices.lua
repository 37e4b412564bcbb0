-- --devices LIST|all: the scenario's CUDA points run on every listed GPU, one worker process per GPU in
-- parallel (each bound to its GPU with CUDA_VISIBLE_DEVICES, running only the CUDA-device backends);
-- the coordinator waits for all of them, then runs the CPU points itself, so host threads never
-- disturb the GPU workers' timings. The workers' records carry the GPU (index, name, UUID) and join
-- the coordinator's run folder; a worker that dies fails only its own points (what it journaled is
-- recovered).
local files = require "robolua.files"
local record = require "robolua.record"
local reload = require "robolua.run.reload"
local definition = require "robolua.run.definition"
local M = {}

-- "0,1" or "all" -> sorted list of indices, or raises a usage error.
function M.parse(spec, rl)
  -- the list's form first: a malformed one is the command's fault (exit 2) on any machine
  local usage = require "robolua.usage"
  if spec ~= "all" and (not spec:match("^[%d,]+$") or usage.has_empty_item(spec)) then
    usage.raise(string.format("--devices: '%s' is not 'all' or a list of device indices (0,1,...)", spec))
  end
  local n, why = rl.cuda.device_count()
  if n == 0 then -- (the command is right, this machine cannot run it: exit 1, as for the GPU tools)
    usage.unavailable("--devices " .. spec .. ": no CUDA device (" .. tostring(why or "none found") .. ")")
  end
  local list, seen = {}, {}
  if spec == "all" then
    for i = 0, n - 1 do list[#list + 1] = i end
  else
    for part in spec:gmatch("[^,]+") do
      local i = math.tointeger(tonumber(part))
      if not i or i < 0 or i >= n then
        usage.raise(string.format("--devices: '%s' is not a device index (this machine has %d: 0..%d)", part, n, n - 1))
      end
      if seen[i] then usage.raise("--devices: device " .. i .. " listed twice") end
      seen[i] = true
      list[#list + 1] = i
    end
  end
  table.sort(list)
  return list
end

local function shell_quote(s) return require("robolua.cli").shell_quote(s) end

-- The worker command for GPU i: the same script and arguments, only the CUDA-device backends.
local function worker_command(cli, dir, i, backends)
  local words = { "CUDA_VISIBLE_DEVICES=" .. i, shell_quote(cli.argv0), "--worker", tostring(i), "-q", "-o", shell_quote(dir),
    "--backend", table.concat(backends, ",") }
  for _, name in ipairs(cli.axis_order or {}) do
    local vals = {}
    for _, v in ipairs(cli.axis[name]) do vals[#vals + 1] = type(v) == "table" and table.concat(v, "x") or tostring(v) end
    words[#words + 1] = "-a"
    words[#words + 1] = shell_quote(name .. "=" .. table.concat(vals, ","))
  end
  if cli.shard then words[#words + 1] = "--shard"; words[#words + 1] = cli.shard.index .. "/" .. cli.shard.count end
  words[#words + 1] = shell_quote(cli.script)
  for _, a in ipairs(cli.script_args or {}) do words[#words + 1] = shell_quote(a) end
  return table.concat(words, " ")
end

function M.coordinate(d, plan, cli, where)
  local rl = require "robolua"
  local list = M.parse(cli.devices, rl)
  local gpu_backends, cpu_backends = {}, {}
  for _, b in ipairs(plan.backends) do
    local desc = require("robolua.run.plan").backend_of(d.workload, b)
    if desc.device == "cuda" then gpu_backends[#gpu_backends + 1] = b else cpu_backends[#cpu_backends + 1] = b end
  end
  if #gpu_backends == 0 then definition.usage(where, "--devices: the scenario has no CUDA backend to spread over GPUs") end
  local root = files.mkdir_unique((cli.out or "results") .. "/" .. d.name .. "-devices-" .. os.date("!%Y%m%dT%H%M%SZ"))
  local t0, started_utc = rl.clock(), os.date("!%Y-%m-%dT%H:%M:%SZ")
  local pending = {}
  for _, i in ipairs(list) do
    local wdir = root .. "/workers/gpu" .. i
    files.mkdir_p(wdir)
    local cmd = string.format("( %s > %s 2>&1; echo $? > %s ) &", worker_command(cli, wdir, i, gpu_backends),
      shell_quote(wdir .. "/worker.log"), shell_quote(wdir .. "/exit_code"))
    os.execute(cmd)
    pending[#pending + 1] = { index = i, dir = wdir }
    if not cli.quiet then io.stderr:write(string.format("robolua: GPU %d: worker started (log %s/worker.log)\n", i, wdir)) end
  end
  -- wait for every worker (an interrupt is passed on to them by the terminal's process group)
  for _, w in ipairs(pending) do
    while not files.exists(w.dir .. "/exit_code") do os.execute("sleep 0.2") end
    w.code = tonumber(files.read(w.dir .. "/exit_code") or "") or -1
  end
  local gpu_wall = rl.clock() - t0
  -- the CPU points, now that no worker is timing: this process runs the plan without the GPU backends
  local run
  if #cpu_backends > 0 then
    local saved = { backend = cli.backend, devices = cli.devices, out = cli.out, report = cli.report, baseline = cli.baseline,
      save_baseline = cli.save_baseline }
    cli.backend, cli.devices, cli.out = cpu_backends, nil, root .. "/cpu"
    cli.report, cli.baseline, cli.save_baseline = {}, nil, nil
    cli.defer_finish = true
    run = require("robolua.scenario").run(d.def)
    for k, v in pairs(saved) do cli[k] = v end
    cli.defer_finish = nil
  end
  -- the workers' records join the run, with their GPU
  local results = run and run.results or {}
  local devices = {}
  for _, w in ipairs(pending) do
    local folder = files.list(w.dir)
    local doc
    for _, e in ipairs(folder) do
      if files.is_dir(w.dir .. "/" .. e) then
        local ok, res = pcall(reload.load_run, w.dir .. "/" .. e)
        if ok then doc = res end
      end
    end
    local info = doc and doc.env and doc.env.cuda or {}
    local gpu = { index = w.index, name = info.name, uuid = info.uuid, pci_bus_id = info.pci_bus_id }
    devices[#devices + 1] = { gpu = gpu, exit_code = w.code, dir = w.dir, env = doc and doc.env, roofline = doc and doc.roofline }
    local got = {}
    for _, r in ipairs(doc and doc.results or {}) do
      r.gpu = gpu
      results[#results + 1] = r
      got[r.key .. "|" .. r.backend] = true
    end
    -- points the worker never reported (it died before writing them): failed, on this GPU only
    for _, cfg in ipairs(require("robolua.run.plan").mine(plan)) do
      for _, r in ipairs(cfg.records) do
        if r.device == "cuda" and not got[r.key .. "|" .. r.backend] then
          local lost = record.new { key = r.key, backend = r.backend, workload = r.workload, device = "cuda", gpu = gpu,
            point = r.point, config = r.config, label = r.label, bytes = r.bytes, index = r.index }
          record.set_status(lost, "error", string.format("the worker for GPU %d exited with code %d before measuring this point (see %s/worker.log)", w.index, w.code, w.dir))
          results[#results + 1] = lost
        end
      end
    end
  end
  if not run then -- no CPU points: the run object the runner would have made, with no results of its own
    run = require("robolua.scenario").new_run(d, plan, cli, rl)
  end
  table.sort(results, function(a, b)
    if (a.index or 0) ~= (b.index or 0) then return (a.index or 0) < (b.index or 0) end
    local ga, gb = a.gpu and a.gpu.index or -1, b.gpu and b.gpu.index or -1
    if ga ~= gb then return ga < gb end
    return a.backend < b.backend
  end)
  run.results = results
  run.started_utc = started_utc -- the run began with the workers, not with the CPU points after them
  run.devices = devices
  run.dir = root
  run.gpu_wall_s = gpu_wall
  run.command = cli.command
  run.backends = plan.backends
  record.speedups(run.results, d.speedup_base)
  run.finished_utc = os.date("!%Y-%m-%dT%H:%M:%SZ")
  local code = require("robolua.run.finish").finish(run, cli, { def_gates = d.def.gates, reports = d.def.reports, script = cli.script })
  rl.core.set_exit_code(code)
  return run
end

return M
