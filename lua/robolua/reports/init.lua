-- Report formats. Each format module has render(run, opts) -> string and a file name; a report in a
-- scenario's `reports` list is a format name or a function(run, dir) -> path for a custom one.
local files = require "robolua.files"
local M = {}

M.formats = {
  csv = { module = "robolua.reports.csv", file = "results.csv" },
  json = { module = "robolua.reports.json", file = "results.json" },
  markdown = { module = "robolua.reports.markdown", file = "report.md" },
  md = { module = "robolua.reports.markdown", file = "report.md" },
  html = { module = "robolua.reports.html", file = "report.html" },
  junit = { module = "robolua.reports.junit", file = "junit.xml" },
}

local function format_of(name)
  local f = M.formats[name]
  if not f then
    local known = {}
    for k in pairs(M.formats) do known[#known + 1] = k end
    table.sort(known)
    error(string.format("unknown report format '%s' (known: %s, or a function(run, dir))", tostring(name), table.concat(known, ", ")), 3)
  end
  return require(f.module), f.file
end

function M.render(name, run, opts)
  local mod = format_of(name)
  return mod.render(run, opts)
end

-- Writes one report into dir (atomically); a custom report is function(run, dir) -> path.
function M.write(run, rep, dir)
  if type(rep) == "function" then
    local path = rep(run, dir)
    return path or "(custom report)"
  end
  local mod, file = format_of(rep)
  return files.write(dir .. "/" .. file, mod.render(run))
end

return M
