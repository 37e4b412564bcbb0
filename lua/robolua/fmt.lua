-- Number formatting shared by the human-readable reports and progress lines.
local M = {}

function M.ms(v)
  if v == nil or v ~= v then return "-" end
  if v == math.huge then return "inf" end
  if v >= 100 then return string.format("%.1f", v) end
  if v >= 1 then return string.format("%.3f", v) end
  if v >= 0.01 then return string.format("%.4f", v) end
  return string.format("%.5f", v)
end

function M.num(v, digits)
  if v == nil or v ~= v then return "-" end
  return string.format("%." .. (digits or 1) .. "f", v)
end

function M.bytes(n)
  if n >= 2 ^ 30 then return string.format("%.2f GiB", n / 2 ^ 30) end
  if n >= 2 ^ 20 then return string.format("%.1f MiB", n / 2 ^ 20) end
  if n >= 2 ^ 10 then return string.format("%.1f KiB", n / 2 ^ 10) end
  return n .. " B"
end

function M.duration(s)
  if s >= 3600 then return string.format("%dh%02dm", s // 3600, (s % 3600) // 60) end
  if s >= 60 then return string.format("%dm%02ds", s // 60, math.floor(s % 60)) end
  return string.format("%.1fs", s)
end

-- A record's configuration for humans: the workload's label, then the runner's axes and extra axes.
function M.config_label(r)
  local c = r.config or {}
  local parts = { r.label or r.key }
  if c.mode and c.mode ~= "hot" then parts[#parts + 1] = c.mode end
  if c.threads then parts[#parts + 1] = c.threads .. " threads" end
  local keys = {}
  for k in pairs(c.extra or {}) do keys[#keys + 1] = k end
  table.sort(keys)
  for _, k in ipairs(keys) do
    local v = c.extra[k]
    parts[#parts + 1] = k .. "=" .. (type(v) == "table" and table.concat(v, "x") or tostring(v))
  end
  if r.gpu then parts[#parts + 1] = "gpu" .. r.gpu.index end
  return table.concat(parts, " ")
end

return M
