-- The CUDA resampler against the hardware limit and against PyTorch, on one card in one run.
--   robolua scenarios/roofline.lua [peers=PEERS.json]
-- Per case: event-timed median per launch (hot: back-to-back launches; graph: a CUDA graph of 20
-- launches, per launch), GB/s, % of the device-to-device copy bandwidth measured in this run, the
-- ncu kernel duration when tools/profile.sh has profiled this commit, and the PyTorch peers' medians
-- (tools/torch_peer.py on the same card, same data) with the speedups over them.
local rl = require "robolua"

local peers_path = require("robolua.script_args").parse("roofline", { peers = false }, { ... }).peers
local peers -- {device, torch, by = {case name -> {eager = {median_ms}, compile = {median_ms}}}}
if peers_path then peers = require("robolua.peers").load("roofline", peers_path) end

local function case_name(c)
  return string.format("%dx%dx%d_%s_%s", c.batch, c.source_len, c.dim, c.dtype, c.timing)
end
local function is_large(c) return c.batch * c.source_len * c.dim >= 64 * 1000 * 512 end
local function is_small_bf16(c) return c.batch == 8 and c.source_len == 250 and c.dtype == "bf16" end

-- The peer gate, reachable on the card it targets: a case passes with a speedup of at least `min` over
-- the peer, OR when the kernel already runs at >= 95% of the copy floor (the time of a same-size copy
-- timed the same way): no kernel can beat the floor, so a ratio that needs a time below it is
-- information (needed time vs floor), not a failure.
local function peer_ratio(variant, min)
  return { name = string.format("speedup over PyTorch %s >= %gx, or >= 95%% of the copy floor (same card, same data)", variant, min),
    check = function(run)
    if not peers then return { skip = true, msg = "no peers file: run tools/torch_peer.py and pass peers=PATH" } end
    local n, worst, bad, floor_cases = 0, math.huge, {}, {}
    for _, r in ipairs(run.results) do
      local p = r.status == "ok" and r.backend == "cuda" and r.config.mode == "hot" and peers.by[case_name(r.config)]
      if p and p[variant] and p[variant].median_ms then
        n = n + 1
        local s = p[variant].median_ms / r.stats.median
        worst = math.min(worst, s)
        if s < min then
          local need_ms = p[variant].median_ms / min
          -- the floor: a copy of the case's own bytes timed the same way (no kernel moving these bytes
          -- beats it by much), else the bytes over the large-buffer copy rate
          local roof = run.roofline.cuda
          local floor_ms = r.copy_same and r.copy_same.median_ms or (roof and roof.bytes_per_s and r.bytes / roof.bytes_per_s * 1e3)
          local at_floor = floor_ms and floor_ms / r.stats.median >= 0.95
          local why = string.format("%s: %.1fx (needs %.1f us%s; kernel %.1f us)", r.key, s, need_ms * 1e3,
            floor_ms and string.format(", the copy floor is %.1f us", floor_ms * 1e3) or "", r.stats.median * 1e3)
          if at_floor then floor_cases[#floor_cases + 1] = why else bad[#bad + 1] = why end
        end
      end
    end
    if n == 0 then return { skip = true, msg = "no case measured by both" } end
    local info = #floor_cases > 0 and ("; at >= 95% of the copy floor, so the ratio is out of reach for any kernel: " .. table.concat(floor_cases, "; ")) or ""
    if #bad > 0 then return { ok = false, msg = table.concat(bad, "; ") .. info } end
    return { ok = true, msg = string.format("lowest %.1fx over %d cases%s", worst, n, info) }
  end }
end

