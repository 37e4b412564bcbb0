-- Reading Nsight output back: the ncu raw-page CSV (one row per profiled kernel) and nsys stats CSVs,
-- plus metric gates over them. tools/profile.sh writes the files this reads.
local M = {}

-- RFC 4180 CSV: quoted fields, doubled quotes, commas inside quotes. Returns rows of cells.
function M.parse_csv(text)
  local rows, row, field, i, n = {}, {}, {}, 1, #text
  local in_quotes = false
  while i <= n do
    local ch = text:sub(i, i)
    if in_quotes then
      if ch == '"' then
        if text:sub(i + 1, i + 1) == '"' then field[#field + 1] = '"'; i = i + 1 else in_quotes = false end
      else
        field[#field + 1] = ch
      end
    elseif ch == '"' then
      in_quotes = true
    elseif ch == "," then
      row[#row + 1] = table.concat(field); field = {}
    elseif ch == "\n" or ch == "\r" then
      if ch == "\r" and text:sub(i + 1, i + 1) == "\n" then i = i + 1 end
      row[#row + 1] = table.concat(field); field = {}
      rows[#rows + 1] = row; row = {}
    else
      field[#field + 1] = ch
    end
    i = i + 1
  end
  if #field > 0 or #row > 0 then row[#row + 1] = table.concat(field); rows[#rows + 1] = row end
  return rows
end

local function read_file(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("a")
  f:close()
  return s
end

local function num(v)
  if v == nil then return nil end
  return tonumber((tostring(v):gsub(",", "")))
end

-- Converts a value in the given unit to the base unit of its kind (ns for time, bytes for sizes).
local scale = { ns = 1, us = 1e3, usecond = 1e3, ms = 1e6, msecond = 1e6, s = 1e9, second = 1e9, nsecond = 1,
  byte = 1, Kbyte = 1e3, Mbyte = 1e6, Gbyte = 1e9, KB = 1e3, MB = 1e6, GB = 1e9, B = 1 }

M.ncu_metrics = {
  duration = "gpu__time_duration.sum",
  dram_pct = "dram__throughput.avg.pct_of_peak_sustained_elapsed",
  dram_read = "dram__bytes_read.sum",
  dram_write = "dram__bytes_write.sum",
  l2_hit_pct = "lts__t_sector_hit_rate.pct",
  occupancy_pct = "sm__warps_active.avg.pct_of_peak_sustained_active",
}

-- "void <unnamed>::resample_tiled_kernel<(int)1>(const uint4 *, ...)" (nsys) or "...kernel<1>(...)"
-- (ncu) -> "resample_tiled_kernel<bf16>"
local dtype_codes = { ["0"] = "f32", ["1"] = "bf16", ["2"] = "f16" }
function M.short_name(name)
  local kernel, code = name:match("([%w_]+)<%(int%)(%d)>")
  if not kernel then kernel, code = name:match("([%w_]+)<(%d)>") end
  if kernel then return kernel .. "<" .. (dtype_codes[code] or code) .. ">" end
  return name:match("([%w_]+)%s*%(") or name
end

-- ncu --csv --page raw: header row of metric names, a units row, then one row per kernel launch.
-- Returns a list of {name, grid, block, duration_ns, dram_pct, dram_bytes, l2_hit_pct, occupancy_pct, gbps}.
function M.read_ncu_csv(path)
  local text, err = read_file(path)
  if not text then return nil, "cannot read " .. path .. ": " .. tostring(err) end
  local rows = M.parse_csv(text)
  -- skip any lines ncu printed before the header (==PROF== notes)
  local h = 1
  while rows[h] and rows[h][1] ~= "ID" do h = h + 1 end
  local header, units = rows[h], rows[h + 1]
  if not header then return nil, path .. ": no ncu CSV header (a row starting with \"ID\")" end
  local col = {}
  for i, name in ipairs(header) do col[name] = i end
  for _, key in ipairs { "duration", "dram_pct", "dram_read", "dram_write", "l2_hit_pct", "occupancy_pct" } do
    local metric = M.ncu_metrics[key]
    if not col[metric] then return nil, string.format("%s: metric %s (%s) is missing", path, metric, key) end
  end
  local function get(row, metric)
    local i = col[metric]
    local v = num(row[i])
    local u = units and units[i] or ""
    if v and scale[u] then v = v * scale[u] end
    return v
  end
  local kernels = {}
  for r = h + 2, #rows do
    local row = rows[r]
    if #row >= #header then
      local k = {
        id = num(row[col["ID"]]),
        name = row[col["Kernel Name"]] or "?",
        grid = row[col["Grid Size"]], block = row[col["Block Size"]],
        duration_ns = get(row, M.ncu_metrics.duration),
        dram_pct = get(row, M.ncu_metrics.dram_pct),
        dram_bytes = (get(row, M.ncu_metrics.dram_read) or 0) + (get(row, M.ncu_metrics.dram_write) or 0),
        l2_hit_pct = get(row, M.ncu_metrics.l2_hit_pct),
        occupancy_pct = get(row, M.ncu_metrics.occupancy_pct),
      }
      k.gbps = k.duration_ns and k.duration_ns > 0 and k.dram_bytes / k.duration_ns or nil
      kernels[#kernels + 1] = k
    end
  end
  return kernels
end

-- nsys stats --format csv output (e.g. cuda_gpu_kern_sum): rows as tables keyed by header name.
function M.read_nsys_csv(path)
  local text, err = read_file(path)
  if not text then return nil, "cannot read " .. path .. ": " .. tostring(err) end
  local rows = M.parse_csv(text)
  local h = 1
  while rows[h] and not (rows[h][1] or ""):find("Time", 1, true) do h = h + 1 end
  local header = rows[h]
  if not header then return nil, path .. ": no nsys stats header" end
  local out = {}
  for r = h + 1, #rows do
    if #rows[r] >= #header then
      local t = {}
      for i, name in ipairs(header) do t[name] = num(rows[r][i]) or rows[r][i] end
      out[#out + 1] = t
    end
  end
  return out
end

-- In --profile mode the runner launches each cuda configuration 3 times, in sweep order; ncu is
-- filtered to the resampler kernels, so kernel j belongs to the ((j-1) // 3 + 1)-th cuda configuration.
M.launches_per_config = 3
function M.kernels_by_key(kernels, cuda_keys)
  local by = {}
  for j, k in ipairs(kernels) do
    local key = cuda_keys[(j - 1) // M.launches_per_config + 1]
    if key then
      by[key] = by[key] or {}
      table.insert(by[key], k)
    end
  end
  return by
end

local median = require("robolua.stats").median

-- Per cuda result of a run: the ncu figures (median over the profiled launches), or nil, why.
function M.attach(run, profile_dir)
  local kernels, err = M.read_ncu_csv(profile_dir .. "/ncu_kernels.csv")
  if not kernels then return nil, err end
  local keys = {}
  for _, r in ipairs(run.results) do
    if r.backend == "cuda" and r.status ~= "skipped" then keys[#keys + 1] = r.key end
  end
  local by = M.kernels_by_key(kernels, keys)
  for _, r in ipairs(run.results) do
    local ks = r.backend == "cuda" and by[r.key]
    if ks then
      local d, p = {}, {}
      for i, k in ipairs(ks) do d[i] = k.duration_ns; p[i] = k.dram_pct end
      r.ncu = { duration_ms = median(d) * 1e-6, dram_pct = median(p), launches = #ks,
        l2_hit_pct = ks[1].l2_hit_pct, occupancy_pct = ks[1].occupancy_pct, gbps = ks[1].gbps }
    end
  end
  return true
end

local function profile_gate(name, judge)
  return { name = name, check = function(run)
    if not run.profile_dir then return { skip = true, msg = "no Nsight profile for this commit (run tools/profile.sh)" } end
    local ok, err = M.attach(run, run.profile_dir)
    if not ok then return { skip = true, msg = err } end
    return judge(run)
  end }
end

-- DRAM throughput (ncu, % of peak) at least min_pct on the cuda results that where() selects.
function M.gate_dram(o)
  o = o or {}
  local min_pct = o.min_pct or 80
  return profile_gate(string.format("ncu: DRAM throughput >= %g%% of peak%s", min_pct, o.label and (" " .. o.label) or ""), function(run)
    local bad, n, worst = {}, 0, math.huge
    for _, r in ipairs(run.results) do
      if r.ncu and (not o.where or o.where(r.config, r)) then
        n = n + 1
        worst = math.min(worst, r.ncu.dram_pct)
        if r.ncu.dram_pct < min_pct then bad[#bad + 1] = string.format("%s: %.1f%%", r.key, r.ncu.dram_pct) end
      end
    end
    if n == 0 then return { skip = true, msg = "no profiled kernel matches" } end
    if #bad > 0 then return { ok = false, msg = table.concat(bad, "; ") } end
    return { ok = true, msg = string.format("lowest %.1f%% over %d configurations", worst, n) }
  end)
end

-- The engine's event-timed median within max_diff_pct of ncu's kernel duration: the timer is honest.
function M.gate_timer(o)
  o = o or {}
  local max_diff = o.max_diff_pct or 10
  return profile_gate(string.format("ncu: event-timed median within %g%% of ncu kernel duration%s", max_diff,
    o.label and (" " .. o.label) or ""), function(run)
    local bad, n, worst = {}, 0, 0
    for _, r in ipairs(run.results) do
      if r.ncu and r.stats and (not o.where or o.where(r.config, r)) then
        n = n + 1
        local diff = 100 * math.abs(r.stats.median - r.ncu.duration_ms) / r.ncu.duration_ms
        worst = math.max(worst, diff)
        if diff > max_diff then
          bad[#bad + 1] = string.format("%s: events %.4f ms vs ncu %.4f ms (%.1f%%)", r.key, r.stats.median, r.ncu.duration_ms, diff)
        end
      end
    end
    if n == 0 then return { skip = true, msg = "no profiled kernel matches a measured result" } end
    if #bad > 0 then return { ok = false, msg = table.concat(bad, "; ") } end
    return { ok = true, msg = string.format("largest difference %.1f%% over %d configurations", worst, n) }
  end)
end

return M
