-- Run by tests/spec_user_cuda.lua in a process of its own: a user kernel faults, the context is lost,
-- and the process reports it, refuses later CUDA work with the reason, and still does CPU work.
-- Prints one line per step for the spec to check.
local rl = require "robolua"
if not rl.cuda.kernel then require("robolua.user").install(rl) end
local m = rl.cuda.module { source = "tests/kernels/fault.cu" }
local fault = m:kernel("fault", "u64 address")
print("before:", rl.cuda.context_status())
print("launch:", pcall(fault, { grid = { 1 }, block = { 32 } }, { 16 }))
print("status:", rl.cuda.context_status())
print("again:", pcall(rl.cuda.launch, fault, { grid = { 1 }, block = { 1 } }, { 16 }))
print("timed:", pcall(rl.bench.launch, fault, { grid = { 1 }, block = { 1 } }, { 16 }, { repeats = 2 }))
print("kernel:", pcall(rl.cuda.kernel, { source = "examples/kernels/naive_resample.cu", name = { f32 = "resample_f32" } }))
local h = rl.trajectories { batch = 2, source_len = 10, dim = 3, seed = 1 }
local out = rl.resample(h.src, h.src_times, h.tgt_times)
print("cpu:", rl.compare(out, rl.resample(h.src, h.src_times, h.tgt_times, { backend = "reference" })).ok)
