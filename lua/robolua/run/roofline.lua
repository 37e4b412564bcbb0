-- The hardware limits a run is measured against, in the same run on the same device: the copy
-- bandwidth of each device (memcpy on all cores; cudaMemcpy device-to-device), the copy of each CUDA
-- result's own bytes timed the same way (the same-size copy), and how many input sets a CUDA point
-- cycles through so it does not read the previous launch's data from the L2.
local M = {}

-- run.roofline = {cpu = {...}, cuda = {...}} for the devices that the plan's records use.
function M.measure(run, d, rl, devices)
  run.roofline = {}
  if d.def.roofline == false or run.profile_mode then return end
  if devices.cpu then
    local bytes = d.def.cpu_copy_bytes or math.max(256 * 2 ^ 20, 4 * (run.env.host.llc_bytes or 0))
    local r = rl.bench.copy_bandwidth_cpu { bytes = math.floor(bytes), repeats = 10 }
    run.roofline.cpu = { bytes_per_s = r.bytes_per_s, bytes = r.bytes, threads = r.threads, median_ms = r.median_ms,
      what = "memcpy, all cores, bytes read + written" }
  end
  if devices.cuda and rl.cuda.available() then
    local bytes = d.def.cuda_copy_bytes or math.max(256 * 2 ^ 20, 8 * (run.env.cuda.l2_bytes or 0))
    local r = rl.cuda.copy_bandwidth { bytes = math.floor(bytes), repeats = 20 }
    run.roofline.cuda = { bytes_per_s = r.bytes_per_s, bytes = r.bytes, median_ms = r.median_ms,
      what = "cudaMemcpy device-to-device, bytes read + written" }
  end
end

-- Input sets a CUDA point cycles through while timed. "auto": enough copies that the rotation moves
-- at least 4x the L2 per cycle (at most 64); problems that fit the L2 many times over are
-- launch-bound anyway.
function M.rotation(run, d, bytes)
  local r = d.rotate
  if r ~= "auto" then return r end
  local l2 = run.env.cuda and run.env.cuda.l2_bytes or 0
  if l2 <= 0 or not bytes or bytes <= 0 then return 1 end
  return math.max(1, math.min(64, math.ceil(4 * l2 / bytes)))
end

-- rl.cuda.copy_bandwidth of a copy that moves `bytes` in all (half read, half written; at least 4096
-- copied), timed with opts (mode, warmup, repeats, batch, rotate): what a same-size copy is, for the
-- runner below and for the tools that time one beside a kernel.
function M.copy_like(rl, bytes, opts)
  local o = {}
  for k, v in pairs(opts or {}) do o[k] = v end
  o.bytes = math.max((bytes + 1) // 2, 4096)
  return rl.cuda.copy_bandwidth(o)
end

-- The copy roofline at a result's size: cudaMemcpy of the same bytes (half read, half written) in the
-- same mode, cycling as many buffer pairs as the result cycled input sets. Below a few hundred MB even
-- a copy pays launch, ramp-up and drain costs the large-buffer rate hides. One measurement per (bytes,
-- mode, rotation), shared through cache. Raises "interrupted" if interrupted.
function M.same_size_copy(run, d, rl, r, cache)
  if not r.bytes or r.bytes <= 0 then return end
  local rotate = r.rotate or 1
  local key = r.bytes .. "/" .. r.config.mode .. "/" .. rotate
  if cache[key] == nil then
    local ok, c = pcall(M.copy_like, rl, r.bytes, { mode = r.config.mode, warmup = math.min(d.warmup, 5), repeats = d.repeats,
      batch = d.graph_batch, rotate = rotate })
    if not ok and tostring(c):find("interrupted", 1, true) then error("interrupted", 0) end
    cache[key] = ok and { bytes = c.bytes, mode = c.mode, rotate = rotate, median_ms = c.median_ms, bytes_per_s = c.bytes_per_s }
      or { error = tostring(c) }
  end
  r.copy_same = cache[key]
end

return M
