-- Ending a run without a stack traceback, which is for a script's own bugs, not for a typo in a command
-- line or a machine that lacks what a tool needs: lua/robolua/cli.lua prints "robolua: <message>" alone
-- and exits with the error's robolua_exit. Caught with pcall, the error still reads as its message (tostring).
--   raise(message): a usage error (a bad argument, option or scenario setting): exit 2.
--   unavailable(message): the command is right but this machine cannot run it (no CUDA device): exit 1,
--   the code of a run that went as asked and did not pass; scripts that skip without a GPU test for it.
--   needs_cuda(script): unavailable("<script>: needs a CUDA device (<why>)") unless a device is usable.
--   axis(name, message): a workload's config refusing axis name's value: "axis <name>: <message>", with the
--   axis in the error's field `axis`, so that the run can say where the value came from (-a NAME=V on the
--   command line, or the scenario's axes) without reading the message.
-- did_you_mean(word, candidates) is the nearest candidate by edit distance, or nil if none is close.
-- unknown_key(t, keys): "unknown key 'k' (did you mean 'x'? | known: a, b)" for the first key of table t
-- that is none of keys, else nil; check_keys(what, t, keys, level) raises it as "<what>: ..." (at level,
-- as for error()): a misspelt key is never ignored. list_problem(t, what): why t is not a plain list
-- (a hole, a key that is no index), naming it what, or nil.
local M = {}

local mt = { __tostring = function(e) return e.message end }
local function stop(code, message)
  error(setmetatable({ robolua_exit = code, message = message }, mt), 0)
end

function M.raise(message) stop(2, message) end
function M.axis(name, message) error(setmetatable({ axis = name, message = "axis " .. name .. ": " .. message }, mt), 0) end
function M.unavailable(message) stop(1, message) end

function M.needs_cuda(script)
  local ok, why = require("robolua.core").cuda.available()
  if not ok then M.unavailable(script .. ": needs a CUDA device (" .. tostring(why) .. ")") end
end

function M.did_you_mean(word, candidates)
  local best, best_d
  for _, c in ipairs(candidates) do
    -- Levenshtein distance, small strings only
    local m, n = #word, #c
    local prev = {}
    for j = 0, n do prev[j] = j end
    for i = 1, m do
      local cur = { [0] = i }
      for j = 1, n do
        local cost = word:sub(i, i) == c:sub(j, j) and 0 or 1
        cur[j] = math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + cost)
      end
      prev = cur
    end
    local d = prev[n]
    if d <= math.max(2, #word // 3) and (not best_d or d < best_d) then best, best_d = c, d end
  end
  return best
end

function M.unknown_key(t, keys)
  for k in pairs(t) do
    local known = false
    for _, name in ipairs(keys) do known = known or k == name end
    if not known then
      local hint = type(k) == "string" and M.did_you_mean(k, keys)
      return string.format("unknown key '%s'%s", tostring(k),
        hint and (" (did you mean '" .. hint .. "'?)") or (" (known: " .. table.concat(keys, ", ") .. ")"))
    end
  end
end

-- What makes t (named what) no plain list, or nil: a key that is not an index 1..n, or a hole (a nil in a
-- table constructor, {0, nil, 2}, ends the list for # and ipairs, so the values after it would be dropped).
function M.list_problem(t, what)
  local n, max = 0, 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 then return string.format("%s: unexpected key '%s' in a list", what, tostring(k)) end
    n, max = n + 1, math.max(max, k)
  end
  for i = 1, max do
    if t[i] == nil then return string.format("%s[%d] is nil (a nil in a list ends it: the values after it would be dropped)", what, i) end
  end
end

-- Whether a comma-separated list written on the command line has an empty item ("a,,b", "a,", ",a").
function M.has_empty_item(s) return s == "" or s:find(",,", 1, true) ~= nil or s:sub(1, 1) == "," or s:sub(-1) == "," end

function M.check_keys(what, t, keys, level)
  local msg = M.unknown_key(t, keys)
  if msg then error(what .. ": " .. msg, (level or 1) + 1) end
end

return M
