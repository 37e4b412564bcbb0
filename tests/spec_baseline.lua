-- Comparing two runs (rl.baseline, tools/compare.lua): the U test, the verdicts, the report, the exit
-- codes. Synthetic runs with known samples; no GPU needed.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
local cjson = require "cjson"
local stats = rl.stats
local describe, it = spec.describe, spec.it

-- deterministic "noise" in [-1, 1)
local function noise(i, seed) return 2 * ((i * 7919 + seed * 104729) % 1000) / 1000 - 1 end

-- a run document with one ok result per {key, backend, samples}
local function run_doc(entries, settings)
  local doc = { schema = "robolua.run/1", scenario = "syn", started_utc = "t", results = {},
    settings = settings or { seeds = { 0 }, warmup = 1, repeats = 50 }, env = { git = { commit = "c" }, cuda = { available = false } } }
  for _, e in ipairs(entries) do
    doc.results[#doc.results + 1] = { key = e[1], backend = e[2], status = e.status or "ok", reason = e.reason,
      seeds = { { seed = 0, samples_ms = e[3] } } }
  end
  return doc
end

-- the robolua binary running this spec (sub-runs use the same build) and a folder for the run documents
local bin, tmp = spec.binary(), spec.tempdir()
local written = 0
local function write(doc) -- a run document as a file in tmp; returns its path
  written = written + 1
  local path = string.format("%s/run%d.json", tmp, written)
  local f = assert(io.open(path, "w"))
  f:write(cjson.encode(doc))
  f:close()
  return path
end

local function samples(center, spread, n, seed)
  local t = {}
  for i = 1, n do t[i] = center * (1 + spread * noise(i, seed)) end
  return t
end

describe("statistics", function()
  it("normal CDF against known values", function()
    spec.near(stats.normal_cdf(0), 0.5, 1e-15, "0")
    spec.near(stats.normal_cdf(1.959963985), 0.975, 1e-9, "1.96")
    spec.near(stats.normal_cdf(-3), 0.0013498980316301, 1e-12, "-3 (tail)")
    spec.near(stats.normal_cdf(4), 0.99996832875817, 1e-12, "4 (continued fraction)")
  end)
  it("Mann-Whitney U: separated samples, ties, identical samples", function()
    local r = stats.mann_whitney({ 1, 2, 3, 4, 5 }, { 6, 7, 8, 9, 10 })
    spec.eq(r.u, 0.0, "U")
    -- normal approximation with continuity correction: z = (12.5 - 0.5) / sqrt(25 * 11 / 12)
    spec.near(r.p, 2 * (1 - stats.normal_cdf(12 / math.sqrt(25 * 11 / 12))), 1e-12, "p")
    spec.near(r.p, 0.012186, 1e-5, "p value")
    spec.truthy(r.z < 0, "xs below ys")
    local same = stats.mann_whitney({ 1, 1, 2, 2 }, { 1, 1, 2, 2 })
    spec.near(same.p, 1, 1e-12, "identical samples: p = 1")
    local const = stats.mann_whitney({ 3, 3, 3 }, { 3, 3 })
    spec.eq(const.p, 1, "all tied: no evidence")
  end)
end)

