-- Provenance: what ran, where, when, from which commit. Every report carries this.
local M = {}

local function capture(cmd)
  local f = io.popen(cmd .. " 2>/dev/null")
  if not f then return nil end
  local s = f:read("a")
  f:close()
  s = s and s:gsub("%s+$", "")
  if s == "" then return nil end
  return s
end

-- ROBOLUA_GIT_COMMIT, when set, wins: a tree shipped to another machine (a GPU host) may carry no
-- .git or a stale one, and only the sender knows which commit it is.
function M.git()
  local forced = os.getenv("ROBOLUA_GIT_COMMIT")
  if forced and forced ~= "" then return { commit = forced, dirty = false, from_environment = true } end
  local commit = capture("git rev-parse --verify -q HEAD")
  if not commit or not commit:match("^%x+$") then return { commit = "unknown", dirty = false } end
  local status = capture("git status --porcelain --untracked-files=no")
  return { commit = commit, dirty = status ~= nil, branch = capture("git rev-parse --abbrev-ref HEAD") }
end

-- The CPU vector path the resampler takes (the engine's dispatch decides it; ROBOLUA_CPU_ISA caps it)
-- and the vector flags the CPU has: recorded so a comparison can tell runs on different instruction
-- sets apart.
function M.cpu_isa(host)
  local f = io.open("/proc/cpuinfo", "r")
  local flags = ""
  if f then
    for line in f:lines() do
      if line:match("^flags") then flags = " " .. line:gsub("^[^:]*:", "") .. " "; break end
    end
    f:close()
  end
  local has = {}
  for _, x in ipairs { "avx512bw", "avx512f", "avx2", "f16c", "fma" } do has[#has + 1] = flags:find(" " .. x .. " ", 1, true) and x or nil end
  local path = host.cpu_isa or "unknown"
  if os.getenv("ROBOLUA_CPU_ISA") then path = path .. " (ROBOLUA_CPU_ISA=" .. os.getenv("ROBOLUA_CPU_ISA") .. ")" end
  return path, table.concat(has, " ")
end

function M.capture(rl)
  local e = {
    robolua = { version = rl.version, built_with_cuda = rl.core.built_with_cuda, lua = _VERSION },
    host = rl.env(),
    command = rl.cli.command or "(unknown)",
    cwd = capture("pwd"),
    git = M.git(),
  }
  e.host.isa, e.host.vector_flags = M.cpu_isa(e.host)
  e.robolua.commit = rl.core.build and rl.core.build.commit
  e.robolua.build_type = rl.core.build and rl.core.build.build_type
  local lf = io.open("/proc/loadavg", "r")
  if lf then e.host.load_avg = tonumber((lf:read("l") or ""):match("^(%S+)")); lf:close() end
  local ok, why = rl.cuda.available()
  if ok then
    e.cuda = rl.cuda.info()
    e.cuda.available = true
  else
    e.cuda = { available = false, reason = why }
  end
  e.time_utc = e.host.time_utc
  return e
end

function M.text(e)
  local lines = {
    "robolua " .. e.robolua.version .. (e.robolua.built_with_cuda and " (CUDA built in)" or " (CPU-only build)") .. ", " .. e.robolua.lua,
    "time (UTC):  " .. e.time_utc,
    "command:     " .. e.command,
    "cwd:         " .. tostring(e.cwd),
    "git commit:  " .. e.git.commit .. (e.git.dirty and " (with uncommitted changes)" or ""),
    "cpu:         " .. e.host.cpu_model .. ", " .. e.host.logical_cpus .. " logical cpus, LLC " .. string.format("%.1f MiB", e.host.llc_bytes / 2 ^ 20) .. ", ISA path " .. tostring(e.host.isa),
    "load:        " .. tostring(e.host.load_avg) .. " (1-minute average at the start)",
    "memory:      " .. string.format("%.1f GiB", e.host.mem_total_bytes / 2 ^ 30),
    "os:          " .. e.host.os .. " (" .. e.host.hostname .. ")",
  }
  if e.cuda.available then
    local c = e.cuda
    lines[#lines + 1] = string.format("gpu:         %s (cc %s), %d SMs, L2 %.0f MiB, %.1f GiB, bus %s",
      c.name, c.compute_capability, c.sm_count, c.l2_bytes / 2 ^ 20, c.global_mem_bytes / 2 ^ 30, c.pci_bus_id)
    lines[#lines + 1] = string.format("gpu clocks:  SM %d MHz now / %d max, memory %d MHz now / %d max (NVML; -1 = unavailable)",
      c.sm_clock_mhz_now, c.sm_clock_mhz_max, c.mem_clock_mhz_now, c.mem_clock_mhz_max)
    lines[#lines + 1] = string.format("cuda:        driver %s (API %d), runtime %d", c.driver ~= "" and c.driver or "?", c.driver_version, c.runtime_version)
  else
    lines[#lines + 1] = "gpu:         none (" .. tostring(e.cuda.reason) .. ")"
  end
  return table.concat(lines, "\n") .. "\n"
end

return M
