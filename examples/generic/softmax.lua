-- A scenario for a kernel that is not a resampler: a row softmax, from CUDA source compiled at run time,
-- verified against a float64 reference written in Lua, timed by the same C loops, with seeds, a sweep,
-- gates and every report. Without a GPU the CUDA points are skipped and the Lua backend still runs.
--   build/robolua examples/generic/softmax.lua
local rl = require "robolua"

local function softmax_kernel()
  local m = rl.cuda.module { source = "examples/kernels/row_softmax.cu" }
  return m:kernel("row_softmax", "f32* out, const f32* x, i32 rows, i32 cols")
end

-- Deterministic inputs: a counter-based hash of (seed, index), values in [-4, 4).
local function inputs(p, seed)
  local n = p.rows * p.cols
  local v = {}
  for i = 1, n do
    local h = (i * 2654435761 + seed * 40503 + 12345) % 4294967296
    v[i] = (h / 4294967296) * 8 - 4
  end
  return { x = rl.tensor(v, { p.rows, p.cols }, "f32") }
end

local function reference(inp, p)
  local x = inp.x:totable()
  local out = {}
  for r = 0, p.rows - 1 do
    local m = -math.huge
    for c = 1, p.cols do m = math.max(m, x[r * p.cols + c]) end
    local sum = 0
    for c = 1, p.cols do sum = sum + math.exp(x[r * p.cols + c] - m) end
    for c = 1, p.cols do out[r * p.cols + c] = math.exp(x[r * p.cols + c] - m) / sum end
  end
  return rl.tensor(out, { p.rows, p.cols }, "f64")
end

local softmax = rl.workload {
  name = "row_softmax",
  axes = { "rows", "cols" },
  inputs = inputs,
  output = function(inp, p) return { p.rows, p.cols }, "f32" end,
  reference = reference,
  bytes = function(p) return 2 * p.rows * p.cols * 4 end, -- x read once, out written once
  tolerance = { rtol = 1e-5, atol = 1e-7 },                -- expf and a float sum of up to cols terms
  backends = {
    cuda = { device = "cuda", kernel = softmax_kernel, -- compiled on first use (never on a machine without a GPU)
      launch = function(inp, out, p)
        return { grid = { p.rows }, block = { 256 }, shared = 256 * 4 }, { out, inp.x, p.rows, p.cols }
      end },
    lua = { device = "cpu", run = function(inp, out, p) -- the same arithmetic in Lua, stored as f32
      out:copy_from(rl.tensor(reference(inp, p):totable(), { p.rows, p.cols }, "f32"))
    end },
  },
}

return rl.scenario {
  name = "softmax",
  description = "A row softmax through the generic workload: CUDA kernel (NVRTC) and a Lua CPU version.",
  workload = softmax,
  seeds = { 0, 1, 2 },
  warmup = 1,
  repeats = 6,
  axes = { rows = { 64, 256 }, cols = { 256, 1024 }, backend = { "lua", "cuda" } },
  speedup_base = "lua",
  gates = { rl.gate.variance { max_pct = 50 }, rl.gate.speedup { base = "lua", cand = "cuda", min = 10 } },
}
