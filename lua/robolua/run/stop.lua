-- Stopping criteria (as nvbench's are): after the fixed `repeats`, a criterion decides per seed whether
-- more samples are needed (lua/robolua/run/measure.lua: interleaved, a point's seeds and controls go on
-- together until it releases all of them; seed after seed, each goes on alone, right after its chunk).
-- A criterion is a table {name =, describe = fn() -> text, reason = fn(samples, t0, now) -> why-stopped
-- | nil, max_repeats =}, now - t0 being the seconds of timing so far; a scenario may pass its own in
-- `stop`. max_repeats ends a seed whatever reason says.
local stats = require "robolua.stats"
local M = {}

-- The noise-based rule: stop when the 95% CI half-width of the mean is within precision_pct % of the
-- mean, or at max_repeats samples, or after max_seconds of timing on the point (measure.lua counts the
-- seconds spent in timing calls: making a large point's inputs and references can take longer).
local function max_repeats_of(o, repeats)
  local max_repeats = o.max_repeats or 20 * repeats
  if math.type(max_repeats) ~= "integer" or max_repeats < repeats then error("stop.max_repeats must be an integer >= repeats", 0) end
  return max_repeats
end

function M.precision(o, repeats)
  local unknown = require("robolua.usage").unknown_key(o, { "max_repeats", "max_seconds", "precision_pct" })
  if unknown then error("stop: " .. unknown, 0) end
  if type(o.precision_pct) ~= "number" or not (o.precision_pct > 0) then error("stop.precision_pct must be a positive number", 0) end
  local max_repeats = max_repeats_of(o, repeats)
  local max_seconds = o.max_seconds or 60
  if type(max_seconds) ~= "number" or not (max_seconds > 0) then error("stop.max_seconds must be a positive number", 0) end
  return {
    name = "precision", precision_pct = o.precision_pct, max_repeats = max_repeats, max_seconds = max_seconds,
    describe = function()
      return string.format("after the %d repeats, further chunks (interleaved: every seed and control together, round robin, until the rule releases all of them) until the 95%% CI of each one's mean is within ±%g%% (or %d samples, or %g s of timing per configuration); n counts every sample",
        repeats, o.precision_pct, max_repeats, max_seconds)
    end,
    reason = function(samples, t0, now)
      local n = #samples
      if n >= 2 then
        local mean = stats.mean(samples)
        if mean > 0 and stats.mean_ci(samples).half / mean * 100 <= o.precision_pct then return "precision" end
      end
      if n >= max_repeats then return "max_repeats" end
      if now - t0 >= max_seconds then return "max_seconds" end
      return nil
    end,
  }
end

-- def.stop (nil, settings table or criterion) -> criterion or nil (fixed repeats).
function M.from_definition(stop, repeats)
  if stop == nil then return nil end
  if type(stop.reason) == "function" then
    stop.name = stop.name or "custom"
    stop.describe = stop.describe or function() return "custom stopping criterion '" .. stop.name .. "'" end
    stop.max_repeats = max_repeats_of(stop, repeats)
    return stop
  end
  return M.precision(stop, repeats)
end

-- The criterion's settings as plain data (for the JSON document and compare's settings check).
function M.settings(c)
  if not c then return nil end
  return { name = c.name, precision_pct = c.precision_pct, max_repeats = c.max_repeats, max_seconds = c.max_seconds }
end

return M
