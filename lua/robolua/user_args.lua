-- Script arguments that add a user's backend to a scenario (scenarios/dod.lua uses them):
--   kernel=PATH[.cu|.ptx|.cubin|.fatbin]  a CUDA kernel of the resampler contract (entries
--                                         resample_f32 / resample_bf16 / resample_f16, or kernel_entry=BASE
--                                         for BASE_f32 ...); backend name: the file's base name
--   cpu=PATH.so                           a CPU library of the contract (entries <name>_f32 ..., where
--                                         <name> is the file's base name without "lib", or cpu_entry=BASE)
--   kernel_options=-DX=1,-DY=2            extra NVRTC options
-- apply(rl, script, args) reads these with robolua.script_args (which words are bad, and the messages,
-- naming script) and returns the list of backend names it registered and the other arguments; a script
-- with none of its own refuses those: script_args.refuse_leftovers(script, user_args.defaults, rest).
local script_args = require "robolua.script_args"
local usage = require "robolua.usage"
local M = {}
-- every key optional, none with a default (script_args.parse's form)
M.defaults = { kernel = false, cpu = false, kernel_entry = false, cpu_entry = false, kernel_options = false }

local function base_name(path)
  return (path:match("([^/]+)$") or path):gsub("%.[^.]*$", "")
end

local function safe(name) return (name:gsub("[^%w_%-]", "_"):gsub("^([^%a_])", "_%1")) end

-- the file a KEY=PATH argument names exists and can be read, else a usage error naming it
local function readable(script, key, path)
  local f = io.open(path, "rb")
  if not f then usage.raise(script .. ": " .. key .. "=" .. path .. ": cannot open the file") end
  f:close()
end

function M.apply(rl, script, args)
  local opts, rest = script_args.parse_known(script, M.defaults, args)
  -- a setting of a backend that is not given would be ignored: the run would not be the one asked for
  for _, k in ipairs { { "kernel_entry", "kernel" }, { "kernel_options", "kernel" }, { "cpu_entry", "cpu" } } do
    if opts[k[1]] and not opts[k[2]] then
      usage.raise(string.format("%s: %s= applies to a %s= backend, and none is given", script, k[1], k[2]))
    end
  end
  local names = {}
  if opts.kernel then
    local path = opts.kernel
    readable(script, "kernel", path)
    local ext = path:match("%.(%w+)$") or ""
    local spec = { name = {} }
    if ext == "ptx" or ext == "cubin" or ext == "fatbin" then spec[ext] = path else spec.source = path end
    local entry = opts.kernel_entry or "resample"
    for _, dt in ipairs { "f32", "bf16", "f16" } do spec.name[dt] = entry .. "_" .. dt end
    if opts.kernel_options then
      spec.options = {}
      for o in opts.kernel_options:gmatch("[^,]+") do spec.options[#spec.options + 1] = o end
    end
    local name = safe(base_name(path))
    rl.backends.register(name, rl.cuda.kernel(spec))
    names[#names + 1] = name
  end
  if opts.cpu then
    local path = opts.cpu
    readable(script, "cpu", path)
    local entry = opts.cpu_entry or base_name(path):gsub("^lib", "")
    -- (dlopen looks a name without '/' up in the loader's path: a file argument means this file)
    local spec = { path = path:find("/") and path or "./" .. path, name = {} }
    for _, dt in ipairs { "f32", "bf16", "f16" } do spec.name[dt] = entry .. "_" .. dt end
    local ok, lib = pcall(rl.cpu.library, spec)
    if not ok then -- not a library, or without the entries: the message after the path it names
      local why = tostring(lib)
      local _, e = why:find(spec.path .. ": ", 1, true)
      why = e and why:sub(e + 1) or why
      if not opts.cpu_entry and why:find("no symbol", 1, true) then -- the entries are named after the file
        why = string.format("%s (without cpu_entry=, cpu= looks for %s_f32, %s_bf16 and %s_f16; name the " ..
          "functions' prefix with cpu_entry=BASE, e.g. cpu_entry=mine_resample for mine_resample_f32)", why, entry, entry, entry)
      end
      usage.raise(string.format("%s: cpu=%s: %s", script, path, why))
    end
    local name = safe(base_name(path):gsub("^lib", ""))
    rl.backends.register(name, lib)
    names[#names + 1] = name
  end
  return names, rest
end

return M
