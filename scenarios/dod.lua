-- The definition of done: the three configurations of the original harness plus one several times
-- the size of a GPU's L2, bf16, five seeds x 50 repeats, CPU (all cores) against CUDA.
--   robolua scenarios/dod.lua
-- Nsight evidence for the same commit: tools/profile.sh scenarios/dod.lua (found and linked here).
local rl = require "robolua"

local function large(c) return c.batch * c.source_len * c.dim >= 64 * 1000 * 512 end

return rl.scenario {
  name = "dod",
  description = "Definition of done: trajectory resampling, CPU (all cores) vs CUDA, bf16, jittered timestamps.",
  seeds = { 0, 1, 2, 3, 4 }, -- each seed regenerates values and timestamps
  warmup = 10,
  repeats = 50,
  interleave = 5, -- five rounds of 10 repeats per seed: drift of the machine spreads over all seeds
  rotate = "auto", -- CUDA launches cycle through copies of the inputs (4x the L2 per cycle, at most 64)
  axes = {
    shape = { { 8, 250, 128 }, { 32, 500, 256 }, { 64, 1000, 512 }, { 256, 2000, 512 } }, -- T = S/2
    dtype = { "bf16" },
    timing = { "jitter" },
    backend = { "cpu", "cuda" },
  },
  gates = {
    rl.gate.variance { max_pct = 5 },
    rl.gate.ordering {},
    rl.gate.speedup { base = "cpu", cand = "cuda", min = 1 },
    rl.gate.roofline { backend = "cuda", min_pct = 80, where = large, label = "on the large sizes" },
    -- from the Nsight Compute profile of this commit (tools/profile.sh scenarios/dod.lua); skipped without one
    rl.profile.gate_dram { min_pct = 80, where = large, label = "on the large sizes" },
    rl.profile.gate_timer { max_diff_pct = 10, where = large, label = "on the large sizes" },
  },
  reports = { "csv", "json", "markdown", "html" },
}
