-- JSON for run documents. Encoding is done here (not by lua-cjson) so that the document's shape never
-- depends on the data: an empty table under a key listed in ARRAY_KEYS is an array, not {}
-- (cjson writes an empty table as {}); keys are sorted (stable files, clean diffs); NaN and infinities
-- become null; strings that are not valid UTF-8 have each bad byte replaced by U+FFFD, so the file
-- always parses. Decoding uses lua-cjson.
local cjson = require "cjson.safe"
local M = {}

-- Keys whose value is a JSON array wherever they appear in a run document.
M.ARRAY_KEYS = {
  results = true, gates = true, reports = true, seeds = true, samples_ms = true, sm_clock_mhz = true,
  seed_medians = true, control_medians = true, backends = true, shards = true, devices = true, kernels = true,
  warnings = true, missing = true, duplicate = true, only_base = true, only_new = true, rows = true,
  axes_order = true, points = true, load_avg = true, require = true, script_args = true, broken = true,
  environment_diff = true, settings_diff = true,
}

local escapes = { ['"'] = '\\"', ["\\"] = "\\\\", ["\b"] = "\\b", ["\f"] = "\\f", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }

-- Replaces every byte that does not start or continue a valid UTF-8 sequence with U+FFFD.
local function clean_utf8(s)
  if utf8.len(s) then return s end
  local out, i, n = {}, 1, #s
  while i <= n do
    local len = utf8.len(s, i, i) and (utf8.offset(s, 2, i) or (n + 1)) - i
    local piece = len and s:sub(i, i + len - 1)
    if piece and utf8.len(piece) then
      out[#out + 1] = piece
      i = i + len
    else
      out[#out + 1] = "\u{FFFD}"
      i = i + 1
    end
  end
  return table.concat(out)
end

M.clean_utf8 = clean_utf8

-- How a decoded JSON value reads in a message: cjson's null is a userdata, an absent key nil.
function M.type_name(v)
  if type(v) == "userdata" or v == nil then return "null" end
  if type(v) == "string" then return string.format("the string %q", v) end
  return type(v) == "table" and "an object or array" or tostring(v)
end

local function encode_string(s)
  s = clean_utf8(s)
  return '"' .. s:gsub('[%c"\\]', function(c) return escapes[c] or string.format("\\u%04x", c:byte()) end) .. '"'
end

local function is_sequence(t)
  local n = #t
  if n == 0 then return false end
  local count = 0
  for _ in pairs(t) do count = count + 1 end
  return count == n
end

-- Under an array key: every key a positive integer (holes allowed, written as null) -> the length to
-- write; any other key -> nil (the table is written as an object and keeps its data).
local function array_length(t)
  local n = 0
  for k in pairs(t) do
    if math.type(k) ~= "integer" or k < 1 then return nil end
    if k > n then n = k end
  end
  return n
end

local encode_value

local function encode_table(t, out, as_array, depth, seen)
  if seen[t] then error("json: a table contains itself", 0) end
  if depth > 100 then error("json: nesting deeper than 100", 0) end
  seen[t] = true
  -- under an array key an empty table is [] (cjson would write {}) and holes are null; a table with
  -- other keys stays an object there too (a user axis named like an array key keeps its data)
  local n = is_sequence(t) and #t or as_array and array_length(t)
  if n then
    out[#out + 1] = "["
    for i = 1, n do
      if i > 1 then out[#out + 1] = "," end
      encode_value(t[i], out, nil, depth + 1, seen)
    end
    out[#out + 1] = "]"
  else
    local keys = {}
    for k in pairs(t) do
      local tk = type(k)
      if tk ~= "string" and tk ~= "number" then error("json: a key of type " .. tk .. " cannot be written", 0) end
      keys[#keys + 1] = tostring(k)
    end
    table.sort(keys)
    out[#out + 1] = "{"
    for i, k in ipairs(keys) do
      if i > 1 then out[#out + 1] = "," end
      local v = t[k]
      if v == nil then v = t[math.tointeger(tonumber(k)) or k] end
      out[#out + 1] = encode_string(k)
      out[#out + 1] = ":"
      encode_value(v, out, k, depth + 1, seen)
    end
    out[#out + 1] = "}"
  end
  seen[t] = nil
end

function encode_value(v, out, key, depth, seen)
  local tv = type(v)
  if tv == "nil" then
    out[#out + 1] = "null"
  elseif tv == "boolean" then
    out[#out + 1] = v and "true" or "false"
  elseif tv == "number" then
    if v ~= v or v == math.huge or v == -math.huge then
      out[#out + 1] = "null"
    elseif math.type(v) == "integer" then
      out[#out + 1] = string.format("%d", v)
    else
      out[#out + 1] = string.format("%.17g", v)
    end
  elseif tv == "string" then
    out[#out + 1] = encode_string(v)
  elseif tv == "table" then
    encode_table(v, out, key and M.ARRAY_KEYS[key], depth, seen)
  else
    error(string.format("json: a value of type %s%s cannot be written", tv, key and (" (key '" .. tostring(key) .. "')") or ""), 0)
  end
end

-- value -> JSON text; an error names the offending key and type.
function M.encode(v)
  local out = {}
  encode_value(v, out, nil, 0, {})
  return table.concat(out)
end

-- lua-cjson decodes every number as a float: integers written as integers come back as integers.
local function integers(v)
  if type(v) == "table" then
    for k, x in pairs(v) do
      if math.type(x) == "float" then
        local i = math.tointeger(x)
        if i and math.abs(x) < 2 ^ 53 then v[k] = i end
      elseif type(x) == "table" then
        integers(x)
      end
    end
  end
  return v
end

-- text -> value, or nil, message.
function M.decode(text)
  local v, err = cjson.decode(text)
  if v == nil and err then return nil, tostring(err) end
  return integers(v)
end

-- A JSON-safe copy of a value: functions, userdata and threads become their type name in angle
-- brackets (a scenario's axis value can be anything), cycles are cut.
function M.sanitize(v, seen)
  local tv = type(v)
  if tv == "table" then
    seen = seen or {}
    if seen[v] then return "<cycle>" end
    seen[v] = true
    local out = {}
    for k, x in pairs(v) do
      if type(k) == "string" or math.type(k) == "integer" then out[k] = M.sanitize(x, seen) end
    end
    seen[v] = nil
    return out
  elseif tv == "function" or tv == "userdata" or tv == "thread" then
    return "<" .. tv .. ">"
  end
  return v
end

return M
