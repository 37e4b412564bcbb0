-- CSV report: one row per record; identity columns, the configuration's columns (the union over the
-- run's records, engine axes first), then every field of record.fields (times in ms).
local record = require "robolua.record"
local sweep = require "robolua.sweep"
local M = {}

M.identity = { "scenario", "key", "backend", "device", "gpu", "status", "reason" }

local function cell(v)
  if v == nil then return "" end
  if type(v) == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "" end
    if math.type(v) == "integer" then return tostring(v) end
    return string.format("%.9g", v)
  end
  if type(v) == "table" then v = table.concat(v, "x") end
  v = tostring(v)
  if v:find('[,"\n\r]') then v = '"' .. v:gsub('"', '""') .. '"' end
  return v
end

-- The configuration columns of a run: every config key (extra axes flattened) over its records.
function M.config_columns(run)
  local seen = {}
  for _, r in ipairs(run.results) do
    for k, v in pairs(r.config or {}) do
      if k == "extra" then
        for e in pairs(v) do seen[e] = true end
      elseif type(v) ~= "table" or #v > 0 then
        seen[k] = true
      end
    end
  end
  return sweep.axis_order(seen)
end

function M.columns(run)
  local cols = {}
  for _, k in ipairs(M.identity) do cols[#cols + 1] = k end
  local cfg = M.config_columns(run)
  for _, k in ipairs(cfg) do cols[#cols + 1] = k end
  for _, f in ipairs(record.fields) do cols[#cols + 1] = f.key end
  return cols, #M.identity, #cfg
end

function M.render(run)
  local cols, nid, ncfg = M.columns(run)
  local lines = { table.concat(cols, ",") }
  for _, r in ipairs(run.results) do
    local c = r.config or {}
    local row = { run.scenario, r.key, r.backend, r.device, r.gpu and r.gpu.index, r.status, r.reason }
    for i = nid + 1, nid + ncfg do
      local k = cols[i]
      local v = c[k]
      if v == nil and c.extra then v = c.extra[k] end
      row[i] = v
    end
    for i, f in ipairs(record.fields) do row[nid + ncfg + i] = f.get(r, run) end
    local cells = {}
    for i = 1, #cols do cells[i] = cell(row[i]) end
    lines[#lines + 1] = table.concat(cells, ",")
  end
  return table.concat(lines, "\n") .. "\n"
end

return M
