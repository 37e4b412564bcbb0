-- Quick kernel timing on a GPU machine (development aid): median per launch, hot and graph, as % of
-- the large-buffer copy bandwidth and of a same-size copy timed the same way, in one run.
--   robolua tools/gpu_quick.lua [bf16] [f32] [rotate=N]   (N input sets cycled, see rl.bench.resample)
-- bf16, f32: the dtypes timed (flags; default both, in that order). Arguments are read by
-- robolua.script_args before any GPU work, so a typo is a usage error naming the nearest argument.
local rl = require "robolua"
local resample = require "robolua.workloads.resample" -- the minimum bytes, as the scenarios count them
local script_args = require "robolua.script_args"
local opts = script_args.parse("gpu_quick", { bf16 = script_args.flag, f32 = script_args.flag, rotate = "1" }, { ... })
local rotate = script_args.integer("gpu_quick", "rotate", opts.rotate, 1)
local dtypes = script_args.flags_on(opts, { "bf16", "f32" }, { "bf16", "f32" })
require("robolua.usage").needs_cuda("gpu_quick")
local bw = rl.cuda.copy_bandwidth { bytes = 1 << 30, repeats = 20 }
print(string.format("%s  copy %.0f GB/s", rl.cuda.info().name, bw.bytes_per_s / 1e9))
for _, dtype in ipairs(dtypes) do
  for _, timing in ipairs { "jitter", "uniform" } do
    for _, s in ipairs { { 8, 250, 128 }, { 32, 500, 256 }, { 64, 1000, 512 }, { 256, 2000, 512 } } do
      local B, S, D = s[1], s[2], s[3]
      local T = S // 2
      local d = rl.trajectories { batch = B, source_len = S, target_len = T, dim = D, dtype = dtype, seed = 0, timing = timing, device = "cuda" }
      local bytes = resample.bytes { batch = B, source_len = S, target_len = T, dim = D, dtype = dtype }
      local row = { string.format("%-14s %-5s %-7s", B .. "x" .. S .. "x" .. D, dtype, timing) }
      for _, mode in ipairs { "hot", "graph" } do
        local r = rl.bench.resample(d.src, d.src_times, d.tgt_times, { backend = "cuda", mode = mode, warmup = 20, repeats = 100, batch = 20, rotate = rotate })
        local ms = rl.stats.median(r.samples_ms)
        local same = require("robolua.run.roofline").copy_like(rl, bytes, { mode = mode, warmup = 5, repeats = 100, batch = 20 })
        row[#row + 1] = string.format("%s %8.2f us %5.1f%% (copy %7.2f us: %5.1f%%)", mode, ms * 1e3,
          100 * bytes / ms / 1e6 / (bw.bytes_per_s / 1e9), same.median_ms * 1e3, 100 * same.median_ms / ms)
      end
      print(table.concat(row, " | "))
      d.src:close()
      collectgarbage()
    end
  end
end
