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

-- "void <unnamed>::resample_rows_kernel<(int)1>(const uint4 *, ...)" (nsys) or "...kernel<1>(...)"
-- (ncu) -> "resample_rows_kernel<bf16>" (the template argument is a dtype code: robolua.dtypes)
function M.short_name(name)
  local dtypes = require("robolua.core").dtypes
  local kernel, code = name:match("([%w_]+)<%(int%)(%d)>")
  if not kernel then kernel, code = name:match("([%w_]+)<(%d)>") end
  if kernel then return kernel .. "<" .. (dtypes[tonumber(code)] or code) .. ">" end
  return name:match("([%w_]+)%s*%(") or name
end

-- ncu --nvtx adds a column with the thread's push/pop range stack, each range as
-- "<domain>:<range name>:PL_Type:PL_Value:CLR_Type:Color:Msg_Type:Msg" in quotes (see
-- tests/data/ncu_nvtx_h100.csv). -> the range names, outermost first.
M.nvtx_column = "thread Domain:Push/Pop_Range:PL_Type:PL_Value:CLR_Type:Color:Msg_Type:Msg"
function M.parse_nvtx_stack(cell)
  local out = {}
  for quoted in tostring(cell or ""):gmatch('"(.-)"') do
    local name = quoted:match("^[^:]*:(.*):[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*$")
    if name then out[#out + 1] = name end
  end
  return out
end

-- ncu --csv --page raw: header row of metric names, a units row, then one row per kernel launch.
-- Returns a list of {name, grid, block, duration_ns, dram_pct, dram_bytes, l2_hit_pct, occupancy_pct, gbps}.
function M.read_ncu_csv(path, opts)
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
  for _, key in ipairs(opts and opts.need or { "duration", "dram_pct", "dram_read", "dram_write", "l2_hit_pct", "occupancy_pct" }) do
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
        ranges = col[M.nvtx_column] and M.parse_nvtx_stack(row[col[M.nvtx_column]]) or {},
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

-- In --profile mode each record's backend runs launches_per_range times inside the NVTX range
-- range_name(scenario, record, "profile") (and a same-size copy kernel as often in ".../copy").
M.launches_per_range = 3
function M.range_name(scenario, r, what)
  return string.format("%s/%s/%s%s/%s", scenario, r.key, r.backend, r.gpu and ("/gpu" .. r.gpu.index) or "", what)
end

-- ncu kernels grouped by the innermost robolua range they ran in: name -> {kernel, ...}.
function M.kernels_by_range(kernels)
  local by = {}
  for _, k in ipairs(kernels) do
    local name = k.ranges[#k.ranges]
    if name then
      by[name] = by[name] or {}
      table.insert(by[name], k)
    end
  end
  return by
end

-- Per call of a range's kernels (launches_per_range calls, each of kernels_per_call kernels in order):
-- the median call's summed duration, its DRAM bytes and duration-weighted DRAM %.
local function per_call(ks)
  local calls = M.launches_per_range
  local kpc = #ks / calls
  local per = {}
  for j = 1, calls do
    local dur, bytes, weighted = 0, 0, 0
    for i = math.floor((j - 1) * kpc) + 1, math.floor(j * kpc) do
      local k = ks[i]
      dur = dur + (k.duration_ns or 0)
      bytes = bytes + (k.dram_bytes or 0)
      weighted = weighted + (k.dram_pct or 0) * (k.duration_ns or 0)
    end
    per[j] = { dur = dur, bytes = bytes, pct = dur > 0 and weighted / dur or nil }
  end
  table.sort(per, function(a, b) return a.dur < b.dur end)
  local m = per[(calls + 1) // 2]
  return { duration_ms = m.dur * 1e-6, dram_pct = m.pct, dram_bytes = m.bytes, gbps = m.dur > 0 and m.bytes / m.dur or nil,
    kernels = #ks, kernels_per_call = kpc }
end

-- Attaches the ncu figures of each record (r.ncu) by its NVTX range; returns the number attached,
-- or nil, why.
function M.attach(run, profile_dir)
  local kernels, err = M.read_ncu_csv(profile_dir .. "/ncu_kernels.csv")
  if not kernels then return nil, err end
  local by = M.kernels_by_range(kernels)
  local n = 0
  for _, r in ipairs(run.results) do
    local ks = by[M.range_name(run.scenario, r, "profile")]
    if ks then
      n = n + 1
      r.ncu = per_call(ks)
      r.ncu.l2_hit_pct, r.ncu.occupancy_pct = ks[1].l2_hit_pct, ks[1].occupancy_pct
      r.ncu.names = {}
      for _, k in ipairs(ks) do
        local short = M.short_name(k.name)
        if r.ncu.names[#r.ncu.names] ~= short then r.ncu.names[#r.ncu.names + 1] = short end
      end
      local cs = by[M.range_name(run.scenario, r, "copy")]
      if cs then r.ncu.copy = per_call(cs) end
    end
  end
  return n
end

local function profile_gate(name, judge)
  return { name = name, check = function(run)
    if not run.profile_dir then return { skip = true, msg = "no Nsight profile for this commit (run tools/profile.sh)" } end
    local n, err = M.attach(run, run.profile_dir)
    if not n then return { skip = true, msg = err } end
    if n == 0 then return { skip = true, msg = "the profile in " .. run.profile_dir .. " has no kernel in this run's NVTX ranges (profiled with an older robolua? re-run tools/profile.sh)" } end
    return judge(run)
  end }
end

-- DRAM throughput (ncu) of the records where() selects, at least min_pct of the DRAM throughput a
-- same-size copy kernel reached in the same profile (against = "copy", the default: reachable at every
-- size) or of the datasheet peak (against = "peak", where even a copy may not get there).
function M.gate_dram(o)
  o = require("robolua.gates").options("rl.profile.gate_dram", o, { min_pct = "pct", against = "dram_against", label = "label", where = "where" })
  local min_pct = o.min_pct or (o.against == "peak" and 80 or 90)
  local peak = o.against == "peak"
  return profile_gate(string.format("ncu: DRAM throughput >= %g%% of %s%s", min_pct,
    peak and "peak" or "a same-size copy kernel's (same profile)", o.label and (" " .. o.label) or ""), function(run)
    local bad, n, worst, info = {}, 0, math.huge, {}
    for _, r in ipairs(run.results) do
      if r.ncu and r.ncu.dram_pct and (not o.where or o.where(r.config, r)) then
        local ref = peak and 100 or (r.ncu.copy and r.ncu.copy.dram_pct)
        if ref and ref > 0 then
          n = n + 1
          local pct = 100 * r.ncu.dram_pct / ref
          worst = math.min(worst, pct)
          if pct < min_pct then
            bad[#bad + 1] = string.format("%s: %.1f%% of peak, the copy %.1f%% (%.1f%% of it)", r.key, r.ncu.dram_pct, ref, pct)
          end
        else
          info[#info + 1] = r.key
        end
      end
    end
    if n == 0 then
      return { skip = true, msg = #info > 0 and ("no same-size copy in the profile for " .. table.concat(info, "; ") .. " (re-profile with tools/profile.sh)") or "no profiled kernel matches" }
    end
    if #bad > 0 then return { ok = false, msg = table.concat(bad, "; ") } end
    return { ok = true, msg = string.format("lowest %.1f%% over %d configurations", worst, n) }
  end)
end

-- The timer is honest: the engine's event-timed median per call lies between max_under_pct below and
-- max_over_pct above ncu's kernel duration (both default max_diff_pct). A per-launch event time includes
-- the gap between back-to-back launches that ncu's window leaves out, so a small excess is expected; an
-- event time well below the kernel's own duration would mean the timer misses work.
function M.gate_timer(o)
  o = require("robolua.gates").options("rl.profile.gate_timer", o, { max_under_pct = "pct", max_over_pct = "pct",
    max_diff_pct = "pct", label = "label", where = "where" })
  local under = o.max_under_pct or o.max_diff_pct or 10
  local over = o.max_over_pct or o.max_diff_pct or 10
  return profile_gate(string.format("ncu: event-timed median within -%g%%/+%g%% of ncu's kernel duration%s", under, over,
    o.label and (" " .. o.label) or ""), function(run)
    local bad, n, worst = {}, 0, 0
    for _, r in ipairs(run.results) do
      if r.ncu and r.stats and (not o.where or o.where(r.config, r)) then
        n = n + 1
        local diff = 100 * (r.stats.median - r.ncu.duration_ms) / r.ncu.duration_ms
        if math.abs(diff) > math.abs(worst) then worst = diff end
        if diff > over or -diff > under then
          bad[#bad + 1] = string.format("%s %s: events %.4f ms vs ncu %.4f ms (%+.1f%%)", r.key, r.backend, r.stats.median, r.ncu.duration_ms, diff)
        end
      end
    end
    if n == 0 then return { skip = true, msg = "no profiled kernel matches a measured result" } end
    if #bad > 0 then return { ok = false, msg = table.concat(bad, "; ") } end
    return { ok = true, msg = string.format("largest difference %+.1f%% over %d results", worst, n) }
  end)
end

return M
