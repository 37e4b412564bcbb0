-- Bring your own kernel on the GPU: the naive resampler example compiled by NVRTC at run time is a
-- backend, verified bit-identical to the CPU path and timed by the C loops; a wrong kernel fails
-- verification; PTX / CUBIN (/ FATBIN with nvcc) images load; a generic kernel (saxpy) is launched and
-- timed through its declared signature, with argument and launch checks; a faulting kernel loses the
-- context (in a process of its own) and everything after it says so. Skipped (exit 77) without a GPU.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
if not rl.cuda.kernel then require("robolua.user").install(rl) end
local backends = require "robolua.backends"
local describe, it, fails = spec.describe, spec.it, spec.fails

local ok, why = rl.cuda.available()
if not ok then spec.skip("no usable CUDA device: " .. tostring(why)) end
local nv = rl.cuda.nvrtc()
if not nv.found then spec.skip("NVRTC not installed: " .. tostring(nv.error)) end
local build = assert(os.getenv("ROBOLUA_TEST_BUILD"), "ROBOLUA_TEST_BUILD is set by ctest")
local tmp = spec.tempdir() -- the images written here; removed at the end
local major, minor = rl.core.user.device_numbers()

local NAIVE = "examples/kernels/naive_resample.cu"
local NAMES = { f32 = "resample_f32", bf16 = "resample_bf16", f16 = "resample_f16" }

local written = 0
local function tmpfile(suffix, data)
  written = written + 1
  local path = tmp .. "/image" .. written .. suffix -- a name of its own each (no cache can confuse two)
  local f = assert(io.open(path, "wb"))
  f:write(data)
  f:close()
  return path
end

local function on_device(h)
  return { src = h.src:to("cuda"), src_times = h.src_times:to("cuda"), tgt_times = h.tgt_times:to("cuda") }
end

-- k on a poisoned device output: verified against the reference and bit-equal to the CPU path
local function check_kernel(k, dtype, B, S, T, D, seed)
  local h = rl.trajectories { batch = B, source_len = S, target_len = T, dim = D, dtype = dtype, seed = seed }
  local d = on_device(h)
  local out = rl.empty({ B, T, D }, dtype, { device = "cuda" }):fill(0 / 0)
  spec.truthy(k:resample(d.src, d.src_times, d.tgt_times, { out = out }) == out, "returns opts.out")
  local got = out:to("cpu")
  local c = rl.compare(got, rl.resample(h.src, h.src_times, h.tgt_times, { backend = "reference" }))
  spec.truthy(c.ok, string.format("vs reference: bad=%d nonfinite=%d max_abs=%g first #%s", c.bad, c.nonfinite,
    c.max_abs_err, tostring(c.first_bad)))
  spec.truthy(got:bytes() == rl.resample(h.src, h.src_times, h.tgt_times):bytes(), "bit-equal to the CPU path")
end

local shapes = { { 1, 1, 5, 3 }, { 3, 17, 9, 5 }, { 2, 50, 130, 7 }, { 8, 250, 125, 128 }, { 5, 33, 100, 13 },
  { 7, 64, 32, 1 }, { 2, 2000, 1000, 64 }, { 3, 129, 257, 67 } }

local naive = rl.cuda.kernel { source = NAIVE, name = NAMES }

