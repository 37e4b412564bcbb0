-- The command line: option parsing, subcommands (compare, merge, recover) and running the script.
-- core/cli/main.c calls main(argv) inside one protected call; main returns the exit code:
-- 0 success, 1 a gate failed (or compare found a slowdown, or a tool found no CUDA device: robolua.usage),
-- 2 usage, script or write error.
local M = {}

M.usage = [[
usage: robolua [options] SCRIPT [script args]
       robolua [options] -e 'lua code' [-e ...]
       ]] .. require("robolua.compare_cli").synopsis .. [[

       robolua merge OUT DIR... [--force]
       robolua recover DIR
Runs a Lua 5.4 benchmark scenario inside the robolua engine.

options:
  -e CODE              run CODE (repeatable, in order) before SCRIPT, or instead of it
  -o, --out DIR        where run folders go (default: results)
  -q, --quiet          no progress lines (the gate table, the run folder and the verdict are still printed)
  --report FMT         also print a report to stdout (csv, json, junit, markdown; repeatable)
  --strict             skipped gates, skipped points and INCONCLUSIVE verdicts count as failures
  --require BACKEND    fail (exit 1) unless every point of BACKEND was measured (repeatable)
  --profile            verify each point, then launch it 3 times inside NVTX ranges (for nsys/ncu)
  --no-write           measure and print, but write no run folder (a --save-baseline is still saved)
  --list               print the plan (points, backends, shards, skips) and exit
  --dry-run            check the definition and the plan, measure nothing, exit 0
  -a, --axis NAME=V,.. replace axis NAME's values (a subset filters: -a dtype=bf16)
  --backend LIST       run only these backends (comma separated)
  --devices LIST|all   run the CUDA points on each listed GPU, one worker process per GPU
  --shard I/N|slurm    run shard I of N of the plan (slurm: SLURM_ARRAY_TASK_ID and the array size)
  --save-baseline NAME after the run, store it as OUT/baselines/NAME
  --baseline NAME      after the run, compare it with OUT/baselines/NAME (exit 1 if SLOWER, BROKEN or MISSING)
  --threshold PCT      with --baseline: a change smaller than PCT % is SAME (default 5)
  --alpha P            with --baseline: the significance level of SLOWER/FASTER (default 0.01)
  -h, --help           this text
  -V, --version        version, commit and build options

exit codes: 0 success, 1 a gate failed (or a GPU tool found no GPU), 2 usage, script or write error
environment: ROBOLUA_PATH=DIR loads lua/ modules from DIR; ROBOLUA_CACHE=DIR caches compiled kernels
]]

local function usage_error(msg)
  io.stderr:write("robolua: " .. msg .. "\n(robolua --help for the options)\n")
  return 2
end

-- Shell-quoted argv, for the "regenerate" line of every report.
local function shell_quote(s)
  if s ~= "" and not s:find("[^%w_%-%./=:,+@%%]") then return s end
  return "'" .. s:gsub("'", "'\\''") .. "'"
end
M.shell_quote = shell_quote

local function version_text(rl)
  local b = rl.core.build
  return string.format("robolua %s (commit %s, %s build, %s, %s%s, Lua 5.4)", b.version, b.commit, b.build_type,
    b.compiler, b.cuda and "CUDA backend built in" or "CPU-only build", b.sanitize and ", ASan+UBSan" or "")
end
M.version_text = version_text

