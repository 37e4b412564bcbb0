-- Progress on stderr: one updating line on a terminal, plain lines otherwise; nothing with --quiet.
local fmt = require "robolua.fmt"
local core = require "robolua.core"
local M = {}

function M.new(total, quiet)
  return { t0 = core.clock(), done = 0, total = total, quiet = quiet, tty = core.isatty(2) }
end

function M.show(p, text)
  if p.quiet then return end
  local elapsed = core.clock() - p.t0
  local eta = ""
  if p.done > 0 and p.done < p.total then eta = "  ETA " .. fmt.duration(elapsed / p.done * (p.total - p.done)) end
  local line = string.format("[%d/%d] %s  elapsed %s%s", math.min(p.done + 1, p.total), p.total, text, fmt.duration(elapsed), eta)
  io.stderr:write(p.tty and ("\r\27[K" .. line) or (line .. "\n"))
  io.stderr:flush()
end

-- A message on its own line (a warning), not overwritten by the next progress line.
function M.note(p, text)
  if p.tty and not p.quiet then io.stderr:write("\r\27[K") end
  io.stderr:write(text .. "\n")
  io.stderr:flush()
end

function M.finish(p)
  if p.tty and not p.quiet then io.stderr:write("\r\27[K"); io.stderr:flush() end
end

return M
