-- Quick timing of the fused resampler on a GPU machine (development aid, until the robot_fusion scenario):
-- fused vs one launch per stream, hot and graph, inputs rotated, against a same-size cudaMemcpy timed by
-- the same loop, in one run; and the CPU pass.
--   robolua tools/fuse_quick.lua [batch ...]     (default 64 256; 10 s episodes of the default four streams)
-- Bytes: the fuse workload's minimum (lua/robolua/workloads/fuse.lua, M.bytes_rule: the output, every valid
-- time, the source rows valid targets need). "all-in" adds every source value (what a copy of the inputs moves).
local rl = require "robolua"
local fuse = require "robolua.workloads.fuse"
local cuda = rl.cuda.available()
local batches = {}
for _, a in ipairs { ... } do batches[#batches + 1] = require("robolua.script_args").integer("fuse_quick", "batch", a, 1) end
if #batches == 0 then batches = { 64, 256 } end
if cuda then
  local bw = rl.cuda.copy_bandwidth { bytes = 1 << 30, repeats = 20 }
  print(string.format("%s  copy %.0f GB/s", rl.cuda.info().name, bw.bytes_per_s / 1e9))
end
local function median(xs) return rl.stats.summary(xs).median end

for _, B in ipairs(batches) do
  for _, clock in ipairs { "relative", "epoch_i64" } do
    local e = rl.robot_episodes { batch = B, duration_s = 10, seed = 0, clock = clock, ragged = true }
    local T = e.tgt_times.shape[2]
    local ts = clock == "relative" and 4 or 8
    local D, all_in = 0, B * T * ts
    for _, s in ipairs(e.streams) do
      local S, Dk = s.src.shape[2], s.src.shape[3]
      D = D + Dk
      all_in = all_in + B * S * ts + B * S * Dk * rl.dtypes[s.src.dtype].size
    end
    local bytes = fuse.min_bytes(e, "f32")
    all_in = all_in + B * T * D * 4
    local label = string.format("B=%-4d %-9s T=%d D=%d  %.1f MB (all-in %.1f MB)", B, clock, T, D, bytes / 1e6, all_in / 1e6)
    local cpu = rl.bench.fuse(e, { warmup = 2, repeats = 10 })
    print(string.format("%s\n  cpu fused %9.1f us (%d threads)", label, median(cpu.samples_ms) * 1e3, cpu.threads))
    if cuda then
      local d = { tgt_times = e.tgt_times:to("cuda"), tgt_len = e.tgt_len:to("cuda"), streams = {} }
      for k, s in ipairs(e.streams) do
        d.streams[k] = { src = s.src:to("cuda"), src_times = s.src_times:to("cuda"), src_len = s.src_len:to("cuda"), modes = s.modes }
      end
      local got = rl.fuse { streams = d.streams, tgt_times = d.tgt_times, tgt_len = d.tgt_len, backend = "cuda" }
      assert(got:to("cpu"):bytes() == rl.fuse(e):bytes(), "cuda output differs from the cpu pass")
      for _, mode in ipairs { "hot", "graph" } do
        local row = {}
        for _, launch in ipairs { "fused", "per_stream" } do
          local r = rl.bench.fuse(d, { backend = "cuda", mode = mode, launch = launch, warmup = 20, repeats = 100, rotate = 4 })
          row[launch] = median(r.samples_ms)
        end
        local copy = require("robolua.run.roofline").copy_like(rl, bytes, { mode = mode, warmup = 5, repeats = 100, rotate = 4 })
        print(string.format("  cuda %-5s fused %8.2f us  per-stream %8.2f us (%.2fx)  same-size copy %8.2f us: fused at %5.1f%% of it, %.0f GB/s",
          mode, row.fused * 1e3, row.per_stream * 1e3, row.per_stream / row.fused, copy.median_ms * 1e3,
          100 * copy.median_ms / row.fused, bytes / row.fused / 1e6))
      end
    end
    collectgarbage()
  end
end
