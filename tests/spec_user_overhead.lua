-- No overhead from the user path: robolua's own row-block kernel (kernels/resample_rows.cuh), compiled
-- at run time as a user module and launched through rl.bench.launch with the built-in's launch plan,
-- against the built-in cuda backend, in one run on one GPU: the same bytes, and medians within the
-- noise of the built-in measured against itself. Skipped (exit 77) without a GPU.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
local describe, it = spec.describe, spec.it

local ok, why = rl.cuda.available()
if not ok then spec.skip("no usable CUDA device: " .. tostring(why)) end

local m = rl.cuda.module { source = "tests/kernels/rows_module.cu", options = { "-Ikernels", "-fmad=false" } }

describe("the user path adds no overhead", function()
  for _, case in ipairs { { 64, 1000, 512, "bf16" }, { 8, 250, 128, "bf16" }, { 64, 1000, 512, "f32" } } do
    local B, S, D, dtype = case[1], case[2], case[3], case[4]
    it(string.format("%dx%dx%d %s: same bytes, same time", B, S, D, dtype), function()
      local h = rl.trajectories { batch = B, source_len = S, dim = D, dtype = dtype, seed = 3 }
      local d = { src = h.src:to("cuda"), st = h.src_times:to("cuda"), tt = h.tgt_times:to("cuda") }
      local T = S // 2
      local out_b = rl.empty({ B, T, D }, dtype, { device = "cuda" })
      local out_u = rl.empty({ B, T, D }, dtype, { device = "cuda" }):fill(0 / 0)
      local plan = rl.cuda.rows_plan(d.src, d.st, d.tt, { backend = "cuda", out = out_b })
      local k = m:kernel("rows_" .. dtype, "const void* src, const f32* st, const f32* tt, void* out, u32 S, u32 T, u32 vecs, u32 q, u32 rem, u32 per_stage")
      local cfg = { grid = { plan.grid }, block = { plan.block }, shared = plan.shared }
      local args = { d.src, d.st, d.tt, out_u, plan.S, plan.T, plan.vecs, plan.q, plan.rem, plan.batches_per_stage }
      rl.resample(d.src, d.st, d.tt, { backend = "cuda", out = out_b })
      rl.cuda.launch(k, cfg, args)
      spec.truthy(out_u:to("cpu"):bytes() == out_b:to("cpu"):bytes(), "identical output bytes")
      local mb, mu = {}, {}
      for round = 1, 7 do -- alternating, so drift falls on both
        local b = rl.bench.resample(d.src, d.st, d.tt, { backend = "cuda", out = out_b, warmup = 20, repeats = 200 })
        local u = rl.bench.launch(k, cfg, args, { warmup = 20, repeats = 200 })
        mb[round], mu[round] = rl.stats.median(b.samples_ms), rl.stats.median(u.samples_ms)
      end
      local built, user = rl.stats.median(mb), rl.stats.median(mu)
      local noise = rl.stats.spread_pct(mb)
      local diff = 100 * (user - built) / built
      print(string.format("      %s %dx%dx%d: built-in %.5f ms, user module %.5f ms (%+.2f%%); built-in round-to-round spread %.2f%%",
        dtype, B, S, D, built, user, diff, noise))
      spec.truthy(math.abs(diff) <= math.max(2, 2 * noise), string.format("user path %+.2f%% vs the noise %.2f%%", diff, noise))
    end)
  end
end)

spec.finish()
