-- A script's KEY=VALUE arguments (`robolua tools/fuse_ab.lua repeats=50`): one reader for the tools and
-- scenarios, so each of them names a bad argument the same way and none ignores one silently.
--   local opts = require("robolua.script_args").parse("fuse_ab", { variants = "v3", repeats = "100" }, { ... })
--   local n = script_args.integer("fuse_ab", "repeats", opts.repeats, 5)
--   local clock = script_args.choice("fuse_by_stream", "clock", opts.clock, { relative = true, epoch_i64 = true })
-- parse: defaults holds every known key with its default (a string), or false for an optional key with
-- none (absent from the result unless given). Usage errors (robolua.usage: exit 2, the message without a
-- traceback), naming the script and the argument: a
-- word that is not KEY=VALUE, an unknown key (the known ones are listed), a key given twice, an empty value,
-- an option of robolua's written after the script (told where it goes).
-- parse_known: the same for a module that reads some of a script's arguments (robolua.user_args): a word
-- that is not one of its keys is returned, in order, for the script to read or to refuse (refuse_leftovers).
-- A bare word that switches something on (`robolua tools/export_cases.lua OUT small bf16`) is a flag: its
-- default is script_args.flag, and the result holds true when the word is given, false when not. Flags
-- are listed and suggested without "=", and with flags any other bare word is an unknown argument (with
-- the nearest flag or key); a flag given a value (`small=1`) is refused naming the flag.
local usage = require "robolua.usage"
local M = {}

-- the default that marks a key as a bare flag (compared by identity)
M.flag = setmetatable({}, { __tostring = function() return "script_args.flag" end })

local function sorted_keys(defaults)
  local keys = {}
  for k in pairs(defaults) do keys[#keys + 1] = k end
  table.sort(keys)
  return keys
end

-- a key as it is written on the command line: "small" for a flag, "repeats=" for the others
local function spelled(defaults, key) return defaults[key] == M.flag and key or key .. "=" end

local function expected(defaults)
  local words = {}
  for _, k in ipairs(sorted_keys(defaults)) do words[#words + 1] = spelled(defaults, k) end
  return "expected " .. (#words > 0 and table.concat(words, ", ") or "no arguments")
end

local function has_flags(defaults)
  for _, v in pairs(defaults) do if v == M.flag then return true end end
  return false
end

-- word is not one of defaults' keys: the error that says why (a key close to a known one names it)
local function refuse(script, defaults, word)
  -- robolua's own options reach the script when they follow it (`robolua SCRIPT --list`): say where they go
  if word:match("^%-") then
    usage.raise(string.format("%s: unknown argument '%s' (robolua's options go before the script; %s)", script, word,
      expected(defaults)))
  end
  local key = word:match("^([%w_]+)=")
  if not key and not has_flags(defaults) then
    usage.raise(string.format("%s: argument '%s' is not KEY=VALUE (%s)", script, word, expected(defaults)))
  end
  local near = usage.did_you_mean(key or word, sorted_keys(defaults))
  usage.raise(string.format("%s: unknown argument '%s' (%s%s)", script, word,
    near and ("did you mean " .. spelled(defaults, near) .. "? ") or "", expected(defaults)))
end

-- leftovers: nil to refuse a word that is not one of defaults' keys, else a list that collects it
local function read(script, defaults, args, leftovers)
  local out, seen = {}, {}
  for k, v in pairs(defaults) do
    if v == M.flag then out[k] = false elseif v ~= false then out[k] = v end
  end
  for _, a in ipairs(args or {}) do
    local word = tostring(a)
    local k, v
    if defaults[word] == M.flag then k, v = word, true else k, v = word:match("^([%w_]+)=(.*)$") end
    -- (a flag given as KEY=VALUE, v a string, is no known word either)
    if not k or defaults[k] == nil or (defaults[k] == M.flag and v ~= true) then
      if not leftovers then refuse(script, defaults, word) end
      leftovers[#leftovers + 1] = a
    else
      if seen[k] then usage.raise(string.format("%s: %s is given twice", script, spelled(defaults, k))) end
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

-- The flags among names that are on in opts (parse's result), in names' order; default when none is
-- (a choice spelled as flags: `bf16 f32`).
function M.flags_on(opts, names, default)
  local on = {}
  for _, name in ipairs(names) do
    if opts[name] then on[#on + 1] = name end
  end
  return #on > 0 and on or default
end

-- value if it is one of allowed's keys (a set: {relative = true, ...}), else an error naming key and them.
function M.choice(script, key, value, allowed)
  if allowed[value] == nil then
    usage.raise(string.format("%s: %s= must be one of %s, got '%s'", script, key, table.concat(sorted_keys(allowed), ", "),
      tostring(value)))
  end
  return value
end

-- OUTDIR, the folder argument a tool writes into: made now, with its parents. -> mkdir(path), open(path,
-- mode) for paths under it. Every failure (empty, cannot be made, cannot be written in) is a usage error
-- naming OUTDIR as the user gave it.
function M.outdir(script, dir)
  if dir == "" then usage.raise(script .. ": OUTDIR is empty") end
  local function refuse(why) usage.raise(string.format("%s: OUTDIR %s: %s", script, dir, tostring(why))) end
  local function mkdir(path)
    local made, why = pcall(require("robolua.files").mkdir_p, path)
    if not made then refuse(why) end
  end
  local function open(path, mode)
    local f, err = io.open(path, mode)
    return f or refuse(err)
  end
  mkdir(dir)
  return mkdir, open
end

-- value (a string) as an integer >= min, else an error naming key.
function M.integer(script, key, value, min)
  local n = type(value) == "string" and value:match("^%-?%d+$") and math.tointeger(tonumber(value))
  if not n or n < min then usage.raise(string.format("%s: %s= must be an integer >= %d, got '%s'", script, key, min, tostring(value))) end
  return n
end

return M
