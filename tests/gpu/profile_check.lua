-- GPU check of --profile attribution by NVTX range (tools/gpu_session.sh check): a skipped CUDA point in
-- the middle of the sweep (later kernels must not shift onto the wrong configuration) and a backend that
-- launches the built-in kernel twice per call (both kernels belong to its record).
--   tools/profile.sh tests/gpu/profile_check.lua && build/robolua tests/gpu/profile_check.lua
--   build/robolua tests/gpu/check_attribution.lua RESULTS_DIR
local rl = require "robolua"

local twice = {
  device = "cuda",
  resample = function(_, src, st, tt, opts)
    local o = { backend = "cuda", out = opts.out }
    o.out = rl.resample(src, st, tt, o)
    return rl.resample(src, st, tt, o)
  end,
  bench = function(_, src, st, tt, opts)
    local o = {}
    for k, v in pairs(opts) do o[k] = v end
    o.backend = "cuda"
    local r = rl.bench.resample(src, st, tt, o)
    for i, v in ipairs(r.samples_ms) do r.samples_ms[i] = 2 * v end -- two launches per call
    return r
  end,
}

return rl.scenario {
  name = "profile_check",
  seeds = { 0 }, warmup = 2, repeats = 20, controls = 0,
  axes = { shape = { { 8, 250, 128 }, { 16, 300, 64 }, { 64, 1000, 512 } }, dtype = { "bf16" }, backend = { "cuda", "twice" } },
  skip = function(p) if p.shape[1] == 16 then return "skipped on purpose: no kernel may land on it" end end,
  backends = { twice = twice },
  gates = { rl.profile.gate_timer { max_diff_pct = 25, where = function(c) return c.batch == 64 end } },
}
