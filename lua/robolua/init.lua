-- robolua: the Lua face of the engine. The C core (robolua.core) supplies tensors, resamplers, clocks,
-- timing loops and device facts; the Lua modules add statistics, sweeps, gates, reports and the
-- scenario runner. `require "robolua"` and the global `robolua` are this table.
local core = require "robolua.core"

local M = {}
for k, v in pairs(core) do M[k] = v end

M.core = core
M.version = core.version
M.stats = require "robolua.stats"
M.sweep = require "robolua.sweep"
M.gate = require "robolua.gates"
M.reports = require "robolua.reports"
M.profile = require "robolua.profile"
M.baseline = require "robolua.baseline"
M.scenario = require("robolua.scenario").run
M.cli = { out = "results", quiet = false, strict = false, profile = false, report = {}, no_write = false }

return M
