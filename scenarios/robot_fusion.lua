-- Multi-rate robot streams fused onto one 50 Hz policy timeline (issue 12; doc/robot.md): camera 30 Hz x
-- 64, events 100 Hz x 2 (held), joints 500 Hz x 14, imu 1000 Hz x 10 (a quaternion, slerp), 10 s episodes
-- of 64 and 256, relative f32 and absolute i64-nanosecond clocks, dense and ragged, on one card in one run:
-- the fused CPU pass, the fused CUDA kernel (one launch), the same kernel once per stream (what one launch
-- per stream costs), a same-size copy, and optionally PyTorch.
--   robolua scenarios/robot_fusion.lua [peers=PEERS.json]
-- PEERS.json: tools/export_fuse_cases.lua DIR (exactly this scenario's cases, first seed) then
-- tools/torch_fuse_peer.py DIR PEERS.json on the same card.
local rl = require "robolua"
local fuse = require "robolua.workloads.fuse"

local peers_path = require("robolua.script_args").parse("robot_fusion", { peers = false }, { ... }).peers
local peers -- {device, torch, by = {case name -> {eager = {median_ms}, compile = {median_ms}}}}
if peers_path then peers = require("robolua.peers").load("robot_fusion", peers_path) end

local function peer_ms(c, variant)
  local p = peers and peers.by[fuse.case_name(c)]
  return p and p[variant] and p[variant].verified ~= false and p[variant].median_ms or nil
end

-- The time a result's bytes take at the large-buffer copy rate of this run: no kernel beats it by much.
local function floor_ms(run, r)
  local roof = run.roofline.cuda
  return roof and roof.bytes_per_s and r.bytes and r.bytes / roof.bytes_per_s * 1e3 or nil
end

-- Fused CUDA faster than the PyTorch peer by min on every hot case both measured. A case whose required
-- time lies below the copy floor is information, not a failure: no kernel could meet that ratio.
local function peer_ratio(variant, min)
  local name = string.format("fused cuda vs PyTorch %s (same card, same data) >= %gx", variant, min)
  return { name = name, check = function(run)
    if not peers then
      return { skip = true, msg = "no peers file: run tools/export_fuse_cases.lua and tools/torch_fuse_peer.py, pass peers=PATH" }
    end
    local n, worst, bad, info = 0, math.huge, {}, {}
    for _, r in ipairs(run.results) do
      local p = r.status == "ok" and r.backend == "cuda" and r.config.mode == "hot" and peer_ms(r.config, variant)
      if p then
        n = n + 1
        local s = p / r.stats.median
        worst = math.min(worst, s)
        local need, floor = p / min, floor_ms(run, r)
        if s < min and floor and need < floor then
          info[#info + 1] = string.format("%s: %.2fx (needs %.1f us, below the %.1f us copy floor)", r.key, s, need * 1e3,
            floor * 1e3)
        elseif s < min then
          bad[#bad + 1] = string.format("%s: %.2fx (needs %.1f us)", r.key, s, need * 1e3)
        end
      end
    end
    if n == 0 then return { skip = true, msg = "no case measured by both" } end
    local note = #info > 0 and ("; out of reach: " .. table.concat(info, "; ")) or ""
    if #bad > 0 then return { ok = false, msg = table.concat(bad, "; ") .. note } end
    return { ok = true, msg = string.format("lowest %.2fx over %d cases%s", worst, n, note) }
  end }
end

local function named(gate, suffix)
  gate.name = gate.name .. " " .. suffix
  return gate
end

local function us(ms) return ms and string.format("%.1f", ms * 1e3) or "-" end
local function ratio(a, b) return (a and b) and string.format("%.2fx", a / b) or "-" end

-- robot_fusion.md: one row per (case, mode): CPU, per-stream, fused, the copy, PyTorch.
local function fusion_report(run, dir)
  local roof = run.roofline.cuda
  local card = run.env.cuda and run.env.cuda.name
  local lines = { "# Multi-stream fusion: fused vs per-stream vs CPU vs PyTorch", "",
    string.format("- card: %s; copy bandwidth (cudaMemcpy D2D, read + write, this run): %s", card or "none",
      roof and roof.bytes_per_s and string.format("**%.0f GB/s**", roof.bytes_per_s / 1e9) or "not measured"),
    "- measured: " .. run.description,
    "- times: medians per call over " .. #run.seeds .. " seeds x " .. run.repeats
      .. " repeats, µs; hot = back-to-back calls, graph = a CUDA graph of calls, per call",
    "- " .. fuse.bytes_rule,
    "- GB/s and % copy: the fused kernel's bytes over its median; same-size copy: a cudaMemcpy of those bytes "
      .. "timed the same way in the same mode; floor: the bytes at the copy bandwidth above",
    peers and string.format("- PyTorch peers: torch %s on %s (per stream searchsorted + gather + lerp/hold/slerp, "
      .. "concatenation, padding masked), the first seed's data, CUDA events, hot only", tostring(peers.torch),
      tostring(peers.device)) or "- PyTorch peers: not measured in this run (peers=PATH)",
    "- regenerate: `" .. tostring(run.command) .. "`", "",
    "| case | mode | MB | CPU µs | per-stream µs | fused µs | fused vs per-stream | fused GB/s | % copy BW | same-size copy µs | % of it | floor µs | torch eager µs | torch.compile µs | vs eager | vs compile |",
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|" }
  local by, order = {}, {}
  for _, r in ipairs(run.results) do
    if not by[r.key] then by[r.key] = {}; order[#order + 1] = r.key end
    by[r.key][r.backend] = r
  end
  local function med(r) return r and r.stats and r.stats.median or nil end
  for _, key in ipairs(order) do
    local g = by[key]
    local any = g.cuda or g.cuda_per_stream or g.cpu
    if any then
      local c, f = any.config, g.cuda
      local hot = c.mode == "hot"
      local eager, comp = hot and peer_ms(c, "eager") or nil, hot and peer_ms(c, "compile") or nil
      local fl = f and floor_ms(run, f)
      lines[#lines + 1] = string.format("| %s | %s | %.1f | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |",
        any.label, c.mode, (any.bytes or 0) / 1e6, us(med(g.cpu)), us(med(g.cuda_per_stream)), us(med(f)),
        ratio(med(g.cuda_per_stream), med(f)), f and f.gbps and string.format("%.0f", f.gbps) or "-",
        f and f.roofline_pct and string.format("%.1f", f.roofline_pct) or "-",
        us(f and f.copy_same and f.copy_same.median_ms), f and f.copy_same_pct and string.format("%.1f", f.copy_same_pct) or "-",
        fl and string.format("%.1f", fl * 1e3) or "-", us(eager), us(comp), ratio(eager, med(f)), ratio(comp, med(f)))
    end
  end
  lines[#lines + 1] = ""
  lines[#lines + 1] = require("robolua.reports.markdown").gates(run)
  lines[#lines + 1] = ""
  lines[#lines + 1] = fuse.dram_floor_note(card)
  return require("robolua.files").write(dir .. "/robot_fusion.md", table.concat(lines, "\n") .. "\n")
end

local function dense(c) return not c.ragged end
local function ragged(c) return c.ragged end

return rl.scenario {
  name = "robot_fusion",
  description = "camera 30 Hz x 64, events 100 Hz x 2 (hold), joints 500 Hz x 14, imu 1000 Hz x 10 (quaternion: slerp) "
    .. "onto the policy clock, f32 values and output; fused CPU pass vs fused CUDA (one launch) vs "
    .. "CUDA per stream (one launch each).",
  workload = "fuse",
  seeds = { 0, 1, 2 }, -- each seed draws new episodes: lengths, offsets, jitter, drops, values
  warmup = 20,
  repeats = 50,
  rotate = "auto", -- CUDA launches cycle through copies of the inputs (4x the L2 per cycle, at most 64)
  axes = {
    batch = { 64, 256 },
    duration_s = { 10 },
    policy_hz = { 50 },
    streams = { "robot4" },
    dtype = { "f32" },
    clock = { "relative", "epoch_i64" },
    ragged = { true, false },
    mode = { "hot", "graph" },
    backend = { "cpu", "cuda", "cuda_per_stream" },
  },
  -- four cases: ragged relative at 64 and 256; at 256 also dense, and ragged on absolute i64 epoch clocks
  filter = function(p) return (p.ragged or p.batch == 256) and (p.clock == "relative" or (p.batch == 256 and p.ragged)) end,
  speedup_base = "cuda_per_stream", -- the speedup column: over one launch per stream
  gates = {
    rl.gate.verified(),
    named(rl.gate.roofline { backend = "cuda", against = "same_size", min_pct = 90 }, "(fused)"),
    rl.gate.speedup { base = "cuda_per_stream", cand = "cuda", min = 1 },
    rl.gate.speedup { base = "cpu", cand = "cuda", min = 1 },
    named(rl.gate.variance { max_pct = 5, where = dense }, "(dense episodes)"),
    -- ragged seeds draw different episode lengths, so their work differs by design (bytes ~3% apart at
    -- batch 64, ~1% at 256): a wider envelope
    named(rl.gate.variance { max_pct = 10, where = ragged }, "(ragged episodes: the seeds' work differs)"),
    peer_ratio("eager", 1),
    peer_ratio("compile", 1),
  },
  throttle = { threshold_pct = 90, action = "remeasure" }, -- chunks with throttled samples are re-taken
  reports = { "csv", "json", "markdown", "html", fusion_report },
}
