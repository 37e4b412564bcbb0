-- Your own recorded streams through the fuse workload: a scenario's case(config, seed) returns the fuse
-- spec of your data (host tensors), and the runner verifies every backend against rl.fuse's float64
-- reference, times the fused CPU pass, the fused CUDA kernel and one launch per stream, and writes every
-- report, as for the generator's episodes. Sizes, dtypes and the byte count come from your tensors.
--   build/robolua examples/robot/own_streams.lua            (without a GPU the CUDA points are skipped)
-- Replace recording() with your loader (a file, a replay buffer): it must return, per stream, values
-- [B, S, D], timestamps [B, S] (i64 ns here: epoch clocks lose nothing) and valid lengths [B].
local rl = require "robolua"

local T0 = 1732600000 * 1000000000 -- an epoch clock in ns (2024-11-26)

-- A stand-in for a recording: B episodes of a 30 Hz camera embedding, 200 Hz joints, a 400 Hz IMU whose
-- first four channels are a unit quaternion (x, y, z, w), and a 10 Hz gripper flag, each sensor with its
-- own jitter and its own episode length (ragged: the padding is never read).
local function recording(B, seconds, seed)
  local function stream(rate, dim, value)
    local S = math.floor(seconds * rate)
    local v, t, len = {}, {}, {}
    for b = 1, B do
      len[b] = S - (b * 7 + seed) % (S // 4) -- a shorter episode in some rows
      for i = 1, S do
        local jitter = ((i * 2654435761 + b * 40503 + seed) % 1000) / 1000 - 0.5 -- +-half a period at most
        t[(b - 1) * S + i] = T0 + b * 1000000000 + math.floor((i - 1 + 0.2 * jitter) * 1e9 / rate)
        for d = 1, dim do v[((b - 1) * S + i - 1) * dim + d] = value(b, i / rate, d) end
      end
    end
    return { src = rl.tensor(v, { B, S, dim }, "f32"), src_times = rl.tensor(t, { B, S }, "i64"),
      src_len = rl.tensor(len, { B }, "i64") }
  end
  local camera = stream(30, 8, function(b, s, d) return math.sin(s * d + b) end)
  local joints = stream(200, 6, function(b, s, d) return math.cos(0.5 * s * d) + 0.1 * b end)
  local imu = stream(400, 7, function(b, s, d)
    if d > 4 then return math.sin(3 * s + d) end
    local half = 0.5 * s + 0.1 * b -- a rotation about an axis that turns slowly: a unit quaternion
    local axis = { math.cos(0.2 * s), math.sin(0.2 * s), 0 }
    return d == 4 and math.cos(half) or axis[d] * math.sin(half)
  end)
  imu.modes = { { from = 0, to = 4, "slerp" } }
  local gripper = stream(10, 1, function(b, s) return (math.floor(s * 2 + b) % 2) end)
  gripper.modes = "hold" -- a flag: the last sample, never an average of two
  camera.name, joints.name, imu.name, gripper.name = "camera", "joints", "imu", "gripper"
  -- the policy's 50 Hz clock, from each episode's first camera frame
  local T, tt, tl = math.floor(seconds * 50), {}, {}
  for b = 1, B do
    tl[b] = T - (b % 3) * 5
    for j = 1, T do tt[(b - 1) * T + j] = T0 + b * 1000000000 + (j - 1) * 20000000 end
  end
  return { streams = { camera, joints, imu, gripper }, tgt_times = rl.tensor(tt, { B, T }, "i64"),
    tgt_len = rl.tensor(tl, { B }, "i64") }
end

return rl.scenario {
  name = "own_streams",
  description = "my own recorded streams fused onto a 50 Hz policy clock",
  workload = "fuse",
  seeds = { 0, 1 }, warmup = 3, repeats = 20,
  case = function(config, seed) return recording(config.extra.episodes, 4, seed) end,
  axes = { episodes = { 4, 16 }, backend = { "cpu", "cuda", "cuda_per_stream" } },
}
