-- The PyTorch peers' timings a scenario sets its kernels against (scenarios/roofline.lua and
-- robot_fusion.lua, peers=PATH): the JSON tools/torch_peer.py or tools/torch_fuse_peer.py writes,
-- {device, torch, cases = [{case = NAME, eager = {median_ms, ...}, compile = {...}}, ...]}.
-- load(script, path) -> {device, torch, by = {NAME -> case}}. A file that cannot be read or is not such a
-- document is the user's argument at fault: a usage error naming peers= as it was given (robolua.usage).
local json = require "robolua.json"
local usage = require "robolua.usage"
local M = {}

function M.load(script, path)
  local function bad(why) usage.raise(string.format("%s: peers=%s: %s", script, path, why)) end
  local text, err = require("robolua.files").read(path)
  if not text then bad("cannot read the file (" .. err .. ")") end
  local doc, derr = json.decode(text)
  if not doc then bad("not JSON (" .. tostring(derr) .. ")") end
  if type(doc) ~= "table" or type(doc.cases) ~= "table" then
    bad("no cases list (expected the JSON of tools/torch_peer.py or tools/torch_fuse_peer.py)")
  end
  local by = {}
  for i, c in ipairs(doc.cases) do
    if type(c) ~= "table" or type(c.case) ~= "string" then bad(string.format("cases[%d] has no case name", i)) end
    by[c.case] = c
  end
  return { device = doc.device, torch = doc.torch, by = by }
end

return M
