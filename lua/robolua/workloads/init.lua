-- Workloads: what a scenario measures. The runner drives a workload only through these functions
-- (lua/robolua/workloads/resample.lua is the reference implementation and documents each one):
local M = {}

M.required = { "config", "label", "bytes", "inputs", "to_device", "tensors", "reference", "output", "poison", "run",
  "compare", "time" }

M.registry = {
  resample = "robolua.workloads.resample",
  fuse = "robolua.workloads.fuse",
}

-- Checks that w implements the interface; returns w or raises a message naming what is missing.
function M.check(w, what)
  if type(w) ~= "table" then error(what .. ": expected a workload table, got " .. type(w), 0) end
  for _, f in ipairs(M.required) do
    if type(w[f]) ~= "function" then error(string.format("%s: the workload has no function '%s'", what, f), 0) end
  end
  w.name = w.name or "custom"
  w.axes = w.axes or {}
  return w
end

-- def.workload (nil: the resampler; a registered name; or a workload table) -> workload.
function M.get(spec, where)
  if spec == nil then return require(M.registry.resample) end
  local ok, w = pcall(function()
    if type(spec) == "string" then
      local mod = M.registry[spec]
      if not mod then
        local known = {}
        for k in pairs(M.registry) do known[#known + 1] = k end
        table.sort(known)
        error("unknown workload '" .. spec .. "' (known: " .. table.concat(known, ", ") .. ", or a workload table)", 0)
      end
      return require(mod)
    end
    return M.check(spec, "workload")
  end)
  if not ok then require("robolua.run.definition").usage(where, tostring(w)) end
  return w
end

function M.register(name, w)
  if type(name) ~= "string" or name == "" then error("workloads.register: name must be a non-empty string", 2) end
  M.check(w, "workloads.register '" .. name .. "'")
  package.loaded["robolua.workloads.user." .. name] = w
  M.registry[name] = "robolua.workloads.user." .. name
  return w
end

return M
