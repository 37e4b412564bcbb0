-- An example sweep to copy: how does throughput change with the channel count D?
--   robolua scenarios/dim_sweep.lua [cpu] [cuda] [reference]     (the backends swept; default cpu)
-- Shows zipped axes (batch and dim move together so every point moves ~the same bytes), a filter
-- (a constraint that drops points), a skip with a reason (kept in the report), and a custom gate.
local rl = require "robolua"
local script_args = require "robolua.script_args"
local flags = {}
for _, name in ipairs(rl.backends.names()) do flags[name] = script_args.flag end
local opts = script_args.parse("dim_sweep", flags, { ... })

return rl.scenario {
  name = "dim_sweep",
  seeds = { 0, 1, 2 },
  warmup = 5,
  repeats = 20,
  axes = {
    batch = { 64, 32, 16, 8, 4 },
    dim = { 16, 32, 64, 128, 256 },
    source_len = { 1000 },
    dtype = { "bf16", "f32" },
    backend = script_args.flags_on(opts, rl.backends.names(), { "cpu" }),
  },
  zip = { { "batch", "dim" } },
  filter = function(p) return not (p.dtype == "f32" and p.dim < 32) end, -- not interesting: drop
  skip = function(p)
    if p.dim == 256 and p.dtype == "f32" then return "over this example's memory budget" end
  end,
  gates = {
    -- any Lua function of the run is a gate
    function(run)
      local best
      for _, r in ipairs(run.results) do
        if r.status == "ok" and (not best or r.gbps > best.gbps) then best = r end
      end
      if not best then return { skip = true, msg = "nothing measured" } end
      return { ok = best.gbps > 0, msg = string.format("best: %s at %.1f GB/s", best.key, best.gbps) }
    end,
  },
}
