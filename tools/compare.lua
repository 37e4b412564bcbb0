-- Kept for old scripts: build/robolua tools/compare.lua BASE NEW [threshold=5] [alpha=0.01] [markdown=FILE]
-- is `robolua compare BASE NEW --threshold 5 --alpha 0.01 --markdown FILE`. Its own words are checked
-- here, so an error names threshold=, not the --threshold it becomes.
local script_args = require "robolua.script_args"
local defaults = { threshold = false, alpha = false, markdown = false }
local opts, words = script_args.parse_known("compare", defaults, { ... })
for _, w in ipairs(words) do
  -- a KEY=VALUE word that is none of the keys is a typo (thresold=5), not a run folder
  if tostring(w):match("^[%w_]+=") then script_args.refuse_leftovers("compare", defaults, { w }) end
end
local args = words
for _, k in ipairs { "threshold", "alpha", "markdown" } do
  if opts[k] then
    if k ~= "markdown" then
      local n, range = require("robolua.cli").compare_option(k, opts[k])
      if not n then require("robolua.usage").raise(string.format("compare: %s= must be %s, got '%s'", k, range, opts[k])) end
    end
    args[#args + 1] = "--" .. k
    args[#args + 1] = opts[k]
  end
end
require("robolua").core.set_exit_code(require("robolua.compare_cli").main(args))
