-- Nsight output parsers against real outputs (H100, tools/profile.sh scenarios/dod.lua, committed under
-- tests/data/), metric gates, and tools/profile.sh without the tools.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
local P = rl.profile
local describe, it = spec.describe, spec.it
local data = (arg[0]:match("(.*/)") or "./") .. "data/"
-- the robolua binary running this spec (tools/profile.sh runs it) and a folder for the files made here
local bin, tmp = spec.binary(), spec.tempdir()
local made = 0
local function temp_path(stem) -- a new path in tmp
  made = made + 1
  return string.format("%s/%d-%s", tmp, made, stem)
end

-- An ncu raw CSV in the format ncu 2025.3 writes with --nvtx (tests/data/ncu_nvtx_h100.csv is a real
-- one): rows {range (or nil), kernel name, duration us, dram %, dram MB read, MB written}.
local metric_cols = { "gpu__time_duration.sum", "dram__throughput.avg.pct_of_peak_sustained_elapsed", "dram__bytes_read.sum",
  "dram__bytes_write.sum", "lts__t_sector_hit_rate.pct", "sm__warps_active.avg.pct_of_peak_sustained_active" }
local function ncu_csv(rows)
  local lines = { '"ID","Process ID","Kernel Name","' .. P.nvtx_column .. '","Block Size","Grid Size","' .. table.concat(metric_cols, '","') .. '"',
    '"","","","","","","us","%","Mbyte","Mbyte","%","%"' }
  for i, r in ipairs(rows) do
    local nvtx = r[1] and string.format('704  ""<default domain>:%s:none:none:none:none:none:none"" ', r[1]) or ""
    lines[#lines + 1] = string.format('"%d","704","%s","%s","(256, 1, 1)","(32, 1, 1)","%g","%g","%g","%g","50","60"', i - 1, r[2], nvtx,
      r[3], r[4], r[5], r[6])
  end
  local path = temp_path("ncu.csv")
  local f = assert(io.open(path, "w"))
  f:write(table.concat(lines, "\n") .. "\n")
  f:close()
  return path
end

