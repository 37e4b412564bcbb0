-- Device against device: the same configurations measured on different GPUs (the workers of one
-- --devices run, or two runs from different machines), as a table per configuration with each device's
-- median, its 95% CI (of the median, distribution-free) and the ratio to the first device with the range
-- the two CIs allow. A comparison of devices, never a regression verdict.
local record = require "robolua.record"
local stats = require "robolua.stats"
local M = {}

-- The device a record was measured on: the GPU of a --devices worker, else the run's GPU.
local function device_of(r, doc, k)
  if r.gpu then return string.format("gpu%d %s", r.gpu.index, tostring(r.gpu.name or "")), r.gpu.uuid end
  local c = doc.env and doc.env.cuda
  return string.format("run%d %s", k, c and c.available and c.name or "cpu"), c and c.uuid
end

function M.table(docs)
  local devices, dev_seen, rows, row_of = {}, {}, {}, {}
  for k, doc in ipairs(docs) do
    for _, r in ipairs(doc.results) do
      if r.status == "ok" and r.device == "cuda" then
        local name, uuid = device_of(r, doc, k)
        if not dev_seen[name] then dev_seen[name] = true; devices[#devices + 1] = { name = name, uuid = uuid } end
        local id = r.key .. " | " .. r.backend
        if not row_of[id] then row_of[id] = { id = id, key = r.key, backend = r.backend, by = {} }; rows[#rows + 1] = row_of[id] end
        local xs = record.samples(r)
        local lo, hi = stats.median_ci(xs, 0.95)
        row_of[id].by[name] = { median = stats.median(xs), lo = lo, hi = hi }
      end
    end
  end
  return devices, rows
end

-- The Markdown and the number of ratios it could compare (0: nothing compared, which robolua compare
-- --devices exits 2 on, like a regression comparison that matched nothing).
function M.markdown(a, b)
  local docs = (a == b or b == nil) and { a } or { a, b }
  local devices, rows = M.table(docs)
  local lines = { "# robolua: a comparison of devices (not a regression verdict)", "" }
  for _, d in ipairs(devices) do lines[#lines + 1] = "- " .. d.name .. (d.uuid and (" (" .. d.uuid .. ")") or "") end
  if #devices < 2 then
    lines[#lines + 1] = #devices == 0 and "\nNo device measured CUDA points: nothing to compare."
      or "\nOnly one device measured CUDA points: nothing to compare."
    return table.concat(lines, "\n") .. "\n", 0
  end
  lines[#lines + 1] = "- ratio = device median / " .. devices[1].name .. " median; range: the lowest and highest ratio the two 95% CIs of the medians allow"
  lines[#lines + 1] = ""
  local head, rule = { "| configuration | backend |" }, { "|---|---|" }
  for _, d in ipairs(devices) do head[#head + 1] = " " .. d.name .. " median (ms) [95% CI] |"; rule[#rule + 1] = "---:|" end
  for i = 2, #devices do head[#head + 1] = " " .. devices[i].name .. " / " .. devices[1].name .. " |"; rule[#rule + 1] = "---:|" end
  lines[#lines + 1] = table.concat(head)
  lines[#lines + 1] = table.concat(rule)
  local within, compared, widest = 0, 0, 0
  for _, row in ipairs(rows) do
    local cells = { "| " .. row.key .. " | " .. row.backend .. " |" }
    for _, d in ipairs(devices) do
      local m = row.by[d.name]
      cells[#cells + 1] = m and string.format(" %.5g [%.5g, %.5g] |", m.median, m.lo, m.hi) or " - |"
    end
    local base = row.by[devices[1].name]
    for i = 2, #devices do
      local m = row.by[devices[i].name]
      if base and m and base.median > 0 then
        compared = compared + 1
        local lo, hi = m.lo / base.hi, m.hi / base.lo
        if lo <= 1 and hi >= 1 then within = within + 1 end
        widest = math.max(widest, math.abs(m.median / base.median - 1))
        cells[#cells + 1] = string.format(" %.3f [%.3f, %.3f] |", m.median / base.median, lo, hi)
      else
        cells[#cells + 1] = " - |"
      end
    end
    lines[#lines + 1] = table.concat(cells)
  end
  lines[#lines + 1] = ""
  if compared == 0 then
    lines[#lines + 1] = "No configuration was measured on two devices: nothing to compare."
  else
    lines[#lines + 1] = string.format("%d of %d ratios have 1.0 within the range the CIs allow (the devices agree there within noise); the medians differ by at most %.1f%%.", within, compared, 100 * widest)
  end
  return table.concat(lines, "\n") .. "\n", compared
end

return M