-- roofline.md: the table this scenario exists for.
local function roofline_report(run, dir)
  if run.profile_dir then rl.profile.attach(run, run.profile_dir) end
  local lines = { "# CUDA resampler: roofline and peers", "",
    string.format("- card: %s; copy bandwidth (cudaMemcpy D2D, read + write, this run): **%.0f GB/s**",
      run.env.cuda.name or "none", (run.roofline.cuda and run.roofline.cuda.bytes_per_s or 0) / 1e9),
    "- times are medians per launch over " .. #run.seeds .. " seeds x " .. run.repeats .. " repeats; µs",
    peers and string.format("- PyTorch peers: torch %s on %s, searchsorted + gather + lerp, same data, CUDA events",
      peers.torch, peers.device) or "- PyTorch peers: not measured in this run",
    "- regenerate: `" .. run.command .. "`", "",
    "- % copy BW: of the large-buffer copy rate above; same-size copy: a cudaMemcpy moving the case's bytes, timed the same way in the same mode",
    "- floor µs: the case's bytes over the large-buffer copy rate (no kernel can beat it by much); a peer ratio is possible only if peer µs / ratio >= floor",
    "- sets: copies of the inputs and output the timed launches cycle through (the same-size copy cycles as many buffer pairs), so a launch does not find the previous launches' data in the L2 unless all sets fit there", "",
    "| case | dtype | timing | mode | sets | median µs | GB/s | % copy BW | same-size copy µs | % of it | floor µs | ncu µs | torch eager µs | torch.compile µs | vs eager | vs compile |",
    "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" }
  for _, r in ipairs(run.results) do
    if r.backend == "cuda" and r.stats then
      local c = r.config
      local p = peers and peers.by[case_name(c)]
      local eager = p and p.eager and p.eager.median_ms
      local comp = p and p.compile and p.compile.median_ms
      local hot = c.mode == "hot"
      local roof = run.roofline.cuda
      lines[#lines + 1] = string.format("| %dx%dx%d T=%d | %s | %s | %s | %d | %.2f | %.0f | %.1f | %s | %s | %s | %s | %s | %s | %s | %s |",
        c.batch, c.source_len, c.dim, c.target_len, c.dtype, c.timing, c.mode, r.rotate or 1, r.stats.median * 1e3, r.gbps,
        r.roofline_pct or 0,
        r.copy_same and r.copy_same.median_ms and string.format("%.2f", r.copy_same.median_ms * 1e3) or "-",
        r.copy_same_pct and string.format("%.1f", r.copy_same_pct) or "-",
        roof and roof.bytes_per_s and string.format("%.2f", r.bytes / roof.bytes_per_s * 1e6) or "-",
        r.ncu and string.format("%.2f", r.ncu.duration_ms * 1e3) or "-",
        (hot and eager) and string.format("%.1f", eager * 1e3) or "-", (hot and comp) and string.format("%.1f", comp * 1e3) or "-",
        (hot and eager) and string.format("%.1fx", eager / r.stats.median) or "-",
        (hot and comp) and string.format("%.1fx", comp / r.stats.median) or "-")
    end
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = require("robolua.reports.markdown").gates(run)
  local path = dir .. "/roofline.md"
  require("robolua.files").write(path, table.concat(lines, "\n") .. "\n")
  return path
end

return rl.scenario {
  name = "roofline",
  description = "CUDA resampler vs the same-run copy bandwidth and vs PyTorch peers.",
  seeds = { 0, 1, 2 },
  warmup = 20,
  repeats = 50,
  rotate = "auto", -- CUDA launches cycle through copies of the inputs (4x the L2 per cycle, at most 64)
  axes = {
    shape = { { 8, 250, 128 }, { 32, 500, 256 }, { 64, 1000, 512 }, { 256, 2000, 512 } },
    dtype = { "bf16", "f32" },
    timing = { "jitter", "uniform" },
    mode = { "hot", "graph" },
    backend = { "cuda" },
  },
  gates = {
    -- against the large-buffer copy only where a copy of the case's own size reaches that rate (the
    -- largest case); every large case against a copy of its own size, timed the same way
    rl.gate.roofline { backend = "cuda", min_pct = 90, label = "(256x2000x512)", where = function(c) return c.batch == 256 end },
    rl.gate.roofline { backend = "cuda", min_pct = 90, against = "same_size", label = "(large sizes)", where = function(c) return is_large(c) end },
    rl.gate.latency { backend = "cuda", max_ms = 0.004, where = function(c) return is_small_bf16(c) and c.mode == "graph" end },
    peer_ratio("compile", 4),
    peer_ratio("eager", 12),
    rl.profile.gate_timer { max_under_pct = 5, max_over_pct = 15, label = "(large, hot)", where = function(c) return is_large(c) and c.mode == "hot" end },
  },
  reports = { "csv", "json", "markdown", "html", roofline_report },
}
