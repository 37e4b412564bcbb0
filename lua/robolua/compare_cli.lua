-- robolua compare BASE NEW [-o DIR] [--threshold PCT] [--alpha P] [--markdown FILE] [--json FILE] [--junit FILE] [--force] [--devices]
-- BASE and NEW are run folders, their results.json, or names of baselines saved with
-- --save-baseline (looked up as DIR/baselines/NAME, DIR from -o/--out after `compare`, default results).
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

-- (robolua --help shows the same line)
M.synopsis = "robolua compare BASE NEW [-o DIR] [--threshold PCT] [--alpha P] [--markdown FILE] [--json FILE] [--junit FILE] [--force] [--devices]"
-- -o is the one option whose meaning differs from a run's, so the usage error says it
local USAGE = "usage: " .. M.synopsis .. "\n  -o, --out DIR  a BASE or NEW that is no path names a baseline saved as DIR/baselines/NAME (default results)"

-- A usage or write error: one line naming the word or the option, exit 2.
local function fail(msg)
  io.stderr:write("robolua compare: " .. msg .. "\n")
  return 2
end

function M.main(args)
  local o, given = { out = "results" }, {}
  local paths = {}
  local i = 1
  while args[i] do
    local a = args[i]
    if a == "--threshold" or a == "--alpha" or a == "--markdown" or a == "--json" or a == "--junit" or a == "-o" or a == "--out" then
      local v = args[i + 1]
      if not v then return fail(a .. " needs a value") end
      local name = (a == "-o" or a == "--out") and "out" or a:sub(3)
      if given[name] then return fail(a .. " given twice") end
      given[name] = true
      if a == "--threshold" or a == "--alpha" then
        local n, range = require("robolua.cli").compare_option(a:sub(3), v)
        if not n then return fail(string.format("%s: expected %s, got '%s'", a, range, v)) end
        o[a:sub(3)] = n
      elseif a == "--markdown" or a == "--json" or a == "--junit" then o[a:sub(3)] = v else o.out = v end
      i = i + 2
    elseif a == "--force" or a == "--devices" then
      o[a:sub(3)] = true
      i = i + 1
    elseif a:sub(1, 1) == "-" then
      return fail("unknown option '" .. a .. "'")
    else
      paths[#paths + 1] = a
      i = i + 1
    end
  end
  if #paths ~= 2 then
    return fail((#paths < 2 and "needs BASE and NEW" or ("unexpected argument '" .. paths[3] .. "'")) .. "\n" .. USAGE)
  end
  local docs, names = {}, {}
  for k, p in ipairs(paths) do
    if not files.exists(p) and not files.is_dir(o.out .. "/baselines/" .. p) then
      if p:find("/", 1, true) then return fail(p .. ": no such run folder or results.json") end
      return fail(string.format("%s: no such run folder or results.json, nor a baseline saved as %s/baselines/%s",
        p, o.out, p))
    end
    local path = resolve(p, o.out)
    local ok, doc = pcall(record.load, path)
    if not ok then return fail(tostring(doc)) end
    -- the file record.load read, so that a malformed record is named where it can be fixed
    names[k] = files.is_dir(path) and (path:gsub("/+$", "") .. "/results.json") or path
    local why = compare.check(doc, names[k])
    if why then return fail(why) end
    docs[k] = doc
  end
  local md, code, json_doc
  if o.devices then
    for _, opt in ipairs { "json", "junit" } do
      if o[opt] then return fail("--" .. opt .. ": --devices writes a table of devices, not verdicts (use --markdown)") end
    end
    local compared
    md, compared = require("robolua.devices_compare").markdown(docs[1], docs[2])
    code = compared > 0 and 0 or 2
  else
    local ok, res = pcall(compare.run, docs[1], docs[2], { threshold = o.threshold, alpha = o.alpha, force = o.force,
      base_name = names[1], new_name = names[2] })
    if not ok then return fail(tostring(res)) end
    md, code = res.markdown, res.exit_code
    json_doc = compare.json_doc(res, docs[1], docs[2])
  end
  io.write(md)
  if o.markdown then
    local ok, err = pcall(files.write, o.markdown, md)
    if not ok then return fail("--markdown: " .. tostring(err)) end
  end
  if o.json then
    local ok, err = pcall(files.write, o.json, require("robolua.json").encode(json_doc) .. "\n")
    if not ok then return fail("--json: " .. tostring(err)) end
  end
  if o.junit then
    local ok, err = pcall(files.write, o.junit, require("robolua.reports.junit").render_comparison(json_doc))
    if not ok then return fail("--junit: " .. tostring(err)) end
  end
  return code
end

return M
