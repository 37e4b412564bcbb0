-- The CPU resampler's noise at one DoD point, with the runner's knobs that decide it (results/h100-20261126/
-- cpu-noise/ has what it measured): five seeds and four controls as in scenarios/dod.lua, CPU only, and the
-- variance gate's verdict.
--   robolua tools/cpu_noise.lua [shape=mid|big] [threads=N] [interleave=auto|N] [precision=PCT] [repeats=50]
-- mid = 64x1000x512, big = 256x2000x512 (bf16, jitter); precision: the stopping rule of scenarios/dod.lua
-- (95% CI of each seed's mean within PCT%, at most 1000 samples, or repeats if more, or 20 s of timing).
local rl = require "robolua"
local script_args = require "robolua.script_args"
local usage = require "robolua.usage"
local opts = script_args.parse("cpu_noise", { shape = "mid", threads = false, interleave = "auto", precision = false, repeats = "50" }, { ... })
local shapes = { mid = { 64, 1000, 512 }, big = { 256, 2000, 512 } }
local shape = shapes[opts.shape]
if not shape then usage.raise("cpu_noise: shape=" .. opts.shape .. ": expected mid or big") end
local axes = { shape = { shape }, dtype = { "bf16" }, timing = { "jitter" }, backend = { "cpu" } }
if opts.threads then axes.threads = { script_args.integer("cpu_noise", "threads", opts.threads, 1) } end
local interleave = opts.interleave == "auto" and "auto" or script_args.integer("cpu_noise", "interleave", opts.interleave, 1)
local precision = opts.precision and tonumber(opts.precision)
local repeats = script_args.integer("cpu_noise", "repeats", opts.repeats, 2)
if opts.precision and not (precision and precision > 0 and precision < math.huge) then usage.raise("cpu_noise: precision=" .. opts.precision .. ": expected a positive number") end
return rl.scenario {
  name = string.format("cpunoise-%s-t%s-i%s-p%s", opts.shape, opts.threads or "auto", tostring(interleave), opts.precision or "none"),
  seeds = { 0, 1, 2, 3, 4 }, controls = 4, warmup = 10, repeats = repeats,
  interleave = interleave, axes = axes,
  stop = precision and { precision_pct = precision, max_repeats = math.max(1000, repeats), max_seconds = 20 } or nil,
  gates = { rl.gate.variance { max_pct = 5 } }, reports = { "json", "markdown" },
}
