-- A minimal spec runner for robolua's Lua tests, run by ctest through the robolua binary itself (so
-- the tests exercise the embedded modules and the C core exactly as users get them).
-- describe/it group cases; each case runs under pcall; the last line is "N passed, N failed" and a
-- failure makes the process exit 1. spec.skip(reason) ends the whole file with ctest's skip code 77.
-- At the end, what specs that run robolua in a subprocess share (one copy, not one per spec): quote,
-- read, write, sh and run_scenario.
local M = { passed = 0, failed = 0, skipped = 0, prefix = {} }
local skip_mt = {}

function M.describe(name, fn)
  table.insert(M.prefix, name)
  fn()
  table.remove(M.prefix)
end

function M.it(name, fn)
  local full = table.concat(M.prefix, " > ") .. " > " .. name
  local ok, err = xpcall(fn, function(e)
    if getmetatable(e) == skip_mt then return e end
    return debug.traceback(e, 2)
  end)
  if not ok and getmetatable(err) == skip_mt then
    M.skipped = M.skipped + 1
    print("SKIP  " .. full .. ": " .. err.reason)
  elseif ok then
    M.passed = M.passed + 1
    print("ok    " .. full)
  else
    M.failed = M.failed + 1
    print("FAIL  " .. full .. "\n      " .. tostring(err):gsub("\n", "\n      "))
  end
end

local function fmt(v) return type(v) == "string" and string.format("%q", v) or tostring(v) end

function M.eq(got, want, what)
  if got ~= want then error(string.format("%s: expected %s, got %s", what or "value", fmt(want), fmt(got)), 2) end
end

function M.near(got, want, tol, what)
  if type(got) ~= "number" or math.abs(got - want) > tol then
    error(string.format("%s: expected %.17g +- %g, got %s", what or "value", want, tol, fmt(got)), 2)
  end
end

function M.truthy(v, what)
  if not v then error((what or "condition") .. " is false", 2) end
end

-- Asserts that fn fails with a message containing every given fragment (plain text).
function M.fails(fn, ...)
  local ok, err = pcall(fn)
  if ok then error("expected an error, but the call succeeded", 2) end
  err = tostring(err)
  for _, frag in ipairs({ ... }) do
    if not err:find(frag, 1, true) then
      error(string.format("error message %q does not contain %q", err, frag), 2)
    end
  end
  return err
end

-- Inside an `it`: this case can't run here (e.g. it needs a machine without a GPU); counted as
-- skipped, never as passed.
function M.skip_case(reason)
  error(setmetatable({ reason = reason }, skip_mt))
end

local tempdirs = {} -- made by M.tempdir(); removed when the spec ends (finish or skip)
local function remove_tempdirs()
  for _, dir in ipairs(tempdirs) do os.execute("rm -rf " .. M.quote(dir)) end
end

function M.skip(reason)
  print("SKIP  " .. reason)
  remove_tempdirs()
  os.exit(77)
end

function M.finish()
  print(string.format("%d passed, %d failed, %d skipped", M.passed, M.failed, M.skipped))
  remove_tempdirs()
  os.exit(M.failed == 0 and 0 or 1)
end

-- The robolua binary running this spec (absolute, so a spec may cd elsewhere) and a fresh temp folder
-- (removed with everything in it when the spec finishes or skips).
function M.binary()
  local lowest = 0
  while arg[lowest - 1] do lowest = lowest - 1 end
  local bin = arg[lowest]
  if bin:find("/", 1, true) and bin:sub(1, 1) ~= "/" then bin = require("lfs").currentdir() .. "/" .. bin end
  return bin
end
function M.tempdir()
  local tmp = os.tmpname()
  os.remove(tmp)
  assert(require("lfs").mkdir(tmp))
  tempdirs[#tempdirs + 1] = tmp
  return tmp
end
-- The package.path entry of tests/lib, absolute (taken when this file is loaded, before a spec may cd):
-- for a scenario run in a subprocess, elsewhere, that requires a helper of tests/lib.
M.lib_path = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
if M.lib_path:sub(1, 1) ~= "/" then M.lib_path = require("lfs").currentdir() .. "/" .. M.lib_path end
M.lib_path = M.lib_path .. "?.lua;"
-- This spec's scratch folder: one M.tempdir(), made on first use, where M.run_scenario works.
local workdir
function M.workdir()
  workdir = workdir or M.tempdir()
  return workdir
end

-- Files and shell commands, for specs that run robolua in a subprocess.
function M.quote(s) return "'" .. tostring(s):gsub("'", "'\\''") .. "'" end -- one word for sh
function M.read(path)
  local f = assert(io.open(path, "rb"))
  local s = f:read("a")
  f:close()
  return s
end
function M.write(path, s)
  local f = assert(io.open(path, "wb"))
  f:write(s)
  f:close()
end
-- Runs a shell command with its stdout and stderr in the file out (default: sh.txt in the workdir):
-- exit code, output.
function M.sh(cmd, out)
  out = out or M.workdir() .. "/sh.txt"
  local _, _, code = os.execute(cmd .. " > " .. M.quote(out) .. " 2>&1")
  return code, M.read(out)
end

-- Runs robolua in a subprocess in the folder NAME of the workdir (made here), with -o NAME/results and
-- its output in NAME/out.txt: src, a scenario's source, is written to NAME/scenario.lua and run with the
-- options args (a shell string) before it; with src nil, args is the whole command line after -o
-- (options, a script, its arguments). Returns the exit code, the combined output, the run folder (nil if
-- none was made) and the seconds the subprocess took.
function M.run_scenario(name, src, args)
  local lfs, clock = require "lfs", require("robolua").clock
  local dir = M.workdir() .. "/" .. name
  lfs.mkdir(dir)
  local cmdline = args or ""
  if src then
    M.write(dir .. "/scenario.lua", src)
    cmdline = cmdline .. " scenario.lua" -- (relative: messages name it as a user's script would be named)
  end
  local t0 = clock()
  local code, out = M.sh(string.format("cd %s && %s -o %s %s", M.quote(dir), M.quote(M.binary()), M.quote(dir .. "/results"),
    cmdline), dir .. "/out.txt")
  local secs = clock() - t0
  local run_dir
  if lfs.attributes(dir .. "/results", "mode") then
    for e in lfs.dir(dir .. "/results") do
      if e:match("%-%d+T%d+Z$") then run_dir = dir .. "/results/" .. e end
    end
  end
  return code, out, run_dir, secs
end

return M
