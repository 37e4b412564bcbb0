-- Small file helpers with no knowledge of runs: folders, atomic writes (through the C core: temp file,
-- write, fsync, rename; a failure names the file and the OS reason and leaves the old content), reads.
local lfs = require "lfs"
local core = require "robolua.core"
local M = {}

function M.exists(path) return lfs.attributes(path, "mode") ~= nil end
function M.is_dir(path) return lfs.attributes(path, "mode") == "directory" end

-- (errors at level 0: the message names the folder and the reason; where files.lua was called from
-- adds nothing, and mkdir_unique's own line would be all it named)
function M.mkdir_p(path)
  if path == nil or path == "" then error("cannot create a folder with an empty name", 0) end
  local acc = path:sub(1, 1) == "/" and "/" or ""
  for part in path:gmatch("[^/]+") do
    acc = acc .. part
    if lfs.attributes(acc, "mode") == nil then
      local ok, err = lfs.mkdir(acc)
      if not ok and lfs.attributes(acc, "mode") ~= "directory" then
        error("cannot create folder " .. acc .. ": " .. tostring(err), 0)
      end
    elseif lfs.attributes(acc, "mode") ~= "directory" then
      error("cannot create folder " .. path .. ": " .. acc .. " is not a folder", 0)
    end
    acc = acc .. "/"
  end
end

local EEXIST = 17 -- (Linux's errno, as lfs.mkdir returns it)

-- Whether mkdir_p(path) and new entries in it would succeed, creating nothing: the nearest folder on the
-- path that exists is tried with a probe folder, removed at once (permission bits don't tell: root,
-- read-only mounts, /proc). Returns true, or nil and why, so a command can refuse before it starts.
function M.can_create(path)
  if path == nil or path == "" then return nil, "an empty folder name" end
  local p = path
  while lfs.attributes(p, "mode") == nil do
    local parent = p:match("^(.*)/[^/]*$")
    p = parent == nil and "." or parent == "" and "/" or parent
  end
  if lfs.attributes(p, "mode") ~= "directory" then return nil, p .. " is not a folder" end
  local err
  for _ = 1, 100 do
    local probe = string.format("%s/.robolua-probe-%x", p == "/" and "" or p, math.random(1 << 40))
    local ok, why, code = lfs.mkdir(probe)
    if ok then lfs.rmdir(probe); return true end
    err = why
    -- A name taken is another process's probe: try another. "Taken" is EEXIST as mkdir said it, not
    -- whether the probe is still there, which the other process may already have removed. Runs started
    -- together can draw the same names (Lua seeds math.random from the time and an address, and the
    -- address repeats where ASLR is off, as under AddressSanitizer).
    if code ~= EEXIST and lfs.attributes(probe, "mode") == nil then break end
  end
  return nil, "cannot create a folder in " .. p .. ": " .. tostring(err)
end

-- A new folder base (or base-2, base-3, ... if taken), created exclusively: two runs never share one.
function M.mkdir_unique(base)
  local parent = base:match("^(.*)/[^/]+$")
  if parent and parent ~= "" then M.mkdir_p(parent) end
  return core.mkdir_unique(base)
end

function M.write(path, content)
  core.write_file(path, content)
  return path
end

function M.append(path, content, sync)
  core.append_file(path, content, sync)
end

-- The file's contents, or nil and why: the reason alone (io.open's message starts with the path, which
-- the caller names as it was given), and a folder is refused (it opens, then does not read).
function M.read(path)
  local f, err = io.open(path, "rb")
  if not f then
    err = tostring(err)
    return nil, err:sub(1, #path + 2) == path .. ": " and err:sub(#path + 3) or err
  end
  local s, rerr = f:read("a")
  f:close()
  if not s then return nil, tostring(rerr) end
  return s
end

function M.list(dir)
  local out = {}
  if not M.is_dir(dir) then return out end
  for e in lfs.dir(dir) do
    if e ~= "." and e ~= ".." then out[#out + 1] = e end
  end
  table.sort(out)
  return out
end

return M
