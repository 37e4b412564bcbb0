-- A synthetic run document for report tests: records built through record.lua (new, seed, add_samples,
-- finalize, speedups) with skewed, seeded random samples; two dtypes, cpu and cuda backends, same-run
-- copy bandwidths, controls, a skipped and a failed record, a record with too few samples for a 95%
-- interval of the median, a very long label, and texts that need escaping. opts: {seed, shapes}.
local record = require "robolua.record"
local M = {}

-- A small deterministic generator (no dependence on the engine's RNG).
local function lcg(seed)
  local s = seed * 2654435761 % 4294967296 + 1
  return function()
    s = (1103515245 * s + 12345) % 2147483648
    return s / 2147483648
  end
end

-- n samples around base_ms: a log-normal-ish body with a rare slow tail, like timer samples.
local function samples(rand, base_ms, n, tail)
  local out = {}
  for i = 1, n do
    local u1, u2 = math.max(rand(), 1e-12), rand()
    local z = math.sqrt(-2 * math.log(u1)) * math.cos(2 * math.pi * u2)
    local v = base_ms * math.exp(0.03 * z)
    if tail and rand() < 0.05 then v = v * (2 + 6 * rand()) end
    out[i] = v
  end
  return out
end

M.EVIL = [[<script>alert("x")</script> & 'quotes']]

function M.build(opts)
  opts = opts or {}
  local rand = lcg(opts.seed or 7)
  local run = {
    scenario = "synthetic <html> & co", description = "A synthetic run for the HTML report test. " .. M.EVIL,
    command = "robolua -o out 'scenarios/x.lua' --tag '<b>'", started_utc = "2026-01-01T00:00:00Z", finished_utc = "2026-01-01T00:01:00Z",
    env = { git = { commit = "abc123", dirty = true }, host = { cpu_model = "Test CPU <v2>", logical_cpus = 2 },
      cuda = { available = true, name = "Synthetic GPU", sm_count = 132, driver = "999.1", runtime_version = 13000 } },
    settings = { seeds = { 0, 1, 2 }, controls = 2, warmup = 3, repeats = 30, rotate = 1 },
    roofline = { cpu = { bytes = 1 << 30, bytes_per_s = 8.3e9, what = "memcpy, all cores" },
      cuda = { bytes = 1 << 30, bytes_per_s = 3.0e12, what = "device to device copy" } },
    speedup_base = "cpu", results = {}, warnings = { "load average 3.1 on 2 CPUs " .. M.EVIL },
  }
  local shapes = opts.shapes or { { 8, 250, 128 }, { 16, 400, 96 }, { 64, 2000, 256 } }
  for _, dtype in ipairs { "f32", "bf16" } do
    local size = dtype == "f32" and 4 or 2
    for si, sh in ipairs(shapes) do
      for _, backend in ipairs { "cpu", "cuda" } do
        local key = string.format("shape=%dx%dx%d dtype=%s", sh[1], sh[2], sh[3], dtype)
        local label = string.format("%dx%dx%d T=%d %s", sh[1], sh[2], sh[3], sh[2] // 2, dtype)
        local extra = {}
        if si == 3 then extra.layout = "very-long-descriptive-layout-name-that-will-not-fit" end
        local bytes = sh[1] * sh[2] * sh[3] * size + sh[1] * sh[2] * 8 + sh[1] * (sh[2] // 2) * (8 + sh[3] * size)
        local r = record.new { key = key, backend = backend, device = backend, workload = "resample", label = label, bytes = bytes,
          point = { dtype = dtype }, config = { dtype = dtype, batch = sh[1], source_len = sh[2], dim = sh[3], mode = "hot", extra = extra } }
        r.threads = backend == "cpu" and 2 or nil
        local base = bytes / (backend == "cpu" and 6e9 or 1.6e12) * 1e3 + (backend == "cuda" and 0.004 or 0)
        if backend == "cuda" and si == 2 and dtype == "bf16" then
          record.set_status(r, "skipped", "no usable GPU")
        elseif backend == "cuda" and si == 1 and dtype == "bf16" then
          record.set_status(r, "failed_verification", "max abs err 3e-2 > tol " .. M.EVIL)
        else
          -- one record with a single sample per seed: 3 samples, too few for a 95% interval of the median
          local n = (backend == "cpu" and si == 1 and dtype == "bf16") and 1 or 30
          for s = 1, 3 do
            record.seed(r, s, s - 1)
            record.add_samples(r, s, samples(rand, base * (1 + 0.02 * (s - 2)), n, true))
          end
          for c = 1, 2 do
            record.seed(r, 3 + c, 0, true)
            record.add_samples(r, 3 + c, samples(rand, base * 0.99, n, false))
          end
        end
        record.finalize(r, { roofline = run.roofline })
        run.results[#run.results + 1] = r
      end
    end
  end
  record.speedups(run.results, "cpu")
  run.gates = {
    { name = "verified", status = "fail", msg = "1 result failed verification " .. M.EVIL },
    { name = "variance", status = "pass", msg = "worst 2.1%" },
    { name = "speedup >= 10x", status = "inconclusive", msg = "CIs overlap" },
    { name = "gpu roofline", status = "skip", msg = "no GPU" },
    { name = "custom", status = "error", msg = "gate raised: <oops>" },
  }
  run.verdict = "FAIL: 2 gates (verified; custom)"
  return run
end

return M
