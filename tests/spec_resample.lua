-- CPU resampler vs the float64 reference on random jittered inputs: every dtype, many shapes
-- (D not a multiple of 8, T > S, S = 1, B = 1), every thread count bit-identical.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
local describe, it = spec.describe, spec.it

local shapes = { -- B, S, T, D
  { 1, 1, 5, 3 }, { 1, 2, 7, 1 }, { 3, 17, 9, 5 }, { 2, 50, 130, 7 }, { 4, 250, 125, 128 },
  { 5, 33, 100, 13 }, { 2, 1000, 500, 24 }, { 7, 64, 32, 1 }, { 3, 129, 257, 67 },
}

describe("cpu resampler vs float64 reference", function()
  for _, dtype in ipairs { "f32", "bf16", "f16" } do
    for si, sh in ipairs(shapes) do
      for _, timing in ipairs { "jitter", "uniform" } do
        local B, S, T, D = sh[1], sh[2], sh[3], sh[4]
        it(string.format("%s %dx%dx%d T=%d %s", dtype, B, S, D, T, timing), function()
          local tr = rl.trajectories { batch = B, source_len = S, target_len = T, dim = D, dtype = dtype,
            seed = 1000 + si, timing = timing }
          local out = rl.empty({ B, T, D }, dtype):fill(0 / 0) -- poisoned: an unwritten element fails
          rl.resample(tr.src, tr.src_times, tr.tgt_times, { backend = "cpu", out = out })
          local ref = rl.resample(tr.src, tr.src_times, tr.tgt_times, { backend = "reference" })
          spec.eq(ref.dtype, "f64", "reference dtype")
          local c = rl.compare(out, ref)
          spec.truthy(c.ok, string.format("compare (bad=%d, max_abs=%g, max_ulp=%g, first bad #%s got %s want %s)",
            c.bad, c.max_abs_err, c.max_ulp_err, tostring(c.first_bad), tostring(c.first_bad_got),
            tostring(c.first_bad_want)))
          spec.eq(c.nonfinite, 0, "non-finite outputs")
          if dtype == "f32" then spec.truthy(c.max_abs_err <= 1e-6 * 2, "f32 within 1e-6") end
          if dtype ~= "f32" then spec.truthy(c.max_ulp_err <= 1.0, "within one ulp") end
        end)
      end
    end
  end
end)

describe("thread counts", function()
  it("1, 2, 3 and 7 threads give identical bytes", function()
    local tr = rl.trajectories { batch = 5, source_len = 300, target_len = 333, dim = 37, dtype = "bf16", seed = 9 }
    local want = rl.resample(tr.src, tr.src_times, tr.tgt_times, { threads = 1 }):bytes()
    for _, n in ipairs { 2, 3, 7 } do
      spec.eq(rl.resample(tr.src, tr.src_times, tr.tgt_times, { threads = n }):bytes() == want, true,
        n .. " threads")
    end
  end)
  it("a large output (streamed stores) matches the reference", function()
    -- 64 MiB of f32 output: over the non-temporal store threshold
    local tr = rl.trajectories { batch = 16, source_len = 2048, target_len = 1024, dim = 1024, dtype = "f32", seed = 4 }
    local out = rl.resample(tr.src, tr.src_times, tr.tgt_times)
    local ref = rl.resample(tr.src, tr.src_times, tr.tgt_times, { backend = "reference" })
    spec.truthy(rl.compare(out, ref).ok, "compare")
  end)
end)

