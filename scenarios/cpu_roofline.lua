-- The CPU resampler against this machine's memcpy bandwidth, measured in the same run.
--   robolua scenarios/cpu_roofline.lua
-- Large (64x1000x512, bf16 and f32) and a case over 1 GB of traffic; all cores. Goal: >= 80% of memcpy.
local rl = require "robolua"
require("robolua.script_args").parse("cpu_roofline", {}, { ... }) -- it takes none: a word given is a mistake

return rl.scenario {
  name = "cpu_roofline",
  description = "CPU resampler (all cores) vs the same-run memcpy bandwidth.",
  seeds = { 0, 1, 2 },
  warmup = 3,
  repeats = 10,
  axes = {
    shape = { { 64, 1000, 512 }, { 256, 2000, 512 } }, -- the second moves 1.5 GB (bf16) / 3.1 GB (f32)
    dtype = { "bf16", "f32" },
    backend = { "cpu" },
  },
  cpu_copy_bytes = 1024 * 2 ^ 20,
  gates = { rl.gate.roofline { backend = "cpu", min_pct = 80 } },
}
