-- An independent float64 reference of the fused resampler, in plain Lua, for the specs: a linear scan for
-- the interval (no search shared with the engine), i64 times as Lua integers (exact differences), slerp by
-- the explicit formula with math.acos / math.sin. Inputs are host tensors read with totable().
local M = {}

local function mode_of(ranges, d) -- ranges: array of {from, to, mode}; default linear
  for _, r in ipairs(ranges or {}) do
    if d >= r.from and d < r.to then return r[1] or r.mode, r.from + (d - r.from) // 4 * 4 end
  end
  return "linear", d
end

local function ints(x) -- a length tensor or a Lua array -> a Lua array (or nil)
  if x == nil or type(x) == "table" then return x end
  return x:totable()
end

local function normalize_modes(modes, D)
  if modes == nil then return {} end
  if type(modes) == "string" then return { { from = 0, to = D, modes } } end
  return modes
end

-- Slerp of quaternions (x, y, z, w) by the textbook formula: normalize, shortest arc, sin weights, normalize.
function M.slerp(q0, q1, w)
  local function norm(q)
    local n = math.sqrt(q[1] ^ 2 + q[2] ^ 2 + q[3] ^ 2 + q[4] ^ 2)
    return { q[1] / n, q[2] / n, q[3] / n, q[4] / n }
  end
  local a, b = norm(q0), norm(q1)
  local dot = a[1] * b[1] + a[2] * b[2] + a[3] * b[3] + a[4] * b[4]
  if dot < 0 then
    b = { -b[1], -b[2], -b[3], -b[4] }
    dot = -dot
  end
  dot = math.min(dot, 1)
  local theta = math.acos(dot)
  local r = {}
  if math.sin(theta) < 1e-12 then
    for j = 1, 4 do r[j] = a[j] + w * (b[j] - a[j]) end
  else
    local s = math.sin(theta)
    for j = 1, 4 do r[j] = (math.sin((1 - w) * theta) * a[j] + math.sin(w * theta) * b[j]) / s end
  end
  return norm(r)
end

-- The interval of x among valid times st[1..L] (Lua arrays, 1-based): 0-based i0, i1, nearest, weight.
function M.interval(st, L, x)
  local j = 0 -- how many valid times are <= x
  for i = 1, L do
    if st[i] <= x then j = i end
  end
  if j == 0 then return 0, 0, 0, 0.0 end
  if j == L then return L - 1, L - 1, L - 1, 0.0 end
  local t0, t1 = st[j], st[j + 1]
  local w = (x - t0) / (t1 - t0) -- i64: integer differences, exact; then one float division
  local near = (t1 - x <= x - t0) and j or j - 1
  return j - 1, j, near, w
end

-- spec = {streams = {{src=, src_times=, src_len=, modes=}, ...}, tgt_times=, tgt_len=, fill=}
-- -> flat Lua array of the output [B, T, sum D] (fill where padded; NaN if fill is nil)
function M.fuse(spec)
  local tt = spec.tgt_times:totable()
  local B, T = spec.tgt_times.shape[1], spec.tgt_times.shape[2]
  local tlen = ints(spec.tgt_len)
  local fill = spec.fill or (0 / 0)
  local streams = {}
  local Dtot = 0
  for k, s in ipairs(spec.streams) do
    local S, D = s.src.shape[2], s.src.shape[3]
    local len = ints(s.src_len)
    streams[k] = { v = s.src:totable(), t = s.src_times:totable(), S = S, D = D, off = Dtot, len = len,
      modes = normalize_modes(s.modes, D) }
    Dtot = Dtot + D
  end
  local out = {}
  for b = 0, B - 1 do
    for t = 0, T - 1 do
      local base = (b * T + t) * Dtot
      local valid = t < (tlen and tlen[b + 1] or T)
      for _, s in ipairs(streams) do
        local L = s.len and s.len[b + 1] or s.S
        if not valid or L == 0 then
          for d = 0, s.D - 1 do out[base + s.off + d + 1] = fill end
        else
          local st = {}
          for i = 1, L do st[i] = s.t[b * s.S + i] end
          local i0, i1, inear, w = M.interval(st, L, tt[b * T + t + 1])
          local function val(i, d) return s.v[(b * s.S + i) * s.D + d + 1] end
          for d = 0, s.D - 1 do
            local mode, g = mode_of(s.modes, d)
            local v
            if mode == "linear" then v = val(i0, d) + w * (val(i1, d) - val(i0, d))
            elseif mode == "hold" then v = val(i0, d)
            elseif mode == "nearest" then v = val(inear, d)
            else
              local q = M.slerp({ val(i0, g), val(i0, g + 1), val(i0, g + 2), val(i0, g + 3) },
                { val(i1, g), val(i1, g + 1), val(i1, g + 2), val(i1, g + 3) }, w)
              v = q[d - g + 1]
            end
            out[base + s.off + d + 1] = v
          end
        end
      end
    end
  end
  return out, Dtot
end

-- Compares a flat array (from totable) with the reference: |got - want| <= atol + rtol |want|, NaN == NaN.
function M.check(got, want, atol, rtol, what)
  assert(#got == #want, string.format("%s: %d values, reference has %d", what or "output", #got, #want))
  for i = 1, #want do
    local g, w = got[i], want[i]
    local ok
    if w ~= w then ok = g ~= g
    else ok = g == g and math.abs(g - w) <= atol + rtol * math.abs(w) end
    if not ok then error(string.format("%s: element %d is %.9g, reference %.9g", what or "output", i, g, w), 2) end
  end
end

return M
