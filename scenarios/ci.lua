-- The CI run: small sizes, every dtype, CPU only where there is no GPU; under a minute on 2 cores.
--   robolua scenarios/ci.lua
local rl = require "robolua"
require("robolua.script_args").parse("ci", {}, { ... }) -- it takes none: a word given is a mistake

return rl.scenario {
  name = "ci",
  description = "CI smoke benchmark: verification and timing of every dtype at small sizes.",
  seeds = { 0, 1, 2 },
  warmup = 3,
  repeats = 15,
  axes = {
    shape = { { 8, 250, 128 }, { 16, 400, 96 } },
    dtype = { "f32", "bf16", "f16" },
    backend = { "cpu", "cuda" },
  },
  gates = {
    rl.gate.verified(),
    -- shared CI machines are noisy: a loose envelope that still catches a broken timer
    rl.gate.variance { max_pct = 200 },
  },
}
