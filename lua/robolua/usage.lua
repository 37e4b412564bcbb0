-- Usage errors: a bad argument, option or scenario setting. raise(message) ends the run with exit 2 and
-- prints "robolua: <message>" alone (lua/robolua/cli.lua): a stack traceback is for a script's own bugs,
-- not for a typo in a command line. Caught with pcall, the error still reads as its message (tostring).
-- did_you_mean(word, candidates) is the nearest candidate by edit distance, or nil if none is close.
local M = {}

local mt = { __tostring = function(e) return e.message end }
function M.raise(message)
  error(setmetatable({ robolua_exit = 2, message = message }, mt), 0)
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

return M
