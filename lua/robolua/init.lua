-- robolua: the Lua face of the engine. The C core (robolua.core) supplies tensors, resamplers, clocks,
-- timing loops and device facts; the Lua modules add statistics, sweeps, gates, reports and the
-- scenario runner. `require "robolua"` and the global `robolua` are this table.
local core = require "robolua.core"
local backends = require "robolua.backends"

local M = {}
for k, v in pairs(core) do M[k] = v end

M.core = core
M.version = core.version
-- rl.resample / rl.bench.resample take any backend name, registered ones included
M.resample = function(src, st, tt, opts)
  return backends.resample(type(opts) == "table" and opts.backend or "cpu", src, st, tt, opts)
end
M.bench = {}
for k, v in pairs(core.bench) do M.bench[k] = v end
M.bench.resample = function(src, st, tt, opts)
  return backends.bench(type(opts) == "table" and opts.backend or "cpu", src, st, tt, opts)
end
M.backends = { register = backends.register, get = backends.get, names = backends.names }
-- user kernels and libraries: rl.cuda.kernel/module/launch, rl.cpu.library, rl.bench.launch
require("robolua.user").install(M)
M.workloads = require "robolua.workloads"
M.workload = require("robolua.workloads.generic").new -- any kernel as a workload
M.stats = require "robolua.stats"
M.sweep = require "robolua.sweep"
M.gate = require "robolua.gates"
M.reports = require "robolua.reports"
M.record = require "robolua.record"
M.profile = require "robolua.profile"
M.baseline = require "robolua.baseline"
M.compare_runs = require("robolua.compare").run
M.scenario = require("robolua.scenario").run
M.cli = { out = "results", quiet = false, strict = false, profile = false, report = {}, no_write = false }

return M