describe("the naive resampler through NVRTC", function()
  it("is a cuda backend", function()
    spec.eq(naive.device, "cuda")
    spec.truthy(naive:describe():find("naive_resample.cu", 1, true), "describe names the file")
  end)
  for _, dtype in ipairs { "f32", "bf16", "f16" } do
    for i, sh in ipairs(shapes) do
      it(string.format("%s %dx%dx%d T=%d", dtype, sh[1], sh[2], sh[4], sh[3]), function()
        check_kernel(naive, dtype, sh[1], sh[2], sh[3], sh[4], 100 + i)
      end)
    end
  end
  it("repeated source times take the last row with that time", function()
    local st = rl.tensor({ 0, 1, 1, 1, 2, 3 }, { 1, 6 })
    local tt = rl.tensor({ -1, 0.5, 1, 1.5, 3, 4 }, { 1, 6 })
    local src = rl.tensor({ 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 }, { 1, 6, 2 })
    local got = naive:resample(src:to("cuda"), st:to("cuda"), tt:to("cuda")):to("cpu")
    spec.truthy(got:bytes() == rl.resample(src, st, tt):bytes(), "bit-equal to the CPU path")
    spec.eq(got:totable()[5], 7, "x = 1 takes row 3 (the last of the three at t = 1)")
  end)
  it("a launch function gets the problem and sets the geometry", function()
    local seen
    local k = rl.cuda.kernel { source = NAIVE, name = NAMES, options = { "-DROWS=4" }, launch = function(a)
      seen = a
      return { grid = { (a.batch * a.target_len * a.dim + 127) // 128 }, block = { 128 }, shared = 0 }
    end }
    check_kernel(k, "bf16", 4, 100, 60, 24, 7)
    spec.eq(seen.batch, 4); spec.eq(seen.source_len, 100); spec.eq(seen.target_len, 60); spec.eq(seen.dim, 24)
    spec.eq(seen.dtype, "bf16")
    spec.truthy(math.type(seen.sms) == "integer" and seen.sms > 0, "sms")
  end)
  it("times with the C loops: hot, cold, graph, rotated inputs", function()
    local d = on_device(rl.trajectories { batch = 8, source_len = 250, dim = 128, dtype = "bf16", seed = 1 })
    for _, mode in ipairs { "hot", "cold", "graph" } do
      local r = naive:bench(d.src, d.src_times, d.tgt_times, { warmup = 2, repeats = 12, mode = mode, rotate = 3, batch = 5 })
      spec.eq(#r.samples_ms, 12, mode .. " samples")
      spec.eq(#r.sm_clock_mhz, 12, mode .. " clocks")
      for _, s in ipairs(r.samples_ms) do spec.truthy(s > 0 and s < 100, mode .. ": a positive sample in ms, got " .. s) end
      spec.eq(r.mode, mode)
    end
  end)
  it("registered, it is used by name", function()
    backends.register("naive_test", naive)
    local h = rl.trajectories { batch = 3, source_len = 90, dim = 16, dtype = "f16", seed = 5 }
    local d = on_device(h)
    local out = backends.resample("naive_test", d.src, d.src_times, d.tgt_times, {})
    spec.truthy(out:to("cpu"):bytes() == rl.resample(h.src, h.src_times, h.tgt_times):bytes(), "bit-equal")
    local r = backends.bench("naive_test", d.src, d.src_times, d.tgt_times, { warmup = 1, repeats = 3 })
    spec.eq(r.backend, "naive_test")
  end)
  it("input errors name the argument or dtype", function()
    local h = rl.trajectories { batch = 2, source_len = 10, dim = 4, seed = 1 }
    fails(function() naive:resample(h.src, h.src_times, h.tgt_times) end, "src", "cuda")
    local d = on_device(h)
    fails(function() naive:resample(d.src, d.src_times, d.tgt_times, { out = rl.empty({ 2, 5, 4 }, "f32") }) end, "opts.out")
    local only32 = rl.cuda.kernel { source = NAIVE, name = { f32 = "resample_f32" } }
    local hb = on_device(rl.trajectories { batch = 1, source_len = 4, dim = 2, dtype = "bf16" })
    fails(function() only32:resample(hb.src, hb.src_times, hb.tgt_times) end, "no kernel for dtype bf16", "name has: f32")
  end)
end)

describe("a wrong kernel", function()
  local h = rl.trajectories { batch = 4, source_len = 80, target_len = 50, dim = 8, seed = 3 }
  local d = on_device(h)
  local ref = rl.resample(h.src, h.src_times, h.tgt_times, { backend = "reference" })
  it("holding samples instead of interpolating fails verification", function()
    local k = rl.cuda.kernel { source = "tests/kernels/wrong_resample.cu", name = { f32 = "resample_f32" } }
    local out = rl.empty({ 4, 50, 8 }, "f32", { device = "cuda" }):fill(0 / 0)
    k:resample(d.src, d.src_times, d.tgt_times, { out = out })
    local c = rl.compare(out:to("cpu"), ref)
    spec.truthy(not c.ok and c.bad > 0, "must fail")
  end)
  it("leaving elements unwritten fails on the poisoned output", function()
    local k = rl.cuda.kernel { source = "tests/kernels/wrong_resample.cu", options = { "-DSKIP_LAST" }, name = { f32 = "resample_f32" } }
    local out = rl.empty({ 4, 50, 8 }, "f32", { device = "cuda" }):fill(0 / 0)
    k:resample(d.src, d.src_times, d.tgt_times, { out = out })
    local c = rl.compare(out:to("cpu"), ref)
    spec.truthy(not c.ok and c.nonfinite >= 4 * 50, "NaN left where the kernel did not write (nonfinite=" .. c.nonfinite .. ")")
  end)
end)

describe("images: PTX, CUBIN, FATBIN", function()
  it("PTX from rl.cuda.compile", function()
    local ptx = rl.cuda.compile { source = NAIVE, arch = string.format("compute_%d%d", major, minor) }
    local path = tmpfile(".ptx", ptx)
    check_kernel(rl.cuda.kernel { ptx = path, name = NAMES }, "f32", 3, 40, 70, 9, 11)
    os.remove(path)
  end)
  it("CUBIN from rl.cuda.compile", function()
    local cubin = rl.cuda.compile { source = NAIVE, arch = string.format("sm_%d%d", major, minor) }
    local path = tmpfile(".cubin", cubin)
    check_kernel(rl.cuda.kernel { cubin = path, name = NAMES }, "bf16", 3, 40, 70, 16, 12)
    os.remove(path)
  end)
  it("FATBIN from nvcc, where nvcc is installed", function()
    if not os.execute("nvcc --version > /dev/null 2>&1") then print("      (no nvcc: FATBIN not checked)") return end
    local path = tmp .. "/naive.fatbin"
    assert(os.execute(string.format("nvcc -fatbin -arch=sm_%d%d -o %s %s", major, minor, path, NAIVE)), "nvcc -fatbin")
    check_kernel(rl.cuda.kernel { fatbin = path, name = NAMES }, "f16", 3, 40, 70, 16, 13)
    os.remove(path)
  end)
  it("an image that is not one", function()
    local path = tmpfile(".ptx", "this is not PTX")
    fails(function() rl.cuda.module { ptx = path } end, path, "cannot load")
    os.remove(path)
  end)
end)

describe("a generic kernel: saxpy", function()
  local m = rl.cuda.module { source = "examples/kernels/saxpy.cu" }
  local saxpy = m:kernel("saxpy", "f32* y, const f32* x, f32 a, i32 n")
  local plain = m:kernel("saxpy", "f32*, const f32*, f32, i32")
  local n = 1000
  local xs, ys = {}, {}
  for i = 1, n do xs[i], ys[i] = i % 17, 3 * (i % 5) end
  local x = rl.tensor(xs, { n }, "f32", { device = "cuda" })
  local cfg = { grid = { (n + 255) // 256 }, block = { 256 } }
  it("describes itself", function()
    spec.eq(saxpy.name, "saxpy")
    spec.eq(saxpy.signature, "f32*, const f32*, f32, i32")
    spec.eq(saxpy.nargs, 4)
    spec.truthy(tostring(saxpy):find("saxpy.cu", 1, true), "tostring names the file")
  end)
  it("launches: y = a x + y", function()
    local y = rl.tensor(ys, { n }, "f32", { device = "cuda" })
    saxpy(cfg, { y, x, 2.0, n })
    rl.cuda.launch(plain, cfg, { y, x, 0.5, n })
    local got = y:to("cpu"):totable()
    for i = 1, n do spec.eq(got[i], ys[i] + 2.5 * xs[i], "y[" .. i .. "]") end
  end)
  it("is timed by rl.bench.launch in every mode, with rotation", function()
    local y = rl.tensor(ys, { n }, "f32", { device = "cuda" })
    for _, mode in ipairs { "hot", "cold", "graph" } do
      local r = rl.bench.launch(saxpy, cfg, { y, x, 2.0, n }, { warmup = 3, repeats = 20, mode = mode, rotate = 2, batch = 10 })
      spec.eq(#r.samples_ms, 20)
      spec.eq(#r.sm_clock_mhz, 20)
      for _, s in ipairs(r.samples_ms) do spec.truthy(s > 0 and s < 100, mode .. ": positive sample, got " .. s) end
    end
  end)
  it("argument count and types", function()
    local y = rl.tensor(ys, { n }, "f32", { device = "cuda" })
    fails(function() plain(cfg, { y, x, 2.0 }) end, "saxpy: 4 arguments declared, 3 given")
    fails(function() plain(cfg, { y, rl.empty({ n }, "bf16"), 2.0, n }) end,
      "saxpy: argument 2 (const f32*): expected a cuda tensor of f32, got a cpu tensor of bf16")
    fails(function() saxpy(cfg, { y, x:to("cpu"), 2.0, n }) end, "argument 2 'x' (const f32*)", "got a cpu tensor of f32")
    fails(function() plain(cfg, { y, x, 2.0, 3000000000 }) end, "argument 4 (i32): 3000000000 is out of range")
    fails(function() plain(cfg, { y, x, 2.0, 2.5 }) end, "argument 4 (i32): expected an integer")
    fails(function() plain(cfg, { y, x, x, n }) end, "argument 3 (f32): expected a number, got userdata")
    fails(function() plain(cfg, { 7, x, 2.0, n }) end, "argument 1 (f32*): expected a cuda tensor of f32, got number")
    local dead = rl.empty({ n }, "f32", { device = "cuda" })
    dead:close()
    fails(function() plain(cfg, { dead, x, 2.0, n }) end, "argument 1", "closed tensor")
    fails(function() rl.bench.launch(plain, cfg, { y, x, 2.0 }, {}) end, "4 arguments declared, 3 given")
    fails(function() rl.bench.launch({}, cfg, { y, x, 2.0, n }) end, "expected a kernel")
  end)
  it("signatures held to the kernel's parameters", function()
    fails(function() m:kernel("saxpy", "f32*, const f32*, f32") end, "saxpy.cu", "takes 4 parameters, the signature declares 3")
    fails(function() m:kernel("saxpy", "f32*, const f32*, f64, i32") end, "parameter 3 is 4 bytes", "f64 (8 bytes)")
    fails(function() m:kernel("saxpy", "f32*, const f32*, flaot, i32") end, "kernel 'saxpy': signature: argument 3: unknown type 'flaot'")
    fails(function() m:kernel("saxpy") end, "signature must be a string")
  end)
  it("a missing entry point", function()
    fails(function() m:kernel("resample_f32", "") end, "module examples/kernels/saxpy.cu: no kernel named 'resample_f32'",
      "entry points must be extern \"C\"", "it has: saxpy")
    local mangled = rl.cuda.module { code = "__global__ void mangled_k(float *p) { p[0] = 1; }", name = "mangled.cu" }
    fails(function() mangled:kernel("mangled_k", "f32*") end, "no kernel named 'mangled_k'", "C++-mangled")
  end)
  it("launch configurations the device rejects", function()
    local y = rl.tensor(ys, { n }, "f32", { device = "cuda" })
    local args = { y, x, 2.0, n }
    fails(function() plain({ grid = { 1 }, block = { 2048 } }, args) end, "saxpy: launch.block: 2048 threads exceed the device limit of 1024")
    fails(function() plain({ grid = { 1, 70000 }, block = { 32 } }, args) end, "launch.grid[2]: 70000 exceeds the device limit of 65535")
    fails(function() plain({ grid = { 1 }, block = { 1, 1, 128 } }, args) end, "launch.block[3]: 128 exceeds the device limit of 64")
    fails(function() plain({ grid = { 1 }, block = { 32 }, shared = 1 << 30 }, args) end, "launch.shared", "exceed the device limit")
    fails(function() plain({ block = { 32 } }, args) end, "launch.grid is required")
    fails(function() plain({ grid = { 0 }, block = { 32 } }, args) end, "launch.grid[1]: expected a positive integer")
    fails(function() plain({ grid = 1, block = { 32, 1, 1, 1 } }, args) end, "launch.block: expected 1 to 3 sizes")
    fails(function() rl.bench.launch(plain, { grid = { 1 }, block = { 4096 } }, args, { repeats = 2 }) end, "launch.block")
    -- misspelt keys are named, not ignored (sharde = 4096 would launch with no shared memory)
    fails(function() plain({ grid = { 1 }, block = { 32 }, sharde = 4096 }, args) end, "saxpy: launch: unknown field sharde")
    fails(function() rl.bench.launch(plain, { grid = { 1 }, block = { 32 } }, args, { repeets = 2 }) end,
      "bench.launch: opts: unknown option repeets")
    -- more than 48 KiB of dynamic shared memory: opted in, as nvcc users must do by hand
    plain({ grid = { 1 }, block = { 32 }, shared = 64 * 1024 }, args)
    spec.eq(rl.cuda.context_status(), true, "the context is fine after rejected launches")
  end)
end)

describe("a faulting kernel (in a process of its own: the context is lost after it)", function()
  it("is a Lua error; later CUDA work is refused with the reason; CPU work goes on", function()
    local p = assert(io.popen(string.format("%q tests/kernels/fault_run.lua 2>&1", build .. "/robolua")))
    local out = p:read("a")
    p:close()
    local function line(tag) return out:match("\n?" .. tag .. "[^\n]*") or "" end
    spec.truthy(line("before:"):find("true", 1, true), out)
    local launch = line("launch:")
    spec.truthy(launch:find("false", 1, true) and launch:find("fault:", 1, true), out)
    spec.truthy(launch:find("IllegalAddress", 1, true) or launch:find("illegal", 1, true), out)
    spec.truthy(launch:find("context is lost", 1, true), out)
    spec.truthy(line("status:"):find("false\tthe CUDA context was lost", 1, true), out)
    spec.truthy(line("again:"):find("not run: the CUDA context was lost", 1, true), out)
    spec.truthy(line("timed:"):find("not run: the CUDA context was lost", 1, true), out)
    spec.truthy(line("kernel:"):find("not run: the CUDA context was lost", 1, true), out)
    spec.truthy(line("cpu:"):find("true", 1, true), out)
  end)
end)

spec.finish()
