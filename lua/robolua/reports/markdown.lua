-- Markdown report: provenance, the same-run copy bandwidths, the side-by-side table (mean +- std,
-- median, 95% CI per backend, speedups), the results table (the human fields of record.fields), the
-- gates with the verdict, the method, the command that regenerates the run.
local fmt = require "robolua.fmt"
local record = require "robolua.record"
local M = {}

local function escape(s) return (tostring(s):gsub("|", "\\|"):gsub("\n", " ")) end

local function status_cell(r)
  if r.status == "ok" then return "ok" end
  if r.status == "skipped" then return "skipped: " .. tostring(r.reason) end
  return "**" .. r.status:upper() .. "**: " .. tostring(r.reason)
end

local function backend_cell(r)
  return r.backend .. (r.device == "cpu" and r.threads and (" (" .. r.threads .. " thr)") or "")
end

function M.table(run)
  local head, rule = { "| configuration | backend" }, { "|---|---" }
  local shown = {}
  for _, f in ipairs(record.fields) do
    if f.human then
      shown[#shown + 1] = f
      head[#head + 1] = f.label .. (f.unit and f.unit ~= "%" and f.unit ~= "x" and (" (" .. f.unit .. ")") or "")
      rule[#rule + 1] = "---:"
    end
  end
  head[#head + 1] = "95% CI of mean (ms) | status |"
  rule[#rule + 1] = "---:|---|"
  local out = { table.concat(head, " | "), table.concat(rule, "|") }
  for _, r in ipairs(run.results) do
    local cells = { "| " .. escape(fmt.config_label(r)), escape(backend_cell(r)) }
    for _, f in ipairs(shown) do cells[#cells + 1] = record.show(f, r, run) end
    local s = r.stats
    cells[#cells + 1] = s and string.format("[%s, %s]", fmt.ms(s.ci_lo), fmt.ms(s.ci_hi)) or "-"
    cells[#cells + 1] = escape(status_cell(r)) .. " |"
    out[#out + 1] = table.concat(cells, " | ")
  end
  return table.concat(out, "\n") .. "\n"
end

-- One row per configuration, one column group per backend (and GPU): median, mean ± std, the mean's 95% CI; then
-- each backend's speedup over the base.
function M.side_by_side(run)
  local cols, col_seen, keys, by = {}, {}, {}, {}
  for _, r in ipairs(run.results) do
    local col = r.backend .. (r.gpu and (" gpu" .. r.gpu.index) or "")
    if r.backend ~= "reference" and not col_seen[col] then col_seen[col] = true; cols[#cols + 1] = col end
    if not by[r.key] then by[r.key] = { label = fmt.config_label({ label = r.label, config = r.config, key = r.key }) }; keys[#keys + 1] = r.key end
    by[r.key][col] = r
  end
  local base = run.speedup_base or "cpu"
  local head, rule = { "| configuration" }, { "|---" }
  for _, b in ipairs(cols) do
    head[#head + 1] = string.format(" %s median (ms) | %s mean ± std | %s 95%% CI of mean", b, b, b)
    rule[#rule + 1] = "|---:|---:|---:"
  end
  for _, b in ipairs(cols) do
    if b ~= base then head[#head + 1] = string.format(" %s vs %s", b, base); rule[#rule + 1] = "|---:" end
  end
  local out = { table.concat(head, " |") .. " |", table.concat(rule) .. "|" }
  for _, key in ipairs(keys) do
    local row = { "| " .. escape(by[key].label) }
    for _, b in ipairs(cols) do
      local r = by[key][b]
      local s = r and r.stats
      if s then
        row[#row + 1] = string.format(" %s | %s ± %s | [%s, %s]", fmt.ms(s.median), fmt.ms(s.mean), fmt.ms(s.std), fmt.ms(s.ci_lo), fmt.ms(s.ci_hi))
      else
        row[#row + 1] = string.format(" %s | - | -", r and r.status or "-")
      end
    end
    for _, b in ipairs(cols) do
      if b ~= base then
        local r = by[key][b]
        row[#row + 1] = (r and r.speedup) and string.format(" %.2fx", r.speedup) or " -"
      end
    end
    out[#out + 1] = table.concat(row, " |") .. " |"
  end
  return table.concat(out, "\n") .. "\n"
end

local badges = { pass = "PASS", skip = "SKIPPED", fail = "**FAIL**", inconclusive = "**INCONCLUSIVE**", error = "**ERROR**" }
function M.gates(run, brief)
  local out = { "| gate | result | detail |", "|---|---|---|" }
  for _, g in ipairs(run.gates) do
    out[#out + 1] = string.format("| %s | %s | %s |", escape(g.name), badges[g.status] or g.status, escape(g.msg))
  end
  if run.verdict and not brief then out[#out + 1] = "\nVerdict: **" .. run.verdict .. "**" end
  return table.concat(out, "\n") .. "\n"
end

function M.roofline(run)
  local lines = {}
  for _, dev in ipairs { "cpu", "cuda" } do
    local r = run.roofline and run.roofline[dev]
    if r then
      lines[#lines + 1] = string.format("- %s copy bandwidth (same run): **%.1f GB/s** (%s, %s buffers)", dev,
        r.bytes_per_s / 1e9, r.what, fmt.bytes(r.bytes))
    end
  end
  for _, r in ipairs(run.results) do
    if r.copy_same then
      lines[#lines + 1] = "- % same-size copy: each CUDA result's bytes moved by a cudaMemcpy (half read, half written), " ..
        "timed by the same loop in the same mode (launch, ramp-up and drain costs included)"
      break
    end
  end
  return table.concat(lines, "\n") .. (#lines > 0 and "\n" or "")
end

-- How the samples were taken, in words.
function M.method(run)
  local st = run.settings or {}
  local seeds = {}
  for i, s in ipairs(st.seeds or run.seeds or {}) do seeds[i] = tostring(s) end
  local lines = { string.format("- seeds: %s; %d control%s (the first seed's data measured as if another seed: the noise floor); warmup %d, repeats %d per seed; times are per launch; bytes = inputs read once + output written once",
    table.concat(seeds, ", "), st.controls or 0, (st.controls or 0) == 1 and "" or "s", st.warmup or 0, st.repeats or 0) }
  local fine, coarse = 0, 0
  for _, r in ipairs(run.results) do
    if r.interleave == "fine" then fine = fine + 1 elseif r.interleave == "coarse" then coarse = coarse + 1 end
  end
  if fine > 0 then lines[#lines + 1] = string.format("- interleaving: fine for %d results (every seed's inputs resident, samples taken round robin in chunks across seeds and controls)", fine) end
  if coarse > 0 then lines[#lines + 1] = string.format("- interleaving: coarse for %d results (one set of buffers refilled seed after seed)", coarse) end
  if st.stop then
    lines[#lines + 1] = string.format("- stopping rule (%s): after the repeats, more chunks (interleaved: all seeds and controls together) until the 95%% CI of each mean is within ±%s%% (at most %s samples, %s s of timing per configuration)",
      tostring(st.stop.name), tostring(st.stop.precision_pct), tostring(st.stop.max_repeats), tostring(st.stop.max_seconds))
  end
  if st.rotate and st.rotate ~= 1 then
    lines[#lines + 1] = string.format("- CUDA inputs rotated (%s): each timed launch uses the next of several copies of its inputs and output, so no launch reads what the one before left in the L2%s",
      tostring(st.rotate), st.rotate == "auto" and " (as many copies as make 4x the L2, at most 64)" or "")
  end
  if st.throttle then
    lines[#lines + 1] = string.format("- throttled samples: SM clock below %g%% of the card's maximum (%s)", st.throttle.threshold_pct,
      st.throttle.action == "remeasure" and "such chunks are re-taken, twice at most" or "counted and reported")
  end
  return table.concat(lines, "\n") .. "\n"
end

function M.render(run, opts)
  opts = opts or {}
  -- (a loaded document may lack parts of its environment: a tool's or a test's, a hand edit; as html.lua)
  local e = run.env or {}
  local git, host, cuda = e.git or {}, e.host or {}, e.cuda or {}
  local out = {}
  local function add(s) out[#out + 1] = s end
  if not opts.brief then
    add("# robolua: " .. run.scenario .. "\n")
    if run.description then add(run.description .. "\n") end
    add(string.format("- time (UTC): %s → %s", run.started_utc, tostring(run.finished_utc)))
    add("- command: `" .. run.command .. "`")
    add("- git commit: `" .. tostring(git.commit or "unknown") .. "`" .. (git.dirty and " (with uncommitted changes)" or ""))
    add(string.format("- cpu: %s, %s logical cpus%s", tostring(host.cpu_model or "unknown"), tostring(host.logical_cpus or "?"),
      host.isa and (", ISA path " .. host.isa) or ""))
    if cuda.available then
      add(string.format("- gpu: %s, %d SMs, L2 %.0f MiB, driver %s, runtime %d, SM clock %s/%s MHz (now/max)",
        cuda.name, cuda.sm_count, cuda.l2_bytes / 2 ^ 20, cuda.driver ~= "" and cuda.driver or tostring(cuda.driver_version),
        cuda.runtime_version, tostring(cuda.sm_clock_mhz_now), tostring(cuda.sm_clock_mhz_max)))
    else
      add("- gpu: none (" .. tostring(cuda.reason or "not recorded") .. ")")
    end
    if run.shard then add(string.format("- shard %d of %d", run.shard.index, run.shard.count)) end
    add(M.method(run))
    add(M.roofline(run))
    if run.interrupted then add("**The run was interrupted; the results below are what was measured before.**\n") end
    for _, w in ipairs(run.warnings or {}) do add("- warning: " .. w) end
    local n_backends = 0
    for _ in pairs(run.backends or {}) do n_backends = n_backends + 1 end
    if n_backends > 1 then add("## Side by side\n\n" .. M.side_by_side(run)) end
    add("## Results\n")
  end
  add(M.table(run))
  add("\n" .. (opts.brief and "" or "## Gates\n\n") .. M.gates(run, opts.brief))
  if not opts.brief then
    -- the workload's own rule (a run read back from results.json, e.g. by merge, does not carry it)
    add("\nVerification: every (configuration, backend, seed) output was compared with the float64 reference before it was timed ("
      .. (run.verification or "by the " .. tostring(run.workload or "workload") .. " workload's rule") .. ").\n")
    if run.profile_dir then add("Nsight profile of this commit: `" .. run.profile_dir .. "`\n") end
    add("Regenerate: `" .. run.command .. "`\n")
  end
  return table.concat(out, "\n")
end

return M
