-- Compare two runs of a scenario (a CI regression gate):
--   robolua tools/compare.lua BASE NEW [threshold=5] [alpha=0.01]
-- BASE and NEW are run folders (results/<scenario>-<stamp>/) or their results.json. Prints a Markdown
-- table (SAME / FASTER / SLOWER / AMBIGUOUS per configuration, see lua/robolua/baseline.lua).
-- Exit: 0 no significant slowdown, 1 at least one SLOWER, 2 usage or unreadable input.
local rl = require "robolua"
local args, opts = {}, {}
for _, a in ipairs { ... } do
  local k, v = a:match("^(%w+)=(.+)$")
  if k == "threshold" then opts.threshold = assert(tonumber(v), "threshold= needs a number (percent)") / 100
  elseif k == "alpha" then opts.alpha = assert(tonumber(v), "alpha= needs a number")
  elseif k then error("unknown option " .. a .. " (threshold=PCT, alpha=P)")
  else args[#args + 1] = a end
end
if #args ~= 2 then
  io.stderr:write("usage: robolua tools/compare.lua BASE NEW [threshold=5] [alpha=0.01]\n")
  os.exit(2)
end
local base, new = rl.baseline.load(args[1]), rl.baseline.load(args[2])
local cmp = rl.baseline.compare(base, new, opts)
io.write(rl.baseline.markdown(cmp, base, new))
os.exit(cmp.counts.SLOWER > 0 and 1 or 0)
