-- Runs one resample case a few times on the GPU, verified once (a target for ncu / nsys by hand):
--   robolua tools/one_case.lua [batch=64] [source_len=1000] [dim=512] [dtype=bf16] [timing=jitter] [launches=5]
--   (target_len = source_len / 2), e.g.
--   ncu --clock-control none -k regex:resample build/robolua tools/one_case.lua timing=uniform
local rl = require "robolua"
local script_args = require "robolua.script_args"
local opts = script_args.parse("one_case", { batch = "64", source_len = "1000", dim = "512", dtype = "bf16", timing = "jitter",
  launches = "5" }, { ... })
local function count(key, min) return script_args.integer("one_case", key, opts[key], min) end
local B, S, D, n = count("batch", 1), count("source_len", 2), count("dim", 1), count("launches", 1)
-- (the dtypes of robolua's CUDA resampler; the timestamps of rl.trajectories)
local dtype = script_args.choice("one_case", "dtype", opts.dtype, { f32 = true, bf16 = true, f16 = true })
local timing = script_args.choice("one_case", "timing", opts.timing, { jitter = true, uniform = true })
require("robolua.usage").needs_cuda("one_case")
local h = rl.trajectories { batch = B, source_len = S, target_len = S // 2, dim = D, dtype = dtype, seed = 0, timing = timing }
local d = { h.src:to("cuda"), h.src_times:to("cuda"), h.tgt_times:to("cuda") }
local out = rl.empty({ B, S // 2, D }, dtype, { device = "cuda" })
for _ = 1, n do rl.resample(d[1], d[2], d[3], { backend = "cuda", out = out }) end
rl.cuda.synchronize()
local c = rl.compare(out:to("cpu"), rl.resample(h.src, h.src_times, h.tgt_times, { backend = "reference" }))
print(string.format("%dx%dx%d %s %s: %d launches, verified %s", B, S, D, dtype, timing, n, tostring(c.ok)))
os.exit(c.ok and 0 or 1)