describe("pinning (opts.pin)", function()
  it("pinned and unpinned runs give identical bytes; the bench reports it; a non-boolean is an error", function()
    local tr = rl.trajectories { batch = 4, source_len = 200, target_len = 150, dim = 33, dtype = "bf16", seed = 5 }
    local want = rl.resample(tr.src, tr.src_times, tr.tgt_times, { threads = 3 }):bytes()
    for _, n in ipairs { 1, 2, 5 } do
      spec.eq(rl.resample(tr.src, tr.src_times, tr.tgt_times, { threads = n, pin = true }):bytes() == want, true,
        "pinned, " .. n .. " threads")
    end
    local b = rl.bench.resample(tr.src, tr.src_times, tr.tgt_times, { warmup = 1, repeats = 3, pin = true })
    spec.eq(b.pinned, true, "bench.resample reports pinned")
    spec.eq(#b.samples_ms, 3, "samples")
    spec.eq(rl.bench.resample(tr.src, tr.src_times, tr.tgt_times, { warmup = 0, repeats = 1 }).pinned, false,
      "unpinned by default")
    spec.fails(function() rl.resample(tr.src, tr.src_times, tr.tgt_times, { pin = "yes" }) end, "opts.pin")
  end)
end)

describe("instruction-set paths", function()
  it("AVX2 and AVX-512 paths give the bytes of the portable code (ROBOLUA_CPU_ISA=generic)", function()
    local bin, tmp = spec.binary(), spec.tempdir()
    local code = [[
      local rl = robolua
      local f = assert(io.open(os.getenv("RL_OUT"), "wb"))
      for _, dt in ipairs { "bf16", "f16", "f32" } do
        for _, d in ipairs { 1, 7, 15, 16, 17, 40, 515 } do
          local tr = rl.trajectories { batch = 3, source_len = 64, target_len = 70, dim = d, dtype = dt, seed = d }
          f:write(rl.resample(tr.src, tr.src_times, tr.tgt_times):bytes())
        end
      end
      -- rounding ties and near-ties: neighbouring 16-bit values a, b and targets at w = 1/2, 1/4, ...
      for _, dt in ipairs { "bf16", "f16" } do
        local bits = dt == "bf16" and 7 or 10
        local D, vals = 48, {}
        for j = 1, D do
          local m = 2 ^ bits + (j * 37) % 2 ^ bits
          local e = (j % 7) - 3
          vals[j] = m * 2 ^ (e - bits)
          vals[D + j] = (m + 1) * 2 ^ (e - bits)
        end
        local src = rl.tensor(vals, { 1, 2, D }, dt)
        local tt = rl.tensor({ 0.5, 0.25, 0.75, 0.125, 0.5 + 2 ^ -20, 0.5 - 2 ^ -20 }, { 1, 6 })
        f:write(rl.resample(src, rl.tensor({ 0, 1 }, { 1, 2 }), tt):bytes())
      end
      -- NaN, infinities and zeros against each other and ordinary values (inf - inf and 0 * inf make
      -- NaNs); a NaN time (validate = false) makes a NaN weight. Two NaN operands are left out: which
      -- payload survives then depends on the operand order the compiler gives the commutative add.
      local sp = { 0 / 0, -(0 / 0), math.huge, -math.huge, 0, -0.0, 1.5, -3.25, 1e-40, 3e38 }
      for _, dt in ipairs { "bf16", "f16", "f32" } do
        local D, vals = #sp * #sp, {}
        for i = 1, #sp do
          for j = 1, #sp do
            local both_nan = sp[i] ~= sp[i] and sp[j] ~= sp[j]
            vals[(i - 1) * #sp + j] = sp[i]
            vals[D + (i - 1) * #sp + j] = both_nan and 1.5 or sp[j]
          end
        end
        local src = rl.tensor(vals, { 1, 2, D }, dt)
        local tt = rl.tensor({ 0, 0.5, 0.3, 1 }, { 1, 4 })
        f:write(rl.resample(src, rl.tensor({ 0, 1 }, { 1, 2 }), tt):bytes())
        -- the time's NaN carries a payload into the low 16 bits of the weight (float 0x7fc0abcd)
        local nan_payload = string.unpack("<d", string.pack("<I8", 0x7FF81579A0000000))
        local rows = {}
        for i = 1, 3 * 40 do rows[i] = (i * 7) % 23 - 11 end
        f:write(rl.resample(rl.tensor(rows, { 1, 3, 40 }, dt), rl.tensor({ 0, nan_payload, 2 }, { 1, 3 }),
          rl.tensor({ 0.5, 1.5 }, { 1, 2 }), { validate = false }):bytes())
      end
      f:close()]]
    local q = spec.quote
    local function run(isa)
      local path = tmp .. "/" .. (isa or "best") .. ".bin"
      assert(os.execute((isa and "ROBOLUA_CPU_ISA=" .. isa .. " " or "") .. "RL_OUT=" .. q(path) .. " " .. q(bin) ..
        " -e " .. q(code)))
      local f = assert(io.open(path, "rb"))
      local bytes = f:read("a")
      f:close()
      return bytes
    end
    local generic = run("generic")
    spec.truthy(#generic > 0, "the portable run wrote bytes")
    for _, isa in ipairs { "avx2", "avx512", false } do -- false: the best this CPU has
      local got = run(isa)
      spec.truthy(got == generic, (isa or "best") .. ": identical bytes (" .. #got .. " vs " .. #generic .. ")")
    end
  end)
end)

describe("targets out of order", function()
  it("unsorted targets are resampled correctly (the cursor search backs up)", function()
    local st = rl.tensor({ 0, 1, 2, 3, 4, 5, 6, 7 }, { 1, 8 })
    local src = rl.tensor({ 0, 10, 20, 30, 40, 50, 60, 70 }, { 1, 8, 1 })
    local tt = rl.tensor({ 6.5, 0.25, 3.5, 7, -1, 2 }, { 1, 6 })
    local got = rl.resample(src, st, tt):totable()
    local want = { 65, 2.5, 35, 70, 0, 20 }
    for i = 1, 6 do spec.eq(got[i], want[i], "target " .. i) end
  end)
end)

spec.finish()
