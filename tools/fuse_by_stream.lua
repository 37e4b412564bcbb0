-- The fused kernel on subsets of the robot4 streams (kernels/NOTES.md, "fusion kernel"): each stream alone,
-- the dense one (camera, below the target rate: every sample read, contiguous rows) against the gathered
-- ones (joints and imu, 10-20x the target rate: two rows per target), and all four. For each: the fuse
-- workload's minimum bytes, the default kernel's median time and a same-size cudaMemcpy's, both timed the
-- same way (hot, inputs rotated). Every output is first checked byte for byte against the CPU pass.
--   robolua tools/fuse_by_stream.lua [batch=256] [clock=relative|epoch_f64|epoch_i64] [repeats=100]
local rl = require "robolua"
local fuse = require "robolua.workloads.fuse"
local copy_like = require("robolua.run.roofline").copy_like

local script_args = require "robolua.script_args"
local usage = require "robolua.usage"
local opts = script_args.parse("fuse_by_stream", { batch = "256", clock = "relative", repeats = "100" }, { ... })
local batch = script_args.integer("fuse_by_stream", "batch", opts.batch, 1)
local repeats = script_args.integer("fuse_by_stream", "repeats", opts.repeats, 5)
script_args.choice("fuse_by_stream", "clock", opts.clock, fuse.clocks)
usage.needs_cuda("fuse_by_stream")

local preset = fuse.presets.robot4
local function pick(...)
  local out = {}
  for _, name in ipairs { ... } do
    for _, s in ipairs(preset) do if s.name == name then out[#out + 1] = s end end
  end
  return out
end
local subsets = {
  { "camera (dense)", pick("camera") }, { "joints", pick("joints") }, { "imu", pick("imu") }, { "events", pick("events") },
  { "joints + imu (gathered)", pick("joints", "imu") }, { "all four", preset },
}

local info = rl.cuda.info()
print(string.format("%s, kernel %s, B=%d %s ragged, 10 s at 50 Hz, hot, %d samples per median", info.name,
  (rl.cuda.fuse_kernel()), batch, opts.clock, repeats))
print(string.format("%-24s %9s %10s %10s %12s", "streams", "MB", "copy us", "fused us", "% of copy"))
local failed = 0
for _, s in ipairs(subsets) do
  local e = rl.robot_episodes { batch = batch, duration_s = 10, seed = 0, clock = opts.clock, ragged = true, streams = s[2] }
  local bytes = fuse.min_bytes(e, "f32")
  local d = fuse.to_device(e, "cuda")
  d.backend = "cuda"
  local same = rl.fuse(d):to("cpu"):bytes() == rl.fuse(e):bytes()
  d.backend = nil
  if not same then
    failed = failed + 1
    print(string.format("%-24s FAIL: the CUDA output differs from the CPU pass; not timed", s[1]))
  else
    local copy = copy_like(rl, bytes, { mode = "hot", warmup = 5, repeats = repeats, rotate = 4 }).median_ms * 1e3
    local r = rl.bench.fuse(d, { backend = "cuda", mode = "hot", warmup = 20, repeats = repeats, rotate = 4 })
    local t = rl.stats.summary(r.samples_ms).median * 1e3
    print(string.format("%-24s %9.2f %10.2f %10.2f %11.1f%%", s[1], bytes / 1e6, copy, t, 100 * copy / t))
  end
  for _, x in ipairs(fuse.tensors(d)) do x:close() end
  collectgarbage()
end
if failed > 0 then os.exit(1) end
