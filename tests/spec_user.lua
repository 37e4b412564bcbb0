-- Bring your own kernel, the parts that need no GPU: CPU functions from shared libraries as backends
-- (a correct one verified against the float64 reference, a wrong one failing verification, one returning
-- an error code), library and symbol errors, kernel signatures, the checks of rl.cuda.kernel/module
-- specs, a missing NVRTC, and CUDA entry points reporting "cuda not available" without a GPU.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
if not (rl.cpu and rl.cpu.library) then require("robolua.user").install(rl) end
local backends = require "robolua.backends"
local describe, it, fails = spec.describe, spec.it, spec.fails

local build = assert(os.getenv("ROBOLUA_TEST_BUILD"), "ROBOLUA_TEST_BUILD is set by ctest")
local libdir = build .. "/tests/userlib/"
local NAMES = { f32 = "mine_resample_f32", bf16 = "mine_resample_bf16", f16 = "mine_resample_f16" }

-- B, S, T, D: odd sizes, one source sample, more targets than sources, one channel
local shapes = { { 1, 1, 5, 3 }, { 3, 17, 9, 5 }, { 2, 50, 130, 7 }, { 5, 33, 100, 13 }, { 7, 64, 32, 1 }, { 4, 200, 90, 16 } }

describe("cpu.library: a correct function", function()
  local lib = rl.cpu.library { path = libdir .. "libmine.so", name = NAMES }
  it("is a cpu backend", function()
    spec.eq(lib.device, "cpu")
    spec.truthy(lib:describe():find("libmine.so", 1, true), "describe names the library")
  end)
  for _, dtype in ipairs { "f32", "bf16", "f16" } do
    for i, sh in ipairs(shapes) do
      local B, S, T, D = sh[1], sh[2], sh[3], sh[4]
      it(string.format("%s %dx%dx%d T=%d: verified on a poisoned output, bytes of the CPU path", dtype, B, S, D, T), function()
        local h = rl.trajectories { batch = B, source_len = S, target_len = T, dim = D, dtype = dtype, seed = 40 + i }
        local out = rl.empty({ B, T, D }, dtype):fill(0 / 0)
        spec.truthy(lib:resample(h.src, h.src_times, h.tgt_times, { out = out }) == out, "returns opts.out")
        local ref = rl.resample(h.src, h.src_times, h.tgt_times, { backend = "reference" })
        local c = rl.compare(out, ref)
        spec.truthy(c.ok, string.format("vs reference: bad=%d nonfinite=%d max_abs=%g", c.bad, c.nonfinite, c.max_abs_err))
        spec.truthy(out:bytes() == rl.resample(h.src, h.src_times, h.tgt_times):bytes(), "bit-equal to the CPU path")
      end)
    end
  end
  it("times each call in C: warmup, repeats, hot and cold", function()
    local h = rl.trajectories { batch = 4, source_len = 100, dim = 8, seed = 1 }
    for _, mode in ipairs { "hot", "cold" } do
      local r = lib:bench(h.src, h.src_times, h.tgt_times, { warmup = 2, repeats = 7, mode = mode, threads = 3 })
      spec.eq(#r.samples_ms, 7, "samples")
      for _, s in ipairs(r.samples_ms) do spec.truthy(s > 0 and s < 1000, "a positive sample in ms") end
      spec.eq(r.threads, 3, "threads asked for")
      spec.eq(r.mode, mode)
    end
  end)
  it("graph mode and rotation are cuda-only", function()
    local h = rl.trajectories { batch = 2, source_len = 10, dim = 4, seed = 1 }
    fails(function() lib:bench(h.src, h.src_times, h.tgt_times, { mode = "graph" }) end, "opts.mode", "graph")
    fails(function() lib:bench(h.src, h.src_times, h.tgt_times, { rotate = 2 }) end, "opts.rotate")
  end)
  it("checks its inputs like rl.resample", function()
    local h = rl.trajectories { batch = 2, source_len = 10, dim = 4, seed = 1 }
    fails(function() lib:resample(h.src, rl.empty { 3, 10 }, h.tgt_times) end, "src_times", "does not match")
    fails(function() lib:resample(h.src, h.src_times, h.tgt_times, { out = rl.empty({ 2, 5, 4 }, "bf16") }) end, "opts.out", "dtype")
    fails(function() lib:resample({}, h.src_times, h.tgt_times) end, "src", "tensor")
    local st = rl.tensor({ 0, 2, 1, 3 }, { 1, 4 })
    fails(function() lib:resample(rl.empty { 1, 4, 2 }, st, rl.empty { 1, 2 }) end, "src_times", "non-decreasing")
    fails(function() lib:resample(h.src, h.src_times, h.tgt_times, { threads = -1 }) end, "opts.threads")
  end)
  it("registered: usable by name, and errors name the backend", function()
    backends.register("mine_test", lib)
    local h = rl.trajectories { batch = 3, source_len = 40, dim = 6, dtype = "bf16", seed = 9 }
    local out = backends.resample("mine_test", h.src, h.src_times, h.tgt_times, {})
    spec.truthy(rl.compare(out, rl.resample(h.src, h.src_times, h.tgt_times, { backend = "reference" })).ok, "verified")
    local r = backends.bench("mine_test", h.src, h.src_times, h.tgt_times, { warmup = 1, repeats = 3 })
    spec.eq(#r.samples_ms, 3)
    spec.eq(r.backend, "mine_test")
  end)
end)

describe("cpu.library: wrong and failing functions", function()
  local h = rl.trajectories { batch = 3, source_len = 60, target_len = 45, dim = 4, seed = 2 }
  local ref = rl.resample(h.src, h.src_times, h.tgt_times, { backend = "reference" })
  it("a wrong function fails verification", function()
    local wrong = rl.cpu.library { path = libdir .. "libwrong.so", name = { f32 = "wrong_resample_f32" } }
    local out = rl.empty({ 3, 45, 4 }):fill(0 / 0)
    wrong:resample(h.src, h.src_times, h.tgt_times, { out = out })
    local c = rl.compare(out, ref)
    spec.truthy(not c.ok and c.bad > 0, "rl.compare must fail (bad=" .. c.bad .. ")")
  end)
  it("a dtype it has no function for", function()
    local wrong = rl.cpu.library { path = libdir .. "libwrong.so", name = { f32 = "wrong_resample_f32" } }
    local hb = rl.trajectories { batch = 1, source_len = 4, dim = 2, dtype = "bf16" }
    fails(function() wrong:resample(hb.src, hb.src_times, hb.tgt_times) end, "no function for dtype bf16", "name has: f32")
  end)
  it("an error code is a Lua error naming the backend and dtype", function()
    local failing = rl.cpu.library { path = libdir .. "libfailing.so", name = { f32 = "failing_resample_f32" } }
    fails(function() failing:resample(h.src, h.src_times, h.tgt_times) end, "libfailing.so (f32) returned error code 3")
    fails(function() failing:bench(h.src, h.src_times, h.tgt_times, { repeats = 3 }) end, "(f32) returned error code 3")
    backends.register("failing_test", failing)
    fails(function() backends.resample("failing_test", h.src, h.src_times, h.tgt_times) end,
      "failing_test (f32) returned error code 3")
  end)
end)

describe("cpu.library: loading errors", function()
  it("a missing symbol", function()
    fails(function() rl.cpu.library { path = libdir .. "libmine.so", name = { f32 = "mine_resample_f64" } } end,
      "libmine.so: no symbol 'mine_resample_f64'")
  end)
  it("a path that does not load: dlopen's reason", function()
    fails(function() rl.cpu.library { path = libdir .. "libnothere.so", name = { f32 = "x" } } end,
      "libnothere.so", "cannot open shared object file")
    fails(function() rl.cpu.library { path = arg[0], name = { f32 = "x" } } end, "spec_user.lua") -- not an ELF file
  end)
  it("bad specs", function()
    fails(function() rl.cpu.library "libmine.so" end, "cpu.library", "path =")
    fails(function() rl.cpu.library { path = libdir .. "libmine.so" } end, "name must map dtypes")
    fails(function() rl.cpu.library { path = libdir .. "libmine.so", name = { f64 = "x" } } end, "name.f64", "f32, bf16 or f16")
    fails(function() rl.cpu.library { path = libdir .. "libmine.so", name = { f32 = 3 } } end, "name.f32")
  end)
end)

describe("cuda.signature", function()
  it("parses the declared argument kinds", function()
    local s = rl.cuda.signature("f32* y, const f32* x, f32 a, i32 n")
    spec.eq(#s, 4)
    spec.eq(s[1].decl, "f32*"); spec.eq(s[1].name, "y"); spec.truthy(s[1].pointer and not s[1].const, "y")
    spec.eq(s[2].decl, "const f32*"); spec.truthy(s[2].const, "x is const")
    spec.eq(s[3].type, "f32"); spec.truthy(not s[3].pointer, "a is a scalar")
    spec.eq(s[4].decl, "i32")
    spec.eq(#rl.cuda.signature(""), 0)
    spec.eq(rl.cuda.signature("const __nv_bfloat16 *p, unsigned long long n")[2].decl, "u64")
  end)
  it("errors name the argument", function()
    fails(function() rl.cuda.signature("f32*, const f32*, flaot, i32") end, "signature: argument 3: unknown type 'flaot'")
    fails(function() rl.cuda.signature("f32*,, i32") end, "argument 2 is empty")
    fails(function() rl.cuda.signature("f32**") end, "pointers to pointers")
    fails(function() rl.cuda.signature("f32 %x") end, "unexpected character '%'", "character 5")
  end)
end)

describe("cuda.kernel / cuda.module specs", function()
  local naive = "examples/kernels/naive_resample.cu"
  it("exactly one image", function()
    fails(function() rl.cuda.kernel { name = { f32 = "resample_f32" } } end, "exactly one of source=")
    fails(function() rl.cuda.kernel { source = naive, ptx = "x.ptx", name = { f32 = "resample_f32" } } end, "got source, ptx")
    fails(function() rl.cuda.module { ptx = 3 } end, "ptx must be a string")
  end)
  it("a file that does not exist", function()
    fails(function() rl.cuda.kernel { source = "no/such.cu", name = { f32 = "k" } } end, "no/such.cu", "No such file")
    fails(function() rl.cuda.module { cubin = "no/such.cubin" } end, "no/such.cubin")
  end)
  it("names, options, arch, launch", function()
    fails(function() rl.cuda.kernel { source = naive } end, "name must map dtypes")
    fails(function() rl.cuda.kernel { source = naive, name = { f64 = "k" } } end, "name.f64")
    fails(function() rl.cuda.kernel { ptx = naive, options = { "-DX" }, name = { f32 = "k" } } end, "options", "not ptx=")
    fails(function() rl.cuda.kernel { source = naive, options = { 1 }, name = { f32 = "k" } } end, "options[1]")
    fails(function() rl.cuda.kernel { source = naive, arch = "compute_90", name = { f32 = "k" } } end, "arch", "sm_90")
    fails(function() rl.cuda.kernel { source = naive, launch = 5, name = { f32 = "k" } } end, "launch must be a function")
  end)
end)

describe("a missing NVRTC", function()
  it("is a clear error, and the rest still runs", function()
    local cmd = string.format("ROBOLUA_NVRTC=/nonexistent/libnvrtc.so %q -e %q 2>&1", build .. "/robolua",
      'local ok, e = pcall(robolua.cuda.compile, {code = "__global__ void k(){}", arch = "compute_90"}) ' ..
      'print(ok, e) print("nvrtc found:", robolua.cuda.nvrtc().found) ' ..
      'print("cpu ok:", #robolua.resample(robolua.trajectories{batch=1, source_len=4, dim=2}.src, ' ..
      'robolua.tensor({0,1,2,3},{1,4}), robolua.tensor({0.5},{1,1})))')
    local p = assert(io.popen(cmd))
    local out = p:read("a")
    p:close()
    spec.truthy(out:find("NVRTC not found (set ROBOLUA_NVRTC or CUDA_HOME); looked in: ROBOLUA_NVRTC=/nonexistent/libnvrtc.so", 1, true), out)
    spec.truthy(out:find("nvrtc found:\tfalse", 1, true), out)
    spec.truthy(out:find("cpu ok:\t2", 1, true), out)
  end)
end)

describe("without a GPU", function()
  if rl.cuda.available() then return end -- tests/spec_user_cuda.lua covers the GPU side
  it("modules and launches report cuda not available", function()
    local dir = spec.tempdir()
    local ptx = dir .. "/not.ptx"
    local f = assert(io.open(ptx, "w"))
    f:write("// not PTX\n")
    f:close()
    fails(function() rl.cuda.module { ptx = ptx } end, "cuda.module", "cuda not available")
    fails(function() rl.core.user.device_numbers() end, "cuda not available")
  end)
  it("a kernel backend exists and reports cuda not available when used", function()
    local k = rl.cuda.kernel { ptx = "examples/kernels/saxpy.cu", name = { f32 = "resample_f32" } }
    spec.eq(k.device, "cuda")
    local h = rl.trajectories { batch = 1, source_len = 4, dim = 2 }
    fails(function() k:resample(h.src, h.src_times, h.tgt_times) end, "cuda not available")
    fails(function() k:bench(h.src, h.src_times, h.tgt_times, {}) end, "cuda not available")
  end)
  it("no context to lose", function()
    spec.eq(rl.cuda.context_status(), true)
  end)
end)

spec.finish()
