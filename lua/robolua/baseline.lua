-- rl.baseline: the run comparison under its earlier names (load, compare, markdown, settings_diff);
-- the implementation is robolua.compare. Arguments are checked here, so a wrong one is an error naming
-- it ("baseline.compare: new: ..."), raised at the caller's line, never a Lua error from inside robolua.
local compare = require "robolua.compare"
local record = require "robolua.record"

-- level: 3 from the API function itself, 4 from the argument checkers below
local function fail(fname, msg, level) error("baseline." .. fname .. ": " .. msg, level or 3) end

local function doc_arg(fname, name, doc)
  if type(doc) ~= "table" then
    fail(fname, string.format("%s: expected a run document (rl.baseline.load(path)), got %s", name, type(doc)), 4)
  end
  local ok, why = record.from_doc(doc, name)
  if not ok then fail(fname, why, 4) end
end

local function opts_arg(fname, opts)
  if opts ~= nil and type(opts) ~= "table" then fail(fname, "opts: expected a table or nil, got " .. type(opts), 4) end
end

return {
  load = function(path)
    if type(path) ~= "string" or path == "" then
      fail("load", "path: expected a results.json or run folder path, got " .. (path == "" and "an empty string" or type(path)))
    end
    return record.load(path)
  end,
  compare = function(base, new, opts)
    doc_arg("compare", "base", base)
    doc_arg("compare", "new", new)
    opts_arg("compare", opts)
    return compare.compare(base, new, opts)
  end,
  markdown = function(cmp, base, new)
    if type(cmp) ~= "table" or type(cmp.rows) ~= "table" or type(cmp.threshold) ~= "number" then
      fail("markdown", "cmp: expected the result of rl.baseline.compare, got " .. type(cmp))
    end
    doc_arg("markdown", "base", base)
    doc_arg("markdown", "new", new)
    return compare.markdown(cmp, base, new)
  end,
  settings_diff = function(base, new)
    doc_arg("settings_diff", "base", base)
    doc_arg("settings_diff", "new", new)
    return compare.settings_diff(base, new)
  end,
  run = function(base, new, opts)
    doc_arg("run", "base", base)
    doc_arg("run", "new", new)
    opts_arg("run", opts)
    return compare.run(base, new, opts)
  end,
}
