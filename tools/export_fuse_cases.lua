-- Writes the robot_fusion scenario's cases as raw little-endian files so the PyTorch fusion peer
-- (tools/torch_fuse_peer.py) times the very same data:
--   robolua tools/export_fuse_cases.lua OUTDIR [small | small-only] [scenario=PATH]
--   robolua tools/export_fuse_cases.lua list [scenario=PATH]      (the cases' names and keys only)
-- The cases are the scenario's own (default scenarios/robot_fusion.lua next to this tool): its sweep
-- expanded as the runner expands it (zip, filter, skip; the mode and backend axes dropped), each point
-- through the fuse workload's config and inputs with the scenario's first seed, so the generator
-- parameters cannot drift apart. Each case is named by the workload's case_name, which is also how the
-- scenario's report finds the peer's times. `small` adds a 2 s case of 8 episodes (a quick peer check); `small-only` writes that case alone.
-- Per case, OUTDIR/<case>/: s<k>.src (values), s<k>.st (times), s<k>.len (i64 lengths, ragged cases),
-- tt (target times), tlen (i64, ragged), ref (robolua's CPU output, f32 [B, T, sum D], NaN where padded),
-- and one entry in OUTDIR/cases.json: the shapes, dtypes and modes of every stream.
local rl = require "robolua"
local cjson = require "cjson"
local files = require "robolua.files"
local sweep = require "robolua.sweep"
local w = require "robolua.workloads.fuse"

local script_args = require "robolua.script_args"
local usage = require "robolua.usage"
local USAGE = "usage: robolua tools/export_fuse_cases.lua OUTDIR|list [small | small-only] [scenario=PATH]"
local defaults = { small = script_args.flag, ["small-only"] = script_args.flag, list = script_args.flag,
  scenario = (arg[0]:match("^(.*)/[^/]+$") or ".") .. "/../scenarios/robot_fusion.lua" }
local opts, rest = script_args.parse_known("export_fuse_cases", defaults, { ... })
local listing, small_only = opts.list, opts["small-only"]
local small, scenario = opts.small or small_only, opts.scenario
local dir = rest[1]
script_args.refuse_leftovers("export_fuse_cases", defaults, { table.unpack(rest, 2) }) -- one OUTDIR only
if listing and dir then usage.raise("export_fuse_cases: list writes nothing: no OUTDIR with it (" .. USAGE .. ")") end
if not dir and not listing then usage.raise("export_fuse_cases: no OUTDIR (" .. USAGE .. ")") end

-- The scenario's definition, read the way `robolua merge` reads one: rl.scenario captures the table.
local function definition(path)
  local chunk, why = loadfile(path, "t")
  if not chunk then usage.raise("export_fuse_cases: scenario=" .. path .. ": " .. tostring(why)) end
  rl.cli.definition_only = true
  local ok, err = pcall(chunk)
  rl.cli.definition_only = nil
  local def = rl.cli.captured_definition
  rl.cli.captured_definition = nil
  if not ok then usage.raise("export_fuse_cases: scenario=" .. path .. ": " .. tostring(err)) end
  if not (type(def) == "table" and def.workload == "fuse") then
    usage.raise("export_fuse_cases: scenario=" .. path .. " is not a scenario of the fuse workload")
  end
  return def
end

local def = definition(scenario)
local axes = {}
for k, v in pairs(def.axes or {}) do
  if k ~= "backend" then axes[k] = v end
end
local cases, seen = {}, {}
local function add(p)
  local c = w.config(p, def)
  local name = w.case_name(c)
  if seen[name] then return end
  seen[name] = true
  if c.out_dtype ~= "f32" then error(name .. ": the peer writes f32 outputs; this case's output is " .. c.out_dtype, 0) end
  local keyed = {}
  for k, v in pairs(p) do if k ~= "mode" then keyed[k] = v end end
  cases[#cases + 1] = { name = name, config = c, key = sweep.key(keyed) }
end
if small then add { batch = 8, duration_s = 2, ragged = true } end
for _, p in ipairs(small_only and {} or sweep.expand(axes, { zip = def.zip, filter = def.filter })) do
  if not (def.skip and def.skip(p)) then add(p) end
end
local seed = def.seeds and def.seeds[1] or 0

if listing then
  for _, c in ipairs(cases) do print(c.name .. "\t" .. c.key) end
  return
end

local mkdir, open = script_args.outdir("export_fuse_cases", dir)
local function dump(path, t)
  local f = open(path, "wb")
  f:write(t:bytes())
  f:close()
end

local function modes_of(s)
  if type(s.modes) == "string" then return { { 0, s.src.shape[3], s.modes } } end
  local out = {}
  for _, m in ipairs(s.modes or {}) do out[#out + 1] = { m.from, m.to, m[1] or m.mode } end
  return out
end

local index = {}
for _, case in ipairs(cases) do
  local c = case.config
  local e = w.inputs(c, seed, def)
  local cdir = dir .. "/" .. case.name
  mkdir(cdir)
  local entry = { name = case.name, key = case.key, seed = seed, batch = c.batch, target_len = c.target_len,
    time_dtype = c.time_dtype, out_dtype = c.out_dtype, ragged = c.ragged, clock = c.clock, out_dim = c.dim, streams = {} }
  for k, s in ipairs(e.streams) do
    dump(string.format("%s/s%d.src", cdir, k), s.src)
    dump(string.format("%s/s%d.st", cdir, k), s.src_times)
    if s.src_len then dump(string.format("%s/s%d.len", cdir, k), s.src_len) end
    entry.streams[k] = { name = s.name, source_len = s.src.shape[2], dim = s.src.shape[3], dtype = s.src.dtype,
      modes = modes_of(s) }
  end
  dump(cdir .. "/tt", e.tgt_times)
  if e.tgt_len then dump(cdir .. "/tlen", e.tgt_len) end
  local out = w.output(c, e, "cpu")
  dump(cdir .. "/ref", w.run("cpu", e, out, c, {}))
  out:close()
  for _, t in ipairs(w.tensors(e)) do t:close() end
  index[#index + 1] = entry
  print(string.format("%-48s B=%d T=%d D=%d", case.name, c.batch, c.target_len, c.dim))
  collectgarbage()
end
files.write(dir .. "/cases.json", cjson.encode(index))
