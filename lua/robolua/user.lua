-- Bring your own kernel: a user's CUDA kernel (source compiled at run time by NVRTC, or PTX / CUBIN /
-- FATBIN) or a CPU function from a shared library becomes a robolua backend, verified and timed like the
-- built-in ones; any other kernel is launched and timed through a declared signature.
--   rl.cuda.kernel{source|code|ptx|cubin|fatbin = , name = {f32 = "resample_f32", ...}, options = {...},
--                  arch = , launch = function(a) return {grid=, block=, shared=} end}   -> backend
--   rl.cpu.library{path = "libmine.so", name = {f32 = "mine_resample_f32", ...}}          -> backend
--   rl.cuda.module{source|code|ptx|cubin|fatbin = , options = , arch = } -> module; module:kernel(name, sig)
--   rl.cuda.launch(kernel, cfg, args), kernel(cfg, args), rl.bench.launch(kernel, cfg, args, opts)
-- A backend has device ("cuda" | "cpu"), resample(src, st, tt, opts) -> out, bench(src, st, tt, opts)
-- -> {samples_ms, sm_clock_mhz | threads, ...} (lua/robolua/backends.lua registers it under a name).
-- The contract a resampler kernel or function implements: include/robolua/contract.h.
local core = require "robolua.core"
local user = core.user
local M = {}

local CONTRACT_DTYPES = { f32 = true, bf16 = true, f16 = true }
local CONTRACT_SIGNATURE = "const %s* src, const f32* src_times, const f32* tgt_times, %s* out, i32 B, i32 S, i32 T, i32 D"
local IMAGE_KINDS = { "source", "code", "ptx", "cubin", "fatbin" }
-- The keys each spec takes (anything else is a misspelling, refused with a did-you-mean): a module's are
-- its image and how to build and name it; a kernel's, a module's and its launch configuration.
local MODULE_KEYS = { "name", "options", "arch", "cache", "label", table.unpack(IMAGE_KINDS) }
local KERNEL_KEYS = { "launch", table.unpack(MODULE_KEYS) }
local LIBRARY_KEYS = { "path", "name", "label" }
local check_keys = require("robolua.usage").check_keys

-- C errors carry the position of the Lua line that called C (a line in this file); `call` re-raises them
-- at the line of the script that called this module's function, so the message points at the user's code.
local function rethrow(ok, ...)
  if ok then return ... end
  local msg = ...
  if type(msg) == "string" then msg = msg:gsub("^[^\n]-robolua/user%.lua:%d+: ", "") end
  error(msg, 4) -- 1 rethrow, 2 call, 3 the function in this file, 4 its caller
end
local function call(f, ...) return rethrow(pcall(f, ...)) end

local function read_file(what, path)
  local f, err = io.open(path, "rb")
  if not f then error(what .. ": cannot read " .. err, 0) end
  local data = f:read("a")
  f:close()
  return data
end

