-- The definition of done: the three configurations of the original harness plus one several times
-- the size of a GPU's L2, bf16, five seeds x at least 50 repeats, CPU (all cores) against CUDA.
--   robolua scenarios/dod.lua
--   robolua scenarios/dod.lua kernel=path/to/your_kernel.cu   # your CUDA kernel next to robolua's
--   robolua scenarios/dod.lua cpu=path/to/libyours.so          # your CPU library likewise
-- (see lua/robolua/user_args.lua for kernel_entry=, cpu_entry=, kernel_options=)
-- Nsight evidence for the same commit: tools/profile.sh scenarios/dod.lua (found and linked here).
local rl = require "robolua"
local user_args = require "robolua.user_args"
local user_backends, unknown = user_args.apply(rl, "dod", { ... })
require("robolua.script_args").refuse_leftovers("dod", user_args.defaults, unknown)
local backends = { "cpu", "cuda" }
for _, b in ipairs(user_backends) do backends[#backends + 1] = b end

local function large(c) return c.batch * c.source_len * c.dim >= 64 * 1000 * 512 end
-- several times any GPU's L2: there a copy runs at the rate of the large-buffer copy; at 64x1000x512 a
-- same-size copy itself reaches only ~75-90% of that rate (H200/H100), so the bar there is the same-size copy
local function largest(c) return c.batch * c.source_len * c.dim >= 256 * 2000 * 512 end

-- every GPU backend (robolua's and a user's kernel) is held to the same bars
local gates = { rl.gate.variance { max_pct = 5 }, rl.gate.ordering {} }
for _, b in ipairs(backends) do
  if b ~= "cpu" then gates[#gates + 1] = rl.gate.speedup { base = "cpu", cand = b, min = 1 } end
  if rl.backends.get(b).device == "cuda" then
    gates[#gates + 1] = rl.gate.roofline { backend = b, min_pct = 80, where = largest, label = "at 256x2000x512" }
    gates[#gates + 1] = rl.gate.roofline { backend = b, min_pct = 90, against = "same_size", where = large,
      label = "on the large sizes" }
  end
end
-- from the Nsight Compute profile of this commit (tools/profile.sh scenarios/dod.lua); skipped without one:
-- DRAM throughput against a same-size copy kernel profiled in the same run (reachable at every size),
-- and the event timer against ncu's kernel durations
gates[#gates + 1] = rl.profile.gate_dram { min_pct = 90, where = large, label = "on the large sizes" }
-- (events per back-to-back launch include the launch gap ncu leaves out: up to 15% above, at most 5% below)
gates[#gates + 1] = rl.profile.gate_timer { max_under_pct = 5, max_over_pct = 15, where = large, label = "on the large sizes" }


return rl.scenario {
  name = "dod",
  description = "Definition of done: trajectory resampling, CPU (all cores) vs CUDA, bf16, jittered timestamps.",
  seeds = { 0, 1, 2, 3, 4 }, -- each seed regenerates values and timestamps
  warmup = 10,
  repeats = 50,
  -- then more chunks, round robin, all of a point's seeds and controls together, until each one's mean is
  -- known to 1% (95% CI), or 1000 samples, or 20 s of timing per point. The GPU points stop at 50-240;
  -- the CPU points of a cloud VM need the rest: on the H100's 16-vCPU host 50 samples of a 0.65 ms point
  -- let identical data spread 4-13% (the variance gate INCONCLUSIVE in every DoD there), 1000 samples
  -- mostly 0.5-4%, once 5.9% (results/h100-20261126/cpu-noise/, dod-*-0d1335f/, -a81a812/, -7b09a0a/)
  stop = { precision_pct = 1, max_repeats = 1000, max_seconds = 20 },
  -- seeds and 4 controls (identical data to seed 0: the noise floor) resident at once, timed round
  -- robin in 10 rounds of 5 samples, so drift of the machine spreads over all of them
  interleave = "auto",
  rotate = "auto", -- CUDA launches cycle through copies of the inputs (4x the L2 per cycle, at most 64)
  axes = {
    shape = { { 8, 250, 128 }, { 32, 500, 256 }, { 64, 1000, 512 }, { 256, 2000, 512 } }, -- T = S/2
    dtype = { "bf16" },
    timing = { "jitter" },
    backend = backends,
  },
  gates = gates,
  throttle = { threshold_pct = 90, action = "remeasure" }, -- chunks with throttled samples are re-taken
  reports = { "csv", "json", "markdown", "html" },
}