describe("ncu CSV with NVTX ranges", function()
  local ks, err = P.read_ncu_csv(data .. "ncu_nvtx_h100.csv", { need = { "duration" } })
  it("parses a real H100 export: every kernel with its range", function()
    spec.truthy(ks, tostring(err))
    spec.eq(#ks, 6, "2 cuda configurations x 3 launches")
    spec.eq(ks[1].ranges[1], "tiny/shape=8x250x128 dtype=bf16/cuda/profile")
    spec.eq(ks[4].ranges[1], "tiny/shape=4x100x64 dtype=bf16/cuda/profile")
    spec.near(ks[1].duration_ns, 4672, 0.5, "us -> ns")
    spec.eq(P.short_name(ks[1].name), "resample_rows_kernel<bf16>", "template code -> dtype name")
  end)
  it("nested ranges: the stack, outermost first; range names may hold colons", function()
    local st = P.parse_nvtx_stack('9  "<default domain>:outer:none:none:none:none:none:none" "<default domain>:a:b/c:none:none:none:none:none:none" ')
    spec.eq(#st, 2); spec.eq(st[1], "outer"); spec.eq(st[2], "a:b/c")
  end)
  it("attribution by range: skipped points, any order, two kernels per call, kernels outside ranges", function()
    local dir = temp_path("attribution")
    os.execute("mkdir -p '" .. dir .. "'")
    local run = { scenario = "s", results = {
      { key = "a", backend = "cuda", status = "ok" },
      { key = "b", backend = "cuda", status = "skipped" },   -- never profiled: nothing may land on it
      { key = "c", backend = "naive", status = "ok" },       -- launches two kernels per call
      { key = "a", backend = "cpu", status = "ok" },
    } }
    local csv = ncu_csv {
      { nil, "fill_kernel", 1, 10, 1, 1 },                    -- outside any range: ignored
      { "s/c/naive/profile", "k1", 10, 80, 1, 1 }, { "s/c/naive/profile", "k2", 30, 40, 2, 2 },
      { "s/c/naive/profile", "k1", 10, 80, 1, 1 }, { "s/c/naive/profile", "k2", 30, 40, 2, 2 },
      { "s/c/naive/profile", "k1", 10, 80, 1, 1 }, { "s/c/naive/profile", "k2", 30, 40, 2, 2 },
      { "s/a/cuda/profile", "r", 5, 70, 1, 1 }, { "s/a/cuda/profile", "r", 7, 70, 1, 1 }, { "s/a/cuda/profile", "r", 6, 70, 1, 1 },
      { "s/a/cuda/copy", "copy", 5, 90, 1, 1 }, { "s/a/cuda/copy", "copy", 5, 90, 1, 1 }, { "s/a/cuda/copy", "copy", 5, 90, 1, 1 },
    }
    os.execute("mv '" .. csv .. "' '" .. dir .. "/ncu_kernels.csv'")
    local n = assert(P.attach(run, dir))
    spec.eq(n, 2, "two records profiled")
    local a, b, c = run.results[1], run.results[2], run.results[3]
    spec.near(a.ncu.duration_ms, 18e-3 / 3, 1e-12, "a: per call")
    spec.eq(a.ncu.kernels_per_call, 1)
    spec.near(a.ncu.copy.dram_pct, 90, 1e-9, "a: the same-size copy of its range")
    spec.eq(b.ncu, nil, "the skipped point gets nothing")
    spec.eq(c.ncu.kernels_per_call, 2, "c: two kernels per call")
    spec.near(c.ncu.duration_ms, 40e-3, 1e-12, "c: both kernels of a call summed")
    spec.near(c.ncu.dram_pct, (80 * 10 + 40 * 30) / 40, 1e-9, "c: DRAM % weighted by duration")
    spec.eq(run.results[4].ncu, nil, "the cpu record is not a cuda range")
  end)
  it("a missing metric column is an error that names it", function()
    local path = temp_path("no_dram.csv")
    local f = assert(io.open(path, "w"))
    f:write('"ID","Kernel Name","gpu__time_duration.sum"\n"","","us"\n"0","k","1.0"\n')
    f:close()
    local r, e = P.read_ncu_csv(path)
    spec.eq(r, nil)
    spec.truthy(e:find("dram__throughput", 1, true), e)
  end)
end)

describe("nsys stats CSV", function()
  it("kernel summary", function()
    local rows = assert(P.read_nsys_csv(data .. "nsys_kern_sum_h100.csv"))
    spec.eq(#rows, 1)
    spec.eq(rows[1]["Instances"], 12)
    spec.truthy(rows[1]["Name"]:find("resample_tiled_kernel", 1, true), "kernel name")
  end)
  it("NVTX ranges are named scenario/point/backend", function()
    local rows = assert(P.read_nsys_csv(data .. "nsys_nvtx_sum_h100.csv"))
    local found = false
    for _, r in ipairs(rows) do
      if tostring(r["Range"]):find("dod/shape=64x1000x512 dtype=bf16 timing=jitter/cuda", 1, true) then found = true end
    end
    spec.truthy(found, "range for the cuda run of 64x1000x512")
  end)
  it("quoted fields with commas and quotes", function()
    local rows = P.parse_csv('a,"b,c","d ""e"""\n1,2,3\n')
    spec.eq(rows[1][2], "b,c"); spec.eq(rows[1][3], 'd "e"'); spec.eq(rows[2][3], "3")
  end)
end)

describe("metric gates", function()
  local function fake_run(dir, median_ms, kernel_pct, copy_pct)
    local run = { scenario = "s", profile_dir = dir, results = {} }
    local rows = {}
    for i, key in ipairs { "small", "large" } do
      run.results[i] = { key = key, backend = "cuda", status = "ok", config = { batch = i }, stats = { median = median_ms[i] } }
      for _ = 1, 3 do
        rows[#rows + 1] = { "s/" .. key .. "/cuda/profile", "r", median_ms[i] * 1e3, kernel_pct[i], 1, 1 }
        if copy_pct then rows[#rows + 1] = { "s/" .. key .. "/cuda/copy", "copy", median_ms[i] * 1e3, copy_pct[i], 1, 1 } end
      end
    end
    if dir then os.execute("mkdir -p '" .. dir .. "' && mv '" .. ncu_csv(rows) .. "' '" .. dir .. "/ncu_kernels.csv'") end
    return run
  end
  local dir = temp_path("profile")
  it("without a profile the gates are skipped, never passed", function()
    spec.eq(rl.gate.evaluate(P.gate_dram { min_pct = 80 }, fake_run(nil, { 1, 1 }, { 1, 1 }), 1).status, "skip")
  end)
  it("the DRAM gate judges against the same-size copy of the same profile (reachable at every size)", function()
    local run = fake_run(dir, { 0.005, 0.25 }, { 40, 85 }, { 50, 88 })
    local g = rl.gate.evaluate(P.gate_dram { min_pct = 90 }, run, 1)
    spec.eq(g.status, "fail", g.msg)
    spec.truthy(g.msg:find("small: 40.0% of peak, the copy 50.0% (80.0% of it)", 1, true), g.msg)
    spec.eq(rl.gate.evaluate(P.gate_dram { min_pct = 90, where = function(c) return c.batch == 2 end }, run, 1).status, "pass",
      "85% of peak where a copy reaches 88%: 96.6% of the copy")
    spec.eq(rl.gate.evaluate(P.gate_dram { against = "peak", min_pct = 80, where = function(c) return c.batch == 2 end }, run, 1).status, "pass")
    spec.eq(rl.gate.evaluate(P.gate_dram { against = "peak", min_pct = 90 }, run, 1).status, "fail")
  end)
  it("without a copy in the profile the copy-relative gate is skipped", function()
    local run = fake_run(dir .. "2", { 0.005, 0.25 }, { 40, 85 }, nil)
    local g = rl.gate.evaluate(P.gate_dram { min_pct = 90 }, run, 1)
    spec.eq(g.status, "skip", g.msg)
  end)
  it("the timer gate: event medians within max_diff_pct of ncu", function()
    local run = fake_run(dir .. "3", { 0.005, 0.25 }, { 40, 85 }, nil)
    spec.eq(rl.gate.evaluate(P.gate_timer { max_diff_pct = 10 }, run, 1).status, "pass")
    run.results[2].stats.median = 0.34
    local timer = rl.gate.evaluate(P.gate_timer { max_diff_pct = 10 }, run, 1)
    spec.eq(timer.status, "fail", "a 36% slower event timing fails")
    spec.truthy(timer.msg:find("large cuda:", 1, true), timer.msg)
    -- asymmetric: the launch gap may add up to max_over_pct; a timer reading below ncu is wrong sooner
    run.results[2].stats.median = 0.28
    spec.eq(rl.gate.evaluate(P.gate_timer { max_under_pct = 5, max_over_pct = 15 }, run, 1).status, "pass", "+12% is within +15%")
    run.results[2].stats.median = 0.23
    spec.eq(rl.gate.evaluate(P.gate_timer { max_under_pct = 5, max_over_pct = 15 }, run, 1).status, "fail", "-8% is below -5%")
  end)
end)

describe("robolua --profile", function()
  it("ends with a line that says what was launched for the profilers, and when that is no CUDA point", function()
    local p = io.popen(string.format("%q --profile --backend cpu scenarios/ci.lua 2>&1; echo \"exit=$?\"", bin))
    local out = p:read("a")
    p:close()
    spec.truthy(out:find("exit=0", 1, true), out)
    spec.truthy(out:find("robolua: --profile: 6 points verified and launched in NVTX ranges, 0 of them CUDA (no CUDA point: "
      .. "nothing for nsys or ncu to capture)", 1, true), out)
  end)
end)

describe("tools/profile.sh", function()
  it("with neither nsys nor ncu it exits 3 and says what is missing", function()
    local p = io.popen(string.format("env -u NSYS -u NCU PATH=/usr/bin:/bin ROBOLUA=%q bash tools/profile.sh scenarios/ci.lua 2>&1; echo \"exit=$?\"", bin))
    local out = p:read("a")
    p:close()
    spec.truthy(out:find("exit=3", 1, true), out)
    spec.truthy(out:find("neither Nsight Systems (nsys) nor Nsight Compute (ncu)", 1, true), out)
    spec.truthy(out:find("NSYS=", 1, true) and out:find("NCU=", 1, true), "says how to point at them")
  end)
  it("a missing scenario is a usage error", function()
    local p = io.popen("bash tools/profile.sh no/such.lua 2>&1; echo \"exit=$?\"")
    local out = p:read("a")
    p:close()
    spec.truthy(out:find("exit=2", 1, true) and out:find("not found", 1, true), out)
  end)
end)

spec.finish()
