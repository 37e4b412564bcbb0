-- rl.baseline: the run comparison under its earlier names (load, compare, markdown, settings_diff);
-- the implementation is robolua.compare.
local compare = require "robolua.compare"
local record = require "robolua.record"
return {
  load = function(path) return record.load(path) end,
  compare = compare.compare,
  markdown = compare.markdown,
  settings_diff = compare.settings_diff,
  run = compare.run,
}
