-- A table of each gate's verdict over several runs of one scenario (the "same verdict every time"
-- evidence):  build/robolua tools/verdict_table.lua RUN_DIR... > verdicts.md
local record = require "robolua.record"
local usage = require "robolua.usage"
local USAGE = "usage: robolua tools/verdict_table.lua RUN_DIR... (run folders or their results.json, of one scenario)"
local dirs = { ... }
for _, d in ipairs(dirs) do
  if d == "--help" or d == "-h" then print(USAGE) return end
  if d:match("^%-") then usage.raise("verdict_table: unknown option '" .. d .. "' (" .. USAGE .. ")") end
end
if #dirs == 0 then usage.raise("verdict_table: no RUN_DIR (" .. USAGE .. ")") end
local docs, names, seen = {}, {}, {}
for i, d in ipairs(dirs) do
  local ok, doc = pcall(record.load, d) -- (its message names the file)
  if not ok then usage.raise("verdict_table: " .. tostring(doc)) end
  -- a gate's verdict is compared with the same gate's in other runs: of another scenario, it is another gate
  if i > 1 and doc.scenario ~= docs[1].scenario then
    usage.raise(string.format("verdict_table: %s is a run of '%s', %s of '%s' (the table compares runs of one scenario)", d,
      tostring(doc.scenario), dirs[1], tostring(docs[1].scenario)))
  end
  docs[i] = doc
  for _, g in ipairs(docs[i].gates) do
    if not seen[g.name] then seen[g.name] = true; names[#names + 1] = g.name end
  end
end
local short = { pass = "PASS", fail = "**FAIL**", skip = "SKIPPED", inconclusive = "INCONCLUSIVE", error = "**ERROR**" }
local head = { "| gate |" }
local rule = { "|---|" }
for i = 1, #docs do head[#head + 1] = " run " .. i .. " |"; rule[#rule + 1] = "---|" end
head[#head + 1] = " flips |"
rule[#rule + 1] = "---:|"
print(table.concat(head))
print(table.concat(rule))
local flipped = 0
for _, name in ipairs(names) do
  local row, first, flips = { "| " .. name .. " |" }, nil, 0
  for _, doc in ipairs(docs) do
    local st = "-"
    for _, g in ipairs(doc.gates) do if g.name == name then st = g.status end end
    first = first or st
    if st ~= first then flips = flips + 1 end
    row[#row + 1] = " " .. (short[st] or st) .. " |"
  end
  row[#row + 1] = " " .. flips .. " |"
  if flips > 0 then flipped = flipped + 1 end
  print(table.concat(row))
end
local verdicts, first, vflips = { "| verdict |" }, nil, 0
for _, doc in ipairs(docs) do
  first = first or doc.verdict
  if doc.verdict ~= first then vflips = vflips + 1 end
  verdicts[#verdicts + 1] = " " .. tostring(doc.verdict):gsub("|", "/") .. " |"
end
verdicts[#verdicts + 1] = " " .. vflips .. " |"
print(table.concat(verdicts))
print(string.format("\n%d runs; %d gate%s changed verdict between runs; the overall verdict changed in %d run%s.", #docs, flipped,
  flipped == 1 and "" or "s", vflips, vflips == 1 and "" or "s"))
