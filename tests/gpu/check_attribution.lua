-- Checks the NVTX attribution of a profile_check run (tests/gpu/profile_check.lua): exit 0 or 1.
local record = require "robolua.record"
local dir = assert(..., "usage: robolua tests/gpu/check_attribution.lua RUN_DIR")
local doc = record.load(dir)
local fails = 0
local function check(cond, what)
  print((cond and "ok    " or "FAIL  ") .. what)
  if not cond then fails = fails + 1 end
end
check(doc.profile_dir ~= nil, "the run found the profile of its commit: " .. tostring(doc.profile_dir))
for _, r in ipairs(doc.results) do
  local id = record.id(r)
  if r.status == "skipped" then
    check(r.ncu == nil, id .. ": skipped, nothing attributed")
  else
    check(r.ncu ~= nil, id .. ": profiled")
    if r.ncu then
      local want = r.backend == "twice" and 2 or 1
      check(r.ncu.kernels_per_call == want, string.format("%s: %s kernels per call (want %d)", id, tostring(r.ncu.kernels_per_call), want))
      check(r.ncu.copy ~= nil, id .. ": same-size copy kernel profiled in the same run")
      if r.config.batch == 64 then -- launch-bound small kernels: events include what ncu's window leaves out
        local ratio = r.ncu.duration_ms / r.stats.median
        check(ratio > 0.75 and ratio < 1.33, string.format("%s: ncu %.4f ms per call vs events %.4f ms", id, r.ncu.duration_ms, r.stats.median))
      end
    end
  end
end
print(fails == 0 and "attribution: all checks passed" or ("attribution: " .. fails .. " checks failed"))
require("robolua").core.set_exit_code(fails == 0 and 0 or 1)
