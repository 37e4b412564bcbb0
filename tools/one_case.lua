-- Runs one resample case a few times on the GPU, verified once (a target for ncu / nsys by hand):
--   robolua tools/one_case.lua B S D dtype timing [launches]
--   e.g. ncu --clock-control none -k regex:resample build/robolua tools/one_case.lua 64 1000 512 bf16 uniform 5
local rl = require "robolua"
local a = { ... }
local B, S, D = tonumber(a[1] or 64), tonumber(a[2] or 1000), tonumber(a[3] or 512)
local dtype, timing, n = a[4] or "bf16", a[5] or "jitter", tonumber(a[6] or 5)
local h = rl.trajectories { batch = B, source_len = S, target_len = S // 2, dim = D, dtype = dtype, seed = 0, timing = timing }
local d = { h.src:to("cuda"), h.src_times:to("cuda"), h.tgt_times:to("cuda") }
local out = rl.empty({ B, S // 2, D }, dtype, { device = "cuda" })
for _ = 1, n do rl.resample(d[1], d[2], d[3], { backend = "cuda", out = out }) end
rl.cuda.synchronize()
local c = rl.compare(out:to("cpu"), rl.resample(h.src, h.src_times, h.tgt_times, { backend = "reference" }))
print(string.format("%dx%dx%d %s %s: %d launches, verified %s", B, S, D, dtype, timing, n, tostring(c.ok)))
os.exit(c.ok and 0 or 1)
