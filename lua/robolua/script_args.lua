-- A script's KEY=VALUE arguments (`robolua tools/fuse_ab.lua repeats=50`): one reader for the tools and
-- scenarios, so each of them names a bad argument the same way and none ignores one silently.
--   local opts = require("robolua.script_args").parse("fuse_ab", { variants = "v3", repeats = "100" }, { ... })
--   local n = script_args.integer("fuse_ab", "repeats", opts.repeats, 5)
-- parse: defaults holds every known key with its default (a string), or false for an optional key with
-- none (absent from the result unless given). Usage errors (robolua.usage: exit 2, the message without a
-- traceback), naming the script and the argument: a
-- word that is not KEY=VALUE, an unknown key (the known ones are listed), a key given twice, an empty value.
-- parse_known: the same for a module that reads some of a script's arguments (robolua.user_args): a word
-- that is not one of its keys is returned, in order, for the script to read or to refuse (refuse_leftovers).
local usage = require "robolua.usage"
local M = {}

local function sorted_keys(defaults)
  local keys = {}
  for k in pairs(defaults) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

local function expected(defaults)
  local keys = sorted_keys(defaults)
  return "expected " .. (#keys > 0 and (table.concat(keys, "=, ") .. "=") or "no arguments")
end

-- word is not one of defaults' keys: the error that says why (a key close to a known one names it)
local function refuse(script, defaults, word)
  if not word:match("^[%w_]+=") then
    usage.raise(string.format("%s: argument '%s' is not KEY=VALUE (%s)", script, word, expected(defaults)))
  end
  local near = usage.did_you_mean(word:match("^([%w_]+)="), sorted_keys(defaults))
  usage.raise(string.format("%s: unknown argument '%s' (%s%s)", script, word, near and ("did you mean " .. near .. "=? ") or "",
    expected(defaults)))
end

-- leftovers: nil to refuse a word that is not one of defaults' keys, else a list that collects it
local function read(script, defaults, args, leftovers)
  local out, seen = {}, {}
  for k, v in pairs(defaults) do
    if v ~= false then out[k] = v end
  end
  for _, a in ipairs(args or {}) do
    local word = tostring(a)
    local k, v = word:match("^([%w_]+)=(.*)$")
    if not k or defaults[k] == nil then
      if not leftovers then refuse(script, defaults, word) end
      leftovers[#leftovers + 1] = a
    else
      if seen[k] then usage.raise(string.format("%s: %s= is given twice", script, k)) end
      if v == "" then usage.raise(string.format("%s: %s= has an empty value", script, k)) end
      seen[k] = true
      out[k] = v
    end
  end
  return out
end

function M.parse(script, defaults, args) return read(script, defaults, args, nil) end

-- -> the options (as parse), the other arguments (a list, in order)
function M.parse_known(script, defaults, args)
  local leftovers = {}
  return read(script, defaults, args, leftovers), leftovers
end

-- parse_known's leftovers, when the script has no use for them: parse's error for the first one.
function M.refuse_leftovers(script, defaults, leftovers)
  if leftovers[1] ~= nil then refuse(script, defaults, tostring(leftovers[1])) end
end

-- value (a string) as an integer >= min, else an error naming key.
function M.integer(script, key, value, min)
  local n = type(value) == "string" and value:match("^%-?%d+$") and math.tointeger(tonumber(value))
  if not n or n < min then usage.raise(string.format("%s: %s= must be an integer >= %d, got '%s'", script, key, min, tostring(value))) end
  return n
end

return M