describe("verdicts", function()
  local base = run_doc {
    { "a", "cuda", samples(1.0, 0.01, 50, 1) },  -- will be 20% slower
    { "b", "cuda", samples(1.0, 0.01, 50, 2) },  -- 20% faster
    { "c", "cuda", samples(1.0, 0.01, 50, 3) },  -- unchanged
    { "d", "cuda", samples(1.0, 0.01, 50, 4) },  -- 2% slower: significant but under the threshold
    { "e", "cpu", { 1.0, 1.3, 0.8 } },           -- 20% slower on 3 samples each: not established
    { "gone", "cuda", samples(1.0, 0.01, 10, 5) },
    { "failed", "cuda", samples(1.0, 0.01, 10, 6), status = "error" },
  }
  local new = run_doc {
    { "a", "cuda", samples(1.2, 0.01, 50, 7) },
    { "b", "cuda", samples(0.8, 0.01, 50, 8) },
    { "c", "cuda", samples(1.0, 0.01, 50, 9) },
    { "d", "cuda", samples(1.02, 0.002, 50, 10) },
    { "e", "cpu", { 1.2, 1.56, 0.96 } },
    { "added", "cuda", samples(1.0, 0.01, 10, 11) },
    { "failed", "cuda", samples(1.0, 0.01, 10, 12) },
  }
  local cmp = rl.baseline.compare(base, new, { threshold = 0.05, alpha = 0.01 })
  local by = {}
  for _, r in ipairs(cmp.rows) do by[r.key] = r end
  it("SLOWER and FASTER need significance and a change beyond the threshold", function()
    spec.eq(by.a.verdict, "SLOWER")
    spec.near(by.a.ratio, 1.2, 0.02, "ratio")
    spec.truthy(by.a.p < 1e-6, "p")
    spec.eq(by.b.verdict, "FASTER")
  end)
  it("no change, and a significant change under the threshold, are SAME", function()
    spec.eq(by.c.verdict, "SAME")
    spec.eq(by.d.verdict, "SAME")
    spec.truthy(by.d.p < 0.01, "the 2% change is significant")
  end)
  it("a large change the samples cannot establish is AMBIGUOUS", function()
    spec.eq(by.e.verdict, "AMBIGUOUS")
    spec.truthy(by.e.p >= 0.01, "p " .. by.e.p)
  end)
  it("counts, geometric mean, configurations on one side only, failed results left out", function()
    spec.eq(cmp.counts.SLOWER, 1)
    spec.eq(cmp.counts.FASTER, 1)
    spec.eq(cmp.counts.SAME, 2)
    spec.eq(cmp.counts.AMBIGUOUS, 1)
    spec.eq(#cmp.rows, 5, "a, b, c, d, e")
    local lg = 0
    for _, r in ipairs(cmp.rows) do lg = lg + math.log(r.ratio) end
    spec.near(cmp.geomean, math.exp(lg / 5), 1e-12, "geomean")
    spec.eq(table.concat(cmp.only_base, ","), "gone | cuda")
    spec.eq(table.concat(cmp.only_new, ","), "added | cuda,failed | cuda")
  end)
  it("the report says what it compared, how and what to do", function()
    local other = run_doc({ { "a", "cuda", samples(1, 0.01, 5, 1) } }, { seeds = { 0 }, warmup = 1, repeats = 5, rotate = "auto" })
    other.env.cuda = { available = true, name = "Some GPU" }
    local md = rl.baseline.markdown(cmp, base, other)
    spec.truthy(md:find("| a | cuda |", 1, true) and md:find("**SLOWER**", 1, true), "row and verdict\n" .. md)
    spec.truthy(md:find("geometric mean", 1, true), "summary row")
    spec.truthy(md:find("AMBIGUOUS", 1, true) or md:find("Ambiguous", 1, true), "ambiguity advice")
    spec.truthy(md:find("gpu differs", 1, true), "GPU warning\n" .. md)
    spec.truthy(md:find("repeats 50 -> 5", 1, true) and md:find("rotate 1 -> auto", 1, true), "settings warning\n" .. md)
    spec.truthy(md:find("Only in base: gone | cuda", 1, true), "one-sided configurations")
  end)
  it("bad options are errors", function()
    spec.fails(function() rl.baseline.compare(base, new, { threshold = -1 }) end, "threshold")
    spec.fails(function() rl.baseline.compare(base, new, { alpha = 2 }) end, "alpha")
    spec.fails(function() rl.baseline.load("/nonexistent/results.json") end, "cannot read /nonexistent/results.json")
  end)
end)

describe("tools/compare.lua", function()
  local tool = (arg[0]:match("(.*/)") or "./") .. "../tools/compare.lua"
  local function run(a, b, extra)
    local p = io.popen(string.format("'%s' '%s' '%s' '%s' %s 2>&1; echo \"exit=$?\"", bin, tool, a, b, extra or ""))
    local out = p:read("a")
    p:close()
    return tonumber(out:match("exit=(%d+)")), out
  end
  local base = write(run_doc { { "k", "cuda", samples(1.0, 0.01, 50, 1) } })
  local slower = write(run_doc { { "k", "cuda", samples(1.3, 0.01, 50, 2) } })
  local faster = write(run_doc { { "k", "cuda", samples(0.7, 0.01, 50, 3) } })
  it("exit 1 on a significant slowdown, 0 on an improvement", function()
    local code, out = run(base, slower)
    spec.eq(code, 1, "slower\n" .. out)
    spec.truthy(out:find("**SLOWER**", 1, true), "report on stdout")
    code, out = run(base, faster)
    spec.eq(code, 0, "faster\n" .. out)
  end)
  it("threshold= moves the bar", function()
    local code, out = run(base, slower, "threshold=50")
    spec.eq(code, 0, "a 30% change under a 50% threshold\n" .. out)
  end)
  it("usage errors exit 2 and say the usage", function()
    local p = io.popen(string.format("'%s' '%s' '%s' 2>&1; echo \"exit=$?\"", bin, tool, base))
    local out = p:read("a")
    p:close()
    spec.eq(tonumber(out:match("exit=(%d+)")), 2, "one run only\n" .. out)
    spec.truthy(out:find("usage: robolua compare", 1, true), "usage text")
  end)
end)

describe("robolua compare: nothing compared is never a pass", function()
  local function compare(a, b, extra)
    local p = io.popen(string.format("'%s' compare '%s' '%s' %s 2>&1; echo \"exit=$?\"", bin, a, b, extra or ""))
    local out = p:read("a")
    p:close()
    return tonumber(out:match("exit=(%d+)")), out
  end
  local base = run_doc { { "k", "cuda", samples(1.0, 0.01, 50, 1) } }
  local b = write(base)
  it("no matching configuration (a new axis changed every key): exit 2", function()
    local code, out = compare(b, write(run_doc { { "k threads=2", "cuda", samples(1.0, 0.01, 50, 2) } }))
    spec.eq(code, 2, out)
    spec.truthy(out:find("Nothing was compared", 1, true), out)
  end)
  it("a new run that failed verification everywhere: BROKEN, exit 1", function()
    local code, out = compare(b, write(run_doc { { "k", "cuda", samples(1.0, 0.01, 50, 2), status = "failed_verification" } }))
    spec.eq(code, 2, "nothing compared\n" .. out)
    spec.truthy(out:find("broken in new", 1, true), out)
  end)
  it("a new run with no results: exit 2", function()
    local code, out = compare(b, write(run_doc {}))
    spec.eq(code, 2, out)
  end)
  it("another scenario: exit 2 unless --force", function()
    local other = run_doc { { "k", "cuda", samples(1.0, 0.01, 50, 2) } }
    other.scenario = "else"
    local path = write(other)
    local code, out = compare(b, path)
    spec.eq(code, 2, out)
    spec.truthy(out:find("different scenarios", 1, true), out)
    spec.eq((compare(b, path, "--force")), 0, "--force")
  end)
  it("an unknown schema is refused", function()
    local odd = run_doc { { "k", "cuda", samples(1.0, 0.01, 50, 2) } }
    odd.schema = "robolua.run/99"
    local code, out = compare(b, write(odd))
    spec.eq(code, 2, out)
    spec.truthy(out:find("unknown schema robolua.run/99", 1, true), out)
  end)
  it("all-zero samples give INVALID, never SAME", function()
    local zero = run_doc { { "k", "cuda", { 0, 0, 0 } } }
    local zpath = write(zero)
    local code, out = compare(zpath, zpath)
    spec.eq(code, 2, out)
    spec.truthy(out:find("INVALID", 1, true), out)
  end)
  it("a zero base median is INVALID with no ratio shown (not -nan)", function()
    local code, out = compare(write(run_doc { { "k", "cuda", { 0, 0, 0 } } }), b)
    spec.eq(code, 2, out)
    spec.truthy(out:find("| k | cuda | 0 | 0.99975 | - | ", 1, true) and out:find("**INVALID**", 1, true), out)
    spec.truthy(not out:find("nan", 1, true), out)
  end)
  it("measured in base, planned but not measured in new (skipped, interrupted, not run): MISSING, exit 1", function()
    local two = write(run_doc { { "k", "cpu", samples(1.0, 0.01, 50, 1) }, { "k", "cuda", samples(1.0, 0.01, 50, 2) } })
    local cpu_only = write(run_doc { { "k", "cpu", samples(1.0, 0.01, 50, 3) },
      { "k", "cuda", {}, status = "skipped", reason = "no usable GPU" } })
    local code, out = compare(two, cpu_only)
    spec.eq(code, 1, "a GPU runner without its GPU fails the gate\n" .. out)
    spec.truthy(out:find("0 broken, 1 missing, 0 invalid.", 1, true), "counted in the summary\n" .. out)
    spec.truthy(out:find("**missing in new** (measured in base, not in new): k | cuda: skipped: no usable GPU", 1, true),
      "named with its reason\n" .. out)
    spec.truthy(not out:find("Only in base", 1, true), "not merely listed\n" .. out)
    for _, st in ipairs { "interrupted", "not_run" } do
      local cmp = rl.baseline.compare(cjson.decode(spec.read(two)), run_doc { { "k", "cpu", samples(1.0, 0.01, 50, 3) },
        { "k", "cuda", {}, status = st, reason = "why" } })
      spec.eq(cmp.counts.MISSING, 1, st)
      spec.eq(cmp.counts.BROKEN, 0, st)
      spec.eq(cmp.missing[1], "k | cuda: " .. st .. ": why", st)
    end
  end)
  it("a configuration absent from the new run's plan is only listed: exit 0", function()
    local two = write(run_doc { { "k", "cpu", samples(1.0, 0.01, 50, 1) }, { "gone", "cpu", samples(1.0, 0.01, 50, 2) } })
    local code, out = compare(two, write(run_doc { { "k", "cpu", samples(1.0, 0.01, 50, 3) } }))
    spec.eq(code, 0, out)
    spec.truthy(out:find("Only in base: gone | cpu", 1, true) and out:find("0 missing", 1, true), out)
  end)
  it("a malformed record is one line naming the file and the record, exit 2, never a dropped row", function()
    local function malformed(edit, want)
      local doc = run_doc { { "k", "cpu", samples(1.0, 0.01, 50, 3) }, { "j", "cpu", samples(1.0, 0.01, 50, 4) } }
      edit(doc.results[1])
      local path = write(doc)
      for _, order in ipairs { { b, path }, { path, b } } do
        local code, out = compare(order[1], order[2])
        spec.eq(code, 2, want .. "\n" .. out)
        spec.eq(out, "robolua compare: " .. path .. ": result 'k | cpu': " .. want .. "\nexit=2\n", "one line, nothing else")
      end
    end
    local none = cjson.null
    malformed(function(r) r.seeds[1].samples_ms[3] = none end, "seeds[1].samples_ms[3] is null, expected a number")
    malformed(function(r) r.seeds[1].samples_ms[2] = "fast" end, 'seeds[1].samples_ms[2] is the string "fast", expected a number')
    malformed(function(r) r.seeds[1].samples_ms[1] = -0.5 end, "seeds[1].samples_ms[1] is -0.5, expected a finite number >= 0")
    malformed(function(r) r.seeds = {} end, "status ok but no timed samples (every seed's samples_ms is empty)")
    malformed(function(r) r.seeds[1].control = true end, "status ok but no timed samples (every seed's samples_ms is empty)")
    malformed(function(r) r.seeds = none end, "seeds is null, expected an array")
    malformed(function(r) r.status = "bogus" end,
      "status is 'bogus', expected one of ok, skipped, failed_verification, error, interrupted, not_run")
    malformed(function(r) r.seeds = { 7 } end, "seeds[1] is 7, expected an object")
    local dup = write(run_doc { { "k", "cpu", samples(1.0, 0.01, 50, 3) }, { "k", "cpu", samples(1.0, 0.01, 50, 4) } })
    local code, out = compare(b, dup)
    spec.eq(code, 2, out)
    spec.eq(out, "robolua compare: " .. dup .. ": result 'k | cpu' appears twice (results[1] and results[2])\nexit=2\n")
  end)
  it("a malformed record in a run folder is named as its results.json; --devices checks too", function()
    local doc = run_doc { { "k", "cuda", samples(1.0, 0.01, 50, 3) } }
    doc.results[1].seeds[1].samples_ms[1] = cjson.null
    local dir = tmp .. "/malformed_run"
    os.execute("mkdir -p '" .. dir .. "'")
    spec.write(dir .. "/results.json", cjson.encode(doc))
    local want = "robolua compare: " .. dir .. "/results.json: result 'k | cuda': seeds[1].samples_ms[1] is null, expected a number\nexit=2\n"
    for _, extra in ipairs { "", "--devices" } do
      local code, out = compare(b, dir, extra)
      spec.eq(code, 2, extra .. "\n" .. out)
      spec.eq(out, want, extra)
    end
    spec.fails(function() rl.baseline.compare(base, doc) end, "compare: new: result 'k | cuda': seeds[1].samples_ms[1] is null")
  end)
  it("--devices with nothing to compare exits 2, with a comparison 0", function()
    local cpu = write(run_doc { { "k", "cpu", samples(1.0, 0.01, 50, 1) } })
    local code, out = compare(cpu, cpu, "--devices")
    spec.eq(code, 2, "no CUDA point\n" .. out)
    spec.truthy(out:find("No device measured CUDA points: nothing to compare.", 1, true), out)
    -- two devices, but no configuration measured on both
    local x, y = run_doc { { "k", "cuda", samples(1.0, 0.01, 50, 1) } }, run_doc { { "j", "cuda", samples(1.0, 0.01, 50, 2) } }
    x.env.cuda, y.env.cuda = { available = true, name = "A" }, { available = true, name = "B" }
    code, out = compare(write(x), write(y), "--devices")
    spec.eq(code, 2, "disjoint configurations\n" .. out)
    spec.truthy(out:find("No configuration was measured on two devices: nothing to compare.", 1, true), out)
    y.results[1].key = "k"
    code, out = compare(write(x), write(y), "--devices")
    spec.eq(code, 0, "one configuration on both devices\n" .. out)
    spec.truthy(out:find("1 of 1 ratios", 1, true), out)
  end)
  it("host CPU, CPU count, ISA, build type and thread counts are flagged", function()
    local x = run_doc { { "k", "cpu", samples(1.0, 0.01, 50, 2) } }
    x.env.host = { cpu_model = "Xeon", logical_cpus = 16, isa = "avx512bw" }
    x.env.robolua = { build_type = "Release" }
    x.results[1].threads = 16
    local y = run_doc { { "k", "cpu", samples(1.0, 0.01, 50, 3) } }
    y.env.host = { cpu_model = "EPYC", logical_cpus = 2, isa = "avx2" }
    y.env.robolua = { build_type = "Debug" }
    y.results[1].threads = 2
    local _, out = compare(write(x), write(y))
    for _, frag in ipairs { "host CPU differs: Xeon -> EPYC", "logical CPUs differs: 16 -> 2", "CPU ISA path differs: avx512bw -> avx2",
      "build type differs: Release -> Debug", "threads 16 -> 2" } do
      spec.truthy(out:find(frag, 1, true), frag .. "\n" .. out)
    end
  end)
end)

spec.finish()
