-- Small file helpers with no knowledge of runs: folders, atomic writes (through the C core: temp file,
-- write, fsync, rename; a failure names the file and the OS reason and leaves the old content), reads.
local lfs = require "lfs"
local core = require "robolua.core"
local M = {}

function M.exists(path) return lfs.attributes(path, "mode") ~= nil end
function M.is_dir(path) return lfs.attributes(path, "mode") == "directory" end

function M.mkdir_p(path)
  if path == nil or path == "" then error("cannot create a folder with an empty name", 2) end
  local acc = path:sub(1, 1) == "/" and "/" or ""
  for part in path:gmatch("[^/]+") do
    acc = acc .. part
    if lfs.attributes(acc, "mode") == nil then
      local ok, err = lfs.mkdir(acc)
      if not ok and lfs.attributes(acc, "mode") ~= "directory" then
        error("cannot create folder " .. acc .. ": " .. tostring(err), 2)
      end
    elseif lfs.attributes(acc, "mode") ~= "directory" then
      error("cannot create folder " .. path .. ": " .. acc .. " is not a folder", 2)
    end
    acc = acc .. "/"
  end
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

function M.read(path)
  local f, err = io.open(path, "rb")
  if not f then return nil, err end
  local s = f:read("a")
  f:close()
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
