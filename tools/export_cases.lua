-- Writes robolua-generated cases as raw little-endian files so a peer (tools/torch_peer.py) times
-- the very same data:  robolua tools/export_cases.lua OUTDIR [small] [bf16|f32|f16 ...]
-- (default bf16 f32; `small`: only the 8x250x128 shape, a quick peer check). Per case: <name>.src (dtype), .st (f32), .tt (f32), .ref (robolua's CPU output, dtype) and a line
-- in OUTDIR/cases.txt: name B S T D dtype seed timing.
local rl = require "robolua"
local usage_error = require("robolua.usage").raise
local usage = "usage: robolua tools/export_cases.lua OUTDIR [small] [bf16|f32|f16 ...]"
local dir = arg[1] or usage_error(usage)
local dtypes, small = {}, false
for i = 2, #arg do
  local a = arg[i]
  if a == "small" then small = true
  elseif a == "bf16" or a == "f32" or a == "f16" then dtypes[#dtypes + 1] = a
  else usage_error("export_cases: unknown argument '" .. a .. "' (" .. usage .. ")") end
end
if #dtypes == 0 then dtypes = { "bf16", "f32" } end
local shapes = { { 8, 250, 128 }, { 32, 500, 256 }, { 64, 1000, 512 }, { 256, 2000, 512 } }
if small then shapes = { shapes[1] } end
require("robolua.files").mkdir_p(dir)
local index = assert(io.open(dir .. "/cases.txt", "w"))
local function dump(path, t)
  local f = assert(io.open(path, "wb"))
  f:write(t:bytes())
  f:close()
end
for _, dtype in ipairs(dtypes) do
  for _, timing in ipairs { "jitter", "uniform" } do
    for _, s in ipairs(shapes) do
      local B, S, D = s[1], s[2], s[3]
      local T = S // 2
      local name = string.format("%dx%dx%d_%s_%s", B, S, D, dtype, timing)
      local tr = rl.trajectories { batch = B, source_len = S, target_len = T, dim = D, dtype = dtype, seed = 0, timing = timing }
      dump(dir .. "/" .. name .. ".src", tr.src)
      dump(dir .. "/" .. name .. ".st", tr.src_times)
      dump(dir .. "/" .. name .. ".tt", tr.tgt_times)
      dump(dir .. "/" .. name .. ".ref", rl.resample(tr.src, tr.src_times, tr.tgt_times))
      index:write(string.format("%s %d %d %d %d %s 0 %s\n", name, B, S, T, D, dtype, timing))
      tr.src:close()
      collectgarbage()
    end
  end
end
index:close()