-- Parses "-a NAME=V1,V2": numbers stay numbers; "8x250x128" becomes {8, 250, 128} (a shape).
local function parse_axis(spec)
  local name, values = spec:match("^([%w_]+)=(.+)$")
  if not name then return nil, "-a/--axis: expected NAME=V1,V2,..., got '" .. spec .. "'" end
  local list = {}
  if require("robolua.usage").has_empty_item(values) then
    return nil, string.format("-a %s: an empty value in the list", spec)
  end
  for v in values:gmatch("[^,]+") do
    if v:match("^%d+x%d+x%d+[x%d]*$") then
      local t = {}
      for n in v:gmatch("%d+") do
        local i = math.tointeger(tonumber(n))
        if not i then return nil, string.format("-a %s: %s is not an integer this machine can hold (at most %d)", spec, n, math.maxinteger) end
        t[#t + 1] = i
      end
      list[#list + 1] = t
    elseif v == "true" or v == "false" then
      list[#list + 1] = v == "true"
    else
      list[#list + 1] = math.tointeger(tonumber(v)) or tonumber(v) or v
    end
  end
  return name, list
end

local value_options = {
  ["-e"] = "code", ["-o"] = "out", ["--out"] = "out", ["--report"] = "report", ["--require"] = "require",
  ["-a"] = "axis", ["--axis"] = "axis", ["--backend"] = "backend", ["--devices"] = "devices",
  ["--shard"] = "shard", ["--save-baseline"] = "save_baseline", ["--baseline"] = "baseline",
  ["--threshold"] = "threshold", ["--alpha"] = "alpha",
  ["--worker"] = "worker",
}
local flag_options = {
  ["-q"] = "quiet", ["--quiet"] = "quiet", ["--strict"] = "strict", ["--profile"] = "profile",
  ["--no-write"] = "no_write", ["--list"] = "list", ["--dry-run"] = "dry_run",
}
local repeatable = { code = true, report = true, require = true, axis = true }

-- --threshold PCT and --alpha P, of a run's --baseline and of robolua compare: the value as compare
-- takes it (a fraction), or nil and the range the text is outside of.
local compare_ranges = { threshold = { 0, 1000, 100 }, alpha = { 0, 1, 1 } }
function M.compare_option(key, text)
  local lo, hi, per = table.unpack(compare_ranges[key])
  local n = tonumber(text)
  if not n or n ~= n or n <= lo or n >= hi then return nil, string.format("a number in (%g, %g)", lo, hi) end
  return n / per
end

-- An option as the user wrote it ("--out /x", "-a foo=1"), for errors found after parsing: cli.typed holds
-- the words of each option given (by value for a repeatable one: axes by name); fallback when it was not
-- typed (rl.cli set from Lua).
function M.typed(cli, key, value, fallback)
  local t = cli.typed and cli.typed[key]
  if value ~= nil then t = t and t[value] end
  return t or fallback
end

-- argv[0..n] -> cli table, script index, or nil, message.
function M.parse(argv)
  local cli = { out = "results", quiet = false, strict = false, profile = false, report = {}, no_write = false,
    code = {}, require = {}, axis = {}, axis_order = {}, typed = {} }
  local i = 1
  while argv[i] do
    local a = argv[i]
    if a == "-h" or a == "--help" then cli.help = true; return cli end
    if a == "-V" or a == "--version" then cli.version = true; return cli end
    local key = value_options[a]
    if key then
      local v = argv[i + 1]
      if v == nil then return nil, a .. " needs a value" end
      if v == "" then return nil, a .. ": the value is empty" end
      local typed = a .. " " .. shell_quote(v)
      if repeatable[key] then
        local by = v
        if key == "axis" then
          local name, list = parse_axis(v)
          if not name then return nil, list end
          if cli.axis[name] then return nil, "-a/--axis: axis '" .. name .. "' given twice" end
          cli.axis[name] = list
          cli.axis_order[#cli.axis_order + 1] = name
          by = name
        else
          table.insert(cli[key], v)
        end
        cli.typed[key] = cli.typed[key] or {}
        cli.typed[key][by] = typed
      else
        if cli[key] ~= nil and key ~= "out" then return nil, a .. " given twice" end
        cli[key] = v
        cli.typed[key] = typed
      end
      i = i + 2
    elseif flag_options[a] then
      cli[flag_options[a]] = true
      i = i + 1
    elseif a == "--" then
      if argv[i + 1] then cli.script_index = i + 1 end
      break
    elseif a:sub(1, 1) == "-" and a ~= "-" then
      return nil, "unknown option '" .. a .. "'"
    else
      cli.script_index = i
      break
    end
  end
  if cli.script_index then cli.script = argv[cli.script_index] end
  local known = { csv = true, json = true, junit = true, markdown = true, md = true }
  for _, f in ipairs(cli.report) do
    if not known[f] then return nil, "--report: unknown format '" .. f .. "' (csv, json, junit, markdown)" end
  end
  if cli.backend then
    local list, seen = {}, {}
    for b in cli.backend:gmatch("[^,%s]+") do
      if seen[b] then return nil, "--backend: backend '" .. b .. "' listed twice" end
      seen[b] = true
      list[#list + 1] = b
    end
    if #list == 0 then return nil, "--backend: no backend named" end
    cli.backend = list
  end
  if cli.shard then
    local shard, err = require("robolua.run.shard").parse(cli.shard)
    if not shard then return nil, err end
    cli.shard = shard
  end
  for _, key in ipairs { "threshold", "alpha" } do
    if cli[key] then
      local n, range = M.compare_option(key, cli[key])
      if not n then return nil, string.format("--%s: expected %s, got '%s'", key, range, cli[key]) end
      if not cli.baseline then return nil, "--" .. key .. " applies to --baseline NAME (or use robolua compare)" end
      cli[key] = n
    end
  end
  for _, name in ipairs { "save_baseline", "baseline" } do
    local v = cli[name]
    if v and (not v:match("^[%w_%-%.]+$") or v == "." or v == "..") then
      return nil, "--" .. name:gsub("_", "-") .. ": a name of letters, digits, '_', '-', '.' (not '.' or '..')"
    end
    local max = require("robolua.run.definition").MAX_NAME
    if v and #v > max then
      return nil, string.format("--%s: the name is %d characters long, at most %d", name:gsub("_", "-"), #v, max)
    end
  end
  return cli
end

-- Loads a Lua file as text only: a precompiled (binary) chunk is refused, since a damaged one can
-- crash the VM.
local function load_text(path)
  local chunk, err
  if path == "-" then chunk, err = load(io.read("a"), "=stdin", "t") else chunk, err = loadfile(path, "t") end
  if not chunk and tostring(err):find("attempt to load a binary chunk", 1, true) then
    err = (path == "-" and "stdin" or path) .. ": a precompiled (binary) chunk is refused: robolua loads scripts as Lua source only"
  end
  return chunk, err
end
M.load_text = load_text

local function traceback(e)
  if type(e) == "table" and e.robolua_exit then return e end
  return debug.traceback(tostring(e), 2)
end

-- Runs fn under the traceback handler; an error prints "robolua: <message>" and gives exit 2. A
-- scenario or tool that ends the run early (usage errors found before measuring, no CUDA device:
-- robolua.usage) throws {robolua_exit = code, message = ...}: its message alone, its code.
local function protected(fn, ...)
  local ok, err = xpcall(fn, traceback, ...)
  if ok then return 0 end
  if type(err) == "table" and err.robolua_exit then
    if err.message then io.stderr:write("robolua: " .. err.message .. "\n") end
    return err.robolua_exit
  end
  if tostring(err):find("interrupted", 1, true) and require("robolua.core").interrupted() then
    -- SIGINT/SIGTERM outside a scenario's measurements (which end with their reports): no traceback
    io.stderr:write("robolua: interrupted\n")
    return 2
  end
  io.stderr:write("robolua: " .. tostring(err) .. "\n")
  io.stderr:flush()
  return 2
end

local subcommands = { compare = "robolua.compare_cli", merge = "robolua.merge", recover = "robolua.run.recover" }

function M.main(argv)
  local rl = require "robolua"
  _G.robolua = rl
  -- `robolua -o DIR compare ...`: -o written where a run's options go means compare's -o (where named
  -- baselines are looked up), not an unknown script named compare
  local first, out_before = 1, nil
  if (argv[1] == "-o" or argv[1] == "--out") and argv[2] and argv[3] == "compare" then first, out_before = 3, argv[2] end
  local sub = subcommands[argv[first] or ""]
  if sub then
    local words = {}
    for i = 0, #argv do words[#words + 1] = shell_quote(argv[i]) end
    rl.cli.command, rl.cli.argv0 = table.concat(words, " "), argv[0]
    local args = out_before and { "-o", out_before } or {}
    for i = first + 1, #argv do args[#args + 1] = argv[i] end
    local code = 2
    local status = protected(function() code = require(sub).main(args) end)
    return status ~= 0 and status or code
  end
  local cli, err = M.parse(argv)
  if not cli then return usage_error(err) end
  if cli.help then io.write(M.usage); return 0 end
  if cli.version then io.write(version_text(rl) .. "\n"); return 0 end
  if not cli.script and #cli.code == 0 then io.stderr:write(M.usage); return 2 end
  local words = {}
  for i = 0, #argv do words[#words + 1] = shell_quote(argv[i]) end
  cli.command = table.concat(words, " ")
  cli.argv0 = argv[0]
  for k, v in pairs(cli) do rl.cli[k] = v end

  -- arg: as lua.c builds it: arg[0] the script, arg[1..] its arguments, negatives the engine's
  local script_args, arg_t = {}, {}
  local base = cli.script_index or (#argv + 1)
  for i = 0, #argv do arg_t[i - base] = argv[i] end
  for i = base + 1, #argv do script_args[#script_args + 1] = argv[i] end
  _G.arg = arg_t
  rl.cli.script_args = script_args

  for k, code in ipairs(cli.code) do
    local chunk, lerr = load(code, "=(command line" .. (#cli.code > 1 and " #" .. k or "") .. ")", "t")
    if not chunk then io.stderr:write("robolua: " .. lerr .. "\n"); return 2 end
    local status = protected(chunk)
    if status ~= 0 then return status end
  end
  if not cli.script then return 0 end
  local chunk, lerr = load_text(cli.script)
  if not chunk then io.stderr:write("robolua: " .. tostring(lerr) .. "\n"); return 2 end
  return protected(chunk, table.unpack(script_args))
end

return M
