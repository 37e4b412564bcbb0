-- Sharding the plan: a deterministic split of its configurations over N shards, balanced by estimated
-- cost (never by a hash): configurations sorted by cost (ties by plan order) go one by one to the
-- least loaded shard (ties to the lowest index). The same plan gives the same shards on every machine.
-- Shards are numbered 0..N-1, as Slurm array task ids are.
local M = {}

-- "I/N" or "slurm" -> {index =, count =} or nil, message.
function M.parse(spec, env)
  env = env or os.getenv
  if spec == "slurm" then
    local raw = {}
    for _, k in ipairs { "SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_COUNT", "SLURM_ARRAY_TASK_MIN" } do raw[k] = env(k) end
    if not raw.SLURM_ARRAY_TASK_ID or not raw.SLURM_ARRAY_TASK_COUNT then
      return nil, "--shard slurm: SLURM_ARRAY_TASK_ID and SLURM_ARRAY_TASK_COUNT are not set (not inside a Slurm job array?)"
    end
    for k, v in pairs(raw) do
      if not math.tointeger(tonumber(v)) then return nil, string.format("--shard slurm: %s is '%s', not an integer", k, v) end
    end
    local id, count = tonumber(raw.SLURM_ARRAY_TASK_ID), tonumber(raw.SLURM_ARRAY_TASK_COUNT)
    local min = tonumber(raw.SLURM_ARRAY_TASK_MIN or "0")
    return M.check(math.tointeger(id - (min or 0)), math.tointeger(count), spec)
  end
  local i, n = tostring(spec):match("^(%d+)/(%d+)$")
  if not i then return nil, "--shard: expected I/N (0 <= I < N) or slurm, got '" .. tostring(spec) .. "'" end
  return M.check(math.tointeger(tonumber(i)), math.tointeger(tonumber(n)), spec)
end

function M.check(i, n, spec)
  if not n or n < 1 or n > 100000 then return nil, "--shard " .. spec .. ": N must be in [1, 100000]" end
  if not i or i < 0 or i >= n then return nil, string.format("--shard %s: I must be in [0, %d]", spec, n - 1) end
  return { index = i, count = n }
end

-- costs[k] >= 0 for configuration k (plan order) -> shard index of each configuration.
function M.assign(costs, n)
  local order = {}
  for k = 1, #costs do order[k] = k end
  table.sort(order, function(a, b)
    if costs[a] ~= costs[b] then return costs[a] > costs[b] end
    return a < b
  end)
  local load, out = {}, {}
  for s = 0, n - 1 do load[s] = 0 end
  for _, k in ipairs(order) do
    local best = 0
    for s = 1, n - 1 do
      if load[s] < load[best] then best = s end
    end
    out[k] = best
    load[best] = load[best] + costs[k]
  end
  return out, load
end

return M
