-- Writes robolua-generated cases as raw little-endian files so a peer (tools/torch_peer.py) times
-- the very same data:  robolua tools/export_cases.lua OUTDIR [small] [bf16] [f32] [f16]
-- (dtypes: flags, default bf16 f32; `small`: only the 8x250x128 shape, a quick peer check; the flags are
-- read by robolua.script_args). Per case: <name>.src (dtype), .st (f32), .tt (f32), .ref (robolua's CPU
-- output, dtype) and a line in OUTDIR/cases.txt: name B S T D dtype seed timing.
local rl = require "robolua"
local script_args = require "robolua.script_args"
local usage = require "robolua.usage"
local defaults = { small = script_args.flag, bf16 = script_args.flag, f32 = script_args.flag, f16 = script_args.flag }
local opts, rest = script_args.parse_known("export_cases", defaults, { ... })
local dir = rest[1] or usage.raise("export_cases: no OUTDIR (usage: robolua tools/export_cases.lua OUTDIR [small] [bf16] [f32] [f16])")
script_args.refuse_leftovers("export_cases", defaults, { table.unpack(rest, 2) }) -- one OUTDIR only
local dtypes = script_args.flags_on(opts, { "bf16", "f32", "f16" }, { "bf16", "f32" })
local shapes = { { 8, 250, 128 }, { 32, 500, 256 }, { 64, 1000, 512 }, { 256, 2000, 512 } }
if opts.small then shapes = { shapes[1] } end
local _, open = script_args.outdir("export_cases", dir)
local index = open(dir .. "/cases.txt", "w")
local function dump(path, t)
  local f = open(path, "wb")
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
