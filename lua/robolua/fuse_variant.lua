-- A fused-resampler kernel variant as the tools name it (tools/fuse_ab.lua variants=, tools/fuse_once.lua
-- kernel=): a kernel name ("v3"), or vK/N for v2 or v3 with N targets per block (kernels/NOTES.md, "fusion
-- kernel"). parse checks the form on any machine; which names and block sizes exist is the CUDA side's to
-- say (kernels/fuse.cu, through rl.cuda.fuse_kernel), so select and check put the argument's name on that
-- error too.
local cuda = require("robolua.core").cuda
local usage = require "robolua.usage"
local M = {}

-- -> the kernel name, its targets per block (0 = automatic); errors (level 0) name the script and the key
function M.parse(script, key, word)
  local text = tostring(word)
  local name, targets = text:match("^(v%d+)/(.*)$")
  if not name then
    name = text:match("^v%d+$")
    if not name then
      usage.raise(string.format("%s: %s=%s: expected a kernel name (v1, v2, v3, ...) or vK/N for N targets per block",
        script, key, text))
    end
    return name, 0
  end
  local n = targets:match("^%d+$") and math.tointeger(tonumber(targets))
  if not n or n < 1 then
    usage.raise(string.format("%s: %s=%s: N (targets per block) must be a positive integer, got '%s'", script, key, text, targets))
  end
  return name, n
end

-- Selects word's variant for every later fused launch on CUDA -> the previous kernel name and targets.
function M.select(script, key, word)
  local name, targets = M.parse(script, key, word)
  local ok, prev, prev_targets = pcall(cuda.fuse_kernel, name, targets)
  if not ok then usage.raise(string.format("%s: %s=%s: %s", script, key, tostring(word), tostring(prev))) end
  return prev, prev_targets
end

-- Checks word as select would and leaves the choice as it was: a tool checks its variants this way before
-- it asks for a GPU (the CUDA side knows its kernels without one). A build without the CUDA kernels has
-- none to ask: the form alone is checked there, and the tool's GPU check says the rest.
function M.check(script, key, word)
  local has_kernels, name, targets = pcall(cuda.fuse_kernel)
  if not has_kernels then return M.parse(script, key, word) end
  M.select(script, key, word)
  cuda.fuse_kernel(name, targets)
end

return M
