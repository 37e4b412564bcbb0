-- Reliability at the Lua level (issue 14; the shell half is tests/reliability.sh): Student's t for any
-- df, misbehaving scenario definitions, API argument errors that name the argument, the f32 tolerance
-- near zero crossings, and a runner whose cost is linear in the points. Items 4 (compare) and the
-- stats argument checks of item 11 are in spec_baseline.lua and spec_stats.lua.
package.path = (arg[0]:match("(.*/)") or "./") .. "lib/?.lua;" .. package.path
local spec = require "spec"
local rl = require "robolua"
local cjson = require "cjson"
local describe, it, fails = spec.describe, spec.it, spec.fails
local S = rl.stats

local zc = require "zero_crossing"
local read = spec.read
-- A scenario source run quietly in a subprocess: exit code, output, the run folder (or nil), seconds taken.
local function run(name, src) return spec.run_scenario(name, src, "-q") end

local function samples_of(doc)
  local n = 0
  for _, r in ipairs(doc.results) do
    for _, s in ipairs(r.seeds or {}) do n = n + #s.samples_ms end
  end
  return n
end

-- Reference values: 40-digit mpmath (regularised incomplete beta solved for t; erfinv), not this code.
describe("item 6: Student's t quantile for df from 1 to 1e40 and inf", function()
  local z975, z995 = 1.9599639845400542, 2.5758293035489008
  local known = { [1] = { 12.706204736174705, 63.656741162871581 }, [10] = { 2.2281388519862747, 3.1692726726169512 },
    [100] = { 1.9839715185235523, 2.6258905214380179 }, [1000] = { 1.9623390808264085, 2.5807546980659511 },
    [100000] = { 1.9599877075346096, 2.5758784699083753 } }
  it("every decade: known values, monotone down to the normal quantile, within a second", function()
    local t0 = os.clock()
    for level, z in pairs { [0.975] = z975, [0.995] = z995 } do
      local prev = math.huge
      for k = 0, 40 do
        local df = 10.0 ^ k
        local t = S.t_quantile(level, df)
        local want = known[math.tointeger(df) or -1]
        if want then spec.near(t, want[level == 0.975 and 1 or 2], 1e-12 * t, "t(" .. level .. ", " .. df .. ")") end
        spec.truthy(t <= prev and t >= z * (1 - 1e-14), string.format("t(%g, 1e%d) = %.17g: not between %.17g and %.17g", level, k, t, z, prev))
        if k >= 16 then spec.near(t, z, 1e-13 * z, "df 1e" .. k .. " is the normal quantile") end
        prev = t
      end
      spec.near(S.t_quantile(level, math.huge), z, 1e-13 * z, "df = inf")
    end
    spec.truthy(os.clock() - t0 < 1, "82 quantiles took " .. (os.clock() - t0) .. " s")
  end)
  it("mean_ci at a level next to 1 returns or raises a message naming level, at once", function()
    local t0 = os.clock()
    for _, level in ipairs { 1 - 1e-12, 1 - 2 ^ -40, 1 - 2 ^ -53 } do
      local ok, c = pcall(S.mean_ci, { 1, 2 }, level)
      if ok then
        spec.truthy(c.half > 0 and c.half == c.half, "half width of level " .. level)
      else
        spec.truthy(tostring(c):find("stats.mean_ci", 1, true), c)
      end
    end
    spec.truthy(os.clock() - t0 < 1, "took " .. (os.clock() - t0) .. " s")
  end)
end)

local head = 'local rl = require "robolua"\n\nreturn rl.scenario { name = "mis", warmup = 0, repeats = 2, roofline = false,\n'
local axes = 'axes = { dim = {4, 8}, batch = {1}, source_len = {16}, backend = {"cpu"} }'

