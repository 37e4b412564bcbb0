-- A few fused launches of one robot case, for a profiler (ncu -k regex:fuse_kernel): checks the output
-- byte for byte against the CPU pass first, then launches `launches` more times.
--   robolua tools/fuse_once.lua [batch=256] [clock=relative|epoch_i64] [kernel=v2[/N]] [launches=3]
-- kernel: a variant as lua/robolua/fuse_variant.lua reads it (v2/N: N targets per block).
local rl = require "robolua"
local script_args = require "robolua.script_args"
local fuse = require "robolua.workloads.fuse"
local fuse_variant = require "robolua.fuse_variant"
local opts = script_args.parse("fuse_once", { batch = "256", clock = "relative", kernel = false, launches = "3" }, { ... })
local batch, launches = script_args.integer("fuse_once", "batch", opts.batch, 1), script_args.integer("fuse_once", "launches", opts.launches, 1)
script_args.choice("fuse_once", "clock", opts.clock, fuse.clocks)
if opts.kernel then fuse_variant.check("fuse_once", "kernel", opts.kernel) end -- (chosen once a GPU is there)
require("robolua.usage").needs_cuda("fuse_once")
if opts.kernel then fuse_variant.select("fuse_once", "kernel", opts.kernel) end
local e = rl.robot_episodes { batch = batch, duration_s = 10, seed = 0, clock = opts.clock, ragged = true }
local d = fuse.to_device(e, "cuda")
d.backend = "cuda"
assert(rl.fuse(d):to("cpu"):bytes() == rl.fuse(e):bytes(), "cuda output differs from the cpu pass")
for _ = 1, launches do rl.fuse(d) end
print(string.format("fuse_once: %s B=%s %s ok", (rl.cuda.fuse_kernel()), opts.batch, opts.clock))
