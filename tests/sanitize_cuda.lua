-- A short CUDA workload for compute-sanitizer (memcheck, racecheck): every dtype, odd shapes, both
-- kernel paths, every timing mode. Run: compute-sanitizer --tool memcheck build/robolua tests/sanitize_cuda.lua
local rl = require "robolua"
assert(rl.cuda.available(), "no CUDA device")
local shapes = { { 1, 1, 5, 3 }, { 2, 50, 130, 7 }, { 3, 129, 257, 67 }, { 2, 100, 50, 64 }, { 1, 2000, 33, 8 },
  { 1, 9000, 40, 16 }, { 40, 4096, 3, 16 }, { 9, 7, 2, 16 } } -- the last two: several shared-memory stages per block
for _, dtype in ipairs { "f32", "bf16", "f16" } do
  for _, s in ipairs(shapes) do
    local h = rl.trajectories { batch = s[1], source_len = s[2], target_len = s[3], dim = s[4], dtype = dtype, seed = 1 }
    local out = rl.resample(h.src:to("cuda"), h.src_times:to("cuda"), h.tgt_times:to("cuda"), { backend = "cuda" })
    assert(out:to("cpu"):bytes() == rl.resample(h.src, h.src_times, h.tgt_times):bytes(), "mismatch " .. dtype)
  end
end
local d = rl.trajectories { batch = 4, source_len = 64, dim = 32, dtype = "bf16", seed = 2, device = "cuda" }
for _, mode in ipairs { "hot", "cold", "graph" } do
  rl.bench.resample(d.src, d.src_times, d.tgt_times, { backend = "cuda", mode = mode, warmup = 1, repeats = 2, batch = 2 })
end
for _, mode in ipairs { "hot", "cold", "graph" } do
  rl.cuda.copy_bandwidth { bytes = 1 << 20, mode = mode, warmup = 1, repeats = 2, batch = 2 }
end
print("sanitize_cuda: ok")
