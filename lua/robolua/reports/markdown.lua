-- Markdown report: provenance, the same-run copy bandwidths, the side-by-side table (mean +- std,
-- median, 95% CI, per-seed spread, GB/s, % of copy bandwidth, speedup), the gates, the command.
local fmt = require "robolua.fmt"
local M = {}

local function status_cell(r)
  if r.status == "ok" then return "ok" end
  if r.status == "skipped" then return "skipped: " .. tostring(r.reason) end
  return "**" .. r.status:upper() .. "**: " .. tostring(r.reason)
end

local function escape(s) return (tostring(s):gsub("|", "\\|"):gsub("\n", " ")) end

function M.table(run)
  local out = {
    "| configuration | backend | mean ± std (ms) | median (ms) | 95% CI of mean (ms) | seed spread | GB/s | % copy BW | % same-size copy | speedup vs " .. run.speedup_base .. " | outliers (mild/severe) | n | status |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|",
  }
  for _, r in ipairs(run.results) do
    local s = r.stats
    local label = fmt.config_label(r)
    local backend = r.backend .. (r.backend == "cpu" and r.threads and (" (" .. r.threads .. " thr)") or "")
    if s then
      out[#out + 1] = string.format("| %s | %s | %s ± %s | %s | [%s, %s] | %s%% | %s | %s | %s | %s | %d/%d | %d | %s |",
        label, backend, fmt.ms(s.mean), fmt.ms(s.std), fmt.ms(s.median), fmt.ms(s.ci_lo), fmt.ms(s.ci_hi),
        fmt.num(r.seed_spread_pct, 2), fmt.num(r.gbps, 1), fmt.num(r.roofline_pct, 1), fmt.num(r.copy_same_pct, 1),
        r.speedup and string.format("%.2fx", r.speedup) or "-", s.outliers_mild, s.outliers_severe, s.n,
        escape(status_cell(r)))
    else
      out[#out + 1] = string.format("| %s | %s | - | - | - | - | - | - | - | - | - | 0 | %s |", label, backend, escape(status_cell(r)))
    end
  end
  return table.concat(out, "\n") .. "\n"
end

-- One row per configuration, one column group per backend: median, mean ± std and 95% CI side by
-- side, then the speedup of each backend over the base.
function M.side_by_side(run)
  local backends, keys, by = {}, {}, {}
  for _, b in ipairs(run.backends) do
    if b ~= "reference" then backends[#backends + 1] = b end
  end
  for _, r in ipairs(run.results) do
    if not by[r.key] then by[r.key] = { label = fmt.config_label(r) }; keys[#keys + 1] = r.key end
    by[r.key][r.backend] = r
  end
  local head, rule = { "| configuration" }, { "|---" }
  for _, b in ipairs(backends) do
    head[#head + 1] = string.format(" %s median (ms) | %s mean ± std | %s 95%% CI", b, b, b)
    rule[#rule + 1] = "|---:|---:|---:"
  end
  for _, b in ipairs(backends) do
    if b ~= run.speedup_base then head[#head + 1] = string.format(" %s vs %s", b, run.speedup_base); rule[#rule + 1] = "|---:" end
  end
  local out = { table.concat(head, " |") .. " |", table.concat(rule) .. "|" }
  for _, key in ipairs(keys) do
    local row = { "| " .. by[key].label }
    for _, b in ipairs(backends) do
      local r = by[key][b]
      local s = r and r.stats
      if s then
        row[#row + 1] = string.format(" %s | %s ± %s | [%s, %s]", fmt.ms(s.median), fmt.ms(s.mean), fmt.ms(s.std), fmt.ms(s.ci_lo), fmt.ms(s.ci_hi))
      else
        row[#row + 1] = string.format(" %s | - | -", r and r.status or "-")
      end
    end
    for _, b in ipairs(backends) do
      if b ~= run.speedup_base then
        local r = by[key][b]
        row[#row + 1] = (r and r.speedup) and string.format(" %.2fx", r.speedup) or " -"
      end
    end
    out[#out + 1] = table.concat(row, " |") .. " |"
  end
  return table.concat(out, "\n") .. "\n"
end

function M.gates(run)
  local out = { "| gate | result | detail |", "|---|---|---|" }
  for _, g in ipairs(run.gates) do
    local badge = g.status == "pass" and "PASS" or g.status == "skip" and "SKIPPED" or "**FAIL**"
    out[#out + 1] = string.format("| %s | %s | %s |", escape(g.name), badge, escape(g.msg))
  end
  return table.concat(out, "\n") .. "\n"
end

function M.roofline(run)
  local lines = {}
  for _, dev in ipairs { "cpu", "cuda" } do
    local r = run.roofline[dev]
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

function M.render(run, opts)
  opts = opts or {}
  local e = run.env
  local out = {}
  local function add(s) out[#out + 1] = s end
  if not opts.brief then
    add("# robolua: " .. run.scenario .. "\n")
    if run.description then add(run.description .. "\n") end
    add(string.format("- time (UTC): %s → %s", run.started_utc, tostring(run.finished_utc)))
    add("- command: `" .. run.command .. "`")
    add("- git commit: `" .. e.git.commit .. "`" .. (e.git.dirty and " (with uncommitted changes)" or ""))
    add(string.format("- cpu: %s, %d logical cpus", e.host.cpu_model, e.host.logical_cpus))
    if e.cuda.available then
      add(string.format("- gpu: %s, %d SMs, L2 %.0f MiB, driver %s, runtime %d, SM clock %s/%s MHz (now/max)",
        e.cuda.name, e.cuda.sm_count, e.cuda.l2_bytes / 2 ^ 20, e.cuda.driver ~= "" and e.cuda.driver or tostring(e.cuda.driver_version),
        e.cuda.runtime_version, tostring(e.cuda.sm_clock_mhz_now), tostring(e.cuda.sm_clock_mhz_max)))
    else
      add("- gpu: none (" .. tostring(e.cuda.reason) .. ")")
    end
    add(string.format("- seeds: %s; warmup %d, repeats %d per seed%s; times are per launch; bytes = inputs read once + output written once",
      table.concat((function() local t = {} for i, s in ipairs(run.seeds) do t[i] = tostring(s) end return t end)(), ", "),
      run.warmup, run.repeats, (run.interleave or 1) > 1 and
        string.format(", interleaved in %d rounds (each round times a chunk of every seed, in rotated order)", run.interleave) or ""))
    if run.stop then
      add(string.format("- stopping rule: after the %d repeats, each seed is timed in further chunks until the 95%% CI of its mean is within ±%g%% (or %d samples, or %g s per configuration); n counts every sample",
        run.repeats, run.stop.precision_pct, run.stop.max_repeats, run.stop.max_seconds))
    end
    if run.rotate and run.rotate ~= 1 then
      add(string.format("- CUDA inputs rotated (%s): each timed launch uses the next of several copies of its inputs and output, so no launch reads what the one before left in the L2%s",
        tostring(run.rotate), run.rotate == "auto" and " (as many copies as make 4x the L2, at most 64)" or ""))
    end
    add(M.roofline(run))
    if run.interrupted then add("**The run was interrupted; the results below are what was measured before.**\n") end
    if #run.backends > 1 then add("## Side by side\n\n" .. M.side_by_side(run)) end
    add("## Results\n")
  end
  add(M.table(run))
  add("\n" .. (opts.brief and "" or "## Gates\n\n") .. M.gates(run))
  if not opts.brief then
    add("\nVerification: every (configuration, backend, seed) output was compared with the float64 reference before it was timed (f32: |err| <= 1e-6 + 1e-6·|ref|; bf16/f16: <= 1 ulp of the stored type + 1e-6).\n")
    if run.profile_dir then add("Nsight profile of this commit: `" .. run.profile_dir .. "`\n") end
    add("Regenerate: `" .. run.command .. "`\n")
  end
  return table.concat(out, "\n")
end

return M
