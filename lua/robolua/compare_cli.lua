-- robolua compare BASE NEW [--threshold PCT] [--alpha P] [--markdown FILE] [--force] [--devices]
-- BASE and NEW are run folders, their results.json, or names of baselines saved with
-- --save-baseline (looked up as OUT/baselines/NAME, OUT from -o/--out, default results).
local record = require "robolua.record"
local compare = require "robolua.compare"
local files = require "robolua.files"
local M = {}

local function resolve(arg, out)
  if files.exists(arg) then return arg end
  local named = out .. "/baselines/" .. arg
  if files.is_dir(named) then return named end
  return arg
end

function M.main(args)
  local o = { out = "results" }
  local paths = {}
  local i = 1
  while args[i] do
    local a = args[i]
    if a == "--threshold" or a == "--alpha" or a == "--markdown" or a == "-o" or a == "--out" then
      local v = args[i + 1]
      if not v then io.stderr:write("robolua compare: " .. a .. " needs a value\n"); return 2 end
      if a == "--threshold" or a == "--alpha" then
        local n = tonumber(v)
        if not n then io.stderr:write("robolua compare: " .. a .. ": expected a number, got '" .. v .. "'\n"); return 2 end
        if a == "--threshold" then o.threshold = n / 100 else o.alpha = n end
      elseif a == "--markdown" then o.markdown = v else o.out = v end
      i = i + 2
    elseif a == "--force" or a == "--devices" then
      o[a:sub(3)] = true
      i = i + 1
    elseif a:sub(1, 1) == "-" then
      io.stderr:write("robolua compare: unknown option '" .. a .. "'\n"); return 2
    else
      paths[#paths + 1] = a
      i = i + 1
    end
  end
  if #paths ~= 2 then
    io.stderr:write("usage: robolua compare BASE NEW [--threshold PCT] [--alpha P] [--markdown FILE] [--force] [--devices]\n")
    return 2
  end
  local docs = {}
  for k, p in ipairs(paths) do
    local ok, doc = pcall(record.load, resolve(p, o.out))
    if not ok then io.stderr:write("robolua compare: " .. tostring(doc) .. "\n"); return 2 end
    docs[k] = doc
  end
  if o.devices then
    local md = require("robolua.devices_compare").markdown(docs[1], docs[2])
    io.write(md)
    if o.markdown then files.write(o.markdown, md) end
    return 0
  end
  local ok, res = pcall(compare.run, docs[1], docs[2], { threshold = o.threshold, alpha = o.alpha, force = o.force })
  if not ok then io.stderr:write("robolua compare: " .. tostring(res) .. "\n"); return 2 end
  io.write(res.markdown)
  if o.markdown then files.write(o.markdown, res.markdown) end
  return res.exit_code
end

return M
