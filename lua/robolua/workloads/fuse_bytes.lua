-- The fuse workload's byte count (lua/robolua/workloads/fuse.lua): the minimum bytes any correct fusion
-- moves, from a fuse spec's sizes, dtypes, channel modes and valid lengths. The only place the formula
-- lives; the workload's bytes() and min_bytes() and tools/fuse_quick.lua use it.
local rl = require "robolua.core"
local M = {}

-- How the minimum bytes are counted, in words (the fuse workload's bytes_rule; the reports quote it).
M.rule = "bytes = the output written once (B x T x sum D, padded targets included) + every valid target "
  .. "time and every valid source time read once + per stream the source rows valid targets need, read once "
  .. "(at most 2 per target for linear and slerp channels, 1 for hold and nearest, never more than the row's "
  .. "valid samples) + the i64 length arrays (ragged); for ragged configurations the mean over the scenario's "
  .. "seeds of each seed's exact count"

-- Channels of a stream that need two source rows per target (linear, slerp) and one (hold, nearest).
local function mode_channels(modes, dim)
  local one = 0
  local function add(m, n) if m == "hold" or m == "nearest" then one = one + n end end
  if type(modes) == "string" then
    add(modes, dim)
  elseif type(modes) == "table" then
    for _, r in ipairs(modes) do add(r[1] or r.mode, r.to - r.from) end
  end
  return dim - one, one
end

local function lengths(t, B, full)
  if t == nil then
    local out = {}
    for b = 1, B do out[b] = full end
    return out
  end
  if type(t) == "table" then return t end
  local host = t.device == "cpu" and t or t:to("cpu")
  local out = host:totable()
  if host ~= t then host:close() end
  return out
end

-- What the byte count needs of a host or device fuse spec: sizes, dtypes, channel modes and the row
-- sums of its valid lengths. -> {batch, target_len, dim, time_dtype, lengths, valid_targets, per_stream}
function M.describe(spec)
  local B, T = spec.tgt_times.shape[1], spec.tgt_times.shape[2]
  local tl = lengths(spec.tgt_len, B, T)
  local d = { batch = B, target_len = T, dim = 0, time_dtype = spec.tgt_times.dtype, lengths = spec.tgt_len ~= nil,
    valid_targets = 0, per_stream = {} }
  for b = 1, B do d.valid_targets = d.valid_targets + tl[b] end
  for k, s in ipairs(spec.streams) do
    local S, D = s.src.shape[2], s.src.shape[3]
    local two, one = mode_channels(s.modes, D)
    local sl = lengths(s.src_len, B, S)
    local e = { source_len = S, dim = D, dtype = s.src.dtype, pair_channels = two, single_channels = one,
      valid_times = 0, pair_rows = 0, single_rows = 0 }
    for b = 1, B do
      e.valid_times = e.valid_times + sl[b]
      e.pair_rows = e.pair_rows + math.min(sl[b], 2 * tl[b])
      e.single_rows = e.single_rows + math.min(sl[b], tl[b])
    end
    local name = s.name or ("stream" .. k)
    if d.per_stream[name] then error(string.format("streams[%d]: a second stream named '%s' (names key the byte count)", k, name), 0) end
    d.per_stream[name] = e
    d.dim = d.dim + D
    d.lengths = d.lengths or s.src_len ~= nil
  end
  return d
end

-- The byte count itself (the only place the formula lives): d as describe() returns it or as config
-- stores it, with the output dtype.
function M.count(d, out_dtype)
  local ts = rl.dtypes[d.time_dtype].size
  local n, nstreams = d.batch * d.target_len * d.dim * rl.dtypes[out_dtype].size + d.valid_targets * ts, 0
  for _, s in pairs(d.per_stream) do
    nstreams = nstreams + 1
    n = n + s.valid_times * ts + rl.dtypes[s.dtype].size * (s.pair_channels * s.pair_rows + s.single_channels * s.single_rows)
  end
  if d.lengths then n = n + d.batch * (nstreams + 1) * rl.dtypes.i64.size end
  return math.floor(n + 0.5)
end

-- The minimum bytes of one concrete fuse spec (e.g. rl.robot_episodes' result; tools/fuse_quick.lua).
function M.min_bytes(spec, out_dtype) return M.count(M.describe(spec), out_dtype or "f32") end


return M
