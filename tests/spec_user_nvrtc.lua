-- NVRTC from Lua, no GPU needed: CUDA source (the shipped examples among it) compiles to PTX, compile
-- errors carry the file name, line and NVRTC's log, options reach the compiler, and a repeated compile
-- comes from the cache. Skipped (exit 77) where NVRTC is not installed.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
if not rl.cuda.kernel then require("robolua.user").install(rl) end
local describe, it, fails = spec.describe, spec.it, spec.fails

local nv = rl.cuda.nvrtc()
if not nv.found then spec.skip("NVRTC not installed: " .. tostring(nv.error)) end
local tmp = spec.tempdir() -- the sources written here; removed at the end
print("NVRTC " .. nv.version .. " at " .. nv.path .. ", cache " .. tostring(nv.cache_dir or nv.cache_error))

local write = spec.write

describe("cuda.compile", function()
  it("the naive resampler example compiles to PTX with its three entry points", function()
    local ptx, info = rl.cuda.compile { source = "examples/kernels/naive_resample.cu", arch = "compute_90" }
    for _, e in ipairs { "resample_f32", "resample_bf16", "resample_f16" } do
      spec.truthy(ptx:find(".entry " .. e .. "(", 1, true), "entry " .. e)
    end
    spec.eq(info.kind, "ptx")
    spec.eq(info.arch, "compute_90")
    spec.truthy(ptx:find(".target sm_90", 1, true), "PTX for sm_90")
    spec.truthy(not ptx:find("fma.rn.f32", 1, true), "the lerp has no fused multiply-add")
  end)
  it("saxpy and an sm_XX architecture (a CUBIN)", function()
    local ptx = rl.cuda.compile { source = "examples/kernels/saxpy.cu", arch = "compute_80" }
    spec.truthy(ptx:find(".entry saxpy(", 1, true), "saxpy entry")
    local cubin, info = rl.cuda.compile { source = "examples/kernels/saxpy.cu", arch = "sm_90" }
    spec.eq(info.kind, "cubin")
    spec.eq(cubin:sub(1, 4), "\127ELF")
  end)
  it("a compile error names the file and line and carries NVRTC's log", function()
    local path = tmp .. "/broken.cu"
    write(path, "extern \"C\" __global__ void k(float *p) {\n  int ok = 1;\n  p[0] = not_declared + ok;\n}\n")
    fails(function() rl.cuda.compile { source = path, arch = "compute_90" } end,
      "cuda.compile: " .. path .. ": compile failed", path .. "(3): error", "not_declared")
    os.remove(path)
    fails(function() rl.cuda.compile { code = "__global__ void k() { x; }", name = "inline_bad.cu", arch = "compute_90" } end,
      "inline_bad.cu(1): error")
  end)
  it("user options reach NVRTC", function()
    local code = "#if ROWS != 4\n#error ROWS must be 4\n#endif\nextern \"C\" __global__ void k() {}\n"
    spec.truthy(rl.cuda.compile { code = code, options = { "-DROWS=4" }, arch = "compute_90" }:find(".entry k", 1, true), "with -DROWS=4")
    fails(function() rl.cuda.compile { code = code, options = { "-DROWS=2" }, arch = "compute_90" } end, "ROWS must be 4")
    fails(function() rl.cuda.compile { code = code, options = { "-arch=sm_80" }, arch = "compute_90" } end, "arch=")
  end)
  it("a repeated compile comes from the cache, NVRTC not called", function()
    local code = "extern \"C\" __global__ void cached_k(float *p) { p[0] = " .. os.time() .. ".0f; }\n"
    local a, i1 = rl.cuda.compile { code = code, arch = "compute_90" }
    local n = rl.cuda.nvrtc().compiles
    local b, i2 = rl.cuda.compile { code = code, arch = "compute_90" }
    spec.eq(i1.cached, false, "first compile")
    spec.eq(i2.cached, true, "second compile")
    spec.eq(rl.cuda.nvrtc().compiles, n, "NVRTC calls")
    spec.truthy(a == b, "same PTX")
    spec.truthy(i2.cache_path and i2.cache_path:find(os.getenv("ROBOLUA_CACHE") or "", 1, true), "under ROBOLUA_CACHE")
    local _, i3 = rl.cuda.compile { code = code, arch = "compute_90", cache = false }
    spec.eq(i3.cached, false, "cache = false compiles")
    spec.eq(rl.cuda.nvrtc().compiles, n + 1, "NVRTC called")
  end)
  it("argument errors", function()
    fails(function() rl.cuda.compile {} end, "exactly one of source")
    fails(function() rl.cuda.compile { code = "x", optons = { "-G" } } end, "cuda.compile: unknown field optons", "options")
    fails(function() rl.cuda.compile { source = "no/such.cu" } end, "cannot read 'no/such.cu'")
    fails(function() rl.cuda.compile { code = "x", arch = "gfx90a" } end, "compute_XX")
    fails(function() rl.cuda.compile { code = "x", options = "-DX" } end, "options must be an array")
  end)
end)

describe("cuda.kernel catches compile errors when it is made", function()
  it("with or without a GPU", function()
    local path = tmp .. "/bad_kernel.cu"
    write(path, "extern \"C\" __global__ void resample_f32(const float *src) {\n  oops;\n}\n")
    fails(function() rl.cuda.kernel { source = path, name = { f32 = "resample_f32" } } end, path .. "(2): error")
    os.remove(path)
  end)
end)

spec.finish()
