-- Sweeps: axes as data. A point is a table {axis = value, ...}.
--   expand(axes, {zip = {{"a","b"}, ...}, filter = fn}) -> points, in a stable order:
--   Cartesian product by default; axes named together in one zip group advance together (equal
--   lengths); filter(point) returning false drops a point (a constraint). Skipping with a reason is
--   the runner's job (scenario.skip), so that skipped points still show up in reports.
local M = {}

-- Axes the engine understands come first, in this order; others follow alphabetically.
M.known_order = { "shape", "batch", "source_len", "target_len", "dim", "dtype", "timing", "mode", "threads", "backend" }

local function axis_order(axes)
  local order, seen = {}, {}
  for _, k in ipairs(M.known_order) do
    if axes[k] ~= nil then order[#order + 1] = k; seen[k] = true end
  end
  local rest = {}
  for k in pairs(axes) do
    if not seen[k] then rest[#rest + 1] = k end
  end
  table.sort(rest)
  for _, k in ipairs(rest) do order[#order + 1] = k end
  return order
end
M.axis_order = axis_order

local function as_list(name, v)
  if type(v) ~= "table" then return { v } end
  if #v == 0 then error(string.format("axes.%s: an axis needs at least one value", name), 3) end
  return v
end

function M.expand(axes, opts)
  opts = opts or {}
  if type(axes) ~= "table" then error("axes: expected a table of axis = {values...}", 2) end
  local order = axis_order(axes)
  -- group axes: each zip group becomes one "dimension" of the product
  local group_of, dims = {}, {}
  for gi, group in ipairs(opts.zip or {}) do
    if type(group) ~= "table" or #group < 2 then error("zip[" .. gi .. "]: expected a list of two or more axis names", 2) end
    local len
    for _, name in ipairs(group) do
      if axes[name] == nil then error(string.format("zip[%d]: unknown axis '%s'", gi, tostring(name)), 2) end
      if group_of[name] then error(string.format("zip: axis '%s' is in two groups", name), 2) end
      local n = #as_list(name, axes[name])
      if len and n ~= len then
        error(string.format("zip[%d]: axes must have equal lengths ('%s' has %d, expected %d)", gi, name, n, len), 2)
      end
      len = n
      group_of[name] = gi
    end
  end
  local placed = {}
  for _, name in ipairs(order) do
    local gi = group_of[name]
    if gi then
      if not placed[gi] then
        placed[gi] = true
        local group = opts.zip[gi]
        dims[#dims + 1] = { names = group, len = #as_list(group[1], axes[group[1]]) }
      end
    else
      dims[#dims + 1] = { names = { name }, len = #as_list(name, axes[name]) }
    end
  end
  local points = {}
  local idx = {}
  for i = 1, #dims do idx[i] = 1 end
  while true do
    local p = {}
    for di, d in ipairs(dims) do
      for _, name in ipairs(d.names) do p[name] = as_list(name, axes[name])[idx[di]] end
    end
    if not opts.filter or opts.filter(p) then points[#points + 1] = p end
    -- advance the odometer: the last dimension fastest
    local di = #dims
    while di >= 1 do
      idx[di] = idx[di] + 1
      if idx[di] <= dims[di].len then break end
      idx[di] = 1
      di = di - 1
    end
    if di < 1 then break end
  end
  return points
end

-- A readable, stable key of a point (optionally leaving some axes out).
function M.key(point, without)
  local parts = {}
  local skip = {}
  for _, k in ipairs(without or {}) do skip[k] = true end
  for _, k in ipairs(axis_order(point)) do
    if not skip[k] then
      local v = point[k]
      if type(v) == "table" then v = table.concat(v, "x") end
      parts[#parts + 1] = k .. "=" .. tostring(v)
    end
  end
  return table.concat(parts, " ")
end

return M
