-- CSV report: one row per (configuration, backend), the statistics as columns (times in ms).
local M = {}

M.columns = { "scenario", "key", "backend", "status", "reason", "dtype", "batch", "source_len", "target_len", "dim",
  "timing", "mode", "threads", "n", "mean_ms", "std_ms", "min_ms", "median_ms", "p90_ms", "p99_ms", "max_ms", "cv_pct",
  "ci95_lo_ms", "ci95_hi_ms", "seed_spread_pct", "outliers_mild", "outliers_severe", "bytes", "gbps", "roofline_pct",
  "copy_same_ms", "copy_same_pct", "rotate", "speedup_vs_base", "max_abs_err", "max_ulp_err", "sm_clock_min_mhz", "sm_clock_max_mhz" }

local function cell(v)
  if v == nil then return "" end
  if type(v) == "number" then
    if v ~= v or v == math.huge or v == -math.huge then return "" end
    if math.type(v) == "integer" then return tostring(v) end
    return string.format("%.9g", v)
  end
  v = tostring(v)
  if v:find('[,"\n\r]') then v = '"' .. v:gsub('"', '""') .. '"' end
  return v
end

function M.render(run)
  local lines = { table.concat(M.columns, ",") }
  for _, r in ipairs(run.results) do
    local c, s = r.config, r.stats or {}
    local max_abs, max_ulp
    for _, v in pairs(r.verification or {}) do
      max_abs = math.max(max_abs or 0, v.max_abs_err or 0)
      max_ulp = math.max(max_ulp or 0, v.max_ulp_err or 0)
    end
    local row = { run.scenario, r.key, r.backend, r.status, r.reason, c.dtype, c.batch, c.source_len, c.target_len, c.dim,
      c.timing, c.mode, r.threads or c.threads, s.n, s.mean, s.std, s.min, s.median, s.p90, s.p99, s.max, s.cv_pct,
      s.ci_lo, s.ci_hi, r.seed_spread_pct, s.outliers_mild, s.outliers_severe, r.bytes, r.gbps, r.roofline_pct,
      r.copy_same and r.copy_same.median_ms, r.copy_same_pct, r.rotate, r.speedup, max_abs, max_ulp, r.sm_clock_min_mhz, r.sm_clock_max_mhz }
    local cells = {}
    for i = 1, #M.columns do cells[i] = cell(row[i]) end
    lines[#lines + 1] = table.concat(cells, ",")
  end
  return table.concat(lines, "\n") .. "\n"
end

return M