-- Which of source / code / ptx / cubin / fatbin the spec gives (exactly one), checked.
local function image_kind(spec, fname)
  if type(spec) ~= "table" then
    error(fname .. ": expected a table {source = \"k.cu\" | code = | ptx = | cubin = | fatbin = , ...}, got " .. type(spec), 3)
  end
  local given = {}
  for _, k in ipairs(IMAGE_KINDS) do if spec[k] ~= nil then given[#given + 1] = k end end
  if #given ~= 1 then
    error(fname .. ": give exactly one of source=, code=, ptx=, cubin=, fatbin=" ..
      (#given > 1 and (" (got " .. table.concat(given, ", ") .. ")") or ""), 3)
  end
  local kind = given[1]
  if type(spec[kind]) ~= "string" then error(fname .. ": " .. kind .. " must be a string, got " .. type(spec[kind]), 3) end
  if spec.options ~= nil then
    if kind ~= "source" and kind ~= "code" then error(fname .. ": options are NVRTC's: they apply to source= or code=, not " .. kind .. "=", 3) end
    if type(spec.options) ~= "table" then error(fname .. ": options must be an array of strings", 3) end
    for i, o in ipairs(spec.options) do
      if type(o) ~= "string" then error(string.format("%s: options[%d] must be a string, got %s", fname, i, type(o)), 3) end
    end
  end
  if spec.arch ~= nil and (type(spec.arch) ~= "string" or not spec.arch:match("^sm_%d+%a?$")) then
    error(fname .. ": arch must be a real architecture such as \"sm_90\" or \"sm_90a\", got " .. tostring(spec.arch), 3)
  end
  if kind ~= "code" then -- a missing file is an error now, wherever the kernel will run
    local f, err = io.open(spec[kind], "rb")
    if not f then error(fname .. ": cannot read " .. err, 3) end
    f:close()
  end
  return kind
end

-- The name errors use: the file as given, or the inline program's name.
local function label_of(spec, kind)
  if spec.label then return tostring(spec.label) end
  if kind == "code" then return type(spec.name) == "string" and spec.name or "inline.cu" end
  return spec[kind]
end

-- CUDA must be usable: present, and its context not lost to an earlier fault.
local function need_cuda(who)
  local ok, why = core.cuda.available()
  if not ok then error(who .. ": cuda not available: " .. tostring(why), 0) end
  ok, why = core.cuda.context_status()
  if not ok then error(who .. ": not run: " .. tostring(why), 0) end
end

-- Compiles (source, code: NVRTC for the device's sm_XX, cached) or reads the image and loads it.
local function load_module(spec, kind, label)
  local image
  if kind == "source" or kind == "code" then
    local major, minor = user.device_numbers()
    image = core.cuda.compile { source = spec.source, code = spec.code, name = kind == "code" and label or nil,
      options = spec.options, arch = spec.arch or string.format("sm_%d%d", major, minor), cache = spec.cache }
  else
    image = read_file(label, spec[kind])
  end
  return user.load_module(image, label)
end

-- Without a GPU a source still compiles to PTX (when NVRTC is installed): compile errors show up now.
local function compile_check(spec, kind, label)
  if (kind == "source" or kind == "code") and core.cuda.nvrtc().found then
    core.cuda.compile { source = spec.source, code = spec.code, name = kind == "code" and label or nil, options = spec.options,
      arch = spec.arch and spec.arch:gsub("^sm_", "compute_") or "compute_90", cache = spec.cache }
  end
end

-- ---- rl.cuda.kernel: a resampler-contract kernel as a backend ---------------------------------------

local Kernel = {}
Kernel.__index = Kernel

function M.cuda_kernel(spec)
  local fname = "cuda.kernel"
  local kind = image_kind(spec, fname)
  check_keys(fname, spec, KERNEL_KEYS, 2)
  if type(spec.name) ~= "table" or next(spec.name) == nil then
    error(fname .. ": name must map dtypes to extern \"C\" entry points, e.g. name = { f32 = \"resample_f32\" }", 2)
  end
  local entries = {}
  for dt, entry in pairs(spec.name) do
    if not CONTRACT_DTYPES[dt] then
      error(string.format("%s: name.%s: the resampler contract takes f32, bf16 or f16", fname, tostring(dt)), 2)
    end
    if type(entry) ~= "string" or entry == "" then
      error(string.format("%s: name.%s must be an entry point's name, got %s", fname, dt, tostring(entry)), 2)
    end
    entries[dt] = entry
  end
  if spec.launch ~= nil and type(spec.launch) ~= "function" then
    error(fname .. ": launch must be a function(a) returning {grid =, block =, shared =}", 2)
  end
  local self = setmetatable({ device = "cuda", kind = kind, label = label_of(spec, kind), spec = spec,
    entries = entries, launch = spec.launch }, Kernel)
  -- With a GPU, load now (compile errors and missing entry points surface here); without one, the
  -- backend exists and its points are skipped like the built-in cuda backend's.
  if core.cuda.available() then call(self.load, self) else call(compile_check, spec, kind, self.label) end
  return self
end

function Kernel:who() return self.name or self.label end

function Kernel:describe()
  local parts = {}
  for dt, e in pairs(self.entries) do parts[#parts + 1] = dt .. ": " .. e end
  table.sort(parts)
  return string.format("cuda kernel %s (%s)", self.label, table.concat(parts, ", "))
end

function Kernel:load()
  if self.fns then return self end
  need_cuda(self:who())
  local module = load_module(self.spec, self.kind, self.label)
  local fns = {}
  for dt, entry in pairs(self.entries) do fns[dt] = module:kernel(entry, CONTRACT_SIGNATURE:format(dt, dt)) end
  local _, _, sms = user.device_numbers()
  self.module, self.fns, self.sms = module, fns, sms
  return self
end

local function dtypes_of(entries)
  local ks = {}
  for k in pairs(entries) do ks[#ks + 1] = k end
  table.sort(ks)
  return table.concat(ks, ", ")
end

function Kernel:kernel_for(src)
  if type(src) == "userdata" and not src.closed then
    local fn = self.fns[src.dtype]
    if not fn then
      error(string.format("%s: no kernel for dtype %s (name has: %s)", self:who(), src.dtype, dtypes_of(self.entries)), 0)
    end
    return fn
  end
end

-- The launch configuration for one call: the user's launch(a), or one thread per output element.
function Kernel:config(B, S, T, D, dtype)
  if not self.launch then
    local n = B * T * D
    return { grid = { (n + 255) // 256 }, block = { 256 }, shared = 0 }
  end
  local cfg = self.launch { batch = B, source_len = S, target_len = T, dim = D, dtype = dtype, sms = self.sms }
  if type(cfg) ~= "table" then
    error(string.format("%s: launch(a) must return {grid =, block =, shared =}, got %s", self:who(), type(cfg)), 0)
  end
  return cfg
end

function Kernel:resample(src, st, tt, opts)
  need_cuda(self:who())
  self:load()
  local fn = self:kernel_for(src) -- nil when src is not a live tensor: resample_args names the problem
  local out, B, S, T, D = call(user.resample_args, src, st, tt, opts, "cuda", self:who())
  call(user.launch, fn, self:config(B, S, T, D, src.dtype), { src, st, tt, out, B, S, T, D })
  return out
end

function Kernel:bench(src, st, tt, opts)
  opts = opts or {}
  need_cuda(self:who())
  self:load()
  local fn = self:kernel_for(src)
  local out, B, S, T, D = call(user.resample_args, src, st, tt,
    { out = opts.out, validate = opts.validate, strict = opts.strict }, "cuda", self:who())
  local r = call(user.time_launch, fn, self:config(B, S, T, D, src.dtype), { src, st, tt, out, B, S, T, D }, {
    warmup = opts.warmup, repeats = opts.repeats, mode = opts.mode, batch = opts.batch, rotate = opts.rotate,
    nvtx = opts.nvtx })
  r.backend = self:who()
  return r
end

-- ---- rl.cpu.library: a CPU function from a shared library as a backend -------------------------------

local Library = {}
Library.__index = Library

function M.cpu_library(spec)
  local fname = "cpu.library"
  if type(spec) ~= "table" or type(spec.path) ~= "string" then
    error(fname .. ": expected {path = \"libmine.so\", name = {f32 = \"mine_resample_f32\", ...}}", 2)
  end
  check_keys(fname, spec, LIBRARY_KEYS, 2)
  if type(spec.name) ~= "table" or next(spec.name) == nil then
    error(fname .. ": name must map dtypes to symbols, e.g. name = { f32 = \"mine_resample_f32\" }", 2)
  end
  for dt, sym in pairs(spec.name) do
    if not CONTRACT_DTYPES[dt] then
      error(string.format("%s: name.%s: the resampler contract takes f32, bf16 or f16", fname, tostring(dt)), 2)
    end
    if type(sym) ~= "string" or sym == "" then
      error(string.format("%s: name.%s must be a symbol name, got %s", fname, dt, tostring(sym)), 2)
    end
  end
  local lib = call(user.load_library, spec.path)
  local fns, entries = {}, {}
  for dt, sym in pairs(spec.name) do fns[dt], entries[dt] = call(lib.symbol, lib, sym), sym end
  return setmetatable({ device = "cpu", path = spec.path, label = spec.label or spec.path:match("([^/]+)$"),
    library = lib, fns = fns, entries = entries }, Library)
end

function Library:who() return self.name or self.label end

function Library:describe()
  return string.format("cpu library %s (%s)", self.path, dtypes_of(self.entries))
end

function Library:fn_for(src)
  if type(src) == "userdata" and not src.closed then
    local fn = self.fns[src.dtype]
    if not fn then
      error(string.format("%s: no function for dtype %s (name has: %s)", self:who(), src.dtype, dtypes_of(self.entries)), 0)
    end
    return fn
  end
  local _, any = next(self.fns) -- src is not a live tensor: the call's own checks name the argument
  return any
end

function Library:resample(src, st, tt, opts)
  return call(user.cpu_resample, self:fn_for(src), self:who(), src, st, tt, opts)
end

function Library:bench(src, st, tt, opts)
  local r = call(user.cpu_bench, self:fn_for(src), self:who(), src, st, tt, opts)
  r.backend = self:who()
  return r
end

-- ---- generic kernels ---------------------------------------------------------------------------------

function M.cuda_module(spec)
  local kind = image_kind(spec, "cuda.module")
  check_keys("cuda.module", spec, MODULE_KEYS, 2)
  local label = label_of(spec, kind)
  need_cuda("cuda.module: " .. label)
  return call(load_module, spec, kind, label)
end

M.cuda_launch = user.launch
M.bench_launch = user.time_launch

-- Puts the public names into the robolua table: rl.cuda.kernel, rl.cuda.module, rl.cuda.launch,
-- rl.cpu.library, rl.bench.launch (rl.cuda.compile, rl.cuda.context_status, rl.cuda.nvrtc and
-- rl.cuda.signature come from the C core).
function M.install(rl)
  rl.cuda.kernel, rl.cuda.module, rl.cuda.launch = M.cuda_kernel, M.cuda_module, M.cuda_launch
  rl.cpu = rl.cpu or {}
  rl.cpu.library = M.cpu_library
  rl.bench.launch = M.bench_launch
  return rl
end

return M