describe("item 8: misbehaving scenario definitions", function()
  it("a function as a value of a known axis: exit 2 with the user's file:line", function()
    local code, out = run("fn_axis", head .. 'axes = { dim = {4, function() end}, batch = {1}, source_len = {16}, backend = {"cpu"} } }\n')
    spec.eq(code, 2, out)
    spec.truthy(out:find("scenario.lua:3: scenario: point", 1, true) and out:find("axis dim", 1, true), out)
  end)
  it("a function, a table and a tensor as values of extra axes: measured, written, journaled", function()
    local code, out, dir = run("fn_extra", head .. 'seeds = {0}, axes = { dim = {4}, batch = {1}, source_len = {16}, backend = {"cpu"},\n'
      .. '  tag = { function() end, rl.tensor({1}, {1}) } } }\n')
    spec.eq(code, 0, out)
    local doc = cjson.decode(read(dir .. "/results.json"))
    spec.eq(#doc.results, 2, "both points")
    spec.truthy(not doc.interrupted or doc.interrupted == cjson.null, "not marked interrupted")
    spec.eq(samples_of(doc), 4, "every sample kept")
    local records = 0
    for line in io.lines(dir .. "/journal.jsonl") do
      if cjson.decode(line).t == "record" then records = records + 1 end
    end
    spec.eq(records, 2, "every finished record journaled")
  end)
  it("seeds = {}: exit 2 naming the key, at the user's file:line", function()
    local code, out = run("noseeds", head .. "seeds = {}, " .. axes .. " }\n")
    spec.eq(code, 2, out)
    spec.truthy(out:find("scenario.lua:3: scenario: seeds must be a non-empty list", 1, true), out)
  end)
  it("bytes() returning a string: exit 2 at the user's file:line, naming where bytes is defined", function()
    local code, out = run("strbytes", head .. axes .. ',\n  bytes = function() return "lots" end }\n')
    spec.eq(code, 2, out)
    spec.truthy(out:find("scenario.lua:3: scenario:", 1, true), out)
    spec.truthy(out:find("bytes() (defined at scenario.lua:5) returned lots", 1, true), out)
    spec.truthy(not out:find("[C]", 1, true), "no C frame blamed\n" .. out)
  end)
  it("a gate that raises: exit 2, the gate's file:line in the report, every sample kept", function()
    local code, out, dir = run("gateraise", head .. "seeds = {0}, " .. axes .. ',\n  gates = { function() error("gate bug") end } }\n')
    spec.eq(code, 2, out)
    spec.truthy(read(dir .. "/report.md"):find("scenario.lua:5: gate bug", 1, true), "the gate's line in report.md")
    local doc = cjson.decode(read(dir .. "/results.json"))
    spec.eq(samples_of(doc), 4, "both points' samples kept")
  end)
end)

describe("item 11: API argument errors name the argument", function()
  local doc = { schema = "robolua.run/1", scenario = "s", results = {} }
  it("rl.baseline", function()
    fails(function() rl.baseline.compare(nil, doc) end, "spec_reliability.lua:", "baseline.compare: base: expected a run document", "got nil")
    fails(function() rl.baseline.compare(doc, { results = {} }) end, "baseline.compare: new:", "unknown schema")
    fails(function() rl.baseline.compare(doc, doc, 5) end, "baseline.compare: opts: expected a table")
    fails(function() rl.baseline.compare(doc, { schema = "robolua.run/1", results = { { key = 1 } } }) end, "new: results[1] has no key/backend")
    fails(function() rl.baseline.markdown(nil, doc, doc) end, "baseline.markdown: cmp:")
    fails(function() rl.baseline.run(doc, 7) end, "baseline.run: new:", "got number")
    fails(function() rl.baseline.settings_diff(nil, doc) end, "baseline.settings_diff: base:")
    fails(function() rl.baseline.load(nil) end, "spec_reliability.lua:", "baseline.load: path:", "got nil")
  end)
  it("rl.trajectories and rl.compare", function()
    fails(function() rl.trajectories { batch = 1, source_len = 4, dim = 1, seed = 1.5 } end, "seed", "1.5")
    local got, ref = rl.tensor({ 1 }, { 1 }), rl.tensor({ 1 }, { 1 }, "f64")
    fails(function() rl.compare(got, ref, { ulps = -1 }) end, "opts.ulps", "got -1")
    fails(function() rl.compare(got, ref, 5) end, "compare: options must be a table")
    fails(function() rl.compare(got, nil) end, "ref")
  end)
end)

describe("item 9: the f32 tolerance follows the operands of the lerp, not its result", function()
  -- tests/lib/zero_crossing.lua: source values 37.3 and -0.7 at t = 0 and 1, 2000 targets across the
  -- zero crossing t = 37.3 / 38, all inside (0, 1)
  local T, u = zc.T, zc.u
  local src = rl.tensor({ zc.a, zc.b }, { 1, 2, 1 }, "f32")
  local st = rl.tensor({ 0, 1 }, { 1, 2 }, "f32")
  local tt = rl.tensor(zc.targets(), { 1, T }, "f32")
  local ops = { src = src, src_times = st, tgt_times = tt }
  local a, b = table.unpack(src:totable())
  local want, bound = zc.bounds(a, b, tt:totable())
  local out = rl.resample(src, st, tt, { backend = "cpu" })
  local ref = rl.resample(src, st, tt, { backend = "reference" })
  it("the CPU output verifies, within the fp32 lerp's own error 6u(|a| + |b|); relative to the output it would not", function()
    spec.truthy(rl.compare(out, ref).bad > 0, "an output-relative bound rejects correct output near the crossing")
    local r = rl.compare(out, ref, { operands = ops })
    spec.eq(r.bad, 0, "elements failing the operand-relative bound")
    spec.eq(r.orel, 8 * u, "orel")
    local got = out:totable()
    for i = 1, T do
      spec.truthy(math.abs(got[i] - want[i]) <= 6 * u * (math.abs(a) + math.abs(b)), "target " .. i .. " beyond the lerp's error")
    end
  end)
  it("an output wrong by more than the bound still fails, element for element as the bound says", function()
    local got = out:totable()
    local wrong = {}
    for i = 1, T do wrong[i] = got[i] + zc.perturbation(i, bound) end
    local w = rl.tensor(wrong, { 1, T, 1 }, "f32")
    local expected = 0
    for i, v in ipairs(w:totable()) do
      if math.abs(v - want[i]) > bound[i] then expected = expected + 1 end
    end
    spec.truthy(expected > T // 3 * 0.9, "the perturbations survive f32 rounding: " .. expected)
    spec.eq(rl.compare(w, ref, { operands = ops }).bad, expected, "elements beyond the independent bound")
  end)
  it("operands are checked: shapes, dtypes, host tensors", function()
    fails(function() rl.compare(out, ref, { operands = 5 }) end, "opts.operands: expected a table")
    fails(function() rl.compare(out, ref, { operands = { src = src, src_times = st } }) end, "opts.operands.tgt_times: expected a robolua tensor")
    fails(function() rl.compare(out, ref, { operands = { src = src, src_times = tt, tgt_times = tt } }) end, "opts.operands.src_times: expected an f32 tensor [1,2]")
    fails(function() rl.compare(out, ref, { operands = { src = st, src_times = st, tgt_times = tt } }) end, "opts.operands.src: expected a float tensor [B,S,D]")
    local short = rl.tensor(nil, { 1, 3 }, "f32")
    fails(function() rl.compare(out, ref, { operands = { src = src, src_times = st, tgt_times = short } }) end, "got: expected the shape [1,3,1]")
    fails(function() rl.compare(out, ref, { operands = ops, orel = -1 }) end, "opts.orel")
  end)
  it("a scenario with these inputs verifies and times them", function()
    local code, out_text, dir = run("crossing", string.format([[
package.path = %q .. package.path
local rl, zc = require "robolua", require "zero_crossing"
return rl.scenario { name = "crossing", seeds = {0}, warmup = 0, repeats = 3, roofline = false,
  axes = { dim = {1}, dtype = {"f32"}, backend = {"cpu"} },
  case = function() return { src = rl.tensor({ zc.a, zc.b }, { 1, 2, 1 }, "f32"),
    src_times = rl.tensor({ 0, 1 }, { 1, 2 }, "f32"), tgt_times = rl.tensor(zc.targets(), { 1, zc.T }, "f32") } end }
]], spec.lib_path))
    spec.eq(code, 0, out_text)
    local doc = cjson.decode(read(dir .. "/results.json"))
    spec.eq(doc.results[1].status, "ok", "verified")
    spec.eq(samples_of(doc), 3, "and timed")
  end)
end)

describe("item 10: the runner's cost is linear in the points", function()
  it("4000 trivial points take less than 6x the time of 1000, and every point is written", function()
    local src = [[
local rl = require "robolua"
local tags = {}
for i = 1, %d do tags[i] = i end
return rl.scenario { name = "lin", seeds = {0}, warmup = 0, repeats = 1, interleave = 1, roofline = false,
  axes = { dim = {2}, batch = {1}, source_len = {4}, tag = tags, backend = {"cpu"} } }
]]
    local secs = {}
    for _, n in ipairs { 1000, 4000 } do
      local code, out, dir, s = run("lin" .. n, src:format(n))
      spec.eq(code, 0, out)
      spec.eq(#cjson.decode(read(dir .. "/results.json")).results, n, "every point in results.json")
      secs[n] = s
    end
    local ratio = secs[4000] / secs[1000]
    print(string.format("      1000 points %.2f s, 4000 points %.2f s: ratio %.2f", secs[1000], secs[4000], ratio))
    spec.truthy(ratio < 6, string.format("ratio %.2f: the cost grows faster than the points", ratio))
  end)
end)

describe("files.can_create with another process's probes", function()
  local lfs, files = require "lfs", require "robolua.files"
  it("retries a probe name that mkdir found taken, even when the other process has removed it since", function()
    local dir = spec.tempdir()
    local real, calls = lfs.mkdir, 0
    -- the first two names are "taken" and gone again by the time they are looked at: the race of two runs
    -- started together that draw the same names (seen under AddressSanitizer, where the seeds repeat)
    lfs.mkdir = function(path)
      calls = calls + 1
      if calls <= 2 then return nil, path .. ": File exists", 17 end
      return real(path)
    end
    local ok, why = files.can_create(dir .. "/new/sub")
    lfs.mkdir = real
    spec.eq(ok, true, tostring(why))
    spec.eq(calls, 3, "two retries, then the probe")
    local left = {}
    for name in lfs.dir(dir) do if name ~= "." and name ~= ".." then left[#left + 1] = name end end
    spec.eq(#left, 0, "no probe is left behind: " .. table.concat(left, ", "))
  end)
  it("still refuses a folder it cannot write in, naming it", function()
    local ok, why = files.can_create("/proc/nope")
    spec.eq(ok, nil)
    spec.truthy(tostring(why):find("cannot create a folder in /proc", 1, true), tostring(why))
  end)
end)

spec.finish()
