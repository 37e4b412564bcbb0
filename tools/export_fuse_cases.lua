-- Writes robolua-generated robot episodes as raw little-endian files so the PyTorch fusion peer
-- (tools/torch_fuse_peer.py) times the very same data:
--   robolua tools/export_fuse_cases.lua OUTDIR [small]
-- Per case, OUTDIR/<case>/: s<k>.src (values), s<k>.st (times), s<k>.len (i64 lengths, ragged cases),
-- tt (target times), tlen (i64, ragged), ref (robolua's CPU output, f32 [B, T, sum D], NaN where padded),
-- and one entry in OUTDIR/cases.json: the shapes, dtypes and modes of every stream.
-- Cases: the default four streams (camera 30 Hz x 64, joints 500 Hz x 14, imu 1000 Hz x 10 with a
-- quaternion, events 100 Hz x 2 held) over 10 s episodes at a 50 Hz policy; `small` adds a 2 s case of 8.
local rl = require "robolua"
local cjson = require "cjson"
local files = require "robolua.files"

local dir = assert(arg[1], "usage: robolua tools/export_fuse_cases.lua OUTDIR [small]")
local cases = {
  { name = "robot_b64_10s_relative_ragged", batch = 64, clock = "relative", ragged = true },
  { name = "robot_b256_10s_relative_ragged", batch = 256, clock = "relative", ragged = true },
  { name = "robot_b256_10s_relative_dense", batch = 256, clock = "relative", ragged = false },
  { name = "robot_b256_10s_epoch_i64_ragged", batch = 256, clock = "epoch_i64", ragged = true },
}
if arg[2] == "small" then table.insert(cases, 1, { name = "robot_b8_2s_relative_ragged", batch = 8, clock = "relative", ragged = true, duration_s = 2 }) end

local function dump(path, t)
  local f = assert(io.open(path, "wb"))
  f:write(t:bytes())
  f:close()
end

files.mkdir_p(dir)
local index = {}
for _, c in ipairs(cases) do
  local e = rl.robot_episodes { batch = c.batch, duration_s = c.duration_s or 10, policy_hz = 50, seed = 0,
    clock = c.clock, ragged = c.ragged }
  local cdir = dir .. "/" .. c.name
  files.mkdir_p(cdir)
  local entry = { name = c.name, batch = c.batch, target_len = e.tgt_times.shape[2], time_dtype = e.time_dtype,
    out_dtype = "f32", ragged = c.ragged, clock = c.clock, streams = {} }
  local D = 0
  for k, s in ipairs(e.streams) do
    dump(string.format("%s/s%d.src", cdir, k), s.src)
    dump(string.format("%s/s%d.st", cdir, k), s.src_times)
    if s.src_len then dump(string.format("%s/s%d.len", cdir, k), s.src_len) end
    local modes = {}
    for _, m in ipairs(s.modes or {}) do modes[#modes + 1] = { m.from, m.to, m[1] } end
    entry.streams[k] = { name = s.name, source_len = s.src.shape[2], dim = s.src.shape[3], dtype = s.src.dtype,
      modes = modes }
    D = D + s.src.shape[3]
  end
  entry.out_dim = D
  dump(cdir .. "/tt", e.tgt_times)
  if e.tgt_len then dump(cdir .. "/tlen", e.tgt_len) end
  dump(cdir .. "/ref", rl.fuse(e))
  index[#index + 1] = entry
  print(string.format("%-34s B=%d T=%d D=%d", c.name, c.batch, entry.target_len, D))
  collectgarbage()
end
files.write(dir .. "/cases.json", cjson.encode(index))
