-- Nsight output parsers against real outputs (H100, tools/profile.sh scenarios/dod.lua, committed under
-- tests/data/), metric gates, and tools/profile.sh without the tools.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
local P = rl.profile
local describe, it = spec.describe, spec.it
local data = (arg[0]:match("(.*/)") or "./") .. "data/"

describe("ncu CSV", function()
  local ks, err = P.read_ncu_csv(data .. "ncu_dod_h100.csv")
  it("parses every kernel row", function()
    spec.truthy(ks, tostring(err))
    spec.eq(#ks, 12, "4 cuda configurations x 3 launches")
  end)
  it("converts units: us -> ns, Mbyte -> bytes", function()
    spec.near(ks[1].duration_ns, 5056, 0.5, "first kernel duration")
    spec.near(ks[7].duration_ns, 33600, 200, "64x1000x512 duration")
    spec.near(ks[1].dram_bytes, 0.461824e6, 1, "dram bytes")
    spec.near(ks[10].dram_pct, 81.6, 0.2, "dram % on the largest")
  end)
  it("names and launch shapes", function()
    spec.eq(P.short_name(ks[1].name), "resample_tiled_kernel<bf16>")
    spec.eq(ks[1].grid, "(32, 1, 1)"); spec.eq(ks[1].block, "(256, 1, 1)")
    spec.eq(P.short_name("void <unnamed>::resample_tiled_kernel<(int)0>(const uint4 *)"), "resample_tiled_kernel<f32>")
  end)
  it("maps launches to configurations in sweep order", function()
    local by = P.kernels_by_key(ks, { "a", "b", "c", "d" })
    spec.eq(#by.a, 3); spec.eq(#by.d, 3)
    spec.truthy(by.d[1].duration_ns > by.c[1].duration_ns, "the largest configuration is last")
  end)
  it("a missing metric column is an error that names it", function()
    local tmp = os.tmpname()
    local f = assert(io.open(tmp, "w"))
    f:write('"ID","Kernel Name","gpu__time_duration.sum"\n"","","us"\n"0","k","1.0"\n')
    f:close()
    local r, e = P.read_ncu_csv(tmp)
    os.remove(tmp)
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
  local function fake_run(profile_dir, median_ms)
    local results = {}
    for i, key in ipairs { "s", "m", "l", "xl" } do
      results[i] = { key = key, backend = "cuda", status = "ok", config = { batch = i }, stats = { median = median_ms[i] } }
    end
    return { results = results, profile_dir = profile_dir }
  end
  it("without a profile the gates are skipped, never passed", function()
    local g = rl.gate.evaluate(P.gate_dram { min_pct = 80 }, fake_run(nil, {}), 1)
    spec.eq(g.status, "skip")
  end)
  it("DRAM gate on the real profile: the largest passes 80%, the small ones fail", function()
    local dir = data:sub(1, -2) .. "/ncu_dir_for_test"
    os.execute("mkdir -p '" .. dir .. "' && cp '" .. data .. "ncu_dod_h100.csv' '" .. dir .. "/ncu_kernels.csv'")
    local run = fake_run(dir, { 0.005, 0.0085, 0.0336, 0.2556 })
    spec.eq(rl.gate.evaluate(P.gate_dram { min_pct = 80, where = function(c) return c.batch == 4 end }, run, 1).status, "pass")
    spec.eq(rl.gate.evaluate(P.gate_dram { min_pct = 80 }, run, 1).status, "fail")
    local timer = rl.gate.evaluate(P.gate_timer { max_diff_pct = 10 }, run, 1)
    spec.eq(timer.status, "pass", timer.msg)
    run = fake_run(dir, { 0.005, 0.0085, 0.045, 0.2556 })
    timer = rl.gate.evaluate(P.gate_timer { max_diff_pct = 10 }, run, 1)
    spec.eq(timer.status, "fail", "a 34% slower event timing fails")
    spec.truthy(timer.msg:find("l:", 1, true), timer.msg)
    os.execute("rm -rf '" .. dir .. "'")
  end)
end)

describe("tools/profile.sh", function()
  it("with neither nsys nor ncu it exits 3 and says what is missing", function()
    local lowest = 0
    while arg[lowest - 1] do lowest = lowest - 1 end
    local bin = arg[lowest]
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
